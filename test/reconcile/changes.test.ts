/**
 * Minimal changes and ownership: one changed peer among 100 costs exactly its own remove + add;
 * removing a peer removes only its routes and next hops; objects created outside vppwg survive;
 * against 24.10 (no v2 peer messages) plain peers work and a preshared key is refused before any change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeKey, generatePresharedKey, publicKeyOf, generatePrivateKey } from '../../src/config';
import type { DesiredState } from '../../src/config';
import { formatShow, observe, reconcile, showState } from '../../src/reconcile';
import { messageDef } from '../../src/reconcile/vpp';
import { examplesDir, loadText, mutatingCalls, startRig, totalOf, type Rig } from './helpers';

function peerKey(i: number): string {
  // Deterministic distinct public keys (any 32 bytes are a valid WireGuard public key for VPP).
  const b = Buffer.alloc(32, 0);
  b.writeUInt32BE(i + 1, 0);
  b[31] = 0x42;
  return b.toString('base64');
}

function manyPeers(n: number, tweak: (i: number) => { keepalive?: number; skip?: boolean } = () => ({})): string {
  const peers: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = tweak(i);
    if (t.skip) continue;
    const a = 1 + Math.floor(i / 250);
    const b = (i % 250) + 2;
    peers.push(`      - name: peer${i}
        public_key: "${peerKey(i)}"
        endpoint: { address: 198.51.${a}.${b}, port: 51820 }
        allowed_ips: [10.${a}.0.${b}/32, 172.${16 + a}.${b}.0/24]
        persistent_keepalive: ${t.keepalive ?? 25}
        tunnel_next_hops: [10.${a}.0.${b}]
        routes: [{ prefix: 172.${16 + a}.${b}.0/24 }]`);
  }
  return `
version: 1
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, 2001:db8:0:1::1/64] }
wireguard:
  - name: wg-many
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.1.0.1/16]
    peers:
${peers.join('\n')}
`;
}

describe('minimal changes', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  test('changing one peer among 100 sends exactly that peer’s remove and add', async () => {
    expect((await reconcile(rig.client, loadText(manyPeers(100)))).ok).toBe(true);
    const before = showState(await observe(rig.client));
    rig.sim.resetCounters();
    const r = await reconcile(rig.client, loadText(manyPeers(100, (i) => (i === 37 ? { keepalive: 5 } : {}))));
    expect(r.ok).toBe(true);
    expect(mutatingCalls(rig.sim)).toEqual({ wireguard_peer_remove: 1, wireguard_peer_add: 1 });
    expect(r.plan.operations.map((o) => `${o.action} ${o.key}`)).toEqual([
      'delete wg-many/peer37',
      'create wg-many/peer37',
    ]);
    expect(r.plan.operations[0]!.reason).toContain('keepalive 25 → 5');
    const after = showState(await observe(rig.client));
    // Routes and next hops are untouched; only peer37's keepalive differs.
    expect(after.routes).toEqual(before.routes);
    const changed = after.wireguard[0]!.peers.find((p) => p.publicKey === peerKey(37))!;
    expect(changed.persistentKeepalive).toBe(5);
    expect(after.wireguard[0]!.peers.filter((p) => p.persistentKeepalive === 25)).toHaveLength(99);
  });

  test('removing a peer removes only its routes and next hops', async () => {
    expect((await reconcile(rig.client, loadText(manyPeers(100)))).ok).toBe(true);
    const before = showState(await observe(rig.client));
    rig.sim.resetCounters();
    const r = await reconcile(rig.client, loadText(manyPeers(100, (i) => ({ skip: i === 42 }))));
    expect(r.ok).toBe(true);
    // peer42: 10.1.0.44/32 next hop and 172.17.44.0/24 route.
    expect(mutatingCalls(rig.sim)).toEqual({ wireguard_peer_remove: 1, ip_route_add_del: 2 });
    const after = showState(await observe(rig.client));
    const gone = before.routes.filter((x) => !after.routes.some((y) => y.table === x.table && y.prefix === x.prefix));
    expect(gone.map((x) => x.prefix).sort()).toEqual(['10.1.0.44/32', '172.17.44.0/24']);
    expect(after.routes).toHaveLength(before.routes.length - 2);
    expect(after.wireguard[0]!.peers).toHaveLength(99);
    expect(after.wireguard[0]!.peers.some((p) => p.publicKey === peerKey(42))).toBe(false);
  });

  test('the ESTABLISHED flag of a remote-access-server peer is not drift', async () => {
    const text = `
version: 1
uplinks: [{ name: host-eth0, addresses: [192.0.2.1/24, 2001:db8:0:1::1/64] }]
wireguard:
  - name: wg-srv
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.50.0.1/24]
    peers:
      - name: roadwarrior
        public_key: "${peerKey(7)}"
        allowed_ips: [10.50.0.2/32]
        tunnel_next_hops: [10.50.0.2]
`;
    const desired = loadText(text);
    const r = await reconcile(rig.client, desired);
    expect(r.ok).toBe(true);
    // The client's handshake arrives and VPP marks the peer established.
    expect(rig.sim.control.establishPeer(r.peers[0]!.peerIndex)).toBe(true);
    expect(showState(await observe(rig.client)).wireguard[0]!.peers[0]!.established).toBe(true);
    rig.sim.resetCounters();
    const again = await reconcile(rig.client, desired);
    expect(again.plan.isEmpty).toBe(true);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });
});

describe('ownership: objects created outside vppwg survive every apply', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  async function call(name: string, v: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (rig.client.call as (d: unknown, v: unknown) => Promise<Record<string, unknown>>)(messageDef(name), v);
  }

  test('a foreign WireGuard interface, its peer, a route via it, a TEIB entry, a table, an underlay route and a loopback', async () => {
    // Another agent's objects, made before vppwg runs.
    await call('ip_table_add_del', { is_add: true, table: { table_id: 77, is_ip6: false, name: 'someone-else' } });
    const loop = await call('create_loopback', { mac_address: '00:00:00:00:00:00' });
    const wg = await call('wireguard_interface_create', {
      interface: {
        user_instance: 9,
        sw_if_index: 0,
        private_key: publicKeyOf(generatePrivateKey()),
        public_key: new Uint8Array(32),
        port: 40000,
        src_ip: '192.0.2.1',
      },
      generate_key: false,
    });
    const foreignIf = wg.sw_if_index as number;
    await call('wireguard_peer_add', {
      peer: {
        peer_index: 0,
        public_key: Buffer.from(peerKey(900), 'base64'),
        port: 51820,
        persistent_keepalive: 0,
        table_id: 0,
        endpoint: '198.51.100.200',
        sw_if_index: foreignIf,
        flags: 0,
        allowed_ips: ['10.200.0.2/32', '10.201.0.0/16'],
      },
    });
    const path = (sw: number, nh: string) => ({
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
    await call('ip_route_add_del', {
      is_add: true,
      is_multipath: false,
      route: { table_id: 0, prefix: '10.201.0.0/16', paths: [path(foreignIf, '10.200.0.2')] },
    });
    await call('ip_route_add_del', {
      is_add: true,
      is_multipath: false,
      route: { table_id: 0, prefix: '198.18.0.0/15', paths: [path(1, '192.0.2.253')] },
    });
    await call('teib_entry_add_del', {
      is_add: 1,
      entry: { sw_if_index: foreignIf, peer: '10.200.0.2', nh: '198.51.100.200', nh_table_id: 0 },
    });
    const foreign = (s: ReturnType<typeof showState>) => ({
      tables: s.tables.filter((t) => t.id === 77),
      interfaces: s.interfaces.filter((i) => i.owner === null && i.name !== 'host-eth0'),
      wireguard: s.wireguard.filter((w) => w.owner === null),
      routes: s.routes.filter((r) => ['10.201.0.0/16', '198.18.0.0/15'].includes(r.prefix)),
      teib: s.teib,
    });
    const start = foreign(showState(await observe(rig.client)));
    expect(start.interfaces.map((i) => i.swIfIndex)).toContain(loop.sw_if_index);
    expect(start.wireguard[0]!.peers).toHaveLength(1);
    expect(start.routes).toHaveLength(2);
    expect(start.teib).toHaveLength(1);

    const files = [
      manyPeers(5),
      manyPeers(5, (i) => ({ keepalive: i })),
      `version: 1
uplinks: [{ name: host-eth0, addresses: [192.0.2.1/24, 2001:db8:0:1::1/64] }]
wireguard: []
`,
    ];
    for (const f of files) {
      const r = await reconcile(rig.client, loadText(f));
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(foreign(showState(await observe(rig.client)))).toEqual(start);
    }
  });

  test('a loopback tagged vppwg:x by hand is shown, never deleted and never owned', async () => {
    const loop = await call('create_loopback', { mac_address: '00:00:00:00:00:00' });
    const loopIf = loop.sw_if_index as number;
    await call('sw_interface_tag_add_del', { is_add: true, sw_if_index: loopIf, tag: 'vppwg:x' });
    const loopback = (s: ReturnType<typeof showState>) => s.interfaces.find((i) => i.swIfIndex === loopIf);

    const before = await observe(rig.client);
    expect(before.owned.interfaces.has('x')).toBe(false);
    expect(loopback(showState(before))).toMatchObject({ owner: null, tag: 'vppwg:x' });
    expect(formatShow(before)).toMatch(/tag "vppwg:x" but not a WireGuard interface, so not managed by vppwg/);

    // A cold apply, then one from the previous result's state, then an empty file: none lists "x".
    rig.sim.resetCounters();
    const first = await reconcile(rig.client, loadText(manyPeers(3)));
    expect(first.error).toBeUndefined();
    expect(first.ok).toBe(true);
    const second = await reconcile(rig.client, loadText(manyPeers(3, (i) => ({ keepalive: i }))), {
      actual: first.actual,
    });
    expect(second.error).toBeUndefined();
    expect(second.ok).toBe(true);
    const empty = await reconcile(
      rig.client,
      loadText(`version: 1
uplinks: [{ name: host-eth0, addresses: [192.0.2.1/24, 2001:db8:0:1::1/64] }]
wireguard: []
`),
    );
    expect(empty.error).toBeUndefined();
    expect(empty.ok).toBe(true);
    // Only vppwg's own wg-many was deleted.
    expect(mutatingCalls(rig.sim).wireguard_interface_delete).toBe(1);

    const after = await observe(rig.client);
    expect(after.owned.interfaces.size).toBe(0);
    expect(loopback(showState(after))).toMatchObject({ name: loopback(showState(before))!.name, tag: 'vppwg:x' });
  });

  test('a file naming "x" while a non-WireGuard interface carries vppwg:x is refused before any change', async () => {
    const loop = await call('create_loopback', { mac_address: '00:00:00:00:00:00' });
    await call('sw_interface_tag_add_del', { is_add: true, sw_if_index: loop.sw_if_index, tag: 'vppwg:x' });
    rig.sim.resetCounters();
    const r = await reconcile(rig.client, loadText(manyPeers(1).replace('name: wg-many', 'name: x')));
    expect(r.ok).toBe(false);
    expect(r.error?.operation).toBe('plan');
    expect(r.error?.message).toMatch(/carries the tag vppwg:x but is not a WireGuard interface/);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });

  test('a desired peer whose key sits on a foreign interface is refused before any change', async () => {
    await call('wireguard_interface_create', {
      interface: {
        user_instance: 9,
        sw_if_index: 0,
        private_key: new Uint8Array(32),
        public_key: new Uint8Array(32),
        port: 40000,
        src_ip: '192.0.2.1',
      },
      generate_key: true,
    });
    await call('wireguard_peer_add', {
      peer: {
        peer_index: 0,
        public_key: Buffer.from(peerKey(3), 'base64'),
        port: 51820,
        persistent_keepalive: 0,
        table_id: 0,
        endpoint: '198.51.100.200',
        sw_if_index: 2,
        flags: 0,
        allowed_ips: ['10.200.0.2/32'],
      },
    });
    rig.sim.resetCounters();
    const r = await reconcile(rig.client, loadText(manyPeers(5)));
    expect(r.ok).toBe(false);
    expect(r.error?.operation).toBe('plan');
    expect(r.error?.message).toContain('peer "peer3" of "wg-many": its public key is already used by a peer on wg9');
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });

  test('an uplink the file names that VPP lacks is an error before any change', async () => {
    rig.sim.resetCounters();
    const r = await reconcile(
      rig.client,
      loadText(manyPeers(3).replace('uplinks:\n', 'uplinks:\n  - { name: TenGigabitEthernet0/8/0 }\n')),
    );
    expect(r.ok).toBe(false);
    expect(r.error?.message).toContain(
      'uplink "TenGigabitEthernet0/8/0" is named in the file but VPP has no such interface',
    );
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });
});

describe('VPP 24.10 (no wireguard_peer_add_v2)', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig({ profile: '24.10' });
  });
  afterEach(async () => {
    await rig.close();
  });

  test('plain peers apply and round-trip with the v1 messages', async () => {
    const desired = loadText(manyPeers(10));
    const r = await reconcile(rig.client, desired);
    expect(r.ok).toBe(true);
    expect(rig.sim.counters().wireguard_peer_add).toBe(10);
    expect(rig.sim.counters().wireguard_peer_add_v2 ?? 0).toBe(0);
    rig.sim.resetCounters();
    expect((await reconcile(rig.client, desired)).plan.isEmpty).toBe(true);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
    expect(showState(await observe(rig.client)).wireguard[0]!.peers.every((p) => p.presharedKey === 'unknown')).toBe(
      true,
    );
  });

  test('a preshared key is refused with a clear error and nothing is sent', async () => {
    const psk = encodeKey(generatePresharedKey());
    const text = manyPeers(3).replace(
      `public_key: "${peerKey(1)}"`,
      `public_key: "${peerKey(1)}"\n        preshared_key: { inline: "${psk}" }`,
    );
    const desired: DesiredState = loadText(text);
    rig.sim.resetCounters();
    const r = await reconcile(rig.client, desired);
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(
      /peer "peer1" of "wg-many" has a preshared key, but the connected VPP lacks wireguard_peer_add_v2/,
    );
    expect(r.error?.message).not.toContain(psk);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });
});

describe('verification after apply', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  // A next hop equal to the interface's own address: VPP accepts the route, but its local entry wins,
  // so the observed state never shows the host route. Verification must say so.
  function withOwnAddressAsNextHop(d: DesiredState): DesiredState {
    const wg = d.wireguard[0]!;
    const p = wg.peers[0]!;
    return {
      ...d,
      wireguard: [
        {
          ...wg,
          peers: [
            { ...p, allowedIps: [...p.allowedIps, '10.1.0.1/32'], tunnelNextHops: [...p.tunnelNextHops, '10.1.0.1'] },
            ...wg.peers.slice(1),
          ],
        },
      ],
    };
  }

  test('a small change that VPP does not reflect is reported as a verify error (focused re-observe)', async () => {
    const base = loadText(manyPeers(5));
    expect((await reconcile(rig.client, base)).ok).toBe(true);
    const r = await reconcile(rig.client, withOwnAddressAsNextHop(base));
    expect(r.ok).toBe(false);
    expect(r.verified).toBe(false);
    expect(r.error?.operation).toBe('verify');
    expect(r.error?.message).toContain('10.1.0.1/32');
  });

  test('the same on a cold apply (full re-observe)', async () => {
    const r = await reconcile(rig.client, withOwnAddressAsNextHop(loadText(manyPeers(300))));
    expect(r.plan.operations.length).toBeGreaterThan(256);
    expect(r.ok).toBe(false);
    expect(r.error?.operation).toBe('verify');
    expect(r.error?.message).toContain('10.1.0.1/32');
  });
});

describe('replacing a peer with a new endpoint', () => {
  const moved = (i: number) => (i === 11 ? { keepalive: 25 } : {});
  function withEndpointOf11(text: string): string {
    // peer11 is at 198.51.1.13; it moves to 198.51.9.9.
    return text.replace(
      'endpoint: { address: 198.51.1.13, port: 51820 }',
      'endpoint: { address: 198.51.9.9, port: 51820 }',
    );
  }

  test('on VPP >= 26.02 only the peer is replaced', async () => {
    const rig = await startRig();
    try {
      expect((await reconcile(rig.client, loadText(manyPeers(20)))).ok).toBe(true);
      rig.sim.resetCounters();
      const r = await reconcile(rig.client, loadText(withEndpointOf11(manyPeers(20, moved))));
      expect(r.ok).toBe(true);
      expect(mutatingCalls(rig.sim)).toEqual({ wireguard_peer_remove: 1, wireguard_peer_add: 1 });
    } finally {
      await rig.close();
    }
  });

  test('on VPP 24.10 its routes and next hop are withdrawn and re-added so the adjacencies follow the new endpoint', async () => {
    const rig = await startRig({ profile: '24.10', version: '24.10-release' });
    try {
      expect((await reconcile(rig.client, loadText(manyPeers(20)))).ok).toBe(true);
      rig.sim.resetCounters();
      const r = await reconcile(rig.client, loadText(withEndpointOf11(manyPeers(20, moved))));
      expect(r.ok).toBe(true);
      expect(mutatingCalls(rig.sim)).toEqual({ wireguard_peer_remove: 1, wireguard_peer_add: 1, ip_route_add_del: 4 });
      expect(
        r.plan.operations
          .filter((o) => o.kind !== 'peer')
          .every((o) => o.key.includes('10.1.0.13/32') || o.key.includes('172.17.13.0/24')),
      ).toBe(true);
      rig.sim.resetCounters();
      expect((await reconcile(rig.client, loadText(withEndpointOf11(manyPeers(20, moved))))).plan.isEmpty).toBe(true);
    } finally {
      await rig.close();
    }
  });
});

describe('tables', () => {
  test('moving an interface out of a table that is no longer declared unbinds it before the table is deleted', async () => {
    const rig = await startRig();
    try {
      const inTable = manyPeers(3)
        .replace('wireguard:', 'tables:\n  - { id: 100, name: blue }\nwireguard:')
        .replace('    addresses: [10.1.0.1/16]', '    table: 100\n    addresses: [10.1.0.1/16]');
      const first = await reconcile(rig.client, loadText(inTable));
      expect(first.error).toBeUndefined();
      let shown = showState(await observe(rig.client));
      expect(shown.tables.filter((t) => t.id === 100).map((t) => t.name)).toEqual(['vppwg:blue', 'vppwg:blue']);
      expect(shown.routes.filter((r) => r.table === 100)).toHaveLength(6);

      const r = await reconcile(rig.client, loadText(manyPeers(3)));
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      const ids = r.plan.operations.map((o) => o.id);
      expect(ids.indexOf('~table-binding:wg-many ip4')).toBeLessThan(ids.indexOf('-table:ip4 100'));
      shown = showState(await observe(rig.client));
      expect(shown.tables.some((t) => t.id === 100)).toBe(false);
      expect(shown.interfaces.find((i) => i.owner === 'wg-many')!.table).toEqual({ ip4: 0, ip6: 0 });
      expect(shown.routes.filter((x) => x.table === 0 && x.paths.some((p) => p.interface === 'wg0'))).toHaveLength(6);
    } finally {
      await rig.close();
    }
  });
});

describe('a vppwg table another interface is bound to', () => {
  test('is not deleted when the file drops it (VPP would keep it anyway): a note, and the run converges', async () => {
    const rig = await startRig();
    try {
      const inTable = manyPeers(2)
        .replace('wireguard:', 'tables:\n  - { id: 100, name: blue }\nwireguard:')
        .replace('    addresses: [10.1.0.1/16]', '    table: 100\n    addresses: [10.1.0.1/16]');
      expect((await reconcile(rig.client, loadText(inTable))).ok).toBe(true);
      // Someone puts a loopback of their own into vppwg's table.
      const call = (name: string, v: Record<string, unknown>) =>
        (rig.client.call as (d: unknown, v: unknown) => Promise<Record<string, unknown>>)(messageDef(name), v);
      const lo = (await call('create_loopback', { mac_address: '00:00:00:00:00:00' })).sw_if_index as number;
      await call('sw_interface_set_table', { sw_if_index: lo, is_ipv6: false, vrf_id: 100 });

      const r = await reconcile(rig.client, loadText(manyPeers(2)));
      expect(r.error).toBeUndefined();
      expect(r.ok && r.verified).toBe(true);
      const ids = r.plan.operations.map((o) => o.id);
      expect(ids).not.toContain('-table:ip4 100');
      expect(ids).toContain('-table:ip6 100'); // nothing holds the IPv6 one
      expect(r.plan.notes.join('\n')).toContain('table ip4 100 "vppwg:blue" is no longer in the file but stays: loop0');
      rig.sim.resetCounters();
      const again = await reconcile(rig.client, loadText(manyPeers(2)));
      expect(again.plan.operations).toEqual([]);
      expect(mutatingCalls(rig.sim)).toEqual({});
      // Once the loopback leaves, the next run deletes it.
      await call('sw_interface_set_table', { sw_if_index: lo, is_ipv6: false, vrf_id: 0 });
      const last = await reconcile(rig.client, loadText(manyPeers(2)));
      expect(last.plan.operations.map((o) => o.id)).toEqual(['-table:ip4 100']);
      expect(last.ok && last.verified).toBe(true);
      expect(showState(await observe(rig.client)).tables.some((t) => t.id === 100)).toBe(false);
    } finally {
      await rig.close();
    }
  });
});

describe('interface identity', () => {
  test('a changed private key recreates the interface (with its peers, addresses and routes); the new public key shows', async () => {
    const rig = await startRig();
    try {
      const keyA = generatePrivateKey();
      const keyB = generatePrivateKey();
      const withKey = (k: Uint8Array) =>
        manyPeers(3).replace('private_key: generate', `private_key: { inline: "${encodeKey(k)}" }`);
      expect((await reconcile(rig.client, loadText(withKey(keyA)))).ok).toBe(true);
      rig.sim.resetCounters();
      expect((await reconcile(rig.client, loadText(withKey(keyA)))).plan.isEmpty).toBe(true);
      const r = await reconcile(rig.client, loadText(withKey(keyB)));
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      const iface = r.plan.operations.filter((o) => o.kind === 'wireguard-interface');
      expect(iface.map((o) => o.action)).toEqual(['delete', 'create']);
      expect(iface[0]!.reason).toContain('private key changed');
      const shown = showState(await observe(rig.client));
      expect(shown.wireguard[0]!.publicKey).toBe(encodeKey(publicKeyOf(keyB)));
      expect(shown.wireguard[0]!.peers).toHaveLength(3);
      expect(shown.routes.filter((x) => x.paths.some((p) => p.interface === shown.wireguard[0]!.name))).toHaveLength(6);
      expect(JSON.stringify(r)).not.toContain(encodeKey(keyA));
      expect(JSON.stringify(r)).not.toContain(encodeKey(keyB));
    } finally {
      await rig.close();
    }
  });
});

describe('an interface deleted behind vppwg’s back', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });
  const call = (name: string, v: Record<string, unknown>): Promise<Record<string, unknown>> =>
    (rig.client.call as (d: unknown, v: unknown) => Promise<Record<string, unknown>>)(messageDef(name), v);
  const wgIndex = async (): Promise<number> =>
    showState(await observe(rig.client)).interfaces.find((i) => i.owner === 'wg-many')!.swIfIndex;

  test('its routes, which VPP keeps as drops, are deleted and added anew rather than taken as in place', async () => {
    expect((await reconcile(rig.client, loadText(manyPeers(2)))).ok).toBe(true);
    const old = await wgIndex();
    await call('wireguard_interface_delete', { sw_if_index: old });
    // VPP keeps routes through a deleted interface; the dump still names its index.
    const left = showState(await observe(rig.client)).routes.filter((r) =>
      r.paths.some((p) => p.interface === `sw_if_index ${old}`),
    );
    expect(left).toHaveLength(4);
    expect(formatShow(await observe(rig.client))).toContain(
      `via 10.1.0.2 sw_if_index ${old} (deleted interface: VPP drops this path)`,
    );

    const r = await reconcile(rig.client, loadText(manyPeers(2)));
    expect(r.error).toBeUndefined();
    expect(r.ok && r.verified).toBe(true);
    const routeOps = r.plan.operations.filter((o) => o.kind === 'route' || o.kind === 'next-hop');
    // Each prefix: a whole-entry delete (while the index is still free) before the add through the new interface.
    expect(routeOps.filter((o) => o.action === 'delete').map((o) => o.reason)).toEqual(
      Array(4).fill('through a deleted interface, which VPP keeps as a drop: deleted to be added anew'),
    );
    expect(routeOps.filter((o) => o.action === 'create')).toHaveLength(4);
    expect(routeOps.some((o) => o.action === 'modify')).toBe(false);
    // VPP's pools give the most recently freed index first: the new interface has the old one back.
    expect(await wgIndex()).toBe(old);
    rig.sim.resetCounters();
    expect((await reconcile(rig.client, loadText(manyPeers(2)))).plan.isEmpty).toBe(true);
    expect(mutatingCalls(rig.sim)).toEqual({});
  });

  test('a route someone else put through it, adopted by the new interface with the same index, goes in the same run', async () => {
    expect((await reconcile(rig.client, loadText(manyPeers(1)))).ok).toBe(true);
    const old = await wgIndex();
    await call('ip_route_add_del', {
      is_add: true,
      route: {
        table_id: 0,
        prefix: '10.250.0.0/24',
        paths: [{ sw_if_index: old, weight: 1, nh: { address: { ip4: '10.250.0.1' } } }],
      },
    });
    await call('wireguard_interface_delete', { sw_if_index: old });
    const r = await reconcile(rig.client, loadText(manyPeers(1)));
    expect(r.error).toBeUndefined();
    expect(r.ok && r.verified).toBe(true);
    // Seen only once the new interface holds the index: a second round within the run removes it.
    expect(r.plan.operations.find((o) => o.key === 'table 0 10.250.0.0/24')).toMatchObject({
      action: 'delete',
      reason: 'not in the file',
    });
    const shown = showState(await observe(rig.client));
    expect(shown.routes.some((x) => x.prefix === '10.250.0.0/24')).toBe(false);
  });
});

describe('a /31 tunnel address', () => {
  test('the attached /32 VPP adds for the other address is the next hop when wanted, and left to the address when not', async () => {
    const rig = await startRig();
    try {
      const bgp = readFileSync(join(examplesDir, 'bgp-tunnel-per-peer.yaml'), 'utf8');
      const first = await reconcile(rig.client, loadText(bgp));
      expect(first.error).toBeUndefined();
      // VPP routes 169.254.10.1/32 via itself on wg-dc1 once the /31 is there (interface source):
      // nothing to add. IPv6 has no such route for a /127.
      expect(first.plan.operations.map((o) => o.id)).not.toContain('+next-hop:table 0 169.254.10.1/32');
      expect(first.plan.operations.map((o) => o.id)).toContain('+next-hop:table 0 fd00:10::1/128');
      rig.sim.resetCounters();
      expect((await reconcile(rig.client, loadText(bgp))).plan.operations.map((o) => o.id)).toEqual([]);
      const without = bgp.replace("tunnel_next_hops: [169.254.10.1, 'fd00:10::1']", "tunnel_next_hops: ['fd00:10::1']");
      expect(without).not.toBe(bgp);
      const r = await reconcile(rig.client, loadText(without));
      expect(r.error).toBeUndefined();
      expect(r.ok && r.verified).toBe(true);
      rig.sim.resetCounters();
      expect((await reconcile(rig.client, loadText(without))).plan.operations.map((o) => o.id)).toEqual([]);
      // It stays with its address.
      const shown = showState(await observe(rig.client));
      expect(shown.routes.find((x) => x.prefix === '169.254.10.1/32')?.paths).toEqual([
        { via: '169.254.10.1', interface: shown.interfaces.find((i) => i.owner === 'wg-dc1')!.name },
      ]);
      // The /31 goes while the next hop stays wanted: the host route is vppwg's to add, in the same run.
      const noPair = bgp.replace('addresses: [169.254.10.0/31, fd00:10::/127]', "addresses: ['fd00:10::/127']");
      const moved = await reconcile(rig.client, loadText(noPair));
      expect(moved.error).toBeUndefined();
      expect(moved.ok && moved.verified).toBe(true);
      expect(moved.plan.operations.map((o) => o.id)).toEqual(
        expect.arrayContaining(['-address:wg-dc1 169.254.10.0/31', '+next-hop:table 0 169.254.10.1/32']),
      );
      expect(moved.plan.operations.filter((o) => o.id === '+next-hop:table 0 169.254.10.1/32')).toHaveLength(1);
      rig.sim.resetCounters();
      expect((await reconcile(rig.client, loadText(noPair))).plan.operations.map((o) => o.id)).toEqual([]);
    } finally {
      await rig.close();
    }
  });
});

describe('routes VPP holds by another source (ip_route_v2 reports it)', () => {
  test('a wanted next hop that an interface route outranks: a note, no endless re-add; one a lower source holds: taken over', async () => {
    const rig = await startRig();
    // 10.9.0.1 is the other address of the uplink's /31 (interface source, above the API); 10.9.0.7
    // becomes a TEIB adjacency on the uplink (ADJ source, below the API).
    const file = `
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, 2001:db8:0:1::1/64, 10.9.0.0/31] }
wireguard:
  - name: wg0
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.8.0.1/24]
    admin_up: true
    peers:
      - { name: a, public_key: "${peerKey(1)}", allowed_ips: [10.9.0.1/32], tunnel_next_hops: [10.9.0.1] }
      - { name: b, public_key: "${peerKey(2)}", allowed_ips: [10.9.0.7/32], tunnel_next_hops: [10.9.0.7] }
`;
    try {
      const uplink = showState(await observe(rig.client)).interfaces.find((i) => i.name === 'host-eth0')!.swIfIndex;
      await (rig.client.call as (d: unknown, v: unknown) => Promise<unknown>)(messageDef('teib_entry_add_del'), {
        is_add: 1,
        entry: { sw_if_index: uplink, peer: '10.9.0.7', nh: '192.0.2.77', nh_table_id: 0 },
      });
      // The uplink's /31 comes in the same run, after the plan: its host route lands on top of
      // vppwg's, and the run still verifies (and says why it leaves that prefix as VPP has it).
      const r = await reconcile(rig.client, loadText(file));
      expect(r.error).toBeUndefined();
      expect(r.ok && r.verified).toBe(true);
      expect(r.plan.operations.map((o) => o.id).filter((id) => id.endsWith('table 0 10.9.0.7/32'))).toEqual([
        '+next-hop:table 0 10.9.0.7/32',
      ]);
      const shown = showState(await observe(rig.client));
      expect(shown.routes.find((x) => x.prefix === '10.9.0.7/32')?.paths).toEqual([
        { via: '10.9.0.7', interface: 'wg0' },
      ]);
      expect(shown.routes.find((x) => x.prefix === '10.9.0.1/32')?.paths).toEqual([
        { via: '10.9.0.1', interface: 'host-eth0' },
      ]);
      rig.sim.resetCounters();
      const again = await reconcile(rig.client, loadText(file));
      expect(again.plan.operations).toEqual([]);
      expect(again.plan.notes.join('\n')).toContain(
        'table 0 10.9.0.1/32: VPP forwards by its source 4 (via 10.9.0.1), which ranks above the routes vppwg adds',
      );
      expect(mutatingCalls(rig.sim)).toEqual({});
    } finally {
      await rig.close();
    }
  });
});

describe('a /31 address removed', () => {
  test('together with admin down: the host route VPP had added for its other address is known gone, the run verifies', async () => {
    const rig = await startRig();
    const file = (withPair: boolean, up: boolean): string => `
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, 2001:db8:0:1::1/64] }
wireguard:
  - { name: p2p, private_key: generate, listen_port: 51820, source: 192.0.2.1, addresses: [${withPair ? '10.50.0.15/31' : ''}], admin_up: ${up}, peers: [] }
`;
    try {
      expect((await reconcile(rig.client, loadText(file(true, true)))).ok).toBe(true);
      expect(showState(await observe(rig.client)).routes.map((r) => r.prefix)).toContain('10.50.0.14/32');
      const r = await reconcile(rig.client, loadText(file(false, false)));
      expect(r.error).toBeUndefined();
      expect(r.ok && r.verified).toBe(true);
      expect(r.actual!.routes.has('0|10.50.0.14/32')).toBe(false);
    } finally {
      await rig.close();
    }
  });
});

describe('instances', () => {
  test('an instance the file now asks for, held by a vppwg interface that names none: that one moves, the plan says why', async () => {
    const rig = await startRig();
    const file = (claim: boolean): string => `
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, 2001:db8:0:1::1/64] }
wireguard:
  - { name: flexible, private_key: generate, listen_port: 51820, source: 192.0.2.1, addresses: [10.7.0.1/24], admin_up: true }
${claim ? '  - { name: pinned, instance: 0, private_key: generate, listen_port: 51821, source: 192.0.2.1 }' : ''}
`;
    try {
      expect((await reconcile(rig.client, loadText(file(false)))).ok).toBe(true);
      expect(showState(await observe(rig.client)).interfaces.find((i) => i.owner === 'flexible')!.name).toBe('wg0');
      const r = await reconcile(rig.client, loadText(file(true)));
      expect(r.error).toBeUndefined();
      expect(r.ok && r.verified).toBe(true);
      const moved = r.plan.operations.find((o) => o.id === '+wireguard-interface:flexible');
      expect(moved?.reason).toBe('recreated: wg0 is wanted by "pinned"; "flexible" names no instance');
      const shown = showState(await observe(rig.client));
      expect(shown.interfaces.filter((i) => i.owner).map((i) => [i.owner, i.name, i.addresses])).toEqual(
        expect.arrayContaining([
          ['pinned', 'wg0', []],
          ['flexible', 'wg1', ['10.7.0.1/24']],
        ]),
      );
    } finally {
      await rig.close();
    }
  });
});

describe('reconciling from the previous result’s state', () => {
  test('one changed peer sends only its two calls and reads only what it touched', async () => {
    const rig = await startRig();
    try {
      const first = await reconcile(rig.client, loadText(manyPeers(100)));
      expect(first.ok).toBe(true);
      rig.sim.resetCounters();
      const r = await reconcile(rig.client, loadText(manyPeers(100, (i) => (i === 5 ? { keepalive: 9 } : {}))), {
        actual: first.actual!,
      });
      expect(r.ok).toBe(true);
      expect(r.verified).toBe(true);
      const counts = rig.sim.counters();
      expect(mutatingCalls(rig.sim)).toEqual({ wireguard_peer_remove: 1, wireguard_peer_add: 1 });
      // No full dump: the new peer is read back by its index.
      expect((counts.ip_route_dump ?? 0) + (counts.ip_route_v2_dump ?? 0)).toBe(0);
      expect(counts.sw_interface_dump ?? 0).toBe(0);
      expect(counts.wireguard_peers_v2_dump).toBe(1);
      const shown = showState(await observe(rig.client));
      expect(shown.wireguard[0]!.peers.find((p) => p.publicKey === peerKey(5))!.persistentKeepalive).toBe(9);
    } finally {
      await rig.close();
    }
  });

  test('a stale state (a peer removed behind vppwg’s back) is caught by VPP, rolled back and redone from a fresh observe', async () => {
    const rig = await startRig();
    try {
      const first = await reconcile(rig.client, loadText(manyPeers(10)));
      expect(first.ok).toBe(true);
      const victim = first.peers.find((p) => p.name === 'peer3')!;
      await (rig.client.call as (d: unknown, v: unknown) => Promise<unknown>)(messageDef('wireguard_peer_remove'), {
        peer_index: victim.peerIndex,
      });
      const desired = loadText(manyPeers(10, (i) => (i === 3 ? { keepalive: 7 } : {})));
      const r = await reconcile(rig.client, desired, { actual: first.actual! });
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.verified).toBe(true);
      expect(r.plan.operations.map((o) => `${o.action} ${o.key}`)).toEqual(['create wg-many/peer3']);
      const again = await reconcile(rig.client, desired);
      expect(again.plan.isEmpty).toBe(true);
    } finally {
      await rig.close();
    }
  });
});
