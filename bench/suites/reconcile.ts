/**
 * Reconciler speed against the emulator (in a child process, as VPP would be another process):
 * cold apply of 1,000 and 10,000 peers (one route and one tunnel next hop each), a no-op apply of
 * the same, one changed peer among 10,000 (observing everything first, and from the state the
 * previous run verified), and the peak RSS of a reconciling process. Every figure is a whole
 * reconcile: observe (unless given the previous state), plan, apply, observe again and verify.
 *
 * Then the scale curve (reconcile-scale.ts; sizes from VPPWG_BENCH_CURVE, VPPWG_BENCH_CURVE_ONLY=1
 * for it alone). With VPP_API_SOCKET the same figures are taken against that VPP instead: the bench refuses to
 * run if the VPP already holds vppwg-owned objects (its runs would delete them) unless --force,
 * stands a loopback with 192.0.2.1/24 in for the uplink, clears what it owns between cold runs,
 * and at the end (also after a failure) applies an empty desired state and deletes the loopback.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as iface from 'vpp-api-ts/interface';
import * as ip from 'vpp-api-ts/ip';
import type { VppClient } from '../../src/client';
import type { DesiredState } from '../../src/config/model';
import { OWNER_TAG_PREFIX, observe, reconcile } from '../../src/reconcile';
import { hasPeerV2, messageDef } from '../../src/reconcile/vpp';
import { startSim } from '../../src/sim';
import {
  type BenchContext,
  type BenchSuite,
  type Figure,
  BenchPartial,
  BenchRefused,
  measure,
  summarize,
} from '../harness';
import { noopBesideOtherSourceOnVpp, noopBesideRoutingDaemon } from './reconcile-bgp';
import { FLOOR_ORDERS, curveFigures, curvePoint, rawColdApply, type CurvePoint } from './reconcile-scale';
import { benchState, compiledScript, connect, EMPTY_STATE, rawCall, type Row, SOURCE } from './reconcile-state';

export { benchState };

const CHILD_FLAG = '--vppwg-reconcile-bench-child';
const RSS_FLAG = '--vppwg-reconcile-bench-rss';
const UPLINKS = [{ name: 'host-eth0', addresses: ['192.0.2.1/24', '2001:db8:0:1::1/64'], up: true }];
const LOOPBACK_ADDRESS = `${SOURCE}/24`;

if (process.argv.includes(CHILD_FLAG)) {
  void (async () => {
    const sim = await startSim({
      socketPath: process.argv[process.argv.indexOf(CHILD_FLAG) + 1],
      config: { uplinks: UPLINKS },
    });
    process.send?.('ready');
    process.on('disconnect', () => void sim.stop().then(() => process.exit(0)));
  })();
}

if (process.argv.includes(RSS_FLAG)) {
  // A process that only reconciles (cold apply, no-op, one change), so its peak RSS is the reconciler's.
  void (async () => {
    const at = process.argv.indexOf(RSS_FLAG);
    const socketPath = process.argv[at + 1]!;
    const n = Number(process.argv[at + 2]);
    const uplink = process.argv[at + 3]!;
    const client = await connect(socketPath);
    const steps = [
      benchState(n, undefined, uplink),
      benchState(n, undefined, uplink),
      benchState(n, { index: 7, keepalive: 5 }, uplink),
    ];
    for (const desired of steps) {
      const r = await reconcile(client, desired);
      if (!r.ok) throw new Error(`reconcile failed: ${r.error?.message}`);
    }
    await client.close();
    process.send?.({ maxRssMb: process.resourceUsage().maxRSS / 1024 });
    process.disconnect?.();
  })();
}

interface Emulator {
  socketPath: string;
  stop(): Promise<void>;
}

/** The emulator in a child process (its own core, as VPP would be), or in this process when only sources exist. */
async function startEmulator(): Promise<Emulator> {
  const socketPath = join(tmpdir(), `vppwg-reconcile-bench-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  const script = compiledScript(__filename, 'reconcile');
  if (!script) {
    const sim = await startSim({ socketPath, config: { uplinks: UPLINKS } });
    return { socketPath, stop: () => sim.stop() };
  }
  const child: ChildProcess = fork(script, [CHILD_FLAG, socketPath], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${code}`)));
  });
  return {
    socketPath,
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      await exited;
    },
  };
}

/**
 * Where the figures are taken. `acquire` hands out a server holding nothing vppwg owns (a fresh
 * emulator, or the real VPP after clearing what the bench made there); `release` gives it back.
 */
interface Target {
  label: string;
  /** The interface the WireGuard source address lives on. */
  uplink: string;
  /** A compiled child process can reconcile against it (the RSS figure). */
  acquire(): Promise<{ socketPath: string; release(): Promise<void> }>;
  /** Leaves the server as the bench found it. */
  close(): Promise<void>;
}

function emulatorTarget(): Target {
  return {
    label: compiledScript(__filename, 'reconcile') ? 'emulator (child process)' : 'emulator (in-process)',
    uplink: 'host-eth0',
    async acquire() {
      const emu = await startEmulator();
      return { socketPath: emu.socketPath, release: () => emu.stop() };
    },
    close: async () => undefined,
  };
}

async function clearOwned(socketPath: string): Promise<void> {
  // Generous: after 50,000 peers a real VPP may take minutes to answer again.
  const client = await connect(socketPath, 15 * 60_000);
  try {
    const r = await reconcile(client, EMPTY_STATE);
    if (!r.ok) throw new Error(`clearing vppwg's objects failed at ${r.error?.operation}: ${r.error?.message}`);
  } finally {
    await client.close();
  }
}

/**
 * A real VPP (or anything speaking its API) at `socketPath`. Refuses when vppwg already owns
 * objects there, unless `force`; creates a loopback as the uplink, which close() deletes again.
 */
export async function vppTarget(socketPath: string, force: boolean, log: (line: string) => void): Promise<Target> {
  const client = await connect(socketPath);
  let loopback: number | undefined;
  try {
    const before = await observe(client);
    const ownedIfs = [...before.interfaces.values()].filter((i) => i.tag.startsWith(OWNER_TAG_PREFIX));
    const ownedTables = before.tables.filter((t) => t.name.startsWith(OWNER_TAG_PREFIX));
    if ((ownedIfs.length || ownedTables.length) && !force) {
      const what = [
        ...ownedIfs.map((i) => `interface ${i.name} (tag "${i.tag}")`),
        ...ownedTables.map((t) => `${t.family} table ${t.id} ("${t.name}")`),
      ];
      throw new BenchRefused(
        `the VPP at ${socketPath} (VPP_API_SOCKET) already holds objects tagged by vppwg: ${what.join(', ')}. ` +
          'The bench applies its own desired states there and would delete them. Point VPP_API_SOCKET at a VPP ' +
          'you can spare, remove them (vppwg apply of an empty file), or pass --force to let the bench delete them.',
      );
    }
    if (ownedIfs.length || ownedTables.length) {
      log(`reconcile: --force: deleting ${ownedIfs.length} interface(s) and ${ownedTables.length} table(s) vppwg owns`);
    }
    const clash = [...before.interfaces.values()].find((i) => i.addresses.some((a) => a.startsWith('192.0.2.')));
    if (clash) {
      throw new BenchRefused(
        `the VPP at ${socketPath} already has an address in 192.0.2.0/24 (on ${clash.name}), which the bench puts on ` +
          'its loopback as the WireGuard source: remove it or use a VPP you can spare',
      );
    }
    const created = await client.call(iface.create_loopback_instance, { is_specified: false, user_instance: 0 });
    loopback = created.sw_if_index;
    await client.call(iface.sw_interface_add_del_address, {
      sw_if_index: loopback,
      is_add: true,
      del_all: false,
      prefix: LOOPBACK_ADDRESS,
    });
    await client.call(iface.sw_interface_set_flags, { sw_if_index: loopback, flags: 1 /* admin up */ });
    const uplink = (await observe(client)).interfaces.get(loopback)?.name;
    if (!uplink)
      throw new Error(`the loopback VPP created (sw_if_index ${loopback}) is missing from its interface dump`);
    log(`reconcile: against ${socketPath}, ${uplink} (${LOOPBACK_ADDRESS}) standing in for the uplink`);
    const made = loopback;
    return {
      label: `vpp ${socketPath}`,
      uplink,
      async acquire() {
        await clearOwned(socketPath);
        return { socketPath, release: async () => undefined };
      },
      async close() {
        // Whatever else fails, still try to delete the loopback.
        let failure: unknown;
        await clearOwned(socketPath).catch((err: unknown) => (failure = err));
        const c = await connect(socketPath);
        try {
          await c.call(iface.delete_loopback, { sw_if_index: made });
        } finally {
          await c.close();
        }
        if (failure) throw failure;
        log(`reconcile: cleaned up: vppwg's objects and ${uplink} deleted`);
      },
    };
  } catch (err) {
    if (loopback !== undefined) {
      await client.call(iface.delete_loopback, { sw_if_index: loopback }).catch(() => undefined);
    }
    throw err;
  } finally {
    await client.close();
  }
}

async function coldApply(target: Target, n: number): Promise<number> {
  const server = await target.acquire();
  const client = await connect(server.socketPath);
  try {
    const desired = benchState(n, undefined, target.uplink);
    const t = performance.now();
    const r = await reconcile(client, desired);
    const ms = performance.now() - t;
    if (!r.ok) throw new Error(`cold apply of ${n} peers failed: ${r.error?.message}`);
    return ms;
  } finally {
    await client.close();
    await server.release();
  }
}

/** A dump read as observe reads its large ones: streamed, each row dropped once decoded. */
const rawStream = async (c: VppClient, name: string, v: Row): Promise<void> => {
  for await (const _ of (c.dumpIter as (d: unknown, v: unknown) => AsyncIterableIterator<Row>)(messageDef(name), v)) {
    // only decoded
  }
};

/**
 * The floor of a cold apply: the same objects as raw calls, each phase pipelined, with no observe,
 * plan or verify, in each order FLOOR_ORDERS tries; the best order's median. (On a real VPP the
 * order matters: see reconcile-scale.ts.)
 */
async function coldFloor(target: Target, n: number, runs: number): Promise<{ ms: number; order: string }> {
  let best: { ms: number; order: string } | undefined;
  for (const order of FLOOR_ORDERS) {
    const m = await measure(
      async () => {
        const server = await target.acquire();
        try {
          return (await rawColdApply(server.socketPath, n, order)).ms;
        } finally {
          await server.release();
        }
      },
      { runs, warmup: 0 },
    );
    if (!best || m.median < best.ms) best = { ms: m.median, order };
  }
  return best!;
}

/** Peak RSS (MB) of a process that reconciles `n` peers cold, then no-op, then one change; undefined without compiled code. */
async function reconcilerRss(target: Target, n: number): Promise<number | undefined> {
  const script = compiledScript(__filename, 'reconcile');
  if (!script) return undefined;
  const server = await target.acquire();
  try {
    const child = fork(script, [RSS_FLAG, server.socketPath, String(n), target.uplink], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { maxRssMb: number }) => resolve(m.maxRssMb));
      child.once('exit', (code) => reject(new Error(`reconciler child exited with ${code} before reporting`)));
    });
  } finally {
    await server.release();
  }
}

/**
 * A no-op apply of 100 peers on a VPP that also routes a large table via its uplink (as a router
 * with a full Internet table does). Emulator only: the bench does not load a real VPP with routes.
 * The reconcile passes the foreign routes over as they stream in; the floor dumps them all raw.
 */
async function noopBesideForeignRoutes(
  ctx: BenchContext,
  target: Target,
  fig: (name: string, m: { median: number; min: number; max: number; runs: number }) => Figure,
): Promise<Figure> {
  const foreign = ctx.quick ? 2_000 : 200_000;
  ctx.log(`reconcile: no-op apply of 100 peers beside ${foreign} foreign routes`);
  const held = await target.acquire();
  const client = await connect(held.socketPath);
  try {
    const rows = await client.dump(iface.sw_interface_dump, {
      sw_if_index: 0xffffffff,
      name_filter_valid: false,
      name_filter: '',
    });
    const uplink = rows.find((r) => r.interface_name === target.uplink)!.sw_if_index;
    for (let from = 0; from < foreign; from += 50_000) {
      const n = Math.min(50_000, foreign - from);
      await client.callMany(
        ip.ip_route_add_del,
        Array.from({ length: n }, (_, i) => {
          const k = from + i;
          return {
            is_add: true,
            is_multipath: false,
            route: {
              table_id: 0,
              prefix: `${20 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}.0/24`,
              paths: [
                { sw_if_index: uplink, table_id: 0, weight: 1, proto: 0, nh: { address: { ip4: '192.0.2.254' } } },
              ],
            },
          };
        }),
      );
    }
    const base = benchState(100, undefined, target.uplink);
    const first = await reconcile(client, base);
    if (!first.ok) throw new Error(`apply of 100 peers failed: ${first.error?.message}`);
    const floor = (await measure(() => observeFloor(client), { runs: ctx.quick ? 1 : 3, warmup: 0 })).median;
    const m = await measure(
      async () => {
        const t = performance.now();
        const r = await reconcile(client, base);
        if (!r.ok || !r.plan.isEmpty) throw new Error('the no-op apply planned changes');
        if (r.actual!.routes.size > 1000) throw new Error(`the reconcile kept ${r.actual!.routes.size} routes`);
        return performance.now() - t;
      },
      { runs: ctx.quick ? 1 : 5, warmup: ctx.quick ? 0 : 1 },
    );
    return withFloor(fig(`no-op apply, 100 peers, VPP holding ${foreign} other routes via its uplink`, m), floor);
  } finally {
    await client.close();
    await held.release();
  }
}

/**
 * The floor of a no-op apply: the two dumps that carry its bulk (every peer, every route of table
 * 0), raw and pipelined together, each row decoded and dropped.
 */
async function observeFloor(client: VppClient): Promise<number> {
  const t = performance.now();
  await Promise.all([
    rawStream(client, hasPeerV2(client) ? 'wireguard_peers_v2_dump' : 'wireguard_peers_dump', {
      peer_index: 0xffffffff,
    }),
    client.has('ip_route_v2_dump')
      ? rawStream(client, 'ip_route_v2_dump', { src: 0, table: { table_id: 0, is_ip6: false, name: '' } })
      : rawStream(client, 'ip_route_dump', { table: { table_id: 0, is_ip6: false, name: '' } }),
  ]);
  return performance.now() - t;
}

/**
 * The floor of one changed peer: the two calls its plan makes (remove the peer, add it back with
 * the new keepalive), raw and one after the other as they must be, with no observe, plan or verify.
 * Returns the timed step; each step flips the keepalive again.
 */
async function peerReaddFloor(client: VppClient, base: DesiredState, index: number): Promise<() => Promise<number>> {
  const r = await reconcile(client, base);
  const wg = base.wireguard[0]!;
  const peer = wg.peers[index]!;
  const found = r.peers.find((p) => p.name === peer.name);
  if (!r.ok || !found) throw new Error(`peer ${peer.name} is missing before the one-change floor`);
  let peerIndex = found.peerIndex;
  let keepalive = peer.persistentKeepalive;
  return async () => {
    keepalive = keepalive === 5 ? 25 : 5;
    const t = performance.now();
    await rawCall(client, 'wireguard_peer_remove', { peer_index: peerIndex });
    const added = await rawCall(client, 'wireguard_peer_add', {
      peer: {
        peer_index: 0,
        public_key: Buffer.from(peer.publicKey, 'base64'),
        port: peer.endpoint!.port,
        persistent_keepalive: keepalive,
        table_id: 0,
        endpoint: peer.endpoint!.address,
        sw_if_index: found.swIfIndex,
        flags: 0,
        allowed_ips: [...peer.allowedIps],
      },
    });
    const ms = performance.now() - t;
    peerIndex = added.peer_index as number;
    return ms;
  };
}

function withFloor(f: Figure, floor: number): Figure {
  return { ...f, floor, ratio: f.median / floor };
}

async function runFigures(ctx: BenchContext, target: Target): Promise<Figure[]> {
  // VPPWG_BENCH_CURVE_ONLY=1: the scale curve alone (its large points take many minutes on a real VPP).
  if (process.env.VPPWG_BENCH_CURVE_ONLY === '1') return curve(ctx, target);
  // Quick mode is a smoke run (tests): small sizes, one run each, no targets.
  const small = ctx.quick ? 50 : 1_000;
  const large = ctx.quick ? 300 : 10_000;
  const runs = (n: number): number => (ctx.quick ? 1 : n);
  const figures: Figure[] = [];
  const server = target.label;
  const fig = (
    name: string,
    m: { median: number; min: number; max: number; runs: number },
    target?: number,
  ): Figure => ({
    suite: 'reconcile',
    name,
    unit: 'ms',
    ...m,
    ...(target !== undefined && !ctx.quick ? { target: { op: '<=' as const, value: target } } : {}),
    server,
  });

  ctx.log(`reconcile: cold apply of ${small} peers`);
  const coldSmall = fig(
    `cold apply, ${small} peers (1 route + 1 next hop each)`,
    await measure(() => coldApply(target, small), { runs: runs(3), warmup: ctx.quick ? 0 : 1 }),
  );
  figures.push(withFloor(coldSmall, (await coldFloor(target, small, runs(3))).ms));
  ctx.log(`reconcile: cold apply of ${large} peers`);
  // On a real VPP the time is VPP's own (quadratic in peers per interface): judged against the
  // best raw order in the same run. The emulator has its absolute target.
  const cold = fig(
    `cold apply, ${large} peers (1 route + 1 next hop each)`,
    await measure(() => coldApply(target, large), { runs: runs(3), warmup: ctx.quick ? 0 : 1 }),
    ctx.vppSocket ? undefined : 3000,
  );
  ctx.log(`reconcile: floor of a cold apply of ${large} peers (the same calls, raw, in each order)`);
  const coldBest = await coldFloor(target, large, runs(3));
  figures.push({
    ...withFloor(cold, coldBest.ms),
    ...(ctx.vppSocket && !ctx.quick ? { target: { op: '<=' as const, value: 1.2, of: 'ratio' as const } } : {}),
    detail: { floorOrder: coldBest.order },
  });

  const held = await target.acquire();
  const client = await connect(held.socketPath);
  try {
    const base = benchState(large, undefined, target.uplink);
    const first = await reconcile(client, base);
    if (!first.ok) throw new Error(`apply of ${large} peers failed: ${first.error?.message}`);
    ctx.log(`reconcile: no-op apply of ${large} peers`);
    // On a real VPP the peers' made-up endpoints never answer, so VPP is retransmitting every
    // peer's handshake meanwhile (every 5 s for 90 s): the drift check must stay cheap while it
    // does. The floor and the no-op alternate, so both meet VPP's bursts alike.
    const floorRuns: number[] = [];
    const noopRuns: number[] = [];
    const pairs = ctx.quick ? 1 : ctx.vppSocket ? 12 : 5;
    for (let i = 0; i < pairs + (ctx.quick ? 0 : 1); i++) {
      const f = await observeFloor(client);
      const t = performance.now();
      const r = await reconcile(client, base);
      const ms = performance.now() - t;
      if (!r.ok || !r.plan.isEmpty) throw new Error('the no-op apply planned changes');
      if (i === 0 && !ctx.quick) continue; // warm-up
      floorRuns.push(f);
      noopRuns.push(ms);
    }
    const noop = withFloor(
      fig(
        ctx.vppSocket
          ? `no-op apply, ${large} peers, while VPP retransmits their handshakes`
          : `no-op apply, ${large} peers`,
        summarize(noopRuns),
        500,
      ),
      summarize(floorRuns).median,
    );
    figures.push(ctx.vppSocket && !ctx.quick ? { ...noop, target: { op: '<=', value: 2, of: 'ratio' } } : noop);
    ctx.log(`reconcile: one changed peer among ${large}`);
    const changedStates = [benchState(large, { index: 4321 % large, keepalive: 5 }, target.uplink), base];
    const oneChange = async (keep: boolean): Promise<{ median: number; min: number; max: number; runs: number }> => {
      let round = 0;
      let state = keep ? (await reconcile(client, base)).actual : undefined;
      return measure(
        async () => {
          const desired = changedStates[round++ % 2]!;
          const t = performance.now();
          const r = await reconcile(client, desired, state ? { actual: state } : {});
          const ms = performance.now() - t;
          if (!r.ok || r.plan.operations.length !== 2)
            throw new Error(`expected 2 operations, got ${r.plan.operations.length}`);
          if (keep) state = r.actual;
          return ms;
        },
        { runs: runs(6), warmup: ctx.quick ? 0 : 2 },
      );
    };
    // Observing 10,000 peers and 20,000 routes alone costs about the no-op figure, so the target is
    // met only as the daemon can run it: planning from the state the previous run verified.
    const observeFirst = await oneChange(false);
    const fromState = await oneChange(true);
    ctx.log(`reconcile: floor of one changed peer (its remove and re-add, raw)`);
    const changeFloor = (
      await measure(await peerReaddFloor(client, base, 4321 % large), {
        runs: runs(6),
        warmup: ctx.quick ? 0 : 2,
      })
    ).median;
    figures.push(
      withFloor(fig(`one changed peer among ${large} (observing everything first)`, observeFirst), changeFloor),
    );
    figures.push(
      withFloor(fig(`one changed peer among ${large} (from the previous run's state)`, fromState, 200), changeFloor),
    );
  } finally {
    await client.close();
    await held.release();
  }
  if (!ctx.vppSocket) figures.push(await noopBesideForeignRoutes(ctx, target, fig));
  if (!ctx.vppSocket)
    figures.push(...(await noopBesideRoutingDaemon(ctx, (n) => benchState(n, undefined, target.uplink))));
  if (ctx.vppSocket) {
    const held = await target.acquire();
    try {
      figures.push(
        ...(await noopBesideOtherSourceOnVpp(
          ctx,
          held.socketPath,
          benchState(100, undefined, target.uplink),
          target.label,
        )),
      );
    } catch (err) {
      if (!(err instanceof BenchRefused)) throw err;
      ctx.log(`reconcile: skipped: ${err.message}`);
    } finally {
      await held.release();
    }
  }
  figures.push(...(await curve(ctx, target)));
  ctx.log(`reconcile: peak RSS of a process reconciling ${large} peers`);
  let rssMb: number | undefined;
  try {
    rssMb = await reconcilerRss(target, large);
  } catch (err) {
    throw new BenchPartial(`peak RSS of ${large} peers: ${(err as Error).message}`, figures);
  }
  if (rssMb === undefined) {
    ctx.log('reconcile: peak RSS skipped (needs the compiled bench: npx tsc -b)');
    return figures;
  }
  figures.push({
    suite: 'reconcile',
    name: `peak RSS of a process reconciling ${large} peers (cold, no-op, one change)`,
    unit: 'MB',
    median: rssMb,
    min: rssMb,
    max: rssMb,
    runs: 1,
    ...(!ctx.quick ? { target: { op: '<=' as const, value: 250 } } : {}),
    server,
  });
  return figures;
}

/** Peers per size of the scale curve: VPPWG_BENCH_CURVE=1000,5000 or these defaults. */
function curveSizes(ctx: BenchContext): number[] {
  const env = process.env.VPPWG_BENCH_CURVE;
  if (env) {
    const sizes = env.split(',').map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 60_000))
      throw new Error(`VPPWG_BENCH_CURVE=${env}: expected peer counts from 1 to 60000, e.g. 1000,5000,10000`);
    return sizes;
  }
  if (ctx.quick) return [50];
  return ctx.vppSocket ? [1_000, 5_000, 10_000, 20_000, 50_000] : [1_000, 10_000];
}

/** The scale curve (see reconcile-scale.ts); skipped without the compiled bench (its children run it). */
async function curve(ctx: BenchContext, target: Target): Promise<Figure[]> {
  const points: CurvePoint[] = [];
  for (const n of curveSizes(ctx)) {
    ctx.log(`reconcile: curve, ${n} peers (vppwg in a child, then the raw floor in each order)`);
    try {
      points.push(await curvePoint(() => target.acquire(), target.uplink, n));
    } catch (err) {
      // The sizes before it stand; the larger ones would fail alike (a VPP out of memory aborts).
      ctx.log(`reconcile: curve stopped at ${n} peers: ${(err as Error).message}`);
      break;
    }
    const p = points[points.length - 1]!;
    ctx.log(
      `reconcile:   ${n}: cold ${Math.round(p.coldMs)} ms (phases ${Math.round(p.phasesMs)}, vppwg CPU ${Math.round(p.cpuMs)}), floor ${Math.round(p.floorMs)} ms (${p.floorOrder}), no-op ${Math.round(p.noopMs)} ms, RSS ${Math.round(p.rssMb)} MB`,
    );
  }
  const largest = points[points.length - 1];
  return curveFigures(points, target.label, largest && largest.peers >= 50_000 ? 600 : undefined);
}

export const suite: BenchSuite = {
  name: 'reconcile',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const target = ctx.vppSocket ? await vppTarget(ctx.vppSocket, ctx.force, ctx.log) : emulatorTarget();
    let figures: Figure[];
    try {
      figures = await runFigures(ctx, target);
    } catch (err) {
      // The cleanup still runs; its own failure must not hide why the run failed.
      await target
        .close()
        .catch((e: Error) => ctx.log(`reconcile: cleanup after the failure failed too: ${e.message}`));
      throw err;
    }
    await target.close();
    return figures;
  },
};
