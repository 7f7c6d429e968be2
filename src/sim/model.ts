/**
 * VPP's state and rules (26.10) for everything a WireGuard agent touches, free of wire concerns:
 * every operation returns VPP's retval and the values its reply carries. Events leave through the
 * `events` sink: VPP sends WireGuard peer events synchronously (before the reply that caused them)
 * and interface events later from a process node, and the server keeps those orders.
 */
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import type * as fib_types from 'vpp-api-ts/fib_types';
import { publicKeyOf } from '../config/keys';
import { VppErrno } from '../client/errors';
import {
  type FibPath,
  FibTable,
  NO_INTERFACE,
  PATH_TYPE_LOCAL,
  PATH_TYPE_NORMAL,
  PoolIndices,
  dropPath,
  prefixKey,
  samePath,
} from './fib';
import { type Af, type Prefix, covers, isZeroAddress, mask4, parsePrefix, prefixString, sameAddress } from './net';
import { LcpState } from './lcp';
import { PeerTracking } from './tracking';

export const WG_MAX_INSTANCE = 16384;
export const MAX_PEERS = 1 << 20;
export const PEER_FLAG_DEAD = 1;
export const PEER_FLAG_ESTABLISHED = 2;
export const IF_ADMIN_UP = 1;
export const IF_LINK_UP = 2;
const ALL = 0xffffffff;

export type IfKind = 'local' | 'loopback' | 'uplink' | 'wireguard' | 'host-tap';

export interface IfAddress {
  prefix: Prefix;
  /** As given by the client (host bits kept). */
  text: string;
}

export interface Iface {
  swIfIndex: number;
  name: string;
  devType: string;
  kind: IfKind;
  instance: number;
  mac: string;
  adminUp: boolean;
  /** The NIC's carrier (cable, far end): an uplink's link is up only while admin-up with carrier. */
  carrier: boolean;
  linkMtu: number;
  mtu: number[];
  tag: string;
  table4: number;
  table6: number;
  addrs4: IfAddress[];
  addrs6: IfAddress[];
}

export interface WgIface {
  swIfIndex: number;
  /** Index in VPP's wg interface pool: its dumps go in this order. */
  poolIndex: number;
  instance: number;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  port: number;
  srcIp: string;
}

export interface Peer {
  index: number;
  swIfIndex: number;
  publicKey: Uint8Array;
  psk: Uint8Array;
  port: number;
  keepalive: number;
  tableId: number;
  endpoint: string;
  flags: number;
  allowedIps: string[];
  /** want_wireguard_peer_events registrations: raw client handle → pid. Never reaped, as in VPP. */
  listeners: Map<number, number>;
}

export interface TeibEntry {
  swIfIndex: number;
  peer: string;
  nh: string;
  nhTableId: number;
}

export interface UplinkSpec {
  name: string;
  addresses?: string[];
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** As VPP reports it; by default from the name (see SimUplink.devType). */
  devType?: string;
}

export interface ModelEvents {
  /** A wireguard_peer_event for the registration `handle` (sent at once, before any reply). */
  peer(handle: number, peerIndex: number, flags: number): void;
  /** A sw_interface_event for every want_interface_events registration (sent after the reply). */
  iface(swIfIndex: number, flags: number, deleted: boolean): void;
  /** A peer became eligible for a handshake: the emulator may mark it ESTABLISHED later. */
  peerCanHandshake(peerIndex: number): void;
}

/** A path of ip_route_add_del as the generated decoder gives it. */
export type ApiPath = fib_types.FibPath;

/** Derived keys by private key (hex): Node's key import costs about a millisecond. */
const publicKeyMemo = new Map<string, Uint8Array>();

/** The public key of a raw X25519 private key (Node's crypto clamps as curve25519 does). */
export function x25519Public(privateKey: Uint8Array): Uint8Array {
  const memoKey = Buffer.from(privateKey).toString('hex');
  const hit = publicKeyMemo.get(memoKey);
  if (hit) return Uint8Array.from(hit);
  const pub = publicKeyOf(privateKey);
  if (publicKeyMemo.size >= 1024) publicKeyMemo.clear();
  publicKeyMemo.set(memoKey, pub);
  return Uint8Array.from(pub);
}

export function clampPrivate(k: Uint8Array): Uint8Array {
  const out = Uint8Array.from(k);
  out[0]! &= 248;
  out[31]! &= 127;
  out[31]! |= 64;
  return out;
}

/** Instance numbers in use (a bitmap in VPP), handing out the lowest free one; everything below `hint` is in use. */
class Slots {
  private readonly used = new Set<number>();
  private hint = 0;
  has(n: number): boolean {
    return this.used.has(n);
  }
  take(n: number): void {
    this.used.add(n);
  }
  free(n: number): void {
    this.used.delete(n);
    if (n < this.hint) this.hint = n;
  }
  lowest(): number {
    while (this.used.has(this.hint)) this.hint++;
    return this.hint;
  }
}

function fingerprint(k: Uint8Array): string {
  return createHash('sha256').update(k).digest('hex').slice(0, 16);
}

export class VppModel {
  readonly ifaces = new Map<number, Iface>();
  readonly wg = new Map<number, WgIface>();
  readonly peers = new Map<number, Peer>();
  /** Public keys (hex) of all peers: VPP checks uniqueness across every interface. */
  private readonly peerKeys = new Set<string>();
  readonly teib: TeibEntry[] = [];
  /** linux-cp: interface pairs, the default namespace, routes from the routing daemon. */
  readonly lcp = new LcpState(this);
  /** key `${af}:${tableId}` */
  readonly tables = new Map<string, FibTable>();
  /** The same tables by id, per family: the lookup every route add makes. */
  private readonly tables4 = new Map<number, FibTable>();
  private readonly tables6 = new Map<number, FibTable>();
  private readonly pathIntern = new Map<string, FibPath[]>();
  /** Users of each shared interface route (see sharedRef). */
  private readonly ifPrefixRefs = new Map<string, number>();
  /** want_interface_events registrations: handle → pid. */
  readonly ifEventClients = new Map<number, number>();
  private readonly stats = new PoolIndices(12);
  private readonly swIfIndices = new PoolIndices(0);
  private readonly loopInstances = new Slots();
  private readonly wgInstances = new Slots();
  /** wg peer pool indices: the most recently freed first, as VPP's pools hand them out. */
  private readonly peerIndices = new PoolIndices(0);
  private readonly wgPoolIndices = new PoolIndices(0);
  /** Adjacencies on WireGuard interfaces and the peer endpoints VPP tracks for them. */
  private readonly tracking: PeerTracking;

  constructor(
    private readonly events: ModelEvents,
    uplinks: readonly UplinkSpec[] = [],
    profile: '26.10' | '24.10' = '26.10',
  ) {
    this.tracking = new PeerTracking(
      {
        isWireguard: (sw) => this.wg.has(sw),
        adminUp: (sw) => this.ifaces.get(sw)?.adminUp === true,
        table: (af, id) => this.table(af, id),
      },
      { keepOnUnstack: profile === '24.10' },
    );
    this.putTable(new FibTable(4, 0, 'ipv4-VRF:0', this.stats));
    this.putTable(new FibTable(6, 0, 'ipv6-VRF:0', this.stats));
    this.newIface({
      kind: 'local',
      name: 'local0',
      devType: 'local',
      instance: 0,
      mac: '00:00:00:00:00:00',
      linkMtu: 0,
      mtu: [0, 0, 0, 0],
    });
    uplinks.forEach((u, n) => {
      const mtu = u.mtu ?? 1500;
      const iface = this.newIface({
        kind: 'uplink',
        name: u.name,
        devType: u.devType ?? (u.name.startsWith('host-') ? 'af-packet' : 'dpdk'),
        instance: n,
        mac: u.mac ?? `02:fe:00:00:00:${(n + 1).toString(16).padStart(2, '0')}`,
        linkMtu: mtu,
        mtu: [mtu, 0, 0, 0],
      });
      iface.adminUp = u.up ?? true;
      for (const a of u.addresses ?? []) {
        const rv = this.addDelAddress(iface.swIfIndex, true, false, a);
        if (rv !== 0) throw new Error(`sim config: uplink ${u.name}: address ${a} rejected with retval ${rv}`);
      }
    });
  }

  // ---- interfaces ----

  private newIface(spec: Pick<Iface, 'kind' | 'name' | 'devType' | 'instance' | 'mac' | 'linkMtu' | 'mtu'>): Iface {
    const swIfIndex = this.swIfIndices.alloc();
    const iface: Iface = {
      ...spec,
      swIfIndex,
      adminUp: false,
      carrier: true,
      tag: '',
      table4: 0,
      table6: 0,
      addrs4: [],
      addrs6: [],
    };
    this.ifaces.set(swIfIndex, iface);
    return iface;
  }

  ifFlags(i: Iface): number {
    if (!i.adminUp) return 0;
    return i.kind === 'local' || !i.carrier ? IF_ADMIN_UP : IF_ADMIN_UP | IF_LINK_UP;
  }

  /**
   * An uplink's carrier lost or back (a cable pulled, the far end down): VPP's link-state process
   * sends a sw_interface_event whose flags say which up events happened, not the interface's state
   * (send_sw_interface_event): LINK_UP for a carrier back, nothing for one lost.
   */
  setCarrier(name: string, up: boolean): void {
    const i = [...this.ifaces.values()].find((x) => x.name === name && x.kind === 'uplink');
    if (!i) {
      const uplinks = [...this.ifaces.values()].filter((x) => x.kind === 'uplink').map((x) => x.name);
      throw new Error(`sim: no uplink named ${name}; the uplinks are: ${uplinks.join(', ') || 'none'}`);
    }
    if (i.carrier === up) return;
    const before = this.ifFlags(i);
    i.carrier = up;
    if (this.ifFlags(i) !== before) this.events.iface(i.swIfIndex, up ? IF_LINK_UP : 0, false);
  }

  iface(swIfIndex: number): Iface | undefined {
    return this.ifaces.get(swIfIndex);
  }

  createLoopback(mac: string | undefined, instance: number | undefined): { retval: number; swIfIndex: number } {
    let inst: number;
    if (instance === undefined) inst = this.loopInstances.lowest();
    else {
      if (this.loopInstances.has(instance)) return { retval: VppErrno.INVALID_REGISTRATION, swIfIndex: ALL };
      inst = instance;
    }
    this.loopInstances.take(inst);
    const zeroMac = !mac || mac === '00:00:00:00:00:00';
    const iface = this.newIface({
      kind: 'loopback',
      name: `loop${inst}`,
      devType: 'Loopback',
      instance: inst,
      mac: zeroMac ? `de:ad:00:00:00:${(inst & 255).toString(16).padStart(2, '0')}` : mac!,
      linkMtu: 9000,
      mtu: [9000, 0, 0, 0],
    });
    this.events.iface(iface.swIfIndex, 0, false);
    return { retval: 0, swIfIndex: iface.swIfIndex };
  }

  deleteLoopback(swIfIndex: number): number {
    const i = this.ifaces.get(swIfIndex);
    if (!i || i.kind !== 'loopback') return VppErrno.INVALID_SW_IF_INDEX;
    this.deleteIface(i);
    this.loopInstances.free(i.instance);
    return 0;
  }

  /** A pair's host-side interface (see ./lcp.ts). */
  addHostInterface(name: string, mtu: readonly number[]): Iface {
    const linkMtu = mtu[0] || 9000;
    return this.newIface({
      kind: 'host-tap',
      name,
      devType: 'virtio',
      instance: 0,
      mac: '02:fe:00:00:00:00',
      linkMtu,
      mtu: [...mtu],
    });
  }
  removeHostInterface(swIfIndex: number): void {
    const i = this.ifaces.get(swIfIndex);
    if (i?.kind === 'host-tap') this.deleteIface(i);
  }

  private deleteIface(i: Iface): void {
    this.lcp.interfaceDeleted(i.swIfIndex);
    if (i.adminUp) this.removeInterfaceRoutes(i);
    // TEIB has no interface-delete hook for WireGuard or loopbacks (only GRE, IPIP and IPsec tunnels
    // walk it): its entries, and their routes, stay under the old sw_if_index, like API routes.
    this.ifaces.delete(i.swIfIndex);
    // Its table bindings go with it (ip4/ip6_sw_interface_add_del rebind to table 0).
    this.releaseTable(4, i.table4);
    this.releaseTable(6, i.table6);
    this.swIfIndices.release(i.swIfIndex);
    this.events.iface(i.swIfIndex, 0, true);
  }

  setFlags(swIfIndex: number, flags: number): number {
    const i = this.ifaces.get(swIfIndex);
    if (!i) return VppErrno.INVALID_SW_IF_INDEX;
    const up = (flags & IF_ADMIN_UP) !== 0;
    if (up === i.adminUp) return 0;
    i.adminUp = up;
    // Connected and local routes exist only while the interface is admin-up (ip4_sw_interface_admin_up_down).
    if (up) this.addInterfaceRoutes(i);
    else this.removeInterfaceRoutes(i);
    if (i.kind === 'wireguard') {
      this.tracking.adminChanged(swIfIndex);
      for (const p of this.peers.values()) {
        if (p.swIfIndex !== swIfIndex) continue;
        if (up) this.events.peerCanHandshake(p.index);
        else this.setPeerFlags(p, p.flags & ~PEER_FLAG_ESTABLISHED);
      }
    }
    // VPP batches the events of one interface: an admin up brings its link up with it (3), a down
    // sets no bit (0); a local interface has no link (1).
    this.events.iface(swIfIndex, this.ifFlags(i), false);
    return 0;
  }

  setMtu(swIfIndex: number, mtu: number[]): number {
    const i = this.ifaces.get(swIfIndex);
    if (!i) return VppErrno.INVALID_SW_IF_INDEX;
    i.mtu = [mtu[0] ?? 0, mtu[1] ?? 0, mtu[2] ?? 0, mtu[3] ?? 0];
    return 0;
  }

  tag(swIfIndex: number, isAdd: boolean, tag: string): number {
    const i = this.ifaces.get(swIfIndex);
    if (!i) return VppErrno.INVALID_SW_IF_INDEX;
    if (isAdd && tag === '') return VppErrno.INVALID_VALUE;
    i.tag = isAdd ? tag : '';
    return 0;
  }

  private putTable(t: FibTable): void {
    t.onPathsChange = this.tracking.onPathsChange;
    this.tables.set(`${t.af}:${t.tableId}`, t);
    (t.af === 4 ? this.tables4 : this.tables6).set(t.tableId, t);
  }

  table(af: Af, tableId: number): FibTable | undefined {
    return (af === 4 ? this.tables4 : this.tables6).get(tableId);
  }

  setTable(swIfIndex: number, isIp6: boolean, vrf: number): number {
    const i = this.ifaces.get(swIfIndex);
    if (!i) return VppErrno.INVALID_SW_IF_INDEX;
    const af: Af = isIp6 ? 6 : 4;
    if (!this.table(af, vrf)) return VppErrno.NO_SUCH_FIB;
    if ((isIp6 ? i.addrs6 : i.addrs4).length > 0) return VppErrno.ADDRESS_FOUND_FOR_INTERFACE;
    const old = isIp6 ? i.table6 : i.table4;
    if (isIp6) i.table6 = vrf;
    else i.table4 = vrf;
    if (old !== vrf) this.releaseTable(af, old);
    return 0;
  }

  getTable(swIfIndex: number, isIp6: boolean): { retval: number; vrf: number } {
    const i = this.ifaces.get(swIfIndex);
    if (!i) return { retval: VppErrno.INVALID_SW_IF_INDEX, vrf: ALL };
    return { retval: 0, vrf: isIp6 ? i.table6 : i.table4 };
  }

  addDelAddress(swIfIndex: number, isAdd: boolean, delAll: boolean, prefixText: string): number {
    const i = this.ifaces.get(swIfIndex);
    if (!i) return VppErrno.INVALID_SW_IF_INDEX;
    if (delAll) {
      for (const a of [...i.addrs4, ...i.addrs6]) this.removeAddress(i, a);
      return 0;
    }
    const p = parsePrefix(prefixText);
    if (!p) return VppErrno.INVALID_VALUE;
    const list = p.af === 4 ? i.addrs4 : i.addrs6;
    if (!isAdd) {
      const a = list.find((x) => sameAddress(x.prefix, p) && x.prefix.len === p.len);
      if (!a) return VppErrno.ADDRESS_NOT_FOUND_FOR_INTERFACE;
      this.removeAddress(i, a);
      return 0;
    }
    if (i.kind === 'local') return VppErrno.UNSUPPORTED;
    if (p.af === 6 && p.v6![0] === 0xfe && (p.v6![1]! & 0xc0) === 0x80 && p.len !== 128)
      return VppErrno.ADDRESS_LENGTH_MISMATCH;
    const err = p.af === 4 ? VppErrno.ADDRESS_IN_USE : VppErrno.DUPLICATE_IF_ADDRESS;
    const myTable = p.af === 4 ? i.table4 : i.table6;
    // Conflict walk of ip4/ip6_add_del_interface_address: every address in the same FIB.
    for (const other of this.ifaces.values()) {
      if ((p.af === 4 ? other.table4 : other.table6) !== myTable) continue;
      for (const x of p.af === 4 ? other.addrs4 : other.addrs6) {
        if (!covers(x.prefix, p) && !covers(p, x.prefix)) continue;
        // An interface may hold several addresses of one subnet with the same length.
        if (other === i && x.prefix.len === p.len && !sameAddress(x.prefix, p)) continue;
        return err;
      }
    }
    const a: IfAddress = { prefix: p, text: prefixText };
    list.push(a);
    if (i.adminUp) this.addAddressRoutes(i, a);
    return 0;
  }

  private removeAddress(i: Iface, a: IfAddress): void {
    const list = a.prefix.af === 4 ? i.addrs4 : i.addrs6;
    const at = list.indexOf(a);
    if (at >= 0) list.splice(at, 1);
    if (i.adminUp) this.removeAddressRoutes(i, a);
  }

  private addInterfaceRoutes(i: Iface): void {
    for (const a of [...i.addrs4, ...i.addrs6]) this.addAddressRoutes(i, a);
  }

  private removeInterfaceRoutes(i: Iface): void {
    for (const a of [...i.addrs4, ...i.addrs6]) this.removeAddressRoutes(i, a);
  }

  private addressRoutes(i: Iface, a: IfAddress): { table: FibTable; routes: [Prefix, FibPath[]][] } {
    const p = a.prefix;
    const af = p.af;
    const table = this.table(af, af === 4 ? i.table4 : i.table6)!;
    const host: Prefix = { ...p, len: af === 4 ? 32 : 128 };
    const zero = af === 4 ? '0.0.0.0' : '::';
    const proto = af === 4 ? 0 : 1;
    const path = (type: number, nh: string): FibPath => ({
      swIfIndex: i.swIfIndex,
      nh,
      type,
      weight: 1,
      preference: 0,
      flags: 0,
      proto,
      tableId: 0,
    });
    const routes: [Prefix, FibPath[]][] = [[host, [path(PATH_TYPE_LOCAL, prefixString(host).split('/')[0]!)]]];
    const full = af === 4 ? 32 : 128;
    if (p.len < full) routes.push([p, [path(PATH_TYPE_NORMAL, zero)]]);
    if (af === 4 && p.len <= 30) {
      // Network and broadcast drops, unless the address is that address (ip4_add_interface_prefix_routes).
      const net = (p.v4 & mask4(p.len)) >>> 0;
      const bcast = (net | ~mask4(p.len)) >>> 0;
      if (net !== p.v4 >>> 0) routes.push([{ af: 4, v4: net, len: 32 }, [dropPath(4)]]);
      if (bcast !== p.v4 >>> 0) routes.push([{ af: 4, v4: bcast, len: 32 }, [dropPath(4)]]);
    } else if (af === 4 && p.len === 31) {
      // A /31 gets an attached /32 to the other address of the pair, via that address.
      const other: Prefix = { af: 4, v4: (p.v4 ^ 1) >>> 0, len: 32 };
      routes.push([other, [path(PATH_TYPE_NORMAL, prefixString(other).split('/')[0]!)]]);
    }
    return { table, routes };
  }

  /**
   * Routes an address shares with its same-subnet siblings (the connected prefix and its network
   * and broadcast drops) are counted, as VPP's interface prefixes are: added by the first address,
   * removed with the last. Only the local /32 (/128) belongs to one address.
   */
  private sharedRef(table: FibTable, p: Prefix, delta: number): number {
    const key = `${table.af}:${table.tableId}:${prefixKey(p)}:${p.len}`;
    const n = (this.ifPrefixRefs.get(key) ?? 0) + delta;
    if (n <= 0) this.ifPrefixRefs.delete(key);
    else this.ifPrefixRefs.set(key, n);
    return n;
  }

  private addAddressRoutes(i: Iface, a: IfAddress): void {
    const { table, routes } = this.addressRoutes(i, a);
    routes.forEach(([p, paths], n) => {
      if (n === 0 || this.sharedRef(table, p, 1) === 1) table.add(p, 'interface', paths);
    });
  }

  private removeAddressRoutes(i: Iface, a: IfAddress): void {
    const { table, routes } = this.addressRoutes(i, a);
    routes.forEach(([p], n) => {
      if (n === 0 || this.sharedRef(table, p, -1) === 0) table.remove(p, 'interface');
    });
  }

  // ---- tables and routes ----

  ipTableAddDel(isAdd: boolean, isIp6: boolean, tableId: number, name: string): number {
    if (tableId === 0) return 0;
    const af: Af = isIp6 ? 6 : 4;
    const key = `${af}:${tableId}`;
    if (isAdd) {
      const t = this.tables.get(key);
      // Adding it again takes the API's lock back; the name stays.
      if (t) t.apiLocked = true;
      else this.putTable(new FibTable(af, tableId, name || `${isIp6 ? 'ipv6' : 'ipv4'}-VRF:${tableId}`, this.stats));
      return 0;
    }
    const t = this.tables.get(key);
    if (t) {
      // Only the API's lock goes (fib_table_unlock): a table an interface is bound to stays, with
      // its routes and name, until the last interface leaves it.
      t.apiLocked = false;
      this.releaseTable(af, tableId);
    }
    return 0;
  }

  /** Destroys table `id` of `af` once nothing holds it (no API lock, no interface bound to it). */
  private releaseTable(af: Af, id: number): void {
    const t = this.table(af, id);
    if (!t || id === 0 || t.apiLocked) return;
    for (const i of this.ifaces.values()) if ((af === 4 ? i.table4 : i.table6) === id) return;
    t.clear();
    this.tables.delete(`${af}:${id}`);
    (af === 4 ? this.tables4 : this.tables6).delete(id);
  }

  routeAddDel(
    isAdd: boolean,
    isMultipath: boolean,
    tableId: number,
    prefixIn: string | Prefix,
    apiPaths: readonly ApiPath[],
  ): { retval: number; statsIndex: number } {
    const p = typeof prefixIn === 'string' ? parsePrefix(prefixIn) : prefixIn;
    if (!p) return { retval: VppErrno.INVALID_VALUE, statsIndex: ALL };
    const paths: FibPath[] = apiPaths.map((ap) => {
      const proto = ap.proto;
      return {
        swIfIndex: ap.sw_if_index,
        nh: (proto === 1 ? ap.nh?.address?.ip6 : ap.nh?.address?.ip4) ?? (proto === 1 ? '::' : '0.0.0.0'),
        type: ap.type,
        weight: ap.weight === 0 ? 1 : ap.weight,
        preference: ap.preference,
        flags: ap.flags,
        proto,
        tableId: ap.sw_if_index === NO_INTERFACE ? ap.table_id : 0,
      };
    });
    return this.routeAddDelPaths(isAdd, isMultipath, tableId, p, paths);
  }

  /**
   * One shared array for the common single-path route (path arrays are never mutated): a table of
   * 100,000 routes through a handful of next hops then holds a handful of path objects.
   */
  private intern(paths: FibPath[]): FibPath[] {
    if (paths.length !== 1) return paths;
    const p = paths[0]!;
    const key = `${p.swIfIndex}|${p.nh}|${p.type}|${p.weight}|${p.preference}|${p.flags}|${p.proto}|${p.tableId}`;
    const hit = this.pathIntern.get(key);
    if (hit) return hit;
    if (this.pathIntern.size < 10_000) this.pathIntern.set(key, paths);
    return paths;
  }

  /** ip_route_add_del with the paths already in FIB form (weight 0 already made 1). */
  routeAddDelPaths(
    isAdd: boolean,
    isMultipath: boolean,
    tableId: number,
    p: Prefix,
    paths: FibPath[],
  ): { retval: number; statsIndex: number } {
    const fail = (retval: number) => ({ retval, statsIndex: ALL });
    const table = this.table(p.af, tableId);
    if (!table) return fail(VppErrno.NO_SUCH_FIB);
    for (const path of paths) {
      if (path.proto > 5) return fail(VppErrno.UNSPECIFIED);
      if (
        path.swIfIndex === NO_INTERFACE &&
        path.type === PATH_TYPE_NORMAL &&
        !this.table(path.proto === 1 ? 6 : 4, path.tableId)
      ) {
        return fail(VppErrno.NO_SUCH_FIB);
      }
    }
    if (p.len > (p.af === 4 ? 32 : 128)) return fail(VppErrno.INVALID_PREFIX_LENGTH);
    // Every path is decoded before the add or delete (fib_api_path_decode): one naming an
    // interface that does not exist is refused either way, so a route left through a deleted
    // interface can only be deleted as a whole (no paths).
    for (const path of paths) {
      if (path.type === PATH_TYPE_NORMAL && path.swIfIndex !== NO_INTERFACE && !this.ifaces.has(path.swIfIndex)) {
        return fail(VppErrno.NO_MATCHING_INTERFACE);
      }
    }
    // A multipath request needs paths, to add or to remove; only a plain delete takes the whole entry.
    if ((isAdd || isMultipath) && paths.length === 0) return fail(VppErrno.NO_PATHS_IN_ROUTE);
    if (!isMultipath) {
      if (!isAdd) {
        table.remove(p, 'api');
        return { retval: 0, statsIndex: ALL };
      }
      const e = table.add(p, 'api', this.intern(paths));
      return { retval: 0, statsIndex: e.statsIndex };
    }
    const current = table.get(p)?.api ?? [];
    if (isAdd) {
      const merged = [...current];
      for (const path of paths) if (!merged.some((m) => samePath(m, path))) merged.push(path);
      const e = table.add(p, 'api', merged);
      return { retval: 0, statsIndex: e.statsIndex };
    }
    const left = current.filter((m) => !paths.some((path) => samePath(m, path)));
    if (left.length === 0) table.remove(p, 'api');
    else table.add(p, 'api', left);
    return { retval: 0, statsIndex: ALL };
  }

  // ---- TEIB ----

  teibAddDel(isAdd: boolean, e: TeibEntry): number {
    const i = this.ifaces.get(e.swIfIndex);
    if (!i) return VppErrno.INVALID_SW_IF_INDEX;
    const peer = parsePrefix(e.peer);
    if (!peer) return VppErrno.INVALID_VALUE;
    const at = this.teib.findIndex((t) => t.swIfIndex === e.swIfIndex && sameAddress(parsePrefix(t.peer)!, peer));
    if (!isAdd) {
      if (at < 0) return VppErrno.NO_SUCH_ENTRY;
      this.teibRoute(this.teib[at]!, false);
      this.teib.splice(at, 1);
      return 0;
    }
    const nh = parsePrefix(e.nh);
    if (!nh || !this.table(nh.af, e.nhTableId)) return VppErrno.NO_SUCH_FIB;
    if (at >= 0) return VppErrno.ENTRY_ALREADY_EXISTS;
    const entry = { ...e };
    this.teib.push(entry);
    this.teibRoute(entry, true);
    return 0;
  }

  /** teib_adj_fib_add: an attached host route to the peer in the interface's table. */
  private teibRoute(t: TeibEntry, add: boolean): void {
    const i = this.ifaces.get(t.swIfIndex);
    const p = parsePrefix(t.peer)!;
    if (!i) return;
    const table = this.table(p.af, p.af === 4 ? i.table4 : i.table6);
    if (!table) return;
    const host: Prefix = { ...p, len: p.af === 4 ? 32 : 128 };
    if (!add) {
      table.remove(host, 'adj');
      return;
    }
    table.add(host, 'adj', [
      {
        swIfIndex: i.swIfIndex,
        nh: t.peer,
        type: PATH_TYPE_NORMAL,
        weight: 1,
        preference: 0,
        flags: 0,
        proto: p.af === 4 ? 0 : 1,
        tableId: 0,
      },
    ]);
  }

  // ---- WireGuard ----

  wgCreate(
    userInstance: number,
    privateKey: Uint8Array,
    generateKey: boolean,
    port: number,
    srcIp: string,
  ): { retval: number; swIfIndex: number } {
    let inst = userInstance;
    if (inst === ALL) inst = this.wgInstances.lowest();
    if (inst >= WG_MAX_INSTANCE || this.wgInstances.has(inst)) {
      return { retval: VppErrno.INVALID_REGISTRATION, swIfIndex: ALL };
    }
    // VPP keeps the key as given (and dumps it so); only the public key comes from its clamped form.
    const priv = generateKey ? clampPrivate(randomBytes(32)) : Uint8Array.from(privateKey);
    let pub: Uint8Array;
    try {
      pub = x25519Public(clampPrivate(priv));
    } catch {
      return { retval: VppErrno.INVALID_REGISTRATION, swIfIndex: ALL };
    }
    const iface = this.newIface({
      kind: 'wireguard',
      name: `wg${inst}`,
      devType: 'Wireguard Tunnel',
      instance: inst,
      mac: '00:00:00:00:00:00',
      linkMtu: 0,
      mtu: [0, 0, 0, 0],
    });
    this.wgInstances.take(inst);
    this.wg.set(iface.swIfIndex, {
      swIfIndex: iface.swIfIndex,
      poolIndex: this.wgPoolIndices.alloc(),
      instance: inst,
      privateKey: priv,
      publicKey: pub,
      port,
      srcIp,
    });
    this.events.iface(iface.swIfIndex, 0, false);
    return { retval: 0, swIfIndex: iface.swIfIndex };
  }

  wgDelete(swIfIndex: number): number {
    const i = this.ifaces.get(swIfIndex);
    if (!i) return VppErrno.INVALID_SW_IF_INDEX;
    if (i.kind !== 'wireguard') return VppErrno.INVALID_VALUE;
    for (const p of [...this.peers.values()]) if (p.swIfIndex === swIfIndex) this.removePeer(p);
    this.tracking.interfaceDeleted(swIfIndex);
    this.wgPoolIndices.release(this.wg.get(swIfIndex)!.poolIndex);
    this.wg.delete(swIfIndex);
    this.wgInstances.free(i.instance);
    this.deleteIface(i);
    return 0;
  }

  peerAdd(spec: {
    swIfIndex: number;
    publicKey: Uint8Array;
    psk?: Uint8Array;
    port: number;
    keepalive: number;
    tableId: number;
    endpoint: string;
    allowedIps: string[];
  }): { retval: number; peerIndex: number } {
    const fail = (retval: number) => ({ retval, peerIndex: ALL });
    if (!this.ifaces.has(spec.swIfIndex)) return fail(VppErrno.INVALID_SW_IF_INDEX);
    if (spec.allowedIps.length === 0) return fail(VppErrno.INVALID_VALUE);
    if (!this.wg.has(spec.swIfIndex)) return fail(VppErrno.INVALID_SW_IF_INDEX);
    const keyHex = Buffer.from(spec.publicKey).toString('hex');
    if (this.peerKeys.has(keyHex)) return fail(VppErrno.ENTRY_ALREADY_EXISTS);
    // wg_peer_add refuses only once the pool holds more than MAX_PEERS.
    if (this.peers.size > MAX_PEERS) return fail(VppErrno.LIMIT_EXCEEDED);
    const index = this.peerIndices.alloc();
    // An all-zero endpoint of either family is stored as "no address" and dumped as IPv4 0.0.0.0.
    const endpoint = isZeroAddress(spec.endpoint) ? '0.0.0.0' : spec.endpoint;
    const peer: Peer = {
      index,
      swIfIndex: spec.swIfIndex,
      publicKey: Uint8Array.from(spec.publicKey),
      psk: spec.psk ? Uint8Array.from(spec.psk) : new Uint8Array(32),
      port: spec.port,
      keepalive: spec.keepalive,
      tableId: spec.tableId,
      endpoint,
      flags: 0,
      allowedIps: [...spec.allowedIps],
      listeners: new Map(),
    };
    this.peers.set(index, peer);
    this.peerKeys.add(keyHex);
    this.tracking.peerAdded(peer);
    if (this.ifaces.get(spec.swIfIndex)!.adminUp) this.events.peerCanHandshake(index);
    return { retval: 0, peerIndex: index };
  }

  /** Whether a live tunnel could come up for this peer: endpoint and port known, interface up. */
  peerReachable(peerIndex: number): boolean {
    const p = this.peers.get(peerIndex);
    if (!p || p.endpoint === '0.0.0.0' || p.port === 0) return false;
    return this.ifaces.get(p.swIfIndex)?.adminUp === true;
  }

  markEstablished(peerIndex: number): boolean {
    const p = this.peers.get(peerIndex);
    if (!p) return false;
    this.setPeerFlags(p, p.flags | PEER_FLAG_ESTABLISHED);
    return true;
  }

  private setPeerFlags(p: Peer, flags: number): void {
    if (p.flags === flags) return;
    p.flags = flags;
    for (const handle of p.listeners.keys()) this.events.peer(handle, p.index, flags);
  }

  peerRemove(peerIndex: number): number {
    const p = this.peers.get(peerIndex);
    if (!p) return VppErrno.NO_SUCH_ENTRY;
    this.removePeer(p);
    return 0;
  }

  /** wg_peer_clear: ESTABLISHED cleared, then DEAD set, each change sent to the listeners at once. */
  private removePeer(p: Peer): void {
    this.setPeerFlags(p, p.flags & ~PEER_FLAG_ESTABLISHED);
    this.setPeerFlags(p, PEER_FLAG_DEAD);
    this.tracking.peerRemoved(p);
    this.peers.delete(p.index);
    this.peerIndices.release(p.index);
    this.peerKeys.delete(Buffer.from(p.publicKey).toString('hex'));
  }

  wantPeerEvents(handle: number, swIfIndex: number, peerIndex: number, enable: boolean, pid: number): number {
    const apply = (p: Peer) => {
      if (enable) p.listeners.set(handle, pid);
      else p.listeners.delete(handle);
    };
    if (peerIndex === ALL) {
      for (const p of this.peers.values()) if (swIfIndex === ALL || p.swIfIndex === swIfIndex) apply(p);
    } else {
      // The sw_if_index filter applies to a named peer too (a peer elsewhere is not registered).
      const p = this.peers.get(peerIndex);
      if (p && (swIfIndex === ALL || p.swIfIndex === swIfIndex)) apply(p);
    }
    return 0;
  }

  wantInterfaceEvents(handle: number, enable: boolean, pid: number): number {
    const has = this.ifEventClients.has(handle);
    if (enable === has) return VppErrno.INVALID_REGISTRATION;
    if (enable) this.ifEventClients.set(handle, pid);
    else this.ifEventClients.delete(handle);
    return 0;
  }

  /** A registration went away: the interface-event reaper runs; WireGuard has none. */
  reap(handle: number): void {
    this.ifEventClients.delete(handle);
  }

  // ---- snapshot ----

  snapshot(): unknown {
    const ifaces = [...this.ifaces.values()]
      .sort((a, b) => a.swIfIndex - b.swIfIndex)
      .map((i) => ({
        swIfIndex: i.swIfIndex,
        name: i.name,
        devType: i.devType,
        kind: i.kind,
        mac: i.mac,
        adminUp: i.adminUp,
        flags: this.ifFlags(i),
        linkMtu: i.linkMtu,
        mtu: [...i.mtu],
        tag: i.tag,
        table4: i.table4,
        table6: i.table6,
        addresses: [...i.addrs4, ...i.addrs6].map((a) => a.text),
      }));
    const wg = [...this.wg.values()]
      .sort((a, b) => a.swIfIndex - b.swIfIndex)
      .map((w) => ({
        swIfIndex: w.swIfIndex,
        instance: w.instance,
        publicKey: Buffer.from(w.publicKey).toString('hex'),
        // A digest, never the key: snapshots end up in test output.
        privateKeySha256: fingerprint(w.privateKey),
        port: w.port,
        srcIp: w.srcIp,
      }));
    const peers = [...this.peers.values()]
      .sort((a, b) => a.index - b.index)
      .map((p) => ({
        index: p.index,
        swIfIndex: p.swIfIndex,
        publicKey: Buffer.from(p.publicKey).toString('hex'),
        presharedKeySha256: p.psk.some((x) => x !== 0) ? fingerprint(p.psk) : null,
        port: p.port,
        persistentKeepalive: p.keepalive,
        tableId: p.tableId,
        endpoint: p.endpoint,
        flags: p.flags,
        allowedIps: [...p.allowedIps],
      }));
    const tables = [...this.tables.values()]
      .sort((a, b) => a.af - b.af || a.tableId - b.tableId)
      .map((t) => ({
        af: t.af === 4 ? 'ip4' : 'ip6',
        tableId: t.tableId,
        name: t.name,
        routes: [...t.all()]
          .map((e) => {
            const best = t.best(e);
            return {
              prefix: e.text,
              source: best.source,
              paths: best.paths.map((p) => ({ ...p })),
            };
          })
          .sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0)),
      }));
    return { interfaces: ifaces, wireguardInterfaces: wg, peers, tables, teib: this.teib.map((t) => ({ ...t })) };
  }
}
