/**
 * VPP 26.10's rules as the emulator keeps them, beyond what the recordings exercise
 * (../shared/docs/vpp-binapi.md §4-5, wireguard-on-vpp.md §3), through the real client.
 */
import { type MessageDef } from 'vpp-api-ts';
import { Writer } from 'vpp-api-ts/runtime';
import * as itf from 'vpp-api-ts/interface';
import * as ip from 'vpp-api-ts/ip';
import * as memclnt from 'vpp-api-ts/memclnt';
import * as teib from 'vpp-api-ts/teib';
import * as vpe from 'vpp-api-ts/vpe';
import * as wireguard from 'vpp-api-ts/wireguard';
import { rawSession } from './raw';
import { VppApiError, VppClient } from '../../src/client';
import { x25519Public } from '../../src/sim/model';
import { startSim, type Sim, type SimConfig } from '../../src/sim/index';

const ALL = 0xffffffff;
const key = (n: number) => new Uint8Array(32).fill(n);

let sim: Sim;
let c: VppClient;

async function boot(config: SimConfig = {}): Promise<void> {
  sim = await startSim({ config });
  c = await VppClient.connect({ socketPath: sim.socketPath, reconnect: false, timeoutMs: 3000 });
}

afterEach(async () => {
  await c?.close();
  await sim?.stop();
});

// Loosely typed calls: the tests state field values as VPP's JSON names them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const call = (def: MessageDef, v: Record<string, unknown>): Promise<Any> => c.call(def as never, v as never);
const dump = (def: MessageDef, v: Record<string, unknown>): Promise<Any[]> =>
  c.dump(def as never, v as never) as Promise<Any[]>;
/** 0 or VPP's error number. */
const rv = (p: Promise<unknown>): Promise<number> =>
  p.then(
    () => 0,
    (e: unknown) => {
      if (e instanceof VppApiError) return e.retval;
      throw e;
    },
  );

const wgCreate = (v: { instance?: number; key?: Uint8Array; gen?: boolean; port?: number } = {}) =>
  call(wireguard.wireguard_interface_create, {
    interface: {
      user_instance: v.instance ?? ALL,
      private_key: v.key ?? key(1),
      port: v.port ?? 51820,
      src_ip: '192.0.2.1',
    },
    generate_key: v.gen ?? false,
  });
const peerAdd = (sw: number, pub: Uint8Array, extra: Record<string, unknown> = {}) =>
  call(wireguard.wireguard_peer_add, {
    peer: {
      public_key: pub,
      port: 51820,
      endpoint: '192.0.2.2',
      sw_if_index: sw,
      allowed_ips: ['10.0.0.2/32'],
      ...extra,
    },
  });
const setFlags = (sw: number, up: boolean) => call(itf.sw_interface_set_flags, { sw_if_index: sw, flags: up ? 1 : 0 });
const addr = (sw: number, prefix: string, isAdd = true) =>
  call(itf.sw_interface_add_del_address, { sw_if_index: sw, is_add: isAdd, del_all: false, prefix });
const loop = async () =>
  ((await call(itf.create_loopback_instance, { is_specified: false })) as { sw_if_index: number }).sw_if_index;
const routes = async (table = 0) =>
  (await dump(ip.ip_route_dump, { table: { table_id: table, is_ip6: false } })).map((d: Any) => ({
    prefix: d.route.prefix,
    paths: d.route.paths.map(
      (p: Any) => `${p.type}:${p.sw_if_index === ALL ? '-' : p.sw_if_index}:${p.nh.address.ip4}`,
    ),
  }));
const route = (isAdd: boolean, prefix: string, sw: number, nh: string, extra: Record<string, unknown> = {}) =>
  call(ip.ip_route_add_del, {
    is_add: isAdd,
    is_multipath: false,
    route: { table_id: 0, prefix, paths: [{ sw_if_index: sw, weight: 1, proto: 0, nh: { address: { ip4: nh } } }] },
    ...extra,
  });

describe('interfaces', () => {
  test('uplinks from the config follow local0 with their addresses, state and connected routes', async () => {
    await boot({
      uplinks: [
        { name: 'host-eth0', addresses: ['192.0.2.1/24'], mtu: 1500 },
        { name: 'host-eth1', up: false },
      ],
    });
    const ifs = await dump(itf.sw_interface_dump, { sw_if_index: ALL });
    expect(ifs.map((i: Any) => [i.sw_if_index, i.interface_name, i.flags, i.link_mtu])).toEqual([
      [0, 'local0', 0, 0],
      [1, 'host-eth0', 3, 1500],
      [2, 'host-eth1', 0, 1500],
    ]);
    const a = await dump(ip.ip_address_dump, { sw_if_index: 1, is_ipv6: false });
    expect(a.map((x: Any) => x.prefix)).toEqual(['192.0.2.1/24']);
    const r = await routes();
    expect(r).toContainEqual({ prefix: '192.0.2.1/32', paths: ['1:1:192.0.2.1'] });
    expect(r).toContainEqual({ prefix: '192.0.2.1/24', paths: ['0:1:0.0.0.0'] });
    // name filter: case-insensitive substring, sw_if_index ignored
    const f = await dump(itf.sw_interface_dump, { sw_if_index: 0, name_filter_valid: true, name_filter: 'ETH1' });
    expect(f.map((i: Any) => i.interface_name)).toEqual(['host-eth1']);
  });

  test('address rules: -105 duplicate or conflicting IPv4, same-subnet siblings allowed, -127 IPv6, -60 absent delete, del_all', async () => {
    await boot();
    const a = await loop();
    const b = await loop();
    expect(await rv(addr(a, '10.1.0.1/24'))).toBe(0);
    expect(await rv(addr(a, '10.1.0.1/24'))).toBe(-105);
    expect(await rv(addr(a, '10.1.0.2/24'))).toBe(0);
    expect(await rv(addr(a, '10.1.0.3/25'))).toBe(-105);
    expect(await rv(addr(b, '10.1.0.9/24'))).toBe(-105);
    expect(await rv(addr(b, '10.2.0.1/24'))).toBe(0);
    expect(await rv(addr(a, '2001:db8::1/64'))).toBe(0);
    expect(await rv(addr(a, '2001:db8::1/64'))).toBe(-127);
    expect(await rv(addr(b, '2001:db8::2/64'))).toBe(-127);
    expect(await rv(addr(a, '10.9.9.9/24', false))).toBe(-60);
    expect(await rv(addr(a, '10.1.0.2/24', false))).toBe(0);
    expect(await rv(addr(9999, '10.3.0.1/24'))).toBe(-2);
    expect(
      await rv(
        call(itf.sw_interface_add_del_address, { sw_if_index: a, is_add: false, del_all: true, prefix: '0.0.0.0/0' }),
      ),
    ).toBe(0);
    expect(await dump(ip.ip_address_dump, { sw_if_index: a, is_ipv6: false })).toEqual([]);
    expect(await dump(ip.ip_address_dump, { sw_if_index: a, is_ipv6: true })).toEqual([]);
  });

  test('connected and local routes exist only while the interface is admin-up', async () => {
    await boot();
    const a = await loop();
    await addr(a, '10.5.0.1/24');
    expect((await routes()).map((r) => r.prefix)).not.toContain('10.5.0.1/32');
    await setFlags(a, true);
    expect((await routes()).map((r) => r.prefix)).toEqual(
      expect.arrayContaining(['10.5.0.1/32', '10.5.0.1/24', '10.5.0.0/32', '10.5.0.255/32']),
    );
    await setFlags(a, false);
    expect((await routes()).map((r) => r.prefix).filter((p) => p.startsWith('10.5.'))).toEqual([]);
  });

  test('ip_route_v2_dump: each entry with its best source; a source filter keeps the entries whose best source it is', async () => {
    await boot();
    const a = await loop();
    await setFlags(a, true);
    await addr(a, '169.254.1.0/31');
    await route(true, '10.9.0.0/16', a, '169.254.1.1');
    // An API route under the interface's own host route for the other address of the /31.
    await route(true, '169.254.1.1/32', a, '169.254.1.1');
    const v2 = async (src: number) =>
      (await dump(ip.ip_route_v2_dump, { src, table: { table_id: 0, is_ip6: false } })).map((d: Any) => [
        d.route.prefix,
        d.route.src,
      ]);
    const all = new Map((await v2(0)) as [string, number][]);
    expect(all.get('10.9.0.0/16')).toBe(8); // FIB_SOURCE_API
    expect(all.get('169.254.1.1/32')).toBe(4); // FIB_SOURCE_INTERFACE outranks API
    expect(all.get('169.254.1.0/32')).toBe(4);
    expect(all.get('0.0.0.0/0')).toBe(20); // FIB_SOURCE_DEFAULT_ROUTE
    expect(all.size).toBe((await routes()).length);
    // As VPP's fib_table_walk_w_src compares each entry's best source: the API route under the
    // interface's own host route is not an API entry for the filter.
    expect(await v2(8)).toEqual([['10.9.0.0/16', 8]]);
    expect(new Map((await v2(4)) as [string, number][]).get('169.254.1.1/32')).toBe(4);
    expect(await v2(99)).toEqual([]);
  });

  test('a /31 gets an attached /32 via the other address; an address that is its network address has no drop for it', async () => {
    await boot();
    const a = await loop();
    await setFlags(a, true);
    await addr(a, '169.254.10.0/31');
    const mine = (await routes()).filter((r) => r.prefix.startsWith('169.254.10.'));
    expect(mine).toEqual(
      expect.arrayContaining([
        { prefix: '169.254.10.1/32', paths: [`0:${a}:169.254.10.1`] },
        { prefix: '169.254.10.0/31', paths: [`0:${a}:0.0.0.0`] },
      ]),
    );
    // No network or broadcast drops on a /31.
    expect(mine.map((r) => r.prefix).sort()).toEqual(['169.254.10.0/31', '169.254.10.0/32', '169.254.10.1/32']);
    await addr(a, '169.254.10.0/31', false);
    expect((await routes()).filter((r) => r.prefix.startsWith('169.254.10.'))).toEqual([]);
    // 10.7.0.0/24 as an address: its own /32 is the local route, not a network drop; the broadcast drop stays.
    await addr(a, '10.7.0.0/24');
    const seven = (await routes()).filter((r) => r.prefix.startsWith('10.7.'));
    expect(seven.find((r) => r.prefix === '10.7.0.0/32')?.paths).toEqual([`1:${a}:10.7.0.0`]); // 1: local
    expect(seven.map((r) => r.prefix)).toContain('10.7.0.255/32');
  });

  test('table binding: -3 missing table, -114 with any address of that family even for the same vrf; get_table', async () => {
    await boot();
    const a = await loop();
    expect(await rv(call(itf.sw_interface_set_table, { sw_if_index: a, is_ipv6: false, vrf_id: 5 }))).toBe(-3);
    expect(await rv(call(ip.ip_table_add_del, { is_add: true, table: { table_id: 5, is_ip6: false, name: '' } }))).toBe(
      0,
    );
    expect(await rv(call(ip.ip_table_add_del, { is_add: true, table: { table_id: 5, is_ip6: false, name: '' } }))).toBe(
      0,
    );
    expect(await rv(call(itf.sw_interface_set_table, { sw_if_index: a, is_ipv6: false, vrf_id: 5 }))).toBe(0);
    expect((await call(itf.sw_interface_get_table, { sw_if_index: a, is_ipv6: false })).vrf_id).toBe(5);
    await addr(a, '10.6.0.1/24');
    expect(await rv(call(itf.sw_interface_set_table, { sw_if_index: a, is_ipv6: false, vrf_id: 5 }))).toBe(-114);
    // IPv6 has no address: its binding is free (table 0 always exists)
    expect(await rv(call(itf.sw_interface_set_table, { sw_if_index: a, is_ipv6: true, vrf_id: 0 }))).toBe(0);
    expect(await rv(call(itf.sw_interface_get_table, { sw_if_index: 9999, is_ipv6: false }))).toBe(-2);
    const tables = await dump(ip.ip_table_dump, {});
    expect(tables.map((t: Any) => [t.table.table_id, t.table.is_ip6, t.table.name])).toEqual([
      [0, false, 'ipv4-VRF:0'],
      [5, false, 'ipv4-VRF:5'],
      [0, true, 'ipv6-VRF:0'],
    ]);
  });

  test('a table deleted while an interface is bound to it stays (routes and name too) until the interface leaves', async () => {
    await boot();
    const a = await loop();
    const b = await loop();
    const tableAdd = (isAdd: boolean, name = '') =>
      call(ip.ip_table_add_del, { is_add: isAdd, table: { table_id: 7, is_ip6: false, name } });
    const ids = async () =>
      (await dump(ip.ip_table_dump, {}))
        .filter((t: Any) => !t.table.is_ip6)
        .map((t: Any) => [t.table.table_id, t.table.name]);
    await tableAdd(true, 'blue');
    await call(itf.sw_interface_set_table, { sw_if_index: a, is_ipv6: false, vrf_id: 7 });
    await call(ip.ip_route_add_del, {
      is_add: true,
      route: {
        table_id: 7,
        prefix: '10.77.0.0/16',
        paths: [{ sw_if_index: b, weight: 1, nh: { address: { ip4: '10.0.0.9' } } }],
      },
    });
    await tableAdd(false);
    expect(await ids()).toEqual([
      [0, 'ipv4-VRF:0'],
      [7, 'blue'],
    ]);
    expect((await call(itf.sw_interface_get_table, { sw_if_index: a, is_ipv6: false })).vrf_id).toBe(7);
    expect((await routes(7)).map((r) => r.prefix)).toContain('10.77.0.0/16');
    // The interface leaves: nothing holds the table any more.
    await call(itf.sw_interface_set_table, { sw_if_index: a, is_ipv6: false, vrf_id: 0 });
    expect(await ids()).toEqual([[0, 'ipv4-VRF:0']]);
    // Deleted while bound, then added again: the API holds it anew and the interface can leave.
    await tableAdd(true, 'green');
    await call(itf.sw_interface_set_table, { sw_if_index: a, is_ipv6: false, vrf_id: 7 });
    await tableAdd(false);
    await tableAdd(true, 'ignored');
    await call(itf.sw_interface_set_table, { sw_if_index: a, is_ipv6: false, vrf_id: 0 });
    expect(await ids()).toEqual([
      [0, 'ipv4-VRF:0'],
      [7, 'green'],
    ]);
  });

  test('MTU, tags (-7 empty) and loopback instances (-31 taken)', async () => {
    await boot();
    const a = await loop();
    await call(itf.sw_interface_set_mtu, { sw_if_index: a, mtu: [1400, 0, 0, 0] });
    expect(await rv(call(itf.sw_interface_tag_add_del, { is_add: true, sw_if_index: a, tag: '' }))).toBe(-7);
    await call(itf.sw_interface_tag_add_del, { is_add: true, sw_if_index: a, tag: 'vppwg:x' });
    const [d] = await dump(itf.sw_interface_dump, { sw_if_index: a });
    expect([d.mtu, d.tag, d.interface_name, d.l2_address]).toEqual([
      [1400, 0, 0, 0],
      'vppwg:x',
      'loop0',
      'de:ad:00:00:00:00',
    ]);
    expect(await rv(call(itf.create_loopback_instance, { is_specified: true, user_instance: 0 }))).toBe(-31);
    expect(await rv(call(itf.delete_loopback, { sw_if_index: 0 }))).toBe(-2);
  });

  test('want_interface_events: -31 on double enable/disable; events carry our handle and pid; reaped on disconnect', async () => {
    await boot();
    const events: Any[] = [];
    c.subscribe(itf.sw_interface_event as MessageDef<Any, never>, (e) => events.push(e));
    expect(await rv(call(itf.want_interface_events, { enable_disable: 1, pid: 4321 }))).toBe(0);
    expect(await rv(call(itf.want_interface_events, { enable_disable: 1, pid: 4321 }))).toBe(-31);
    const a = await loop();
    await setFlags(a, true);
    await call(itf.delete_loopback, { sw_if_index: a });
    await call(memclnt.control_ping, {});
    expect(events.map((e) => [e.client_index, e.pid, e.sw_if_index, e.flags, e.deleted])).toEqual([
      [c.clientIndex, 4321, a, 0, false],
      [c.clientIndex, 4321, a, 3, false],
      [c.clientIndex, 4321, a, 0, true],
    ]);

    // Requests handled in one run of VPP's API process give one event per interface afterwards, in
    // sw_if_index order, bits OR-ed over the changes: up then down still says ADMIN_UP|LINK_UP.
    const [b, d] = [await loop(), await loop()];
    await call(memclnt.control_ping, {});
    events.length = 0;
    // Requests still unanswered when each event arrives: none (the replies came first).
    const unanswered: number[] = [];
    c.subscribe(itf.sw_interface_event as MessageDef<Any, never>, () => unanswered.push(c.pendingCount));
    await c.callMany(
      itf.sw_interface_set_flags as never,
      [
        { sw_if_index: d, flags: 1 },
        { sw_if_index: b, flags: 1 },
        { sw_if_index: b, flags: 0 },
      ] as never[],
    );
    await call(memclnt.control_ping, {});
    expect(events.map((e) => [e.sw_if_index, e.flags, e.deleted])).toEqual([
      [b, 3, false],
      [d, 3, false],
    ]);
    expect(unanswered).toEqual([0, 0]);
    expect(await rv(call(itf.want_interface_events, { enable_disable: 0, pid: 0 }))).toBe(0);
    expect(await rv(call(itf.want_interface_events, { enable_disable: 0, pid: 0 }))).toBe(-31);
    await call(itf.want_interface_events, { enable_disable: 1, pid: 1 });
    await c.close();
    // A new connection gets the same handle; the registration died with the old one.
    c = await VppClient.connect({ socketPath: sim.socketPath, reconnect: false });
    expect(await rv(call(itf.want_interface_events, { enable_disable: 1, pid: 1 }))).toBe(0);
  });
});

describe('interface events say which up events happened, not the state (send_sw_interface_event)', () => {
  test('a carrier lost is 0 and back is LINK_UP (2), while a dump shows the admin-up interface', async () => {
    await boot({ uplinks: [{ name: 'host-eth0', up: true }] });
    const up = (
      await dump(itf.sw_interface_dump, { sw_if_index: ALL, name_filter_valid: false, name_filter: '' })
    ).find((d: Any) => d.interface_name === 'host-eth0');
    const events: Any[] = [];
    c.subscribe(itf.sw_interface_event as MessageDef<Any, never>, (e) => events.push(e));
    await call(itf.want_interface_events, { enable_disable: 1, pid: 1 });
    const flagsNow = async () =>
      (await dump(itf.sw_interface_dump, { sw_if_index: up.sw_if_index, name_filter_valid: false, name_filter: '' }))[0]
        .flags as number;
    sim.control.setCarrier('host-eth0', false);
    await call(memclnt.control_ping, {});
    expect(await flagsNow()).toBe(1);
    sim.control.setCarrier('host-eth0', true);
    await call(memclnt.control_ping, {});
    expect(await flagsNow()).toBe(3);
    await setFlags(up.sw_if_index, false);
    await call(memclnt.control_ping, {});
    expect(events.map((e) => [e.sw_if_index, e.flags, e.deleted])).toEqual([
      [up.sw_if_index, 0, false],
      [up.sw_if_index, 2, false],
      [up.sw_if_index, 0, false],
    ]);
  });
});

/** Polls the peers' flags until `ok` holds (the emulated handshake runs on a timer). */
async function untilFlags(ok: (flags: number[]) => boolean): Promise<void> {
  const end = Date.now() + 5000;
  for (;;) {
    const flags = (await dump(wireguard.wireguard_peers_dump, { peer_index: ALL })).map(
      (p: Any) => p.peer.flags as number,
    );
    if (ok(flags)) return;
    if (Date.now() > end) throw new Error(`peer flags stayed ${JSON.stringify(flags)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WireGuard', () => {
  test('instances: ~0 takes the lowest free, -31 when taken or >= 16384; generate_key gives a real X25519 pair', async () => {
    await boot();
    const w0 = (await wgCreate()).sw_if_index;
    const w1 = (await wgCreate({ key: key(2) })).sw_if_index;
    expect(await rv(wgCreate({ instance: 1, key: key(3) }))).toBe(-31);
    expect(await rv(wgCreate({ instance: 16384, key: key(3) }))).toBe(-31);
    await call(wireguard.wireguard_interface_delete, { sw_if_index: w0 });
    const again = (await wgCreate({ gen: true, key: new Uint8Array(32) })).sw_if_index;
    const [d] = await dump(wireguard.wireguard_interface_dump, { sw_if_index: again, show_private_key: true });
    expect(d.interface.user_instance).toBe(0);
    expect(Buffer.from(d.interface.public_key)).toEqual(Buffer.from(x25519Public(d.interface.private_key)));
    expect(d.interface.private_key[0] & 7).toBe(0);
    expect(d.interface.private_key[31] & 0xc0).toBe(0x40);
    const [hidden] = await dump(wireguard.wireguard_interface_dump, { sw_if_index: w1, show_private_key: false });
    expect(Buffer.from(hidden.interface.private_key)).toEqual(Buffer.alloc(32));
    const [ifd] = await dump(itf.sw_interface_dump, { sw_if_index: w1 });
    expect([ifd.interface_name, ifd.interface_dev_type, ifd.flags]).toEqual(['wg1', 'Wireguard Tunnel', 0]);
    expect(await rv(call(wireguard.wireguard_interface_delete, { sw_if_index: 0 }))).toBe(-7);
  });

  test('a private key is kept and dumped as given (unclamped); dumps go in wg pool order, not sw_if_index order', async () => {
    await boot();
    const raw = key(0xff); // every clamping bit wrong
    const a = (await wgCreate({ key: raw })).sw_if_index;
    const [d] = await dump(wireguard.wireguard_interface_dump, { sw_if_index: a, show_private_key: true });
    expect(Buffer.from(d.interface.private_key)).toEqual(Buffer.from(raw));
    const clamped = Uint8Array.from(raw);
    clamped[0]! &= 248;
    clamped[31]! = (clamped[31]! & 127) | 64;
    expect(Buffer.from(d.interface.public_key)).toEqual(Buffer.from(x25519Public(clamped)));
    // wgA (pool 0), wgB (pool 1); wgA deleted; a loopback takes wgA's sw_if_index; wgC reuses pool slot 0.
    const b = (await wgCreate({ key: key(2) })).sw_if_index;
    await call(wireguard.wireguard_interface_delete, { sw_if_index: a });
    expect(await loop()).toBe(a);
    const cc = (await wgCreate({ key: key(3) })).sw_if_index;
    expect(cc).toBeGreaterThan(b);
    const all = await dump(wireguard.wireguard_interface_dump, { sw_if_index: ALL, show_private_key: false });
    expect(all.map((x: Any) => x.interface.sw_if_index)).toEqual([cc, b]);
  });

  test('peers: the most recently freed index first (a vppinfra pool), keys unique across interfaces, v2 PSK, "::" endpoint dumped as 0.0.0.0', async () => {
    await boot();
    const w0 = (await wgCreate()).sw_if_index;
    const w1 = (await wgCreate({ key: key(2) })).sw_if_index;
    expect((await peerAdd(w0, key(10))).peer_index).toBe(0);
    expect((await peerAdd(w0, key(11))).peer_index).toBe(1);
    expect((await peerAdd(w1, key(12))).peer_index).toBe(2);
    expect(await rv(peerAdd(w1, key(10)))).toBe(-116);
    expect(await rv(peerAdd(0, key(13)))).toBe(-2);
    expect(await rv(peerAdd(w0, key(13), { allowed_ips: [] }))).toBe(-7);
    await call(wireguard.wireguard_peer_remove, { peer_index: 0 });
    await call(wireguard.wireguard_peer_remove, { peer_index: 1 });
    expect(await rv(call(wireguard.wireguard_peer_remove, { peer_index: 1 }))).toBe(-6);
    // Freed 0 then 1: the stack gives 1 first, then 0.
    expect((await peerAdd(w0, key(14), { endpoint: '::', port: 0 })).peer_index).toBe(1);
    const v2 = await call(wireguard.wireguard_peer_add_v2, {
      peer: {
        public_key: key(15),
        preshared_key: key(99),
        preshared_key_set: true,
        port: 1,
        endpoint: '192.0.2.3',
        sw_if_index: w1,
        allowed_ips: ['10.0.0.9/32'],
      },
    });
    expect(v2.peer_index).toBe(0);
    const peers = await dump(wireguard.wireguard_peers_v2_dump, { peer_index: ALL });
    expect(peers.map((p: Any) => [p.peer.peer_index, p.peer.endpoint, p.peer.port, p.peer.preshared_key_set])).toEqual([
      [0, '192.0.2.3', 1, true],
      [1, '0.0.0.0', 0, false],
      [2, '192.0.2.2', 51820, false],
    ]);
    expect(Buffer.from(peers[0].peer.preshared_key)).toEqual(Buffer.from(key(99)));
    const one = await dump(wireguard.wireguard_peers_dump, { peer_index: 2 });
    expect(one.map((p: Any) => p.peer.sw_if_index)).toEqual([w1]);
  });

  test('want_wireguard_peer_events for a named peer also filters by sw_if_index', async () => {
    await boot();
    const events: number[] = [];
    c.subscribe(wireguard.wireguard_peer_event as MessageDef<Any, never>, (e) => events.push(e.peer_index));
    const w0 = (await wgCreate()).sw_if_index;
    const w1 = (await wgCreate({ key: key(2) })).sw_if_index;
    const p = (await peerAdd(w0, key(30))).peer_index;
    const q = (await peerAdd(w0, key(31))).peer_index;
    // Answered 0 either way; only the registration whose interface matches takes.
    expect(
      await rv(
        call(wireguard.want_wireguard_peer_events, { sw_if_index: w1, peer_index: p, enable_disable: 1, pid: 1 }),
      ),
    ).toBe(0);
    expect(
      await rv(
        call(wireguard.want_wireguard_peer_events, { sw_if_index: w0, peer_index: q, enable_disable: 1, pid: 1 }),
      ),
    ).toBe(0);
    await call(wireguard.wireguard_peer_remove, { peer_index: p });
    await call(wireguard.wireguard_peer_remove, { peer_index: q });
    await call(memclnt.control_ping, {});
    expect(events).toEqual([q]);
  });

  test('peer events: only peers existing at subscription; admin-down clears ESTABLISHED; interface delete kills its peers', async () => {
    await boot({ reachablePeers: { delayMs: 0 } });
    const events: [number, number][] = [];
    c.subscribe(wireguard.wireguard_peer_event as MessageDef<Any, never>, (e) => events.push([e.peer_index, e.flags]));
    const w = (await wgCreate()).sw_if_index;
    await peerAdd(w, key(20));
    await call(wireguard.want_wireguard_peer_events, { sw_if_index: ALL, peer_index: ALL, enable_disable: 1, pid: 1 });
    await peerAdd(w, key(21)); // added later: not subscribed
    await setFlags(w, true); // both peers have endpoints: the emulated handshakes complete
    await untilFlags((f) => f.every((x) => x === 2));
    const peers = await dump(wireguard.wireguard_peers_dump, { peer_index: ALL });
    expect(peers.map((p: Any) => p.peer.flags)).toEqual([2, 2]);
    await setFlags(w, false);
    await call(wireguard.wireguard_interface_delete, { sw_if_index: w });
    expect(events).toEqual([
      [0, 2],
      [0, 0],
      [0, 1],
    ]);
    expect(await dump(wireguard.wireguard_peers_dump, { peer_index: ALL })).toEqual([]);
  });

  test('peer event registrations have no reaper: the next client holding the same handle gets them', async () => {
    await boot();
    const w = (await wgCreate()).sw_if_index;
    await peerAdd(w, key(40));
    await call(wireguard.want_wireguard_peer_events, { sw_if_index: ALL, peer_index: ALL, enable_disable: 1, pid: 1 });
    const handle = c.clientIndex;
    await c.close();
    c = await VppClient.connect({ socketPath: sim.socketPath, reconnect: false });
    expect(c.clientIndex).toBe(handle);
    const events: number[] = [];
    c.subscribe(wireguard.wireguard_peer_event as MessageDef<Any, never>, (e) => events.push(e.flags));
    await call(wireguard.wireguard_peer_remove, { peer_index: 0 });
    expect(events).toEqual([1]);
  });

  test('reachablePeers leaves peers without an endpoint, or on a down interface, as they are', async () => {
    await boot({ reachablePeers: { delayMs: 0 } });
    const w = (await wgCreate()).sw_if_index;
    await peerAdd(w, key(30));
    await setFlags(w, true);
    await peerAdd(w, key(31), { endpoint: '0.0.0.0', port: 0 });
    await untilFlags((f) => f[0] === 2);
    await call(memclnt.control_ping, {}); // any timer of the second peer would have fired by now too
    const peers = await dump(wireguard.wireguard_peers_dump, { peer_index: ALL });
    expect(peers.map((p: Any) => p.peer.flags)).toEqual([2, 0]);
  });
});

describe('routes, tables and TEIB', () => {
  test('ip_route_add_del: replace without multipath, delete of a missing route is 0, -3/-52/-54/-171', async () => {
    await boot();
    const a = await loop();
    const b = await loop();
    await route(true, '172.16.0.0/16', a, '10.0.0.2');
    await route(true, '172.16.0.0/16', b, '10.0.0.3');
    expect((await routes()).filter((r) => r.prefix === '172.16.0.0/16')).toEqual([
      { prefix: '172.16.0.0/16', paths: [`0:${b}:10.0.0.3`] },
    ]);
    await call(ip.ip_route_add_del, {
      is_add: true,
      is_multipath: true,
      route: {
        table_id: 0,
        prefix: '172.16.0.0/16',
        paths: [{ sw_if_index: a, weight: 1, nh: { address: { ip4: '10.0.0.2' } } }],
      },
    });
    expect((await routes()).find((r) => r.prefix === '172.16.0.0/16')!.paths).toEqual([
      `0:${b}:10.0.0.3`,
      `0:${a}:10.0.0.2`,
    ]);
    expect(await rv(route(false, '172.16.0.0/16', a, '10.0.0.2'))).toBe(0);
    expect((await routes()).map((r) => r.prefix)).not.toContain('172.16.0.0/16');
    expect(await rv(route(false, '172.31.0.0/16', a, '10.0.0.2'))).toBe(0);
    expect(
      await rv(
        call(ip.ip_route_add_del, {
          is_add: true,
          route: { table_id: 7, prefix: '1.0.0.0/8', paths: [{ sw_if_index: a }] },
        }),
      ),
    ).toBe(-3);
    expect(
      await rv(call(ip.ip_route_add_del, { is_add: true, route: { table_id: 0, prefix: '1.0.0.0/8', paths: [] } })),
    ).toBe(-52);
    expect(
      await rv(
        call(ip.ip_route_add_del, {
          is_add: false,
          is_multipath: true,
          route: { table_id: 0, prefix: '1.0.0.0/8', paths: [] },
        }),
      ),
    ).toBe(-52);
    expect(await rv(route(true, '1.0.0.0/8', 4242, '10.0.0.2'))).toBe(-54);
    // A route through a deleted interface stays (VPP keeps it as a drop) with the old index; a
    // delete naming that path is refused like an add, a delete of the whole entry works.
    await route(true, '172.20.0.0/16', b, '10.0.0.3');
    await call(itf.delete_loopback, { sw_if_index: b });
    expect((await routes()).find((r) => r.prefix === '172.20.0.0/16')?.paths).toEqual([`0:${b}:10.0.0.3`]);
    expect(await rv(route(false, '172.20.0.0/16', b, '10.0.0.3'))).toBe(-54);
    expect(
      await rv(
        call(ip.ip_route_add_del, { is_add: false, route: { table_id: 0, prefix: '172.20.0.0/16', paths: [] } }),
      ),
    ).toBe(0);
    expect((await routes()).map((r) => r.prefix)).not.toContain('172.20.0.0/16');
    // Our codec refuses /33, so this one goes out as raw bytes with the length patched.
    const raw = await rawSession(sim.socketPath);
    const w = new Writer();
    ip.ip_route_add_del.encode(w, raw.ids.get(ip.ip_route_add_del.nameCrc)!, {
      client_index: raw.handle,
      context: 5,
      is_add: true,
      route: {
        table_id: 0,
        prefix: '1.0.0.0/8',
        paths: [{ sw_if_index: a, weight: 1, nh: { address: { ip4: '10.0.0.2' } } }],
      },
    } as never);
    const body = w.toBuffer();
    body[37] = 33;
    raw.conn.send(body);
    const r171 = await raw.conn.next();
    expect([r171?.readUInt32BE(2), r171?.readInt32BE(6)]).toEqual([5, -171]);
    raw.conn.close();
    const reply = await route(true, '1.0.0.0/8', a, '10.0.0.2');
    expect(reply.stats_index).not.toBe(ALL);
  });

  test('entries are found by the masked prefix but show the prefix they were created with', async () => {
    await boot();
    const a = await loop();
    await addr(a, '10.5.0.1/24');
    await setFlags(a, true);
    await route(true, '10.5.0.0/24', a, '10.5.0.9');
    // One entry; the interface source outranks the API one and keeps its prefix text.
    expect((await routes()).filter((r) => r.prefix.endsWith('/24'))).toEqual([
      { prefix: '10.5.0.1/24', paths: [`0:${a}:0.0.0.0`] },
    ]);
    // A sibling address of the same subnet shares the connected route: it outlives either one alone.
    await addr(a, '10.5.0.2/24');
    await addr(a, '10.5.0.1/24', false);
    expect((await routes()).filter((r) => r.prefix.startsWith('10.5.0.')).map((r) => r.prefix)).toEqual(
      expect.arrayContaining(['10.5.0.1/24', '10.5.0.2/32', '10.5.0.0/32', '10.5.0.255/32']),
    );
    expect((await routes()).map((r) => r.prefix)).not.toContain('10.5.0.1/32');
    await addr(a, '10.5.0.2/24', false);
    // The API route of that subnet is all that is left of the entry.
    expect((await routes()).filter((r) => r.prefix.startsWith('10.5.0.'))).toEqual([
      { prefix: '10.5.0.1/24', paths: [`0:${a}:10.5.0.9`] },
    ]);
    await route(true, '10.7.0.1/24', a, '10.5.0.9');
    await route(false, '10.7.0.0/24', a, '10.5.0.9');
    expect((await routes()).map((r) => r.prefix)).not.toContain('10.7.0.1/24');
  });

  test('IPv6: interface routes, an API route through the fast decoder, and the dump', async () => {
    await boot();
    const a = await loop();
    await addr(a, '2001:db8:1::1/64');
    await setFlags(a, true);
    await call(ip.ip_route_add_del, {
      is_add: true,
      route: {
        table_id: 0,
        prefix: '2001:db8:99::/48',
        paths: [{ sw_if_index: a, weight: 1, proto: 1, nh: { address: { ip6: '2001:db8:1::2' } } }],
      },
    });
    const d = await dump(ip.ip_route_dump, { table: { table_id: 0, is_ip6: true } });
    expect(
      d.map((x: Any) => [
        x.route.prefix,
        x.route.paths.map(
          (p: Any) => `${p.type}:${p.sw_if_index === ALL ? '-' : p.sw_if_index}:${p.proto}:${p.nh.address.ip6}`,
        ),
      ]),
    ).toEqual([
      ['::/0', ['2:-:1:::']],
      ['fe80::/10', ['0:-:1:::']],
      ['2001:db8:99::/48', [`0:${a}:1:2001:db8:1::2`]],
      ['2001:db8:1::1/64', [`0:${a}:1:::`]],
      ['2001:db8:1::1/128', [`1:${a}:1:2001:db8:1::1`]],
    ]);
    expect(
      await rv(
        call(ip.ip_route_add_del, {
          is_add: true,
          route: { table_id: 0, prefix: '2001:db8:98::/48', paths: [{ sw_if_index: ALL, proto: 1, table_id: 6 }] },
        }),
      ),
    ).toBe(-3);
  });

  test('ip_table_add_del always answers 0, ignores table 0; deleting a table drops its routes', async () => {
    await boot();
    const t = (id: number, isAdd: boolean) =>
      rv(call(ip.ip_table_add_del, { is_add: isAdd, table: { table_id: id, is_ip6: false, name: 'x' } }));
    expect(await t(0, false)).toBe(0);
    expect(await t(3, false)).toBe(0);
    expect(await t(3, true)).toBe(0);
    expect((await routes(3)).map((r) => r.prefix)).toEqual([
      '0.0.0.0/0',
      '240.0.0.0/4',
      '224.0.0.0/4',
      '0.0.0.0/32',
      '255.255.255.255/32',
    ]);
    expect(await t(3, false)).toBe(0);
    expect(await routes(3)).toEqual([]);
    expect((await routes(0)).length).toBeGreaterThan(0);
  });

  test('TEIB: -116 duplicate, -6 missing delete, -3 missing nh table, -2 bad interface; its host route', async () => {
    await boot();
    const w = (await wgCreate()).sw_if_index;
    const entry = (extra: Record<string, unknown> = {}) => ({
      sw_if_index: w,
      peer: '10.100.0.2',
      nh: '192.0.2.2',
      nh_table_id: 0,
      ...extra,
    });
    expect(await rv(call(teib.teib_entry_add_del, { is_add: 1, entry: entry() }))).toBe(0);
    expect(await rv(call(teib.teib_entry_add_del, { is_add: 1, entry: entry() }))).toBe(-116);
    expect(
      await rv(call(teib.teib_entry_add_del, { is_add: 1, entry: entry({ peer: '10.100.0.3', nh_table_id: 9 }) })),
    ).toBe(-3);
    expect(await rv(call(teib.teib_entry_add_del, { is_add: 1, entry: entry({ sw_if_index: 999 }) }))).toBe(-2);
    expect((await routes()).find((r) => r.prefix === '10.100.0.2/32')).toEqual({
      prefix: '10.100.0.2/32',
      paths: [`0:${w}:10.100.0.2`],
    });
    expect((await dump(teib.teib_dump, {})).map((d: Any) => d.entry.peer)).toEqual(['10.100.0.2']);
    expect(await rv(call(teib.teib_entry_add_del, { is_add: 0, entry: entry() }))).toBe(0);
    expect(await rv(call(teib.teib_entry_add_del, { is_add: 0, entry: entry() }))).toBe(-6);
    expect((await routes()).map((r) => r.prefix)).not.toContain('10.100.0.2/32');
    // TEIB has no delete hook for a WireGuard interface: the entry and its route outlive it.
    await call(teib.teib_entry_add_del, { is_add: 1, entry: entry() });
    await call(wireguard.wireguard_interface_delete, { sw_if_index: w });
    expect((await dump(teib.teib_dump, {})).map((d: Any) => [d.entry.sw_if_index, d.entry.peer])).toEqual([
      [w, '10.100.0.2'],
    ]);
    expect((await routes()).find((r) => r.prefix === '10.100.0.2/32')?.paths).toEqual([`0:${w}:10.100.0.2`]);
  });
});

describe('message table and instrumentation', () => {
  test('profile 24.10 lacks the v2 peer messages; crcOverrides and omitMessages show in the compatibility report', async () => {
    await boot({ profile: '24.10', crcOverrides: { wireguard_peer_add: 'deadbeef' }, omitMessages: ['teib_dump'] });
    const report = c.compatibility;
    const missing = report.missing.map((m: Any) => (typeof m === 'string' ? m : m.name));
    expect(missing).toEqual(expect.arrayContaining(['wireguard_peer_add_v2', 'wireguard_peers_v2_dump', 'teib_dump']));
    expect(report.changed).toContainEqual(expect.objectContaining({ name: 'wireguard_peer_add', theirs: 'deadbeef' }));
    expect(Object.keys(sim.messageIds())).toContain('wireguard_peer_add_deadbeef');
    expect(Object.keys(sim.messageIds())).not.toContain('sw_interface_set_link_speed_2f0867fa');
    expect(((await call(vpe.show_version, {})) as { version: string }).version).toBe('24.10-release');
  });

  test('ids are blocks after memclnt; shuffleModules moves the blocks between starts', async () => {
    await boot();
    const plain = sim.messageIds();
    expect(plain['sockclnt_create_455fb9c4']).toBe(15);
    expect(plain['get_api_json_reply_ea715b59']).toBe(28);
    expect(Math.min(...Object.values(plain).filter((id) => id > 28))).toBe(29);
    const orders = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const s = await startSim({ config: { shuffleModules: true } });
      orders.add(JSON.stringify(s.messageIds()));
      await s.stop();
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  test('counters count requests by name; read-only calls leave the snapshot as it was', async () => {
    await boot();
    const a = await loop();
    await addr(a, '10.8.0.1/24');
    sim.resetCounters();
    const before = JSON.stringify(sim.snapshot());
    await dump(itf.sw_interface_dump, { sw_if_index: ALL });
    await routes();
    await dump(wireguard.wireguard_peers_dump, { peer_index: ALL });
    expect(JSON.stringify(sim.snapshot())).toBe(before);
    expect(sim.counters()).toEqual({
      sw_interface_dump: 1,
      ip_route_dump: 1,
      wireguard_peers_dump: 1,
      control_ping: 3,
    });
  });

  test('sockclnt_delete of an unknown index answers -1', async () => {
    await boot();
    const r = await c.call(memclnt.sockclnt_delete as never, { index: 0x80000077 } as never).then(
      (x: Any) => x.response,
      (e: Any) => e.retval ?? e.message,
    );
    expect(r).toBe(-1);
  });
});
