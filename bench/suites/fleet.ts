/**
 * Fleet mode at scale: N nodes (10, 50, 200; 5 with --quick), each the real Daemon fed by its own
 * etcd source, with an emulator as its VPP, in one mesh on a throw-away etcd: in this process up to
 * 50 nodes, beyond that in child processes of at most 50 each. Figures: time from empty
 * VPPs to every tunnel configured with the right keys, time from one key rotation until every
 * other member uses the new key, and memory per node (agent and its emulator together).
 * Targets (issue 17): 50 nodes converged within 10 s of start; a rotation within 2 s at 50 nodes.
 */
import { spawnSync } from 'node:child_process';
import { putDesired, putMember, putNetwork, rotateKey } from '../../src/fleet/admin';
import { FleetLayout } from '../../src/fleet/layout';
import { connectStore } from '../../src/fleet/store';
import { TestEtcd } from '../../test/fleet/etcd';
import { type BenchContext, type BenchSuite, type Figure, BenchRefused } from '../harness';
import { startChildGroup, startLocalGroup, type NodeGroup } from './fleet-group';

const NETWORK = 'bench';

function underlayOf(i: number): string {
  return `10.${Math.floor(i / 250)}.${i % 250}.1`;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
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

/**
 * At most this many nodes share an event loop: more run in child processes, shared out evenly (at
 * 200 in one process, etcd's 5 s call deadlines passed while the loop was busy).
 */
const NODES_PER_PROCESS = 50;

/** All of the groups' answers hold. */
async function all(groups: readonly NodeGroup[], ask: (g: NodeGroup) => Promise<boolean>): Promise<boolean> {
  return (await Promise.all(groups.map(ask))).every(Boolean);
}

/** CPU seconds the nodes' processes used. */
async function cpuOf(groups: readonly NodeGroup[], local: boolean): Promise<number> {
  if (local) return (await groups[0]!.usage()).cpuS;
  return (await Promise.all(groups.map((g) => g.usage()))).reduce((sum, u) => sum + u.cpuS, 0);
}

async function runMesh(n: number, ctx: BenchContext): Promise<Figure[]> {
  const etcd = await TestEtcd.start();
  const admin = connectStore({ endpoints: [etcd.endpoint] });
  const layout = new FleetLayout();
  const groups: NodeGroup[] = [];
  const local = n <= NODES_PER_PROCESS;
  try {
    await putNetwork(admin, layout, `name: ${NETWORK}\ntopology: mesh\nlisten_port: 51820\noverlay: 100.64.0.0/16\n`);
    const nodes = Array.from({ length: n }, (_, i) => ({ name: `n${i}`, underlay: underlayOf(i) }));
    for (const { name, underlay } of nodes) {
      await putDesired(admin, layout, name, `uplinks:\n  - name: host-eth0\n    addresses: [${underlay}/24]\n`);
      await putMember(admin, layout, NETWORK, name, `endpoint: {address: ${underlay}}\n`);
    }
    const perProcess = Math.ceil(n / Math.ceil(n / NODES_PER_PROCESS));
    const specs = [];
    for (let i = 0; i < n; i += perProcess)
      specs.push({ endpoint: etcd.endpoint, network: NETWORK, nodes: nodes.slice(i, i + perProcess) });
    const rssBefore = heapAndRssMb();
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    let baseRssMb = 0;
    if (local) groups.push(await startLocalGroup(specs[0]!));
    else {
      const children = await Promise.allSettled(specs.map((spec) => startChildGroup(spec)));
      for (const c of children) if (c.status === 'fulfilled') groups.push(c.value.group);
      const failed = children.find((c) => c.status === 'rejected');
      if (failed) throw failed.reason;
      for (const c of children) if (c.status === 'fulfilled') baseRssMb += c.value.baseRssMb;
    }
    const keyOf = async (node: string) => (await admin.get(layout.publicKey(node, NETWORK)).string()) ?? '';
    // The daemon's peers are those its last reconcile verified in VPP.
    // 200 nodes on 2 cores took about 2 minutes: the limit grows with the fleet.
    const limitMs = Math.max(120_000, n * 1500);
    await waitFor(() => all(groups, (g) => g.converged(n)), limitMs, `${n}-node mesh`);
    const coldMs = performance.now() - started;
    const rssAfter = local
      ? heapAndRssMb()
      : (await Promise.all(groups.map((g) => g.usage()))).reduce((s, u) => s + u.rssMb, 0);
    const memoryPerNode = (rssAfter - (local ? rssBefore : baseRssMb)) / n;
    const where = local ? 'in this process' : `in ${groups.length} child processes`;
    const cpuCold = local ? cpuSeconds(cpuStarted) : (await cpuOf(groups, false)).toFixed(1);
    ctx.log(`fleet: ${n} nodes converged in ${coldMs.toFixed(0)} ms (${cpuCold} s CPU ${where})`);
    // The nodes settle (handshakes done, their status published) before the rotation is timed alone.
    await waitFor(() => all(groups, (g) => g.established(n)), limitMs, 'handshakes');
    await new Promise((r) => setTimeout(r, 1000));

    const rotateStarted = performance.now();
    const cpuRotation = process.cpuUsage();
    const childCpu = local ? 0 : await cpuOf(groups, false);
    const { publicKey } = await rotateKey(admin, layout, 'n0', NETWORK, 30_000);
    ctx.log(`fleet: n0 published its new key after ${(performance.now() - rotateStarted).toFixed(0)} ms`);
    await waitFor(() => all(groups, (g) => g.sees('n0', publicKey!)), 60_000, `${n}-node rotation`);
    const rotationMs = performance.now() - rotateStarted;
    const cpuRotated = local ? cpuSeconds(cpuRotation) : ((await cpuOf(groups, false)) - childCpu).toFixed(1);
    ctx.log(`fleet: rotation converged in ${rotationMs.toFixed(0)} ms (${cpuRotated} s CPU)`);
    if (publicKey === (await keyOf('n1'))) throw new Error('rotation published a key of another node');
    const server = local ? 'emulators in-process' : `emulators in ${groups.length} processes`;
    const single = (name: string, unit: string, value: number, target?: Figure['target']): Figure => ({
      suite: 'fleet',
      name,
      unit,
      median: value,
      min: value,
      max: value,
      runs: 1,
      server,
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
    await Promise.all(groups.map((g) => g.stop().catch(() => undefined)));
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
