/**
 * Fleet mode at scale: N nodes (10, 50, 200; 5 with --quick), each the real Daemon fed by its own
 * etcd source, with an in-process emulator as its VPP, in one mesh on a throw-away etcd. Figures: time from empty
 * VPPs to every tunnel configured with the right keys, time from one key rotation until every
 * other member uses the new key, and memory per node (agent and its emulator together).
 * Targets (issue 17): 50 nodes converged within 10 s of start; a rotation within 2 s at 50 nodes.
 */
import { spawnSync } from 'node:child_process';
import { putDesired, putMember, putNetwork, rotateKey } from '../../src/fleet/admin';
import { FleetLayout } from '../../src/fleet/layout';
import { connectStore } from '../../src/fleet/store';
import { FleetNode } from '../../test/fleet/fleet-node';
import { TestEtcd } from '../../test/fleet/etcd';
import { type BenchContext, type BenchSuite, type Figure, BenchRefused } from '../harness';

const NETWORK = 'bench';

function underlayOf(i: number): string {
  return `10.${Math.floor(i / 250)}.${i % 250}.1`;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return performance.now() - started;
}

/** CPU seconds this process used since `since`: on a shared machine the wall times follow the CPU it got. */
function cpuSeconds(since: NodeJS.CpuUsage): string {
  const u = process.cpuUsage(since);
  return ((u.user + u.system) / 1e6).toFixed(1);
}

function heapAndRssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 1e6;
}

async function runMesh(n: number, ctx: BenchContext): Promise<Figure[]> {
  const etcd = await TestEtcd.start();
  const admin = connectStore({ endpoints: [etcd.endpoint] });
  const layout = new FleetLayout();
  const agents: FleetNode[] = [];
  try {
    await putNetwork(admin, layout, `name: ${NETWORK}\ntopology: mesh\nlisten_port: 51820\noverlay: 100.64.0.0/16\n`);
    for (let i = 0; i < n; i++) {
      const node = `n${i}`;
      await putDesired(admin, layout, node, `uplinks:\n  - name: host-eth0\n    addresses: [${underlayOf(i)}/24]\n`);
      await putMember(admin, layout, NETWORK, node, `endpoint: {address: ${underlayOf(i)}}\n`);
    }
    const rssBefore = heapAndRssMb();
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    // Started 20 at a time: all at once, one process's event loop misses etcd's call deadlines at 200.
    const starting: Promise<FleetNode>[] = [];
    for (let i = 0; i < n; i++) {
      starting.push(
        FleetNode.start(`n${i}`, underlayOf(i), {
          endpoints: [etcd.endpoint],
          statusIntervalMs: 5000,
          driftMs: 0,
          waitReconciled: false,
          logLevel: 'warn',
        }),
      );
      if (starting.length === 20 || i === n - 1) {
        const batch = await Promise.allSettled(starting.splice(0));
        for (const r of batch) if (r.status === 'fulfilled') agents.push(r.value);
        const failed = batch.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
      }
    }
    const keyOf = async (node: string) => (await admin.get(layout.publicKey(node, NETWORK)).string()) ?? '';
    // The daemon's peers are those its last reconcile verified in VPP.
    const converged = () =>
      agents.every((a) => a.daemon.lastReconcileSummary?.ok && a.peerKeys(NETWORK).size === n - 1);
    await waitFor(converged, 120_000, `${n}-node mesh`);
    const coldMs = performance.now() - started;
    const memoryPerNode = (heapAndRssMb() - rssBefore) / n;
    ctx.log(`fleet: ${n} nodes converged in ${coldMs.toFixed(0)} ms (${cpuSeconds(cpuStarted)} s CPU in this process)`);
    // The nodes settle (handshakes done, their status published) before the rotation is timed alone.
    await waitFor(() => agents.every((a) => a.daemon.establishedPeerCount === n - 1), 120_000, 'handshakes');
    await new Promise((r) => setTimeout(r, 1000));

    const rotateStarted = performance.now();
    const cpuRotation = process.cpuUsage();
    const { publicKey } = await rotateKey(admin, layout, 'n0', NETWORK, 30_000);
    ctx.log(`fleet: n0 published its new key after ${(performance.now() - rotateStarted).toFixed(0)} ms`);
    await waitFor(
      () => agents.slice(1).every((a) => a.peerKeys(NETWORK).get('n0') === publicKey),
      60_000,
      `${n}-node rotation`,
    );
    const rotationMs = performance.now() - rotateStarted;
    ctx.log(`fleet: rotation converged in ${rotationMs.toFixed(0)} ms (${cpuSeconds(cpuRotation)} s CPU)`);
    if (publicKey === (await keyOf('n1'))) throw new Error('rotation published a key of another node');
    const single = (name: string, unit: string, value: number, target?: Figure['target']): Figure => ({
      suite: 'fleet',
      name,
      unit,
      median: value,
      min: value,
      max: value,
      runs: 1,
      server: 'emulators in-process',
      ...(target ? { target } : {}),
    });
    return [
      single(
        `${n}-node mesh: empty VPPs to all tunnels configured`,
        'ms',
        coldMs,
        n === 50 ? { op: '<=', value: 10_000 } : undefined,
      ),
      single(
        `${n}-node mesh: one key rotation to all members converged`,
        'ms',
        rotationMs,
        n === 50 ? { op: '<=', value: 2_000 } : undefined,
      ),
      single(`${n}-node mesh: memory per node (agent + emulator, RSS)`, 'MB', memoryPerNode),
    ];
  } finally {
    await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
    admin.close();
    await etcd.stop();
  }
}

/** 10, 50 and 200 nodes, or the sizes in VPPWG_BENCH_FLEET_NODES (e.g. '10,50' on a busy machine). */
function sizes(): number[] {
  const text = process.env.VPPWG_BENCH_FLEET_NODES;
  if (!text) return [10, 50, 200];
  const list = text.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 2))
    throw new Error(`VPPWG_BENCH_FLEET_NODES=${text}: give node counts of 2 or more, comma-separated, e.g. 10,50`);
  return list;
}

export const suite: BenchSuite = {
  name: 'fleet',
  async run(ctx) {
    if (spawnSync('etcd', ['--version']).status !== 0)
      throw new BenchRefused(
        'etcd not installed: the fleet bench needs the etcd binary (Debian: apt-get install etcd-server)',
      );
    if (ctx.vppSocket) ctx.log('fleet: runs against emulators only (N VPPs); VPP_API_SOCKET is ignored');
    const figures: Figure[] = [];
    for (const n of ctx.quick ? [5] : sizes()) figures.push(...(await runMesh(n, ctx)));
    return figures;
  },
};
