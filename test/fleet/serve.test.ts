/**
 * `vppwg serve --etcd ... --node NAME` through the built CLI, end to end: two agents as child
 * processes, each beside its own `vppwg sim` child, against a throw-away etcd. They converge into
 * a mesh (each VPP has the other as a peer, handshakes done), `vppwg status` and `vppwg fleet
 * status` say so, and SIGTERM stops an agent cleanly and gives its node name up at once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { VppClient } from '../../src/client';
import { putDesired, putMember, putNetwork } from '../../src/fleet/admin';
import { FleetLayout } from '../../src/fleet/layout';
import { connectStore } from '../../src/fleet/store';
import { observe, reconcileMessages } from '../../src/reconcile';
import { CLI, requireBuiltCli, SimProcess, tempDir, waitFor } from '../daemon/helpers';
import { describeWithEtcd, TestEtcd } from './etcd';

jest.setTimeout(120_000);

const layout = new FleetLayout('/vppwg');
const NODES = [
  { name: 'a', underlay: '192.0.2.61' },
  { name: 'b', underlay: '192.0.2.62' },
];

interface Agent {
  name: string;
  child: ChildProcess;
  output: string;
  port: number;
  tokenFile: string;
  exit: Promise<number | null>;
}

describeWithEtcd('vppwg serve --etcd as a process', () => {
  const tmp = tempDir('vppwg-fleet-serve-');
  let etcd: TestEtcd;
  let admin: Etcd3;
  const sims: SimProcess[] = [];
  const agents: Agent[] = [];

  function vppwg(...args: string[]): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  async function startAgent(name: string, socket: string): Promise<Agent> {
    const dir = join(tmp.dir, name);
    const tokenFile = join(dir, 'api.token');
    const args = [
      CLI,
      'serve',
      '--etcd',
      etcd.endpoint,
      '--node',
      name,
      '--socket',
      socket,
      '--listen',
      '127.0.0.1:0',
      '--state-dir',
      join(dir, 'state'),
      '--token-file',
      tokenFile,
      '--drift-interval',
      '1',
      '--log-format',
      'json',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const agent: Agent = {
      name,
      child,
      output: '',
      port: 0,
      tokenFile,
      exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    };
    child.stdout!.on('data', (d: Buffer) => (agent.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (agent.output += d.toString()));
    agent.port = await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`vppwg serve exited with ${child.exitCode}: ${agent.output}`);
        return Number(/API listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(agent.output)?.[1] ?? 0);
      },
      60_000,
      `the API line of node ${name}`,
    );
    agents.push(agent);
    return agent;
  }

  beforeAll(async () => {
    requireBuiltCli();
    etcd = await TestEtcd.start();
    admin = connectStore({ endpoints: [etcd.endpoint] });
    await putNetwork(admin, layout, 'name: corp\ntopology: mesh\nlisten_port: 51820\noverlay: 10.93.0.0/24\n');
    for (const n of NODES) {
      await putDesired(admin, layout, n.name, `uplinks:\n  - name: host-eth0\n    addresses: [${n.underlay}/24]\n`);
      await putMember(admin, layout, 'corp', n.name, `endpoint: {address: ${n.underlay}}\n`);
      const config = join(tmp.dir, `sim-${n.name}.yaml`);
      writeFileSync(
        config,
        `uplinks:\n  - name: host-eth0\n    addresses: [${n.underlay}/24]\n    up: true\nreachablePeers: { delayMs: 10 }\n`,
      );
      const sim = new SimProcess(join(tmp.dir, `vpp-${n.name}.sock`), config);
      await sim.start();
      sims.push(sim);
    }
  });

  afterAll(async () => {
    for (const a of agents) if (a.child.exitCode === null) a.child.kill('SIGKILL');
    for (const s of sims) await s.stop();
    admin?.close();
    await etcd?.stop();
    tmp.cleanup();
  });

  test('two nodes converge into a mesh; SIGTERM stops one cleanly and releases its claim', async () => {
    const [a, b] = [await startAgent('a', sims[0]!.socketPath), await startAgent('b', sims[1]!.socketPath)];
    const keyOf = async (node: string) => (await admin.get(layout.publicKey(node, 'corp')).string()) ?? '';

    // Each daemon's own view: the other node as its peer, with the key it published, handshake done.
    for (const [me, other] of [
      [a, 'b'],
      [b, 'a'],
    ] as const) {
      await waitFor(
        async () => {
          const r = vppwg('status', '--api', `127.0.0.1:${me.port}`, '--token-file', me.tokenFile, '--json');
          if (r.code !== 0) return false;
          const s = JSON.parse(r.stdout) as {
            desiredSource: string;
            peers: { interface: string; name: string; publicKey: string; established: boolean }[];
          };
          const expected = [{ interface: 'corp', name: other, publicKey: await keyOf(other), established: true }];
          return (
            JSON.stringify(s.peers.map(pick)) === JSON.stringify(expected) &&
            s.desiredSource === `etcd node ${me.name} at /vppwg`
          );
        },
        60_000,
        `node ${me.name} with ${other} as an established peer`,
      );
    }
    // The emulators hold the tunnels: each VPP has the other's key as a peer, at its underlay address.
    expect(await peersInVpp(sims[0]!)).toEqual([{ publicKey: await keyOf('b'), endpoint: '192.0.2.62:51820' }]);
    expect(await peersInVpp(sims[1]!)).toEqual([{ publicKey: await keyOf('a'), endpoint: '192.0.2.61:51820' }]);

    // The fleet sees both healthy.
    await waitFor(
      () => {
        const s = vppwg('fleet', 'status', '--json', '--etcd', etcd.endpoint);
        const report = JSON.parse(s.stdout || '{}') as { nodes?: { name: string; healthy: boolean; up: boolean }[] };
        return (
          s.code === 0 &&
          JSON.stringify(report.nodes?.map((n) => [n.name, n.up, n.healthy])) ===
            JSON.stringify([
              ['a', true, true],
              ['b', true, true],
            ])
        );
      },
      30_000,
      '`vppwg fleet status` to show a and b healthy',
    );

    // SIGTERM: exit 0, the node name and status given up at once (not after the lease's 10 s).
    expect(await admin.get(layout.claim('b')).string()).toContain(`"pid":${b.child.pid}`);
    const stopped = Date.now();
    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    expect(await admin.get(layout.claim('b')).string()).toBeNull();
    expect(await admin.get(layout.status('b')).string()).toBeNull();
    expect(Date.now() - stopped).toBeLessThan(5000);
    expect(b.output).toMatch(/shutting down: SIGTERM/);
    // Its public key stays (durable): a's tunnel to b stays configured.
    expect(await keyOf('b')).not.toBe('');
    const s = vppwg('status', '--api', `127.0.0.1:${a.port}`, '--token-file', a.tokenFile, '--json');
    expect((JSON.parse(s.stdout) as { peers: { name: string }[] }).peers.map((p) => p.name)).toEqual(['b']);
    // And the name is free for the next agent at once.
    const again = await startAgent('b', sims[1]!.socketPath);
    await waitFor(
      async () => (await admin.get(layout.claim('b')).string())?.includes(`"pid":${again.child.pid}`),
      30_000,
      'the restarted b to claim its name',
    );
    again.child.kill('SIGTERM');
    a.child.kill('SIGTERM');
    expect(await Promise.all([again.exit, a.exit])).toEqual([0, 0]);
  });
});

function pick(p: { interface: string; name: string; publicKey: string; established: boolean }) {
  return { interface: p.interface, name: p.name, publicKey: p.publicKey, established: p.established };
}

/** The peers VPP has, read on a connection of the test's own. */
async function peersInVpp(sim: SimProcess): Promise<{ publicKey: string; endpoint: string }[]> {
  const client = await VppClient.connect({
    socketPath: sim.socketPath,
    messages: reconcileMessages(),
    reconnect: false,
  });
  try {
    const actual = await observe(client);
    return [...actual.peers.values()].map((p) => ({
      publicKey: p.publicKey,
      endpoint: `${p.endpoint?.address}:${p.endpoint?.port}`,
    }));
  } finally {
    await client.close();
  }
}
