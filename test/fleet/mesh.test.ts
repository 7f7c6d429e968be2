/**
 * Fleet mode against a throw-away etcd and emulators as VPPs: a three-node mesh converges with the
 * right keys, endpoints and routes, `fleet status` shows it healthy, and a second agent with a
 * taken node name is refused naming the first; rotation, restart, removal and node loss follow.
 */
import type { Etcd3 } from 'etcd3';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fleetStatus, putDesired, putMember, putNetwork, removeMember, rotateKey } from '../../src/fleet/admin';
import { FleetLayout } from '../../src/fleet/layout';
import { connectStore } from '../../src/fleet/store';
import { eventually, FleetNode } from './fleet-node';
import { describeWithEtcd, TestEtcd } from './etcd';

const layout = new FleetLayout('/vppwg');
const NODES = [
  { name: 'a', underlay: '192.0.2.10' },
  { name: 'b', underlay: '192.0.2.11' },
  { name: 'c', underlay: '192.0.2.12' },
];

describeWithEtcd('fleet: a three-node mesh on etcd and emulators', () => {
  let etcd: TestEtcd;
  let admin: Etcd3;
  const agents = new Map<string, FleetNode>();

  beforeAll(async () => {
    etcd = await TestEtcd.start();
    admin = connectStore({ endpoints: [etcd.endpoint] });
    await putNetwork(admin, layout, 'name: corp\ntopology: mesh\nlisten_port: 51820\noverlay: 10.99.0.0/24\n');
    for (const n of NODES) {
      await putDesired(admin, layout, n.name, `uplinks:\n  - name: host-eth0\n    addresses: [${n.underlay}/24]\n`);
      const sites = n.name === 'c' ? ', "site_prefixes": ["192.168.30.0/24"]' : '';
      await putMember(admin, layout, 'corp', n.name, `{"endpoint": {"address": "${n.underlay}"}${sites}}`);
    }
    for (const n of NODES)
      agents.set(n.name, await FleetNode.start(n.name, n.underlay, { endpoints: [etcd.endpoint] }));
  });

  afterAll(async () => {
    for (const a of agents.values()) await a.stop();
    admin?.close();
    await etcd?.stop();
  });

  const publicKeyOf = async (node: string) => (await admin.get(layout.publicKey(node, 'corp')).string()) ?? '';

  async function expectFullMesh(members = NODES.map((n) => n.name)): Promise<void> {
    const keys = Object.fromEntries(await Promise.all(members.map(async (m) => [m, await publicKeyOf(m)] as const)));
    for (const m of members) {
      const agent = agents.get(m)!;
      const expected = Object.fromEntries(
        NODES.filter((o) => o.name !== m && members.includes(o.name)).map((o) => [
          o.name,
          {
            publicKey: keys[o.name],
            endpoint: `${o.underlay}:51820`,
            allowedIps: [`10.99.0.${NODES.indexOf(o) + 1}/32`, ...(o.name === 'c' ? ['192.168.30.0/24'] : [])],
          },
        ]),
      );
      expect({ node: m, peers: await agent.peersOn('corp') }).toEqual({ node: m, peers: expected });
    }
  }

  test('every node has the two others as peers with the right keys, endpoints and routes', async () => {
    await eventually(() => expectFullMesh(), 10000);
    // Addresses were allocated in order, collision-free; c's site is routed via its tunnel address (in a's VPP).
    const actual = await agents.get('a')!.observe();
    const routes = [...actual.routes.values()].filter((r) => r.prefix === '192.168.30.0/24');
    expect(routes.map((r) => r.paths.map((p) => [p.nh, p.swIfIndex]))).toEqual([
      [['10.99.0.3', actual.owned.interfaces.get('corp')]],
    ]);
  });

  test('private keys stay on their node (mode 0600) and only public keys are in etcd', async () => {
    const a = agents.get('a')!;
    const file = join(a.stateDir, 'keys', 'corp.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const privateText = readFileSync(file, 'utf8').trim();
    const all = await admin.getAll().prefix('/').strings();
    expect(Object.values(all).some((v) => v.includes(privateText))).toBe(false);
    expect(JSON.stringify(await fleetStatus(admin, layout))).not.toContain(privateText);
  });

  test('`fleet status` shows all nodes healthy with their peers up', async () => {
    await eventually(async () => {
      const s = await fleetStatus(admin, layout);
      expect(s.nodes.map((n) => [n.name, n.up, n.healthy, `${n.peersUp}/${n.peersTotal}`])).toEqual([
        ['a', true, true, '2/2'],
        ['b', true, true, '2/2'],
        ['c', true, true, '2/2'],
      ]);
      expect(s.networks).toEqual([{ name: 'corp', topology: 'mesh', members: ['a', 'b', 'c'] }]);
    }, 10000);
  });

  test('a second agent with a taken node name refuses to start, naming the first', async () => {
    await expect(FleetNode.start('a', '192.0.2.10', { endpoints: [etcd.endpoint] })).rejects.toThrow(
      /node name "a" is already in use by the agent on host .* \(pid \d+, since .*\) \(\/vppwg\/nodes\/a\/claim\): stop that agent, or give this one another --node/,
    );
  });

  test('a key rotation reaches every other member within 5 s', async () => {
    const before = await publicKeyOf('b');
    const started = Date.now();
    const { publicKey } = await rotateKey(admin, layout, 'b', 'corp', 5000);
    expect(publicKey).not.toBe(before);
    await eventually(async () => {
      expect((await agents.get('a')!.peersOn('corp'))['b']?.publicKey).toBe(publicKey);
      expect((await agents.get('c')!.peersOn('corp'))['b']?.publicKey).toBe(publicKey);
      expect(await agents.get('b')!.interfaceKey('corp')).toBe(publicKey);
    }, 5000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await admin.get(layout.rotate('b', 'corp')).string()).toBeNull();
  });

  test('a restarted node keeps its key; its peers see no change', async () => {
    const before = await publicKeyOf('c');
    const old = agents.get('c')!;
    // A new VPP too: the key comes from the state dir, not from what VPP still held.
    await old.stop({ keepStateDir: true });
    const again = await FleetNode.start('c', '192.0.2.12', { endpoints: [etcd.endpoint], stateDir: old.stateDir });
    agents.set('c', again);
    expect(await again.interfaceKey('corp')).toBe(before);
    expect(await publicKeyOf('c')).toBe(before);
    await eventually(() => expectFullMesh(), 5000);
    // Nothing a peer consumes changed: its peer for c keeps the same key.
    expect((await agents.get('a')!.peersOn('corp'))['c']?.publicKey).toBe(before);
  });

  test('a node stopped (its lease gone) keeps its peers everywhere', async () => {
    const c = agents.get('c')!;
    // The daemon's shutdown leaves its VPP as it is and gives the name up with its lease.
    await c.stop({ keepStateDir: true, keepSim: true });
    await eventually(async () => {
      expect(await admin.get(layout.claim('c')).string()).toBeNull();
      expect(await admin.get(layout.status('c')).string()).toBeNull();
    }, 5000);
    await agents.get('a')!.trigger();
    expect(Object.keys(await agents.get('a')!.peersOn('corp'))).toEqual(['b', 'c']);
    // Back on the VPP it left: the name is free again, nothing needs to change.
    const again = await FleetNode.start('c', '192.0.2.12', {
      endpoints: [etcd.endpoint],
      stateDir: c.stateDir,
      sim: c.sim,
    });
    agents.set('c', again);
    expect(again.status().lastReconcile).toMatchObject({ ok: true, operations: 0 });
  });

  test('a member removed: its peer disappears everywhere', async () => {
    expect(await removeMember(admin, layout, 'corp', 'c')).toBe(true);
    await eventually(async () => {
      expect(Object.keys(await agents.get('a')!.peersOn('corp'))).toEqual(['b']);
      expect(Object.keys(await agents.get('b')!.peersOn('corp'))).toEqual(['a']);
      expect([...(await agents.get('c')!.observe()).owned.interfaces.keys()]).toEqual([]);
    }, 5000);
  });
});
