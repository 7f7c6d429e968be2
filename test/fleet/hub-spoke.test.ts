/** Hub-and-spoke on etcd and emulators: two hubs, five spokes; spokes peer with the hubs only, hubs with everyone. */
import type { Etcd3 } from 'etcd3';
import { putDesired, putMember, putNetwork } from '../../src/fleet/admin';
import { FleetLayout } from '../../src/fleet/layout';
import { connectStore } from '../../src/fleet/store';
import { eventually, FleetNode } from './fleet-node';
import { describeWithEtcd, TestEtcd } from './etcd';

const layout = new FleetLayout('/vppwg');
const HUBS = ['hub1', 'hub2'];
const NODES = [...HUBS, 's1', 's2', 's3', 's4', 's5'];

describeWithEtcd('fleet: hub-and-spoke with two hubs and five spokes', () => {
  let etcd: TestEtcd;
  let admin: Etcd3;
  const agents: FleetNode[] = [];

  beforeAll(async () => {
    etcd = await TestEtcd.start();
    admin = connectStore({ endpoints: [etcd.endpoint] });
    await putNetwork(
      admin,
      layout,
      'name: hs\ntopology: hub-spoke\nhubs: [hub1, hub2]\nlisten_port: 51830\noverlay: 10.95.0.0/24\n',
    );
    for (const [i, node] of NODES.entries()) {
      await putDesired(admin, layout, node, `uplinks:\n  - name: host-eth0\n    addresses: [192.0.2.${50 + i}/24]\n`);
      await putMember(
        admin,
        layout,
        'hs',
        node,
        `endpoint: {address: 192.0.2.${50 + i}}\nsite_prefixes: [172.16.${i}.0/24]\n`,
      );
    }
    for (const [i, node] of NODES.entries())
      agents.push(await FleetNode.start(node, `192.0.2.${50 + i}`, { endpoints: [etcd.endpoint] }));
  }, 60_000);
  afterAll(async () => {
    for (const a of agents) await a.stop();
    admin?.close();
    await etcd?.stop();
  });

  test('spokes have the two hubs as peers, hubs have all six others, each with its site routed', async () => {
    await eventually(async () => {
      for (const a of agents) {
        const expected = HUBS.includes(a.node) ? NODES.filter((n) => n !== a.node) : HUBS;
        const peers = Object.keys(await a.peersOn('hs')).sort();
        expect({ node: a.node, peers }).toEqual({ node: a.node, peers: expected });
      }
    }, 15_000);
    const s3 = agents[NODES.indexOf('s3')]!;
    expect((await s3.peersOn('hs'))['hub2']?.allowedIps).toEqual(['10.95.0.2/32', '172.16.1.0/24']);
  });
});
