/**
 * One handler per VPP message the emulator answers: decode → model → reply, with the reply
 * fields VPP fills. Each handler is registered with the message's generated definition, so the
 * request it reads and the reply or details it sends are typed by the bindings. A message without
 * a handler here is dropped silently, as VPP drops messages it has no handler for.
 */
import { type MessageDef } from 'vpp-api-ts';
import { type Reader } from 'vpp-api-ts/runtime';
import * as iface from 'vpp-api-ts/interface';
import * as ip from 'vpp-api-ts/ip';
import * as memclnt from 'vpp-api-ts/memclnt';
import * as teib from 'vpp-api-ts/teib';
import * as vpe from 'vpp-api-ts/vpe';
import * as wireguard from 'vpp-api-ts/wireguard';
import * as fib from 'vpp-api-ts/fib';
import * as lcp from 'vpp-api-ts/lcp';
import { type FibEntry, type FibPath, type FibSource, type FibTable, NO_INTERFACE, SOURCE_ID } from './fib';
import { VppErrno } from '../client/errors';
import { REGISTERED_SOURCES } from './lcp-sources';
import type { VppModel } from './model';
import { type Prefix, covers, ip6ToString, maskPrefix, parsePrefix } from './net';

const ALL = 0xffffffff;

/** A message of `D` as decoded. */
export type MessageOf<D> = D extends { decode(r: Reader): infer T } ? T : never;
/** The request of `D` as decoded. */
export type RequestOf<D> = MessageOf<D>;
/** The reply of request `D` as decoded. */
export type ReplyOf<D> = D extends { readonly replyDef: { decode(r: Reader): infer T } } ? T : never;
/** The details of dump `D` as decoded. */
export type DetailsOf<D> = D extends { readonly detailsDef: { decode(r: Reader): infer T } } ? T : never;

/** A message value to send: any field may be left out (encoded as zero, as VPP leaves what it does not fill). */
export type Fill<T> = T extends string | number | boolean | bigint | Uint8Array
  ? T
  : T extends readonly (infer E)[]
    ? Fill<E>[]
    : { [K in keyof T]?: Fill<T[K]> };

/** What a handler of `D` sees of the server: the requesting registration and ways to answer it. */
export interface Ctx<D extends MessageDef = MessageDef> {
  readonly model: VppModel;
  /** client_index of the request: the registration replies go to. */
  readonly handle: number;
  /** Echoed into replies and details. */
  readonly context: number;
  /** Sends the request's reply message with `context` filled in. */
  reply(value: Fill<ReplyOf<D>>): void;
  /** The reply `{retval, <field>: value}` of a request whose reply is context, retval and one u32. */
  replyRetvalU32(retval: number, field: keyof ReplyOf<D> & string, value: number): void;
  /** Sends one details message of the request's dump with `context` filled in. */
  details(value: Fill<DetailsOf<D>>): void;
  /** The registration named `handle` exists (sockclnt_delete). */
  hasRegistration(handle: number): boolean;
  /** Closes the registration's connection once pending output is written. */
  closeRegistration(handle: number): void;
  readonly vpePid: number;
  readonly version: { program: string; version: string; buildDate: string; buildDirectory: string };
}

/**
 * The handler of one message. `F`: what `fastDecode` makes instead of the generated decoder's value.
 * (Methods, not function properties: a table of handlers of different messages is one list, and the
 * server hands each request to the handler registered for its own definition.)
 */
export interface Handler<D extends MessageDef = MessageDef, F = unknown> {
  readonly def: D;
  /** A hand-written decoder for a hot message; undefined drops the frame (as VPP's size check does). */
  fastDecode?(buf: Buffer, start: number, end: number): F | undefined;
  handle(req: RequestOf<D> | F, ctx: Ctx<D>): void;
}

function on<D extends MessageDef>(def: D, handle: (req: RequestOf<D>, ctx: Ctx<D>) => void): Handler<D, never> {
  return { def, handle };
}

/** Answers `{ retval }`: the reply of most requests that change state. */
function rv(ctx: Ctx<MessageDef & { readonly replyDef: MessageDef<{ retval: number }> }>, retval: number): void {
  ctx.reply({ retval });
}

function ifaceDetails(model: VppModel, swIfIndex: number): Fill<iface.SwInterfaceDetails> {
  const i = model.ifaces.get(swIfIndex)!;
  return {
    sw_if_index: i.swIfIndex,
    sup_sw_if_index: i.swIfIndex,
    l2_address: i.mac,
    flags: model.ifFlags(i),
    type: 0,
    link_duplex: 0,
    link_speed: 0,
    link_mtu: i.linkMtu,
    mtu: [...i.mtu],
    interface_name: i.name,
    interface_dev_type: i.devType,
    tag: i.tag,
  };
}

/** An entry as ip_route_details shows it; `withSource` adds the best source as ip_route_v2 does. */
function routeValue(table: FibTable, e: FibEntry, withSource = false): Fill<ip.IpRouteV2> {
  const { source, paths } = table.best(e);
  const v: Fill<ip.IpRouteV2> = {
    table_id: table.tableId,
    stats_index: e.statsIndex,
    prefix: e.text,
    paths: paths.map((p) => ({
      sw_if_index: p.swIfIndex,
      table_id: p.tableId,
      rpf_id: 0,
      weight: p.weight,
      preference: p.preference,
      type: p.type,
      flags: p.flags,
      proto: p.proto,
      nh: { address: p.proto === 1 ? { ip6: p.nh } : { ip4: p.nh }, via_label: 0, obj_id: 0, classify_table_index: 0 },
      n_labels: 0,
    })),
  };
  if (withSource) v.src = SOURCE_ID[source];
  return v;
}

/** ip_route_lookup(_v2): the exact entry or the longest match, or the retval saying why there is none. */
function lookupRoute(
  req: ip.IpRouteLookup | ip.IpRouteLookupV2,
  model: VppModel,
): { table: FibTable; entry: FibEntry } | { retval: number } {
  const p = parsePrefix(req.prefix);
  const t = p && model.table(p.af, req.table_id);
  if (!p || !t) return { retval: -3 };
  let found: FibEntry | undefined;
  if (req.exact) {
    found = t.get(p);
  } else {
    for (const e of t.all()) {
      if (e.prefix.len <= p.len && (!found || e.prefix.len > found.prefix.len) && covers(e.prefix, maskPrefix(p)))
        found = e;
    }
  }
  return found ? { table: t, entry: found } : { retval: -6 };
}

function peerValue(model: VppModel, index: number, v2: boolean): Fill<wireguard.WireguardPeerV2> {
  const p = model.peers.get(index)!;
  const base = {
    peer_index: p.index,
    public_key: p.publicKey,
    port: p.port,
    persistent_keepalive: p.keepalive,
    table_id: p.tableId,
    endpoint: p.endpoint,
    sw_if_index: p.swIfIndex,
    flags: p.flags,
    allowed_ips: [...p.allowedIps],
  };
  if (!v2) return base;
  return { ...base, preshared_key: p.psk, preshared_key_set: p.psk.some((b) => b !== 0) };
}

function peerAdd(
  req: wireguard.WireguardPeerAdd | wireguard.WireguardPeerAddV2,
  model: VppModel,
): { retval: number; peer_index: number } {
  const p = req.peer;
  const r = model.peerAdd({
    swIfIndex: p.sw_if_index,
    publicKey: p.public_key,
    psk: 'preshared_key' in p && p.preshared_key_set ? p.preshared_key : undefined,
    port: p.port,
    keepalive: p.persistent_keepalive,
    tableId: p.table_id,
    endpoint: p.endpoint,
    allowedIps: p.allowed_ips,
  });
  return { retval: r.retval, peer_index: r.peerIndex };
}

function peersDump(model: VppModel, peerIndex: number, each: (i: number) => void): void {
  for (const i of [...model.peers.keys()].sort((a, b) => a - b)) if (peerIndex === ALL || peerIndex === i) each(i);
}

/** ip_route_add_del as fastDecodeRouteAddDel makes it: the route already in FIB form. */
interface FastRouteAddDel {
  readonly is_add: boolean;
  readonly is_multipath: boolean;
  readonly fast: { readonly tableId: number; readonly prefix: Prefix; readonly paths: FibPath[] };
}

/**
 * A hand-written decoder for the hot message (benchmarks pipeline hundreds of thousands of route
 * adds): fixed offsets from the definitions, only the fields the model reads, the same size rule
 * as VPP (fixed part plus n_paths · 167 must fit, else the frame is dropped).
 */
const IP_ROUTE_ADD_DEL_FIXED = 39;
const FIB_PATH_SIZE = 167;
function fastDecodeRouteAddDel(buf: Buffer, start: number, end: number): FastRouteAddDel | undefined {
  if (end - start < IP_ROUTE_ADD_DEL_FIXED) return undefined;
  const nPaths = buf[start + 38]!;
  if (end - start < IP_ROUTE_ADD_DEL_FIXED + nPaths * FIB_PATH_SIZE) return undefined;
  const len = buf[start + 37]!;
  const prefix: Prefix =
    buf[start + 20] === 1
      ? { af: 6, v4: 0, v6: Uint8Array.from(buf.subarray(start + 21, start + 37)), len }
      : { af: 4, v4: buf.readUInt32BE(start + 21), len };
  const paths: FibPath[] = [];
  for (let i = 0; i < nPaths; i++) {
    const o = start + IP_ROUTE_ADD_DEL_FIXED + i * FIB_PATH_SIZE;
    const swIfIndex = buf.readUInt32BE(o);
    const proto = buf.readUInt32BE(o + 22);
    const weight = buf[o + 12]!;
    paths.push({
      swIfIndex,
      nh: proto === 1 ? ip6Text(buf, o + 26) : ip4Text(buf, o + 26),
      type: buf.readUInt32BE(o + 14),
      weight: weight === 0 ? 1 : weight,
      preference: buf[o + 13]!,
      flags: buf.readUInt32BE(o + 18),
      proto,
      tableId: swIfIndex === NO_INTERFACE ? buf.readUInt32BE(o + 4) : 0,
    });
  }
  return {
    is_add: buf[start + 10] !== 0,
    is_multipath: buf[start + 11] !== 0,
    fast: { tableId: buf.readUInt32BE(start + 12), prefix, paths },
  };
}

/** Next hops repeat across routes: share their text instead of making one string per route. */
const ip4TextCache = new Map<number, string>();

function ip4Text(buf: Buffer, o: number): string {
  const v = buf.readUInt32BE(o);
  let t = ip4TextCache.get(v);
  if (t === undefined) {
    t = `${buf[o]}.${buf[o + 1]}.${buf[o + 2]}.${buf[o + 3]}`;
    if (ip4TextCache.size < 4096) ip4TextCache.set(v, t);
  }
  return t;
}

function ip6Text(buf: Buffer, o: number): string {
  return ip6ToString(buf.subarray(o, o + 16));
}

const routeAddDel: Handler<typeof ip.ip_route_add_del, FastRouteAddDel> = {
  def: ip.ip_route_add_del,
  fastDecode: fastDecodeRouteAddDel,
  handle(req, ctx) {
    const r =
      'fast' in req
        ? ctx.model.routeAddDelPaths(req.is_add, req.is_multipath, req.fast.tableId, req.fast.prefix, req.fast.paths)
        : ctx.model.routeAddDel(req.is_add, req.is_multipath, req.route.table_id, req.route.prefix, req.route.paths);
    ctx.replyRetvalU32(r.retval, 'stats_index', r.statsIndex);
  },
};

const HANDLERS: readonly Handler[] = [
  on(memclnt.control_ping, (_req, ctx) => {
    ctx.reply({ retval: 0, client_index: ctx.handle, vpe_pid: ctx.vpePid });
  }),
  on(vpe.show_version, (_req, ctx) => {
    const v = ctx.version;
    ctx.reply({
      retval: 0,
      program: v.program,
      version: v.version,
      build_date: v.buildDate,
      build_directory: v.buildDirectory,
    });
  }),
  on(memclnt.sockclnt_delete, (req, ctx) => {
    if (!ctx.hasRegistration(req.index)) {
      ctx.reply({ response: -1 });
      return;
    }
    ctx.reply({ response: 1 });
    ctx.closeRegistration(req.index);
  }),

  // ---- interfaces ----
  on(iface.sw_interface_dump, (req, ctx) => {
    const m = ctx.model;
    let list = [...m.ifaces.keys()].sort((a, b) => a - b);
    if (req.name_filter_valid) {
      const f = req.name_filter.toLowerCase();
      list = list.filter((i) => m.ifaces.get(i)!.name.toLowerCase().includes(f));
    } else if (req.sw_if_index !== ALL && req.sw_if_index !== 0) {
      list = m.ifaces.has(req.sw_if_index) ? [req.sw_if_index] : [];
    }
    for (const i of list) ctx.details(ifaceDetails(m, i));
  }),
  on(iface.sw_interface_set_flags, (req, ctx) => rv(ctx, ctx.model.setFlags(req.sw_if_index, req.flags))),
  on(iface.sw_interface_set_mtu, (req, ctx) => rv(ctx, ctx.model.setMtu(req.sw_if_index, req.mtu))),
  on(iface.sw_interface_add_del_address, (req, ctx) =>
    rv(ctx, ctx.model.addDelAddress(req.sw_if_index, req.is_add, req.del_all, req.prefix)),
  ),
  on(iface.sw_interface_tag_add_del, (req, ctx) => rv(ctx, ctx.model.tag(req.sw_if_index, req.is_add, req.tag))),
  on(iface.sw_interface_set_table, (req, ctx) => rv(ctx, ctx.model.setTable(req.sw_if_index, req.is_ipv6, req.vrf_id))),
  on(iface.sw_interface_get_table, (req, ctx) => {
    const r = ctx.model.getTable(req.sw_if_index, req.is_ipv6);
    ctx.reply({ retval: r.retval, vrf_id: r.vrf });
  }),
  on(iface.want_interface_events, (req, ctx) =>
    rv(ctx, ctx.model.wantInterfaceEvents(ctx.handle, req.enable_disable !== 0, req.pid)),
  ),
  on(iface.create_loopback, (req, ctx) => {
    const r = ctx.model.createLoopback(req.mac_address, undefined);
    ctx.reply({ retval: r.retval, sw_if_index: r.swIfIndex });
  }),
  on(iface.create_loopback_instance, (req, ctx) => {
    const r = ctx.model.createLoopback(req.mac_address, req.is_specified ? req.user_instance : undefined);
    ctx.reply({ retval: r.retval, sw_if_index: r.swIfIndex });
  }),
  on(iface.delete_loopback, (req, ctx) => rv(ctx, ctx.model.deleteLoopback(req.sw_if_index))),
  on(ip.ip_address_dump, (req, ctx) => {
    const i = ctx.model.ifaces.get(req.sw_if_index);
    if (!i) return;
    for (const a of req.is_ipv6 ? i.addrs6 : i.addrs4) ctx.details({ sw_if_index: i.swIfIndex, prefix: a.text });
  }),

  // ---- tables and routes ----
  on(ip.ip_table_add_del, (req, ctx) =>
    rv(ctx, ctx.model.ipTableAddDel(req.is_add, req.table.is_ip6, req.table.table_id, req.table.name)),
  ),
  on(ip.ip_table_add_del_v2, (req, ctx) =>
    rv(ctx, ctx.model.ipTableAddDel(req.is_add, req.table.is_ip6, req.table.table_id, req.table.name)),
  ),
  on(ip.ip_table_dump, (_req, ctx) => {
    const tables = [...ctx.model.tables.values()].sort((a, b) => a.af - b.af);
    for (const t of tables) ctx.details({ table: { table_id: t.tableId, is_ip6: t.af === 6, name: t.name } });
  }),
  routeAddDel,
  on(ip.ip_route_dump, (req, ctx) => {
    const t = ctx.model.table(req.table.is_ip6 ? 6 : 4, req.table.table_id);
    if (!t) return;
    for (const e of t.walk()) ctx.details({ route: routeValue(t, e) });
  }),
  on(ip.ip_route_v2_dump, (req, ctx) => {
    const t = ctx.model.table(req.table.is_ip6 ? 6 : 4, req.table.table_id);
    if (!t) return;
    // src 0: every entry; else only entries whose best source it is (fib_table_walk_w_src
    // compares fib_entry_get_best_source): an API route a higher source outranks is left out.
    const only = (Object.keys(SOURCE_ID) as FibSource[]).find((s) => SOURCE_ID[s] === req.src);
    if (req.src !== 0 && !only) return;
    for (const e of only ? t.entriesOf(only) : t.walk()) {
      if (only && t.best(e).source !== only) continue;
      ctx.details({ route: routeValue(t, e, true) });
    }
  }),
  on(ip.ip_route_lookup, (req, ctx) => {
    const r = lookupRoute(req, ctx.model);
    if ('retval' in r) ctx.reply({ retval: r.retval, route: { paths: [] } });
    else ctx.reply({ retval: 0, route: { ...routeValue(r.table, r.entry), table_id: req.table_id } });
  }),
  on(ip.ip_route_lookup_v2, (req, ctx) => {
    const r = lookupRoute(req, ctx.model);
    if ('retval' in r) ctx.reply({ retval: r.retval, route: { paths: [] } });
    else ctx.reply({ retval: 0, route: { ...routeValue(r.table, r.entry, true), table_id: req.table_id } });
  }),

  // ---- TEIB ----
  on(teib.teib_entry_add_del, (req, ctx) => {
    const e = req.entry;
    rv(
      ctx,
      ctx.model.teibAddDel(req.is_add !== 0, {
        swIfIndex: e.sw_if_index,
        peer: e.peer,
        nh: e.nh,
        nhTableId: e.nh_table_id,
      }),
    );
  }),
  on(teib.teib_dump, (_req, ctx) => {
    for (const t of ctx.model.teib) {
      ctx.details({ entry: { sw_if_index: t.swIfIndex, peer: t.peer, nh: t.nh, nh_table_id: t.nhTableId } });
    }
  }),

  // ---- WireGuard ----
  on(wireguard.wireguard_interface_create, (req, ctx) => {
    const i = req.interface;
    const r = ctx.model.wgCreate(i.user_instance, i.private_key, req.generate_key, i.port, i.src_ip);
    ctx.reply({ retval: r.retval, sw_if_index: r.swIfIndex });
  }),
  on(wireguard.wireguard_interface_delete, (req, ctx) => rv(ctx, ctx.model.wgDelete(req.sw_if_index))),
  on(wireguard.wireguard_interface_dump, (req, ctx) => {
    // wg_if_walk goes in pool order, not sw_if_index order.
    const list = [...ctx.model.wg.values()].sort((a, b) => a.poolIndex - b.poolIndex);
    for (const w of list) {
      if (req.sw_if_index !== ALL && req.sw_if_index !== w.swIfIndex) continue;
      ctx.details({
        interface: {
          user_instance: w.instance,
          sw_if_index: w.swIfIndex,
          private_key: req.show_private_key ? w.privateKey : new Uint8Array(32),
          public_key: w.publicKey,
          port: w.port,
          src_ip: w.srcIp,
        },
      });
    }
  }),
  on(wireguard.wireguard_peer_add, (req, ctx) => ctx.reply(peerAdd(req, ctx.model))),
  on(wireguard.wireguard_peer_add_v2, (req, ctx) => ctx.reply(peerAdd(req, ctx.model))),
  on(wireguard.wireguard_peer_remove, (req, ctx) => rv(ctx, ctx.model.peerRemove(req.peer_index))),
  on(wireguard.wireguard_peers_dump, (req, ctx) =>
    peersDump(ctx.model, req.peer_index, (i) => ctx.details({ peer: peerValue(ctx.model, i, false) })),
  ),
  on(wireguard.wireguard_peers_v2_dump, (req, ctx) =>
    peersDump(ctx.model, req.peer_index, (i) => ctx.details({ peer: peerValue(ctx.model, i, true) })),
  ),
  on(wireguard.want_wireguard_peer_events, (req, ctx) =>
    rv(ctx, ctx.model.wantPeerEvents(ctx.handle, req.sw_if_index, req.peer_index, req.enable_disable !== 0, req.pid)),
  ),
  on(wireguard.wg_set_async_mode, (_req, ctx) => rv(ctx, 0)),

  // ---- linux-cp (./lcp.ts) ----
  on(lcp.lcp_itf_pair_add_del_v2, (req, ctx) => {
    const r = pairAddDel(req, ctx.model);
    ctx.reply({ retval: r.retval, host_sw_if_index: r.pair?.hostSwIfIndex ?? ALL });
  }),
  on(lcp.lcp_itf_pair_add_del_v3, (req, ctx) => {
    const r = pairAddDel(req, ctx.model);
    ctx.reply({ retval: r.retval, host_sw_if_index: r.pair?.hostSwIfIndex ?? ALL, vif_index: r.pair?.vifIndex ?? ALL });
  }),
  on(lcp.lcp_itf_pair_get, (_req, ctx) => {
    for (const p of ctx.model.lcp.pairs.values()) {
      ctx.details({
        phy_sw_if_index: p.phySwIfIndex,
        host_sw_if_index: p.hostSwIfIndex,
        vif_index: p.vifIndex,
        host_if_name: p.hostName,
        host_if_type: p.hostType,
        netns: p.netns,
      });
    }
    ctx.reply({ retval: 0, cursor: ALL });
  }),
  on(lcp.lcp_default_ns_set, (req, ctx) => rv(ctx, ctx.model.lcp.setDefaultNetns(req.netns))),
  on(lcp.lcp_default_ns_get, (_req, ctx) => ctx.reply({ netns: ctx.model.lcp.defaultNetns })),
  on(fib.fib_source_dump, (_req, ctx) => {
    for (const src of REGISTERED_SOURCES) ctx.details({ src });
  }),
];

/** lcp_itf_pair_add_del_v2/_v3: VALIDATE_SW_IF_INDEX first, then create or delete. */
function pairAddDel(
  req: lcp.LcpItfPairAddDelV2 | lcp.LcpItfPairAddDelV3,
  model: VppModel,
): { retval: number; pair?: { hostSwIfIndex: number; vifIndex: number } } {
  if (!model.ifaces.has(req.sw_if_index)) return { retval: VppErrno.INVALID_SW_IF_INDEX };
  if (!req.is_add) return { retval: model.lcp.delete(req.sw_if_index) };
  return model.lcp.add(req.sw_if_index, req.host_if_name, req.host_if_type, req.netns);
}

/** The handlers by message name (the name from each handler's definition). */
export const handlers: ReadonlyMap<string, Handler> = new Map(HANDLERS.map((h) => [h.def.name, h]));
