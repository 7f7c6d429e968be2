/**
 * The scale curve of a cold apply (issue 20): for each size, vppwg's cold apply in a child process
 * of its own (its CPU time and peak RSS are then vppwg's alone), each phase's wall time (VPP's
 * work, mostly), the no-op after it, and in the same run the floor: the same objects as raw calls,
 * in each order worth trying, the best one kept. On a real VPP the phases cost very different
 * amounts depending on the order (VPP walks an interface's peers for every new adjacency, and its
 * adjacencies for every new peer), which is why the floor is the best order measured, not a guess.
 */
import { fork } from 'node:child_process';
import { messageDef } from '../../src/reconcile/vpp';
import { OWNER_TAG_PREFIX, reconcile, type ReconcileTimings } from '../../src/reconcile';
import type { Figure } from '../harness';
import { benchState, compiledScript, connect, rawCall, type Row, SOURCE } from './reconcile-state';
import type { VppClient } from '../../src/client';

const SCALE_CHILD = '--vppwg-scale-child';
const BIG_TIMEOUT_MS = 15 * 60_000;

/** The orders the floor tries: peers before their next hops (vppwg's plan order), and the other way round. */
export const FLOOR_ORDERS = ['peers first', 'next hops first'] as const;
export type FloorOrder = (typeof FLOOR_ORDERS)[number];

/** What the child reports of one cold apply and the no-op after it. */
interface ChildReport {
  coldMs: number;
  cpuMs: number;
  timings: ReconcileTimings;
  noopMs: number;
  maxRssMb: number;
}

export interface CurvePoint {
  peers: number;
  coldMs: number;
  /** The best raw order's time, and each order's. */
  floorMs: number;
  floorOrder: FloorOrder;
  floors: Record<FloorOrder, number>;
  /** The apply phases' wall time (VPP's work, mostly). */
  phasesMs: number;
  phaseMs: Partial<Record<string, number>>;
  observeMs: number;
  planMs: number;
  verifyMs: number;
  /** CPU time the reconciling process used for the cold apply (vppwg's own work). */
  cpuMs: number;
  noopMs: number;
  rssMb: number;
}

if (process.argv.includes(SCALE_CHILD)) {
  void (async () => {
    const at = process.argv.indexOf(SCALE_CHILD);
    const socketPath = process.argv[at + 1]!;
    const n = Number(process.argv[at + 2]);
    const uplink = process.argv[at + 3]!;
    // At 50,000 peers a real VPP was seen not to answer for minutes after the adds (its main
    // thread busy): a late answer is still a measurement.
    const client = await connect(socketPath, BIG_TIMEOUT_MS);
    const desired = benchState(n, undefined, uplink);
    const cpu = process.cpuUsage();
    const t = performance.now();
    const cold = await reconcile(client, desired);
    const coldMs = performance.now() - t;
    const used = process.cpuUsage(cpu);
    if (!cold.ok) throw new Error(`cold apply of ${n} peers failed: ${cold.error?.message}`);
    const t2 = performance.now();
    const noop = await reconcile(client, desired);
    const noopMs = performance.now() - t2;
    if (!noop.ok || !noop.plan.isEmpty) throw new Error(`the no-op after ${n} peers planned changes`);
    await client.close();
    const report: ChildReport = {
      coldMs,
      cpuMs: (used.user + used.system) / 1000,
      timings: cold.timings,
      noopMs,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    };
    process.send?.(report);
    process.disconnect?.();
  })().catch((err: Error) => {
    process.stderr.write(`scale child: ${err.message.slice(0, 2000)}\n`);
    process.exit(1);
  });
}

const rawMany = (c: VppClient, name: string, vs: Row[]): Promise<Row[]> =>
  (c.callMany as (d: unknown, v: unknown[]) => Promise<Row[]>)(messageDef(name), vs);

/**
 * The cold apply as raw calls, phase by phase in `order`, each phase pipelined: the interface
 * (created, tagged so clearing what vppwg owns removes it, its address), peers, next hops, routes,
 * then up. Timed to the up's reply, as vppwg's run ends with it. Returns each phase's time.
 */
export async function rawColdApply(
  socketPath: string,
  n: number,
  order: FloorOrder,
): Promise<{ ms: number; phaseMs: Record<string, number> }> {
  const client = await connect(socketPath, BIG_TIMEOUT_MS);
  try {
    const state = benchState(n).wireguard[0]!;
    const phaseMs: Record<string, number> = {};
    const phase = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
      const t = performance.now();
      await fn();
      phaseMs[name] = performance.now() - t;
    };
    let sw = 0;
    const path = (nh: string): Row => ({
      sw_if_index: sw,
      table_id: 0,
      rpf_id: 0,
      weight: 1,
      preference: 0,
      type: 0,
      flags: 0,
      proto: 0,
      nh: { address: { ip4: nh }, via_label: 0, obj_id: 0, classify_table_index: 0 },
      n_labels: 0,
      label_stack: [],
    });
    const peers = (): Promise<unknown> =>
      rawMany(
        client,
        'wireguard_peer_add',
        state.peers.map((p) => ({
          peer: {
            peer_index: 0,
            public_key: Buffer.from(p.publicKey, 'base64'),
            port: 51820,
            persistent_keepalive: 25,
            table_id: 0,
            endpoint: p.endpoint!.address,
            sw_if_index: sw,
            flags: 0,
            allowed_ips: [...p.allowedIps],
          },
        })),
      );
    const routes = (nextHops: boolean): Promise<unknown> =>
      rawMany(
        client,
        'ip_route_add_del',
        state.peers.map((p) => {
          const nh = p.tunnelNextHops[0]!;
          return {
            is_add: true,
            is_multipath: false,
            route: { table_id: 0, prefix: nextHops ? `${nh}/32` : p.routes[0]!.prefix, paths: [path(nh)] },
          };
        }),
      );
    const t = performance.now();
    await phase('interface', async () => {
      const wg = await rawCall(client, 'wireguard_interface_create', {
        interface: {
          user_instance: 0xffffffff,
          sw_if_index: 0,
          private_key: new Uint8Array(32),
          public_key: new Uint8Array(32),
          port: 51820,
          src_ip: SOURCE,
        },
        generate_key: true,
      });
      sw = wg.sw_if_index as number;
      await rawCall(client, 'sw_interface_tag_add_del', {
        is_add: true,
        sw_if_index: sw,
        tag: `${OWNER_TAG_PREFIX}wg-bench`,
      });
      await rawCall(client, 'sw_interface_add_del_address', {
        sw_if_index: sw,
        is_add: true,
        del_all: false,
        prefix: state.addresses[0]!,
      });
    });
    if (order === 'peers first') {
      await phase('peer-add', peers);
      await phase('nexthop', () => routes(true));
    } else {
      await phase('nexthop', () => routes(true));
      await phase('peer-add', peers);
    }
    await phase('route', () => routes(false));
    await phase('admin-up', () => rawCall(client, 'sw_interface_set_flags', { sw_if_index: sw, flags: 1 }));
    return { ms: performance.now() - t, phaseMs };
  } finally {
    await client.close();
  }
}

/** A server holding nothing of vppwg's, and how to give it back (the reconcile suite's Target). */
export type Acquire = () => Promise<{ socketPath: string; release(): Promise<void> }>;

/** One point of the curve: vppwg's cold apply in a child, then each raw order, on a cleared server each time. */
export async function curvePoint(acquire: Acquire, uplink: string, n: number): Promise<CurvePoint> {
  const script = compiledScript(__filename, 'reconcile-scale');
  if (!script) throw new Error('the scale curve needs the compiled bench (npx tsc -b)');
  const server = await acquire();
  let report: ChildReport;
  try {
    const child = fork(script, [SCALE_CHILD, server.socketPath, String(n), uplink], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    report = await new Promise<ChildReport>((resolve, reject) => {
      child.once('message', (m: ChildReport) => resolve(m));
      child.once('exit', (code) => reject(new Error(`scale child for ${n} peers exited with ${code}`)));
    });
  } finally {
    await server.release();
  }
  const floors = {} as Record<FloorOrder, number>;
  for (const order of FLOOR_ORDERS) {
    const held = await acquire();
    try {
      floors[order] = (await rawColdApply(held.socketPath, n, order)).ms;
    } finally {
      await held.release();
    }
  }
  const floorOrder = FLOOR_ORDERS.reduce((a, b) => (floors[b] < floors[a] ? b : a));
  const phaseMs = report.timings.phaseMs;
  return {
    peers: n,
    coldMs: report.coldMs,
    floorMs: floors[floorOrder],
    floorOrder,
    floors,
    phasesMs: Object.values(phaseMs).reduce((a, b) => a + (b ?? 0), 0),
    phaseMs,
    observeMs: report.timings.observeMs,
    planMs: report.timings.planMs,
    verifyMs: report.timings.verifyMs,
    cpuMs: report.cpuMs,
    noopMs: report.noopMs,
    rssMb: report.maxRssMb,
  };
}

/** The curve as figures: the cold apply beside its floor, with where the time went in `detail`. */
export function curveFigures(points: readonly CurvePoint[], server: string, rssTargetMb?: number): Figure[] {
  const out: Figure[] = [];
  for (const p of points) {
    const one = (median: number) => ({ median, min: median, max: median, runs: 1 });
    out.push({
      suite: 'reconcile',
      name: `curve: cold apply, ${p.peers.toLocaleString('en-US')} peers`,
      unit: 'ms',
      ...one(p.coldMs),
      floor: p.floorMs,
      ratio: p.coldMs / p.floorMs,
      server,
      detail: { ...p },
    });
    if (rssTargetMb !== undefined && p === points[points.length - 1]) {
      out.push({
        suite: 'reconcile',
        name: `curve: peak RSS of the process applying ${p.peers.toLocaleString('en-US')} peers cold`,
        unit: 'MB',
        ...one(p.rssMb),
        target: { op: '<=', value: rssTargetMb },
        server,
      });
    }
  }
  return out;
}
