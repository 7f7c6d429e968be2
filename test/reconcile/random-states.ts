/**
 * Random desired states and random drift for the model-based reconciler tests: the emulator suite
 * (convergence.test.ts) and the same properties against a real VPP (test/real-vpp).
 */
import fc from 'fast-check';
import type { VppClient } from '../../src/client';
import { observe, showState, type ShownState } from '../../src/reconcile';
import { messageDef } from '../../src/reconcile/vpp';

type Call = (name: string, v: Record<string, unknown>) => Promise<Record<string, unknown>>;
const caller =
  (client: VppClient): Call =>
  (name, v) =>
    (client.call as (d: unknown, v: unknown) => Promise<Record<string, unknown>>)(messageDef(name), v);

/** sw_if_index of the examples' uplink host-eth0 (1 on the emulator; a real VPP numbers its own). */
export async function uplinkIndex(client: VppClient): Promise<number> {
  const uplink = showState(await observe(client)).interfaces.find((i) => i.name === 'host-eth0');
  if (!uplink) throw new Error('VPP has no host-eth0: the examples need it as their uplink');
  return uplink.swIfIndex;
}

const SLOTS = [0, 1, 2] as const;
const PEERS = [0, 1, 2, 3, 4] as const;
const TABLE_IDS = [10, 20] as const;

export interface IfSpec {
  present: boolean;
  /** Which private key (two per slot, so a change recreates the interface), or VPP generates one. */
  key: 0 | 1 | 'generate';
  /** Second listen port of the slot. */
  otherPort: boolean;
  /** No instance (VPP picks the lowest free one), or wg<slot>: another interface may hold it. */
  instance: boolean;
  v6Source: boolean;
  /** No IPv4 address, a /24, or a /31 whose other address is peer 4's tunnel address (VPP routes it itself). */
  addr4: 'none' | '24' | '31';
  addr6: boolean;
  mtu: 0 | 1420 | 1380;
  table: 0 | 10 | 20;
  adminUp: boolean;
}

export interface PeerSpec {
  /** The interface slot the peer is on, or -1: not in the file. */
  on: -1 | 0 | 1 | 2;
  endpoint: boolean;
  keepalive: 0 | 25;
  nextHop: boolean;
  route: boolean;
  v6Allowed: boolean;
  psk: boolean;
  /** Underlay table 10 for the endpoint, when the file declares it in the source's family. */
  underlay: boolean;
}

export interface StateSpec {
  tables: { id: 10 | 20; present: boolean; v6: boolean }[];
  ifaces: IfSpec[];
  peers: PeerSpec[];
  defaultRoute: boolean;
}

const ifArb: fc.Arbitrary<IfSpec> = fc.record({
  present: fc.boolean(),
  key: fc.constantFrom<IfSpec['key']>(0, 1, 'generate'),
  otherPort: fc.boolean(),
  instance: fc.boolean(),
  v6Source: fc.boolean(),
  addr4: fc.constantFrom<IfSpec['addr4']>('none', '24', '31'),
  addr6: fc.boolean(),
  mtu: fc.constantFrom<IfSpec['mtu']>(0, 1420, 1380),
  table: fc.constantFrom<IfSpec['table']>(0, 10, 20),
  adminUp: fc.boolean(),
});

const peerArb: fc.Arbitrary<PeerSpec> = fc.record({
  on: fc.constantFrom<PeerSpec['on']>(-1, 0, 1, 2),
  endpoint: fc.boolean(),
  keepalive: fc.constantFrom<PeerSpec['keepalive']>(0, 25),
  nextHop: fc.boolean(),
  route: fc.boolean(),
  v6Allowed: fc.boolean(),
  psk: fc.boolean(),
  underlay: fc.boolean(),
});

export const stateArb: fc.Arbitrary<StateSpec> = fc.record({
  tables: fc.tuple(
    ...TABLE_IDS.map((id) => fc.record({ id: fc.constant(id), present: fc.boolean(), v6: fc.boolean() })),
  ),
  ifaces: fc.tuple(...SLOTS.map(() => ifArb)),
  peers: fc.tuple(...PEERS.map(() => peerArb)),
  defaultRoute: fc.boolean(),
});

const key = (fill: number): string => Buffer.alloc(32, fill).toString('base64');

/** The desired-state file of a spec, as JSON (a subset of YAML). Anything the spec leaves open is left out. */
export function render(s: StateSpec): string {
  const tables = s.tables.filter((t) => t.present);
  // A table bound to an interface must exist in both families the interface may carry.
  const usable = new Set(tables.filter((t) => t.v6).map((t) => t.id));
  const has4 = new Set(tables.map((t) => t.id));
  const ifaces = SLOTS.filter((i) => s.ifaces[i]?.present);
  const wireguard = ifaces.map((i) => {
    const f = s.ifaces[i]!;
    const peers = PEERS.filter((p) => s.peers[p]?.on === i).map((p) => {
      const q = s.peers[p]!;
      const tunnel = `10.${50 + i}.0.${10 + p}`;
      return {
        name: `peer-${p}`,
        public_key: key(100 + p),
        ...(q.endpoint
          ? { endpoint: { address: f.v6Source ? `2001:db8:1::${10 + p}` : `198.51.100.${10 + p}`, port: 51820 } }
          : {}),
        allowed_ips: [`${tunnel}/32`, `10.${100 + p}.0.0/16`, ...(q.v6Allowed ? [`fd00:${100 + p}::/48`] : [])],
        persistent_keepalive: q.keepalive,
        ...(q.psk ? { preshared_key: { inline: key(200 + p) } } : {}),
        ...(q.underlay && (f.v6Source ? usable : has4).has(10) ? { underlay_table: 10 } : {}),
        tunnel_next_hops: q.nextHop ? [tunnel] : [],
        routes: q.route
          ? [
              q.nextHop
                ? { prefix: `10.${100 + p}.0.0/16` }
                : { prefix: `10.${100 + p}.0.0/16`, via: `10.${100 + p}.0.1` },
            ]
          : [],
      };
    });
    return {
      name: `wg-${'abc'[i]}`,
      ...(f.instance ? { instance: i } : {}),
      private_key: f.key === 'generate' ? 'generate' : { inline: key(10 * (i + 1) + f.key) },
      listen_port: 51820 + i + (f.otherPort ? 10 : 0),
      source: f.v6Source ? '2001:db8:0:1::1' : '192.0.2.1',
      addresses: [
        ...(f.addr4 === '24' ? [`10.${50 + i}.0.1/24`] : f.addr4 === '31' ? [`10.${50 + i}.0.15/31`] : []),
        ...(f.addr6 ? [`fd00:${50 + i}::1/64`] : []),
      ],
      ...(f.mtu ? { mtu: f.mtu } : {}),
      ...(f.table && usable.has(f.table) ? { table: f.table } : {}),
      admin_up: f.adminUp,
      peers,
    };
  });
  return JSON.stringify({
    version: 1,
    uplinks: [{ name: 'host-eth0', admin_up: true, addresses: ['192.0.2.1/24', '2001:db8:0:1::1/64'] }],
    routes: s.defaultRoute ? [{ prefix: '0.0.0.0/0', via: '192.0.2.254', interface: 'host-eth0' }] : [],
    tables: tables.map((t) => ({
      id: t.id,
      name: `t${t.id}`,
      families: t.v6 ? ['ipv4', 'ipv6'] : ['ipv4'],
    })),
    wireguard,
  });
}

/**
 * Another agent's objects, made before vppwg runs: a table, a loopback, a WireGuard interface with a
 * peer and a route through it, and an underlay route. Every step must leave them as they were.
 */
export async function foreignObjects(client: VppClient): Promise<void> {
  const call = caller(client);
  await call('ip_table_add_del', { is_add: true, table: { table_id: 77, is_ip6: false, name: 'someone-else' } });
  await call('create_loopback', { mac_address: '00:00:00:00:00:00' });
  const wg = await call('wireguard_interface_create', {
    interface: { user_instance: 9, private_key: Buffer.alloc(32, 250), port: 40000, src_ip: '192.0.2.1' },
    generate_key: false,
  });
  const sw = wg.sw_if_index as number;
  await call('wireguard_peer_add', {
    peer: {
      public_key: Buffer.alloc(32, 251),
      port: 51820,
      endpoint: '198.51.100.200',
      sw_if_index: sw,
      allowed_ips: ['10.200.0.2/32', '10.201.0.0/16'],
    },
  });
  const route = (prefix: string, via: number, nh: string) =>
    call('ip_route_add_del', {
      is_add: true,
      route: { table_id: 0, prefix, paths: [{ sw_if_index: via, weight: 1, nh: { address: { ip4: nh } } }] },
    });
  await route('10.201.0.0/16', sw, '10.200.0.2');
  await route('198.18.0.0/15', await uplinkIndex(client), '192.0.2.253');
}

export function foreignPart(s: ShownState) {
  return {
    tables: s.tables.filter((t) => t.id === 77),
    interfaces: s.interfaces.filter((i) => i.owner === null && i.name !== 'host-eth0'),
    wireguard: s.wireguard.filter((w) => w.owner === null),
    routes: s.routes.filter((r) => ['10.201.0.0/16', '198.18.0.0/15'].includes(r.prefix)),
  };
}

/** Takes away what foreignObjects made (a real VPP outlives the test, unlike an emulator). */
export async function removeForeignObjects(client: VppClient): Promise<void> {
  const call = caller(client);
  const shown = showState(await observe(client));
  const wg = shown.wireguard.find((w) => w.owner === null && w.instance === 9);
  const uplink = await uplinkIndex(client);
  const del = (prefix: string, sw: number, nh: string) =>
    call('ip_route_add_del', {
      is_add: false,
      route: { table_id: 0, prefix, paths: [{ sw_if_index: sw, weight: 1, nh: { address: { ip4: nh } } }] },
    }).catch(() => undefined);
  await del('198.18.0.0/15', uplink, '192.0.2.253');
  if (wg) {
    await del('10.201.0.0/16', wg.swIfIndex, '10.200.0.2');
    await call('wireguard_interface_delete', { sw_if_index: wg.swIfIndex });
  }
  for (const i of shown.interfaces.filter((x) => x.owner === null && x.name.startsWith('loop')))
    await call('delete_loopback', { sw_if_index: i.swIfIndex });
  await call('ip_table_add_del', { is_add: false, table: { table_id: 77, is_ip6: false } }).catch(() => undefined);
}

export const EMPTY: StateSpec = {
  tables: [],
  ifaces: [],
  peers: [],
  defaultRoute: false,
};

/** What someone with vppctl might do to vppwg's objects (or beside them, on its interfaces). */
export const DRIFT = [
  'peer-remove',
  'admin-flip',
  'route-del',
  'address-del',
  'mtu',
  'interface-del',
  'stray-route',
  'stray-peer',
  'stray-address',
] as const;

/** A few such changes in a row, each with a number that picks which object it hits. */
export const driftArb = fc.array(fc.tuple(fc.constantFrom(...DRIFT), fc.nat(20)), { minLength: 1, maxLength: 6 });

export async function drift(client: VppClient, kind: (typeof DRIFT)[number], pick: number): Promise<void> {
  const tryCall = caller(client);
  const call = (name: string, v: Record<string, unknown>): Promise<unknown> => tryCall(name, v).catch(() => undefined);
  const shown = showState(await observe(client));
  const owned = shown.interfaces.filter((i) => i.owner !== null);
  const iface = owned[pick % Math.max(1, owned.length)];
  const nh = (a: string) => ({ address: a.includes(':') ? { ip6: a } : { ip4: a } });
  switch (kind) {
    case 'peer-remove': {
      const peers = shown.wireguard.filter((w) => w.owner !== null).flatMap((w) => w.peers);
      const p = peers[pick % Math.max(1, peers.length)];
      if (p) await call('wireguard_peer_remove', { peer_index: p.peerIndex });
      return;
    }
    case 'route-del': {
      const names = new Set(owned.map((i) => i.name));
      const routes = shown.routes.filter((r) => r.paths.some((p) => names.has(p.interface)));
      const r = routes[pick % Math.max(1, routes.length)];
      if (!r) return;
      const path = r.paths.find((p) => names.has(p.interface))!;
      const sw = owned.find((i) => i.name === path.interface)!.swIfIndex;
      await call('ip_route_add_del', {
        is_add: false,
        route: {
          table_id: r.table,
          prefix: r.prefix,
          paths: [{ sw_if_index: sw, weight: 1, proto: path.via.includes(':') ? 1 : 0, nh: nh(path.via) }],
        },
      });
      return;
    }
    case 'stray-peer': {
      if (!iface) return;
      await call('wireguard_peer_add', {
        peer: {
          public_key: Buffer.alloc(32, 240 + (pick % 10)),
          port: 51820,
          endpoint: shown.wireguard.find((w) => w.swIfIndex === iface.swIfIndex)?.source.includes(':')
            ? '2001:db8:1::99'
            : '198.51.100.99',
          sw_if_index: iface.swIfIndex,
          allowed_ips: [`10.240.${pick}.0/24`],
        },
      });
      return;
    }
  }
  if (!iface) return;
  const sw = iface.swIfIndex;
  switch (kind) {
    case 'admin-flip':
      await call('sw_interface_set_flags', { sw_if_index: sw, flags: iface.adminUp ? 0 : 1 });
      return;
    case 'address-del': {
      const a = iface.addresses[pick % Math.max(1, iface.addresses.length)];
      if (a) await call('sw_interface_add_del_address', { sw_if_index: sw, is_add: false, prefix: a });
      return;
    }
    case 'mtu':
      await call('sw_interface_set_mtu', { sw_if_index: sw, mtu: [1300, 0, 0, 0] });
      return;
    case 'interface-del':
      await call('wireguard_interface_delete', { sw_if_index: sw });
      return;
    case 'stray-route':
      await call('ip_route_add_del', {
        is_add: true,
        route: {
          table_id: iface.table.ip4,
          prefix: `10.250.${pick}.0/24`,
          paths: [{ sw_if_index: sw, weight: 1, nh: nh(`10.250.${pick}.1`) }],
        },
      });
      return;
    case 'stray-address':
      await call('sw_interface_add_del_address', { sw_if_index: sw, is_add: true, prefix: `10.230.${pick}.1/24` });
      return;
  }
}
