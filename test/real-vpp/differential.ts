/**
 * The emulator against a real VPP (run from real-vpp.test.ts, so never beside the other suites on
 * the same VPP): the same
 * API calls, edge cases included (duplicates, unknown indices and tables, host bits, family
 * mismatches, tables still bound, interfaces that are not WireGuard), sent to both. Each call must
 * get the same retval from both, and what `show` reads back before the clean-up must be the same.
 * The calls undo what they made, so the VPP is left as it was (but host-eth0's addresses and state).
 */
import { VppApiError, VppClient } from '../../src/client';
import { observe, reconcile, reconcileMessages, showState, type ShownState } from '../../src/reconcile';
import { hasPeerV2, messageDef } from '../../src/reconcile/vpp';
import { startSim } from '../../src/sim';
import { loadText } from '../reconcile/helpers';

type Ctx = Record<string, number>;
type Row = Record<string, unknown>;
interface Step {
  name: string;
  message: string;
  args: (c: Ctx) => Row;
  /** Keep an index from the reply for later steps. */
  keep?: (c: Ctx, reply: Row) => void;
}

const key = (fill: number) => Buffer.alloc(32, fill);
const ip4 = (a: string) => ({ address: { ip4: a } });
const route = (isAdd: boolean, table: number, prefix: string, sw: number, via: string): Row => ({
  is_add: isAdd,
  route: { table_id: table, prefix, paths: [{ sw_if_index: sw, weight: 1, proto: 0, nh: ip4(via) }] },
});
const wg = (instance: number, fill: number, port: number, src: string): Row => ({
  interface: { user_instance: instance, private_key: key(fill), port, src_ip: src },
  generate_key: false,
});
const peer = (
  sw: number,
  fill: number,
  o: { port?: number; endpoint?: string; allowed?: string[]; table?: number } = {},
) => ({
  peer: {
    public_key: key(fill),
    port: o.port ?? 51820,
    endpoint: o.endpoint ?? '198.51.100.1',
    sw_if_index: sw,
    allowed_ips: o.allowed ?? ['10.9.0.2/32'],
    persistent_keepalive: 0,
    table_id: o.table ?? 0,
  },
});
const ANY = 0xffffffff;

/** wireguard_interface_create, keeping the new sw_if_index as `c[keep]` when named. */
function createWg(name: string, args: Row, keep?: string): Step {
  return {
    name,
    message: 'wireguard_interface_create',
    args: () => args,
    ...(keep ? { keep: (c: Ctx, r: Row) => (c[keep] = r.sw_if_index as number) } : {}),
  };
}

// Interfaces stay admin down: a real VPP would otherwise start handshakes to these made-up endpoints.
const STEPS: Step[] = [
  createWg('create wg', wg(ANY, 1, 51820, '192.0.2.1'), 'a'),
  createWg('create wg, same port and source', wg(ANY, 2, 51820, '192.0.2.1'), 'b'),
  createWg('create wg, instance taken', wg(0, 3, 51830, '192.0.2.1')),
  createWg('create wg, instance over the maximum', wg(20000, 4, 51840, '192.0.2.1')),
  createWg('create wg, port 0', wg(ANY, 5, 0, '192.0.2.1'), 'c'),
  createWg('create wg, source no interface has', wg(ANY, 6, 51850, '203.0.113.99'), 'd'),
  createWg('create wg, IPv6 source', wg(ANY, 7, 51860, '2001:db8:0:1::1'), 'e'),
  {
    name: 'add peer',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.a!, 100),
    keep: (c, r) => (c.p = r.peer_index as number),
  },
  { name: 'add peer, same key, same interface', message: 'wireguard_peer_add', args: (c) => peer(c.a!, 100) },
  { name: 'add peer, same key, other interface', message: 'wireguard_peer_add', args: (c) => peer(c.b!, 100) },
  { name: 'add peer, no allowed IPs', message: 'wireguard_peer_add', args: (c) => peer(c.a!, 101, { allowed: [] }) },
  {
    name: 'add peer, allowed IP with host bits',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.a!, 102, { allowed: ['10.9.1.5/24'] }),
  },
  { name: 'add peer, port 0', message: 'wireguard_peer_add', args: (c) => peer(c.a!, 103, { port: 0 }) },
  {
    name: 'add peer, IPv6 endpoint on an IPv4 interface',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.a!, 104, { endpoint: '2001:db8:1::5' }),
  },
  { name: 'add peer, unknown sw_if_index', message: 'wireguard_peer_add', args: () => peer(999, 105) },
  { name: 'add peer, on an interface that is not WireGuard', message: 'wireguard_peer_add', args: () => peer(1, 106) },
  {
    name: 'add peer, unknown underlay table',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.a!, 107, { table: 55 }),
  },
  {
    name: 'add peer, allowed IP another peer has',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.a!, 108),
    keep: (c, r) => (c.q = r.peer_index as number),
  },
  { name: 'remove peer, unknown index', message: 'wireguard_peer_remove', args: () => ({ peer_index: 9999 }) },
  { name: 'remove peer', message: 'wireguard_peer_remove', args: (c) => ({ peer_index: c.q! }) },
  { name: 'remove peer again', message: 'wireguard_peer_remove', args: (c) => ({ peer_index: c.q! }) },
  {
    name: 'add address',
    message: 'sw_interface_add_del_address',
    args: (c) => ({ sw_if_index: c.a!, is_add: true, prefix: '10.9.0.1/24' }),
  },
  {
    name: 'add address again',
    message: 'sw_interface_add_del_address',
    args: (c) => ({ sw_if_index: c.a!, is_add: true, prefix: '10.9.0.1/24' }),
  },
  {
    name: 'add address, same subnet on another interface',
    message: 'sw_interface_add_del_address',
    args: (c) => ({ sw_if_index: c.b!, is_add: true, prefix: '10.9.0.7/24' }),
  },
  {
    name: 'add address, same address, other length',
    message: 'sw_interface_add_del_address',
    args: (c) => ({ sw_if_index: c.a!, is_add: true, prefix: '10.9.0.1/16' }),
  },
  {
    name: 'delete address it does not have',
    message: 'sw_interface_add_del_address',
    args: (c) => ({ sw_if_index: c.a!, is_add: false, prefix: '10.99.0.1/24' }),
  },
  {
    name: 'add IPv6 link-local address',
    message: 'sw_interface_add_del_address',
    args: (c) => ({ sw_if_index: c.a!, is_add: true, prefix: 'fe80::1/64' }),
  },
  {
    name: 'add /32 address',
    message: 'sw_interface_add_del_address',
    args: (c) => ({ sw_if_index: c.b!, is_add: true, prefix: '10.77.0.1/32' }),
  },
  {
    name: 'add table 10',
    message: 'ip_table_add_del',
    args: () => ({ is_add: true, table: { table_id: 10, is_ip6: false, name: 't10' } }),
  },
  {
    name: 'add table 10 again, another name',
    message: 'ip_table_add_del',
    args: () => ({ is_add: true, table: { table_id: 10, is_ip6: false, name: 'other' } }),
  },
  {
    name: 'delete table 0',
    message: 'ip_table_add_del',
    args: () => ({ is_add: false, table: { table_id: 0, is_ip6: false } }),
  },
  {
    name: 'delete absent table',
    message: 'ip_table_add_del',
    args: () => ({ is_add: false, table: { table_id: 33, is_ip6: false } }),
  },
  {
    name: 'bind table while an address is present',
    message: 'sw_interface_set_table',
    args: (c) => ({ sw_if_index: c.a!, is_ipv6: false, vrf_id: 10 }),
  },
  {
    name: 'bind absent table',
    message: 'sw_interface_set_table',
    args: (c) => ({ sw_if_index: c.c!, is_ipv6: false, vrf_id: 44 }),
  },
  {
    name: 'bind table 10',
    message: 'sw_interface_set_table',
    args: (c) => ({ sw_if_index: c.c!, is_ipv6: false, vrf_id: 10 }),
  },
  {
    name: 'bind IPv6 table that exists only for IPv4',
    message: 'sw_interface_set_table',
    args: (c) => ({ sw_if_index: c.c!, is_ipv6: true, vrf_id: 10 }),
  },
  {
    name: 'add route via a next hop in allowed IPs',
    message: 'ip_route_add_del',
    args: (c) => route(true, 0, '10.50.0.0/16', c.a!, '10.9.0.2'),
  },
  {
    name: 'add the same route again',
    message: 'ip_route_add_del',
    args: (c) => route(true, 0, '10.50.0.0/16', c.a!, '10.9.0.2'),
  },
  {
    name: 'add route via unknown sw_if_index',
    message: 'ip_route_add_del',
    args: () => route(true, 0, '10.51.0.0/16', 999, '10.9.0.2'),
  },
  {
    name: 'add route in absent table',
    message: 'ip_route_add_del',
    args: (c) => route(true, 66, '10.52.0.0/16', c.a!, '10.9.0.2'),
  },
  {
    name: 'add route with host bits',
    message: 'ip_route_add_del',
    args: (c) => route(true, 0, '10.54.1.1/16', c.a!, '10.9.0.2'),
  },
  {
    name: 'add route in table 10',
    message: 'ip_route_add_del',
    args: (c) => route(true, 10, '10.55.0.0/16', c.c!, '10.9.0.9'),
  },
  { name: 'set MTU 9000', message: 'sw_interface_set_mtu', args: (c) => ({ sw_if_index: c.a!, mtu: [9000, 0, 0, 0] }) },
  {
    name: 'set MTU 100000',
    message: 'sw_interface_set_mtu',
    args: (c) => ({ sw_if_index: c.b!, mtu: [100000, 0, 0, 0] }),
  },
  {
    name: 'set flags, unknown sw_if_index',
    message: 'sw_interface_set_flags',
    args: () => ({ sw_if_index: 999, flags: 1 }),
  },
  {
    name: 'tag, unknown sw_if_index',
    message: 'sw_interface_tag_add_del',
    args: () => ({ is_add: true, sw_if_index: 999, tag: 'x' }),
  },
  {
    name: 'untag an interface without a tag',
    message: 'sw_interface_tag_add_del',
    args: (c) => ({ is_add: false, sw_if_index: c.c!, tag: '' }),
  },
  {
    name: 'delete a non-WireGuard interface as WireGuard',
    message: 'wireguard_interface_delete',
    args: () => ({ sw_if_index: 1 }),
  },
  {
    name: 'delete unknown WireGuard interface',
    message: 'wireguard_interface_delete',
    args: () => ({ sw_if_index: 999 }),
  },
  // Endpoint tracking: an interface that comes up with peers whose next hops have routes. VPP then
  // tracks each endpoint with a host route that forwards as its cover does (a route via the
  // underlay, or the connected prefix), and sends handshakes, which go nowhere here.
  createWg('create wg f', wg(ANY, 9, 51840, '192.0.2.1'), 'f'),
  {
    name: 'underlay route covering an endpoint',
    message: 'ip_route_add_del',
    args: () => route(true, 0, '198.51.100.0/24', 1, '192.0.2.253'),
  },
  {
    name: 'f: peer behind the underlay route',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.f!, 71, { endpoint: '198.51.100.77', allowed: ['10.66.0.2/32', '10.67.0.0/16'] }),
  },
  {
    name: 'f: peer on the uplink subnet',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.f!, 72, { endpoint: '192.0.2.77', allowed: ['10.66.0.3/32'] }),
  },
  {
    name: 'f: peer without endpoint',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.f!, 73, { endpoint: '0.0.0.0', port: 0, allowed: ['10.66.0.4/32'] }),
  },
  {
    name: 'f: peer removed later',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.f!, 74, { endpoint: '198.51.100.78', allowed: ['10.66.0.5/32'] }),
    keep: (c, r) => (c.r = r.peer_index as number),
  },
  ...[
    '10.67.0.0/16 via 10.66.0.2',
    '10.66.0.3/32 via 10.66.0.3',
    '10.66.0.4/32 via 10.66.0.4',
    '10.66.0.5/32 via 10.66.0.5',
  ].map((r): Step => ({
    name: `f: route ${r}`,
    message: 'ip_route_add_del',
    args: (c) => route(true, 0, r.split(' ')[0]!, c.f!, r.split(' ')[2]!),
  })),
  { name: 'f: admin up', message: 'sw_interface_set_flags', args: (c) => ({ sw_if_index: c.f!, flags: 1 }) },
  { name: 'f: remove a tracked peer', message: 'wireguard_peer_remove', args: (c) => ({ peer_index: c.r! }) },
  // Up, then down again: 26.10 drops the tracking, 24.10 keeps the entry.
  createWg('create wg g', wg(ANY, 10, 51841, '192.0.2.1'), 'g'),
  {
    name: 'g: peer',
    message: 'wireguard_peer_add',
    args: (c) => peer(c.g!, 81, { endpoint: '198.51.100.79', allowed: ['10.68.0.2/32'] }),
  },
  {
    name: 'g: route via it',
    message: 'ip_route_add_del',
    args: (c) => route(true, 0, '10.68.0.2/32', c.g!, '10.68.0.2'),
  },
  { name: 'g: admin up', message: 'sw_interface_set_flags', args: (c) => ({ sw_if_index: c.g!, flags: 1 }) },
  { name: 'g: admin down', message: 'sw_interface_set_flags', args: (c) => ({ sw_if_index: c.g!, flags: 0 }) },
];

// Run after `show` is read: routes first (a route through a deleted interface stays in VPP for good).
const CLEANUP: Step[] = [
  ...[
    '10.67.0.0/16 via 10.66.0.2',
    '10.66.0.3/32 via 10.66.0.3',
    '10.66.0.4/32 via 10.66.0.4',
    '10.66.0.5/32 via 10.66.0.5',
  ].map((r): Step => ({
    name: `f: delete route ${r}`,
    message: 'ip_route_add_del',
    args: (c) => route(false, 0, r.split(' ')[0]!, c.f!, r.split(' ')[2]!),
  })),
  {
    name: 'g: delete route',
    message: 'ip_route_add_del',
    args: (c) => route(false, 0, '10.68.0.2/32', c.g!, '10.68.0.2'),
  },
  {
    name: 'delete the underlay route',
    message: 'ip_route_add_del',
    args: () => route(false, 0, '198.51.100.0/24', 1, '192.0.2.253'),
  },
  { name: 'delete route', message: 'ip_route_add_del', args: (c) => route(false, 0, '10.50.0.0/16', c.a!, '10.9.0.2') },
  {
    name: 'delete route again',
    message: 'ip_route_add_del',
    args: (c) => route(false, 0, '10.50.0.0/16', c.a!, '10.9.0.2'),
  },
  {
    name: 'delete route given with host bits',
    message: 'ip_route_add_del',
    args: (c) => route(false, 0, '10.54.0.0/16', c.a!, '10.9.0.2'),
  },
  {
    name: 'delete route in table 10',
    message: 'ip_route_add_del',
    args: (c) => route(false, 10, '10.55.0.0/16', c.c!, '10.9.0.9'),
  },
  {
    name: 'delete table 10 while bound',
    message: 'ip_table_add_del',
    args: () => ({ is_add: false, table: { table_id: 10, is_ip6: false } }),
  },
  ...(['a', 'b', 'c', 'd', 'e', 'f', 'g'] as const).map((k): Step => ({
    name: `delete wg ${k}`,
    message: 'wireguard_interface_delete',
    args: (c) => ({ sw_if_index: c[k]! }),
  })),
  { name: 'delete wg a again', message: 'wireguard_interface_delete', args: (c) => ({ sw_if_index: c.a! }) },
];

const UPLINK = loadText(
  JSON.stringify({
    version: 1,
    uplinks: [{ name: 'host-eth0', admin_up: true, addresses: ['192.0.2.1/24', '2001:db8:0:1::1/64'] }],
  }),
  'uplink.json',
);

async function runSteps(client: VppClient, steps: readonly Step[], c: Ctx): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const s of steps) {
    try {
      const reply = await (client.call as (d: unknown, v: unknown) => Promise<Row>)(messageDef(s.message), s.args(c));
      s.keep?.(c, reply);
      out.push([s.name, 'ok']);
    } catch (e) {
      out.push([s.name, e instanceof VppApiError ? `${e.retval}` : `${(e as Error).name}: ${(e as Error).message}`]);
    }
  }
  return out;
}

/**
 * What `show` read, without what depends on the VPP's history rather than on these calls: indices
 * come back from pools most-recently-freed first, so a VPP that ran anything before numbers
 * interfaces and peers (and orders its dumps) otherwise than a fresh emulator. And without the
 * uplink's MTU, a host NIC's own, and the host routes VPP adds for the neighbours it resolved on
 * host-eth0 (the far end's gateway, when it answers ARP and ND; the emulator has no neighbours).
 */
/** A host route VPP adds for a neighbour it resolved: the far end's gateway addresses, when it answers. */
export function isNeighbourRoute(r: ShownState['routes'][number]): boolean {
  const [address, length] = r.prefix.split('/');
  return (
    (length === '32' || length === '128') &&
    (address === '192.0.2.254' || address === '2001:db8:0:1::fe') &&
    r.paths.length === 1 &&
    r.paths[0]!.interface === 'host-eth0' &&
    r.paths[0]!.via === address
  );
}

export function comparable(s: ShownState): unknown {
  const byName = <T extends { name: string }>(a: T[]) => [...a].sort((x, y) => x.name.localeCompare(y.name));
  return {
    interfaces: byName(
      // The MAC is the host's (a veth's) in VPP and the emulator's own: not a difference in rules.
      s.interfaces.map(({ swIfIndex: _, mac: _mac, ...i }) => ({ ...i, mtu: i.name === 'host-eth0' ? 0 : i.mtu })),
    ),
    wireguard: [...s.wireguard]
      .sort((x, y) => x.instance - y.instance)
      .map(({ swIfIndex: _, ...w }) => ({
        ...w,
        peers: w.peers
          .map(({ peerIndex: _p, ...p }) => p)
          .sort(
            (x, y) => x.publicKey.localeCompare(y.publicKey) || x.allowedIps.join().localeCompare(y.allowedIps.join()),
          ),
      })),
    routes: s.routes.filter((r) => !isNeighbourRoute(r)),
    tables: s.tables,
  };
}

async function session(
  path: string,
): Promise<{ results: [string, string][]; shown: unknown; peerV2: boolean; uplinkType?: string }> {
  const client = await VppClient.connect({ socketPath: path, messages: reconcileMessages(), reconnect: false });
  try {
    const peerV2 = hasPeerV2(client);
    // af_packet's host-eth0, or a DPDK port VPP was told to call so (run-vpp.sh DPDK_NAME).
    const uplinkType = showState(await observe(client)).interfaces.find((i) => i.name === 'host-eth0')?.type;
    expect((await reconcile(client, UPLINK)).error?.message).toBeUndefined();
    const c: Ctx = {};
    const results = await runSteps(client, STEPS, c);
    const shown = comparable(showState(await observe(client)));
    results.push(...(await runSteps(client, CLEANUP, c)));
    return { results, shown, peerV2, ...(uplinkType ? { uplinkType } : {}) };
  } finally {
    await client.close();
  }
}

/** Registers the differential test against the VPP at `socketPath`. */
export function differentialTest(socketPath: string): void {
  test(`the emulator answers as the VPP at ${socketPath} does, edge cases included`, async () => {
    const real = await session(socketPath);
    // The emulator plays the same release: 24.10 lacks the v2 peer messages.
    const sim = await startSim({
      config: {
        uplinks: [
          { name: 'host-eth0', addresses: [], up: true, ...(real.uplinkType ? { devType: real.uplinkType } : {}) },
        ],
        profile: real.peerV2 ? '26.10' : '24.10',
      },
    });
    let emulated;
    try {
      emulated = await session(sim.socketPath);
    } finally {
      await sim.stop();
    }
    expect(emulated.peerV2).toBe(real.peerV2);
    expect(emulated.results).toEqual(real.results);
    expect(emulated.shown).toEqual(real.shown);
  });
}
