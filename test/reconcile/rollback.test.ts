/**
 * A failure injected at every mutating call of an apply leaves VPP exactly as before (the
 * emulator's full snapshot compared before/after), both for a cold apply and for an apply that
 * changes, replaces, rebinds, recreates and deletes things. With rollback off, what was applied stays.
 */
import { VppErrno } from '../../src/client';
import { encodeKey, generatePresharedKey, generatePrivateKey } from '../../src/config';
import { reconcile } from '../../src/reconcile';
import { loadText, mutatingCalls, startRig, type Rig } from './helpers';

const PK_A = encodeKey(generatePrivateKey());
const PSK = encodeKey(generatePresharedKey());
const env = { PK_A, PSK };

const BEFORE = `
version: 1
tables:
  - { id: 100, name: blue, families: [ipv4, ipv6] }
uplinks:
  - name: host-eth0
    admin_up: true
    addresses: [192.0.2.1/24, 2001:db8:0:1::1/64]
routes:
  - { prefix: 0.0.0.0/0, via: 192.0.2.254, interface: host-eth0 }
wireguard:
  - name: wg-a
    private_key: { env: PK_A }
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.0.0.1/24, fd00::1/64]
    mtu: 1420
    peers:
      - name: p1
        public_key: YloExQnXnuq7IQ02MLpJzxbtrWCU/xmg8WaFxFZkEE4=
        endpoint: { address: 198.51.100.1, port: 51820 }
        allowed_ips: [10.0.0.2/32, 10.1.0.0/16]
        persistent_keepalive: 25
        tunnel_next_hops: [10.0.0.2]
        routes: [{ prefix: 10.1.0.0/16 }]
      - name: p2
        public_key: ZW3TEh1nR/eYZy8PiLJ47auGKXNPb11Qf7pslMCdVwA=
        preshared_key: { env: PSK }
        endpoint: { address: 198.51.100.2, port: 51820 }
        allowed_ips: [10.0.0.3/32, 10.2.0.0/16]
        tunnel_next_hops: [10.0.0.3]
        routes: [{ prefix: 10.2.0.0/16 }]
      - name: p3
        public_key: DFWc4oOTLz0AEMocUlzIuB3+GN9+nt5LkIMc3wALFHw=
        allowed_ips: [10.0.0.4/32]
        tunnel_next_hops: [10.0.0.4]
  - name: wg-b
    private_key: generate
    listen_port: 51830
    source: 192.0.2.1
    table: 100
    addresses: [10.9.0.1/24]
    peers:
      - name: q1
        public_key: 3CSQJ5OjqlGlsCz9kT2h3WK5n6Fbl5xlXR5EAYxA+B4=
        endpoint: { address: 198.51.100.9, port: 51820 }
        allowed_ips: [10.9.0.2/32, 10.99.0.0/16]
        tunnel_next_hops: [10.9.0.2]
        routes: [{ prefix: 10.99.0.0/16 }]
`;

// wg-a: MTU changed, moved to table 100 (addresses out, rebind, back in), p1 changed (keepalive),
// p2 removed, p4 added with a route; wg-b recreated (new port) and admin down; a new underlay route.
const AFTER = `
version: 1
tables:
  - { id: 100, name: blue, families: [ipv4, ipv6] }
uplinks:
  - name: host-eth0
    admin_up: true
    addresses: [192.0.2.1/24, 2001:db8:0:1::1/64]
routes:
  - { prefix: 0.0.0.0/0, via: 192.0.2.254, interface: host-eth0 }
  - { prefix: 203.0.113.0/24, via: 192.0.2.253, interface: host-eth0 }
wireguard:
  - name: wg-a
    private_key: { env: PK_A }
    listen_port: 51820
    source: 192.0.2.1
    table: 100
    addresses: [10.0.0.1/24, fd00::1/64]
    mtu: 1380
    peers:
      - name: p1
        public_key: YloExQnXnuq7IQ02MLpJzxbtrWCU/xmg8WaFxFZkEE4=
        endpoint: { address: 198.51.100.1, port: 51820 }
        allowed_ips: [10.0.0.2/32, 10.1.0.0/16]
        persistent_keepalive: 10
        tunnel_next_hops: [10.0.0.2]
        routes: [{ prefix: 10.1.0.0/16 }]
      - name: p3
        public_key: DFWc4oOTLz0AEMocUlzIuB3+GN9+nt5LkIMc3wALFHw=
        allowed_ips: [10.0.0.4/32]
        tunnel_next_hops: [10.0.0.4]
      - name: p4
        public_key: /nZ58AuEL7VMIWaB650nHKOip4kehhxh3rFMS3x8KVA=
        endpoint: { address: 198.51.100.4, port: 51820 }
        allowed_ips: [10.0.0.5/32, 10.4.0.0/16]
        tunnel_next_hops: [10.0.0.5]
        routes: [{ prefix: 10.4.0.0/16 }]
  - name: wg-b
    private_key: generate
    listen_port: 51831
    source: 192.0.2.1
    table: 100
    admin_up: false
    addresses: [10.9.0.1/24]
    peers:
      - name: q1
        public_key: 3CSQJ5OjqlGlsCz9kT2h3WK5n6Fbl5xlXR5EAYxA+B4=
        endpoint: { address: 198.51.100.9, port: 51820 }
        allowed_ips: [10.9.0.2/32, 10.99.0.0/16]
        tunnel_next_hops: [10.9.0.2]
        routes: [{ prefix: 10.99.0.0/16 }]
`;

function load(text: string) {
  return loadText(text.replace(/\{ env: (\w+) \}/g, (_m, v: string) => `{ inline: "${env[v as keyof typeof env]}" }`));
}

async function injectEverywhere(
  rig: Rig,
  desired: ReturnType<typeof load>,
  counts: Record<string, number>,
): Promise<number> {
  const before = rig.sim.snapshot();
  let checked = 0;
  for (const [msg, count] of Object.entries(counts)) {
    for (let n = 1; n <= count; n++) {
      rig.sim.control.failNth(msg, n, VppErrno.INVALID_VALUE);
      const r = await reconcile(rig.client, desired);
      rig.sim.control.clearFaults();
      expect({ msg, n, ok: r.ok }).toEqual({ msg, n, ok: false });
      expect(r.error?.message).toContain(msg);
      expect(r.error?.retval).toBe(VppErrno.INVALID_VALUE);
      expect(r.plan.operations.map((o) => o.id)).toContain(r.error?.operation);
      expect({ msg, n, rolledBack: r.rolledBack }).toEqual({ msg, n, rolledBack: true });
      expect({ msg, n, state: rig.sim.snapshot() }).toEqual({ msg, n, state: before });
      checked++;
    }
  }
  return checked;
}

describe('rollback after a VPP rejection', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  test('cold apply: a failure at each mutating call leaves VPP as before', async () => {
    const desired = load(BEFORE);
    // Learn the calls of a successful run on a second emulator, then inject into each of them here.
    const probe = await startRig();
    let counts: Record<string, number>;
    try {
      probe.sim.resetCounters();
      expect((await reconcile(probe.client, desired)).ok).toBe(true);
      counts = mutatingCalls(probe.sim);
    } finally {
      await probe.close();
    }
    expect(Object.keys(counts)).toEqual(
      expect.arrayContaining([
        'wireguard_interface_create',
        'wireguard_peer_add',
        'wireguard_peer_add_v2',
        'ip_route_add_del',
      ]),
    );
    const checked = await injectEverywhere(rig, desired, counts);
    expect(checked).toBeGreaterThan(20);
    // And without a fault the same apply succeeds from the restored state.
    expect((await reconcile(rig.client, desired)).ok).toBe(true);
  });

  test('changing apply (replace, rebind, recreate, delete): a failure at each mutating call leaves VPP as before', async () => {
    const before = load(BEFORE);
    const after = load(AFTER);
    const probe = await startRig();
    let counts: Record<string, number>;
    try {
      expect((await reconcile(probe.client, before)).ok).toBe(true);
      probe.sim.resetCounters();
      const r = await reconcile(probe.client, after);
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      counts = mutatingCalls(probe.sim);
    } finally {
      await probe.close();
    }
    expect(Object.keys(counts)).toEqual(
      expect.arrayContaining([
        'wireguard_interface_delete',
        'wireguard_peer_remove',
        'sw_interface_set_table',
        'sw_interface_add_del_address',
        'sw_interface_set_mtu',
      ]),
    );
    expect((await reconcile(rig.client, before)).ok).toBe(true);
    const checked = await injectEverywhere(rig, after, counts);
    expect(checked).toBeGreaterThan(20);
    const r = await reconcile(rig.client, after);
    expect(r.ok).toBe(true);
  });

  test('teardown apply (interfaces with keys and preshared keys, table, routes): a failure at each mutating call leaves VPP as before', async () => {
    const before = load(BEFORE);
    const empty = loadText(`
version: 1
uplinks:
  - name: host-eth0
    addresses: [192.0.2.1/24, 2001:db8:0:1::1/64]
wireguard: []
`);
    const probe = await startRig();
    let counts: Record<string, number>;
    try {
      expect((await reconcile(probe.client, before)).ok).toBe(true);
      probe.sim.resetCounters();
      const r = await reconcile(probe.client, empty);
      expect(r.error).toBeUndefined();
      counts = mutatingCalls(probe.sim);
    } finally {
      await probe.close();
    }
    expect(Object.keys(counts)).toEqual(
      expect.arrayContaining([
        'wireguard_interface_delete',
        'wireguard_peer_remove',
        'ip_table_add_del',
        'ip_route_add_del',
      ]),
    );
    expect((await reconcile(rig.client, before)).ok).toBe(true);
    const checked = await injectEverywhere(rig, empty, counts);
    expect(checked).toBeGreaterThan(15);
    expect((await reconcile(rig.client, empty)).ok).toBe(true);
  });

  test('VPP going away mid-apply ends the run with an error naming the operation (no throw, no hang)', async () => {
    const desired = load(BEFORE);
    // Observing takes some requests; the connection closes a few calls into the apply.
    rig.sim.control.closeAfter(40);
    const r = await reconcile(rig.client, desired);
    rig.sim.control.clearFaults();
    expect(r.ok).toBe(false);
    expect(r.verified).toBe(false);
    expect(r.error?.operation).toMatch(/^[+~-]/);
    expect(r.error?.message.length).toBeGreaterThan(0);
  });

  test('VPP gone for good mid-apply: every undo fails alike, and the error says so in one short line', async () => {
    const desired = load(BEFORE);
    rig.sim.control.closeAfter(40);
    const r = await reconcile(rig.client, desired);
    rig.sim.control.clearFaults();
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/rollback incomplete: .*not connected to VPP.* \(\d+ undos\)/);
    expect(r.error!.message.length).toBeLessThan(1500);
  });

  test('--no-rollback leaves what was applied, and a later apply completes it', async () => {
    const desired = load(BEFORE);
    const start = rig.sim.snapshot();
    rig.sim.control.failNth('ip_route_add_del', 3, VppErrno.NO_SUCH_FIB);
    const r = await reconcile(rig.client, desired, { rollback: false });
    rig.sim.control.clearFaults();
    expect(r.ok).toBe(false);
    expect(r.rolledBack).toBe(false);
    expect(r.error?.message).toMatch(/ip_route_add_del.*NO_SUCH_FIB \(-3\)/);
    expect(r.applied).toBeGreaterThan(0);
    expect(rig.sim.snapshot()).not.toEqual(start);
    rig.sim.resetCounters();
    const again = await reconcile(rig.client, desired);
    expect(again.ok).toBe(true);
    expect(again.plan.operations.length).toBeLessThan(r.plan.operations.length);
    expect(mutatingCalls(rig.sim).wireguard_interface_create).toBeUndefined();
  });
});
