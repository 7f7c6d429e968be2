/**
 * The store going away never tears anything down: the last applied state stays and is still
 * reconciled, status says "store unreachable", and a full listing runs on reconnect. A watch whose
 * revision was compacted meanwhile is re-listed and diffed: nothing missed.
 */
import type { Etcd3 } from 'etcd3';
import { putDesired, putMember, putNetwork } from '../../src/fleet/admin';
import { FleetLayout } from '../../src/fleet/layout';
import { PrefixSetMirror } from '../../src/fleet/mirror';
import { connectStore } from '../../src/fleet/store';
import { eventually, FleetNode } from './fleet-node';
import { describeWithEtcd, TcpProxy, TestEtcd } from './etcd';

const layout = new FleetLayout('/vppwg');

describeWithEtcd('fleet: the store away', () => {
  let etcd: TestEtcd;
  let admin: Etcd3;

  beforeAll(async () => {
    etcd = await TestEtcd.start();
    admin = connectStore({ endpoints: [etcd.endpoint] });
  });
  afterAll(async () => {
    admin?.close();
    await etcd?.stop();
  });

  test('etcd killed: tunnels stay, drift is still repaired, status says so; etcd back: a full resync', async () => {
    await putNetwork(admin, layout, 'name: k\ntopology: mesh\nlisten_port: 51820\noverlay: 10.98.0.0/24\n');
    const nodes = [
      { name: 'k1', underlay: '192.0.2.21' },
      { name: 'k2', underlay: '192.0.2.22' },
    ];
    for (const n of nodes) {
      await putDesired(admin, layout, n.name, `uplinks:\n  - name: host-eth0\n    addresses: [${n.underlay}/24]\n`);
      await putMember(admin, layout, 'k', n.name, `endpoint: {address: ${n.underlay}}\n`);
    }
    const agents = await Promise.all(
      nodes.map((n) => FleetNode.start(n.name, n.underlay, { endpoints: [etcd.endpoint] })),
    );
    const [k1, k2] = agents as [FleetNode, FleetNode];
    try {
      await eventually(async () => expect(Object.keys(await k1.peersOn('k'))).toEqual(['k2']), 5000);
      expect(k1.daemon.health().detail.storeReachable).toBe(true);
      expect(await k1.daemon.metrics.text()).toMatch(/^vppwg_store_reachable 1$/m);
      const listings = k1.source.listings;

      await etcd.kill();
      await eventually(async () => {
        expect(k1.source.storeReachable).toBe(false);
        expect(k1.source.currentStatus()?.storeReachable).toBe(false);
        // The daemon says so: status, /healthz and /metrics.
        expect(k1.status().desiredSource).toBe(
          'etcd node k1 at /vppwg (store unreachable: the last state stays applied)',
        );
        expect(k1.daemon.health().detail.storeReachable).toBe(false);
        expect(await k1.daemon.metrics.text()).toMatch(/^vppwg_store_reachable 0$/m);
      }, 10000);
      // Still reconciled against the last state: a peer removed behind the daemon's back comes back.
      const k2Key = (await k1.peersOn('k'))['k2']!.publicKey;
      const removed = (await k1.observe()).peers.get(k2Key)!;
      await k1.vppCall('wireguard_peer_remove', { peer_index: removed.peerIndex });
      await eventually(async () => expect((await k1.peersOn('k'))['k2']?.publicKey).toBe(k2Key), 10000);
      expect(k1.status().lastReconcile?.ok).toBe(true);

      await etcd.resume();
      await eventually(() => {
        expect(k1.source.storeReachable).toBe(true);
        expect(k1.source.listings).toBeGreaterThan(listings);
      }, 15000);
      // And changes flow again.
      await putMember(admin, layout, 'k', 'k2', `endpoint: {address: 192.0.2.22}\nsite_prefixes: [192.168.22.0/24]\n`);
      await eventually(
        async () => expect((await k1.peersOn('k'))['k2']?.allowedIps).toEqual(['10.98.0.2/32', '192.168.22.0/24']),
        5000,
      );
      expect(k1.status().desiredSource).toBe('etcd node k1 at /vppwg');
      await eventually(async () => {
        const status = JSON.parse((await admin.get(layout.status('k1')).string()) ?? '{}') as {
          storeReachable?: boolean;
        };
        expect(status.storeReachable).toBe(true);
      }, 5000);
    } finally {
      await k1.stop();
      await k2.stop();
    }
  });

  test('a restart while etcd is down starts from the copy kept in the state dir: VPP untouched, the name claimed once etcd is back', async () => {
    await putNetwork(admin, layout, 'name: r\ntopology: mesh\nlisten_port: 51820\noverlay: 10.92.0.0/24\n');
    const nodes = [
      { name: 'r1', underlay: '192.0.2.71' },
      { name: 'r2', underlay: '192.0.2.72' },
    ];
    for (const n of nodes) {
      await putDesired(admin, layout, n.name, `uplinks:\n  - name: host-eth0\n    addresses: [${n.underlay}/24]\n`);
      await putMember(
        admin,
        layout,
        'r',
        n.name,
        `endpoint: {address: ${n.underlay}}\nsite_prefixes: [172.20.${n.name.slice(1)}.0/24]\n`,
      );
    }
    const [r1, r2] = (await Promise.all(
      nodes.map((n) => FleetNode.start(n.name, n.underlay, { endpoints: [etcd.endpoint] })),
    )) as [FleetNode, FleetNode];
    let again: FleetNode | undefined;
    try {
      await eventually(async () => expect(Object.keys(await r1.peersOn('r'))).toEqual(['r2']), 5000);
      const before = await r1.observe();
      await r1.stop({ keepStateDir: true, keepSim: true });
      await etcd.kill();

      const warnings: string[] = [];
      again = await FleetNode.start('r1', '192.0.2.71', {
        endpoints: [etcd.endpoint],
        stateDir: r1.stateDir,
        sim: r1.sim,
        warn: (m) => warnings.push(m),
      });
      expect(warnings).toEqual([
        expect.stringMatching(
          new RegExp(
            `^etcd at ${etcd.endpoint} did not answer \\(.*\\): fleet node r1 starts from the fleet state kept in ${r1.stateDir}/fleet-copy\\.json \\(revision \\d+, .*\\); the store is retried until it answers$`,
          ),
        ),
      ]);
      // Nothing to change: the same peer, key, endpoint and routes as before the restart.
      expect(again.status().lastReconcile).toMatchObject({ ok: true, operations: 0 });
      expect(again.status().desiredSource).toMatch(/store unreachable/);
      const after = await again.observe();
      expect([...after.peers.values()].map((p) => [p.publicKey, p.endpoint, p.allowedIps])).toEqual(
        [...before.peers.values()].map((p) => [p.publicKey, p.endpoint, p.allowedIps]),
      );
      expect([...after.routes.keys()].sort()).toEqual([...before.routes.keys()].sort());

      await etcd.resume();
      await eventually(async () => {
        expect(again!.source.storeReachable).toBe(true);
        const status = JSON.parse((await admin.get(layout.status('r1')).string()) ?? '{}') as {
          storeReachable?: boolean;
        };
        expect(status.storeReachable).toBe(true);
        expect(await admin.get(layout.claim('r1')).string()).not.toBeNull();
      }, 15000);
      expect(again.status().desiredSource).toBe('etcd node r1 at /vppwg');
    } finally {
      await again?.stop();
      await r2.stop();
    }
  });

  test('a node cut off from the store catches up on reconnect, even past a compaction', async () => {
    const proxy = await TcpProxy.start(etcd.clientPort);
    const client = connectStore({ endpoints: [proxy.endpoint] });
    const mirror = new PrefixSetMirror(client, { prefixes: ['/cmp/'], retryMs: 200 });
    try {
      await admin.put('/cmp/keep').value('1');
      await admin.put('/cmp/gone').value('1');
      await mirror.start();
      const seen: string[] = [];
      mirror.on('changed', (keys) => seen.push(...keys));
      await admin.put('/cmp/live').value('1');
      await eventually(() => expect(mirror.kvs.get('/cmp/live')).toBe('1'));

      await proxy.cut();
      await eventually(() => expect(mirror.reachable).toBe(false), 10000);
      await admin.put('/cmp/keep').value('2');
      await admin.delete().key('/cmp/gone');
      await admin.put('/cmp/new').value('3');
      // Compact past everything the mirror saw: its watch cannot resume from where it was.
      const rev = (await admin.get('/cmp/new').exec()).header.revision;
      await admin.kv.compact({ revision: rev, physical: true });
      await proxy.restore();

      await eventually(() => expect(mirror.reachable).toBe(true), 15000);
      await eventually(async () => {
        const truth = await admin.getAll().prefix('/cmp/').strings();
        expect(Object.fromEntries(mirror.kvs)).toEqual(truth);
      }, 5000);
      expect(Object.fromEntries(mirror.kvs)).toEqual({ '/cmp/keep': '2', '/cmp/live': '1', '/cmp/new': '3' });
      expect(seen).toEqual(expect.arrayContaining(['/cmp/keep', '/cmp/gone', '/cmp/new']));
      // The watch works again after the re-listing.
      await admin.put('/cmp/after').value('4');
      await eventually(() => expect(mirror.kvs.get('/cmp/after')).toBe('4'));
    } finally {
      await mirror.stop();
      client.close();
      await proxy.cut();
    }
  });
});
