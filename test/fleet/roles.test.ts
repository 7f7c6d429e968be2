/**
 * TLS to etcd with client certificates and the roles of src/fleet/roles.ts (what deploy/etcd/
 * sets up): a node's certificate lets its agent run (claim, publish its key, status) but not write
 * another node's keys nor the operators' ones.
 */
import { rmSync } from 'node:fs';
import type { Etcd3 } from 'etcd3';
import { runFleetRoles } from '../../src/cli/commands/fleet';
import { putDesired, putMember, putNetwork } from '../../src/fleet/admin';
import { FleetLayout } from '../../src/fleet/layout';
import { adminRole, applyRoles, etcdctlCommands, nodeRole } from '../../src/fleet/roles';
import { connectStore } from '../../src/fleet/store';
import { eventually, FleetNode } from './fleet-node';
import { makePki, opensslInstalled, type TestPki } from './certs';
import { etcdInstalled, TestEtcd } from './etcd';

const layout = new FleetLayout('/vppwg');
const describeTls = etcdInstalled && opensslInstalled ? describe : describe.skip;

describeTls('fleet: TLS and per-node roles (skipped when etcd or openssl is not installed)', () => {
  let pki: TestPki;
  let etcd: TestEtcd;
  let admin: Etcd3;
  const clients: Etcd3[] = [];
  const as = (cn: string) => {
    const c = connectStore({ endpoints: [etcd.endpoint], tls: pki.client(cn) });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    pki = makePki(['root', 'vppwg-admin', 'a', 'b']);
    etcd = await TestEtcd.start({ tls: { ca: pki.ca, ...pki.server } });
    const root = as('root');
    await root.role('root').create();
    await (await root.user('root').create('unused-root-password')).addRole('root');
    await applyRoles(root, [adminRole(layout), nodeRole(layout, 'a'), nodeRole(layout, 'b')]);
    await root.auth.authEnable({});
    admin = as('vppwg-admin');
    await putNetwork(admin, layout, 'name: corp\ntopology: mesh\nlisten_port: 51820\noverlay: 10.97.0.0/24\n');
    await putDesired(admin, layout, 'a', 'uplinks:\n  - name: host-eth0\n    addresses: [192.0.2.31/24]\n');
    await putMember(admin, layout, 'corp', 'a', 'endpoint: {address: 192.0.2.31}\n');
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await etcd?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  test("node a's agent runs with its certificate: claim, published key, status", async () => {
    const agent = await FleetNode.start('a', '192.0.2.31', { endpoints: [etcd.endpoint], tls: pki.client('a') });
    try {
      await eventually(async () => {
        expect(await admin.get(layout.publicKey('a', 'corp')).string()).toBe(await agent.interfaceKey('corp'));
        expect(await admin.get(layout.status('a')).string()).toContain('"storeReachable":true');
      });
    } finally {
      await agent.stop();
    }
  });

  test("node a cannot write node b's keys, nor networks, members or desired states", async () => {
    const a = as('a');
    await a.put(layout.publicKey('a', 'corp')).value('x');
    for (const key of [
      layout.publicKey('b', 'corp'),
      layout.status('b'),
      layout.claim('b'),
      layout.network('corp'),
      layout.member('corp', 'a'),
      layout.desired('a'),
    ]) {
      await expect(a.put(key).value('x')).rejects.toThrow(/permission denied/i);
    }
    // And what b may read, a may read too: the whole fleet.
    expect(Object.keys(await a.getAll().prefix(layout.root()).strings())).toContain(layout.network('corp'));
  });

  test('without a client certificate the store is not reachable', async () => {
    const anonymous = connectStore({ endpoints: [etcd.endpoint], tls: { ca: pki.ca }, callTimeoutMs: 2000 });
    clients.push(anonymous);
    await expect(anonymous.get(layout.network('corp')).string()).rejects.toThrow();
  });

  test('`vppwg fleet roles` prints them; a bad node name is refused', () => {
    const io = { stdout: '', stderr: '', out: (t: string) => (io.stdout += t), err: (t: string) => (io.stderr += t) };
    expect(runFleetRoles(['a', 'b'], {}, io)).toBe(0);
    expect(io.stdout.split('\n')).toEqual(
      etcdctlCommands([adminRole(layout), nodeRole(layout, 'a'), nodeRole(layout, 'b')]),
    );
    expect(runFleetRoles(['a/b'], {}, io)).toBe(1);
    expect(io.stderr).toMatch(/node name "a\/b" is not valid: use 1\.\.63 letters/);
  });

  test('the etcdctl commands of deploy/etcd grant the same', () => {
    expect(etcdctlCommands([nodeRole(layout, 'a')])).toEqual([
      'etcdctl role add vppwg-node-a',
      'etcdctl role grant-permission vppwg-node-a read /vppwg/ --prefix',
      'etcdctl role grant-permission vppwg-node-a readwrite /vppwg/nodes/a/public/ --prefix',
      'etcdctl role grant-permission vppwg-node-a readwrite /vppwg/nodes/a/rotate/ --prefix',
      'etcdctl role grant-permission vppwg-node-a readwrite /vppwg/nodes/a/status',
      'etcdctl role grant-permission vppwg-node-a readwrite /vppwg/nodes/a/claim',
      'etcdctl user add a --no-password',
      'etcdctl user grant-role a vppwg-node-a',
    ]);
  });
});
