/**
 * The drift check beside a routing daemon: a no-op reconcile of 100 peers on an emulator with
 * linux-cp, first with no routes of another source, then beside 1,000,000 routes of source
 * lcp-rt-dynamic through vppwg's own interface (a full table BIRD learned over the tunnel), in
 * the same run. Target: within 20 % of each other (the figure's floor is the run with none).
 * Measured as the daemon's drift checks read (routeReads 'owned'); the full read every tenth
 * check makes ('all') is a second figure, without target. The emulator runs in this process, so
 * the routes are injected directly (sim.control).
 */
import * as vlib from 'vpp-api-ts/vlib';
import type { MessageDef } from 'vpp-api-ts';
import { VppClient } from '../../src/client';
import type { DesiredState } from '../../src/config/model';
import { observe, reconcile, reconcileMessages, type ReconcileOptions } from '../../src/reconcile';
import { startSim } from '../../src/sim';
import { hasLinuxCp } from '../../src/reconcile/lcp-messages';
import { type BenchContext, type Figure, BenchRefused, measure } from '../harness';

/** The two ways a drift check reads routes (see ReconcileOptions.routeReads), as figure names say them. */
const READS: readonly { reads: NonNullable<ReconcileOptions['routeReads']>; what: string }[] = [
  { reads: 'owned', what: "drift check (owned routes by lookup, as the daemon's)" },
  { reads: 'all', what: 'full read (every tenth drift check)' },
];

/** A no-op reconcile of `desired` timed, reading routes as `reads` says. */
function timedNoop(client: VppClient, desired: DesiredState, reads: ReconcileOptions['routeReads']) {
  return async (): Promise<number> => {
    const t = performance.now();
    const r = await reconcile(client, desired, { routeReads: reads });
    if (!r.ok || !r.plan.isEmpty) throw new Error('the no-op apply planned changes');
    if (r.actual!.routes.size > 1000) throw new Error(`the reconcile kept ${r.actual!.routes.size} routes`);
    return performance.now() - t;
  };
}

const UPLINKS = [{ name: 'host-eth0', addresses: ['192.0.2.1/24', '2001:db8:0:1::1/64'], up: true }];

/** `base` with its interfaces paired, as the BGP layout has them. */
function paired(base: DesiredState): DesiredState {
  return {
    ...base,
    linuxCp: { netns: 'dataplane' },
    wireguard: base.wireguard.map((w, i) => ({ ...w, hostInterface: `wgb${i}` })),
  };
}

export async function noopBesideRoutingDaemon(
  ctx: BenchContext,
  benchState: (n: number) => DesiredState,
): Promise<Figure[]> {
  const learned = ctx.quick ? 2_000 : 1_000_000;
  const runs = ctx.quick ? 1 : 5;
  const sim = await startSim({ config: { uplinks: UPLINKS, linuxCp: true } });
  const client = await VppClient.connect({
    socketPath: sim.socketPath,
    messages: reconcileMessages(),
    reconnect: false,
    timeoutMs: 60_000,
  });
  try {
    const desired = paired(benchState(100));
    const first = await reconcile(client, desired);
    if (!first.ok) throw new Error(`apply of 100 paired peers failed: ${first.error?.message}`);
    ctx.log('reconcile: no-op apply of 100 paired peers, no routes of another source');
    const none = [];
    for (const { reads } of READS)
      none.push(await measure(timedNoop(client, desired, reads), { runs, warmup: ctx.quick ? 0 : 1 }));
    const wg = (await observe(client)).owned.interfaces.get(desired.wireguard[0]!.name)!;
    const via = desired.wireguard[0]!.peers[0]!.tunnelNextHops[0]!;
    ctx.log(`reconcile: injecting ${learned} routes of source lcp-rt-dynamic via ${via}`);
    for (let k = 0; k < learned; k++)
      sim.control.injectRoute({ prefix: `${20 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}.0/24`, via, swIfIndex: wg });
    ctx.log(`reconcile: no-op apply of 100 paired peers beside ${learned} routing-daemon routes`);
    const figures: Figure[] = [];
    for (const [i, { reads, what }] of READS.entries()) {
      const beside = await measure(timedNoop(client, desired, reads), { runs, warmup: ctx.quick ? 0 : 1 });
      figures.push({
        suite: 'reconcile',
        name: `no-op apply, 100 peers, ${what}, beside ${learned} routes of the routing daemon (lcp-rt-dynamic) vs none`,
        unit: 'ms',
        ...beside,
        floor: none[i]!.median,
        ratio: beside.median / none[i]!.median,
        ...(!ctx.quick && reads === 'owned' ? { target: { op: '<=' as const, value: 1.2, of: 'ratio' as const } } : {}),
        server: 'emulator (in-process, linux-cp)',
      });
    }
    return figures;
  } finally {
    await client.close();
    await sim.stop();
  }
}

/**
 * The same on a real VPP (issue 18: 200,000 there): its linux-cp cannot pair here without
 * /dev/vhost-net, so the routes of another source are VPP's own CLI's (source CLI, added through
 * cli_inband), through vppwg's interface like the routing daemon's. Needs linux-cp loaded (then
 * vppwg reads API routes only, as VPP filters them); refused otherwise. The routes are removed
 * again before returning, also after a failure.
 */
export async function noopBesideOtherSourceOnVpp(
  ctx: BenchContext,
  socketPath: string,
  desired: DesiredState,
  server: string,
): Promise<Figure[]> {
  const count = ctx.quick ? 2_000 : 200_000;
  const runs = ctx.quick ? 1 : 5;
  const client = await VppClient.connect({
    socketPath,
    messages: [...reconcileMessages(), vlib.cli_inband, vlib.cli_inband_reply] as MessageDef[],
    reconnect: false,
    timeoutMs: 120_000,
  });
  let added = 0;
  const prefixOf = (k: number): string => `${20 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}.0/24`;
  try {
    if (!hasLinuxCp(client))
      throw new BenchRefused(
        'the no-op beside routes of another source needs linux-cp loaded in VPP (plugin linux_cp_plugin.so; run-vpp.sh: LINUX_CP=1)',
      );
    const first = await reconcile(client, desired);
    if (!first.ok) throw new Error(`apply of 100 peers failed: ${first.error?.message}`);
    const wgName = first.actual!.interfaces.get(first.actual!.owned.interfaces.get(desired.wireguard[0]!.name)!)!.name;
    const via = desired.wireguard[0]!.peers[0]!.tunnelNextHops[0]!;
    ctx.log('reconcile: no-op apply of 100 peers, no routes of another source');
    const none = [];
    for (const { reads } of READS)
      none.push(await measure(timedNoop(client, desired, reads), { runs, warmup: ctx.quick ? 0 : 1 }));
    ctx.log(`reconcile: adding ${count} routes of source CLI via ${via} ${wgName}`);
    const cli = (verb: 'add' | 'del', from: number, n: number) =>
      client.callMany(
        vlib.cli_inband,
        Array.from({ length: n }, (_, i) => ({ cmd: `ip route ${verb} ${prefixOf(from + i)} via ${via} ${wgName}` })),
      );
    for (let k = 0; k < count; k += 50_000) {
      const n = Math.min(50_000, count - k);
      added = k + n; // counted before: a batch that fails half way is removed too
      await cli('add', k, n);
    }
    ctx.log(`reconcile: no-op apply of 100 peers beside ${count} routes of source CLI`);
    const figures: Figure[] = [];
    for (const [i, { reads, what }] of READS.entries()) {
      const beside = await measure(timedNoop(client, desired, reads), { runs, warmup: ctx.quick ? 0 : 1 });
      figures.push({
        suite: 'reconcile',
        name: `no-op apply, 100 peers, ${what}, beside ${count} routes of another source (CLI) through its interface vs none`,
        unit: 'ms',
        ...beside,
        floor: none[i]!.median,
        ratio: beside.median / none[i]!.median,
        ...(!ctx.quick && reads === 'owned' ? { target: { op: '<=' as const, value: 1.2, of: 'ratio' as const } } : {}),
        server,
      });
    }
    return figures;
  } finally {
    for (let k = 0; k < added; k += 50_000)
      await client
        .callMany(
          vlib.cli_inband,
          Array.from({ length: Math.min(50_000, added - k) }, (_, i) => ({
            cmd: `ip route del ${prefixOf(k + i)}`,
          })),
        )
        .catch((err: Error) => ctx.log(`reconcile: removing CLI routes: ${err.message}`));
    await client.close();
  }
}
