/**
 * Everything the reconciler says to VPP: the dumps that build an ActualState, and one function per
 * plan step that performs it and returns how to undo it. Messages are looked up by VPP's name in
 * the generated bindings, so this file depends on message names, not on how modules are exported.
 */
import * as bindings from 'vpp-api-ts';
import type { MessageDef } from 'vpp-api-ts';
import { VppIncompatibleError, type IncompatibleMessage, type VppClient } from '../client';
import type { AddressFamily } from '../config/model';
import { makeSecretKey } from '../util/secrets';
import {
  attachPresharedKey,
  buildActualState,
  ownerOfTag,
  routeKey,
  OWNER_TAG_PREFIX,
  type ActualInterface,
  FIB_SOURCE_API,
  type ActualPeer,
  type ActualRoute,
  type ActualState,
  type ActualTable,
  type ActualTeibEntry,
  type ActualWireguardInterface,
} from './actual';
import {
  canonicalAddress,
  canonicalInterfaceAddress,
  canonicalPrefix,
  familyOf,
  isZeroAddress,
  pairedAddressOf31,
} from './ip';
import type { IfRef, PathRef, PeerConfig, Step } from './plan';

const NO_INDEX = 0xffffffff;
const ADMIN_UP = 1;
const LINK_UP = 2;
const PATH_TYPE_NORMAL = 0;
const PEER_ESTABLISHED = 2;
const NO_SUCH_ENTRY = -6;
const NO_SUCH_FIB = -3;

// -- message lookup -------------------------------------------------------------------------------

let defsByName: Map<string, MessageDef> | undefined;

function isMessageDef(v: unknown): v is MessageDef {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as MessageDef).nameCrc === 'string' &&
    typeof (v as MessageDef).encode === 'function'
  );
}

/** Every generated MessageDef by VPP name, found by walking the bindings' exports (two levels: module namespaces). */
function defs(): Map<string, MessageDef> {
  if (defsByName) return defsByName;
  const out = new Map<string, MessageDef>();
  const index = (bindings as { messagesByName?: unknown }).messagesByName;
  if (index instanceof Map) {
    for (const [name, def] of index as Map<string, MessageDef>) out.set(name, def);
    defsByName = out;
    return out;
  }
  const visit = (v: unknown, depth: number): void => {
    if (isMessageDef(v)) {
      if (!out.has(v.name)) out.set(v.name, v);
      return;
    }
    if (depth > 2 || typeof v !== 'object' || v === null) return;
    const messages = (v as { messages?: unknown }).messages;
    if (Array.isArray(messages)) for (const m of messages) visit(m, depth + 1);
    for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key], depth + 1);
  };
  visit(bindings, 0);
  defsByName = out;
  return out;
}

export function messageDef(name: string): MessageDef {
  const d = defs().get(name);
  if (!d) throw new Error(`the vpp-api-ts bindings lack ${name}: regenerate them (npm run codegen)`);
  return d;
}

/** The message definitions the reconciler uses, for VppClient.connect({ messages }). */
export function reconcileMessages(): MessageDef[] {
  return [...defs().values()];
}

type Row = Record<string, unknown>;

function call(client: VppClient, name: string, v: Row): Promise<Row> {
  return (client.call as (d: unknown, v: unknown) => Promise<Row>)(messageDef(name), v);
}

/** Each details message as it arrives, so large dumps (10,000s of routes) are parsed without holding every raw row. */
async function forEachDetail(client: VppClient, name: string, v: Row, each: (row: Row) => void): Promise<void> {
  const iter = (client.dumpIter as (d: unknown, v: unknown) => AsyncIterableIterator<Row>)(messageDef(name), v);
  for await (const row of iter) each(row);
}

function dump(client: VppClient, name: string, v: Row): Promise<Row[]> {
  return (client.dump as (d: unknown, v: unknown) => Promise<Row[]>)(messageDef(name), v);
}

export function hasPeerV2(client: VppClient): boolean {
  const add = defs().get('wireguard_peer_add_v2');
  const dumpV2 = defs().get('wireguard_peers_v2_dump');
  return add !== undefined && dumpV2 !== undefined && client.has(add) && client.has(dumpV2);
}

// -- observe --------------------------------------------------------------------------------------

const b64 = (bytes: unknown): string => Buffer.from(bytes as Uint8Array).toString('base64');

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

async function readInterface(client: VppClient, row: Row): Promise<ActualInterface> {
  const swIfIndex = row.sw_if_index as number;
  const [t4, t6, a4, a6] = await Promise.all([
    call(client, 'sw_interface_get_table', { sw_if_index: swIfIndex, is_ipv6: false }),
    call(client, 'sw_interface_get_table', { sw_if_index: swIfIndex, is_ipv6: true }),
    dump(client, 'ip_address_dump', { sw_if_index: swIfIndex, is_ipv6: false }),
    dump(client, 'ip_address_dump', { sw_if_index: swIfIndex, is_ipv6: true }),
  ]);
  const flags = row.flags as number;
  const tag = str(row.tag);
  const owner = ownerOfTag(tag);
  return {
    swIfIndex,
    name: str(row.interface_name),
    devType: str(row.interface_dev_type),
    tag,
    ...(owner !== undefined ? { owner } : {}),
    adminUp: (flags & ADMIN_UP) !== 0,
    linkUp: (flags & LINK_UP) !== 0,
    mtu: [...(row.mtu as number[])],
    table: { ip4: t4.vrf_id as number, ip6: t6.vrf_id as number },
    addresses: [...a4, ...a6].map((a) => canonicalInterfaceAddress(a.prefix as string)),
  };
}

function parseWireguard(row: Row): ActualWireguardInterface {
  const i = row.interface as Row;
  return {
    swIfIndex: i.sw_if_index as number,
    instance: i.user_instance as number,
    publicKey: b64(i.public_key),
    listenPort: i.port as number,
    source: canonicalAddress(i.src_ip as string),
  };
}

function parsePeer(row: Row, peerV2: boolean): ActualPeer {
  const p = row.peer as Row;
  const endpoint = p.endpoint as string;
  const port = p.port as number;
  const flags = p.flags as number;
  const peer: ActualPeer = {
    peerIndex: p.peer_index as number,
    swIfIndex: p.sw_if_index as number,
    publicKey: b64(p.public_key),
    ...(!isZeroAddress(endpoint) && port !== 0 ? { endpoint: { address: canonicalAddress(endpoint), port } } : {}),
    allowedIps: (p.allowed_ips as string[]).map(canonicalPrefix),
    persistentKeepalive: p.persistent_keepalive as number,
    underlayTable: p.table_id as number,
    flags,
    established: (flags & PEER_ESTABLISHED) !== 0,
    ...(peerV2 ? { presharedKeySet: p.preshared_key_set as boolean } : {}),
  };
  if (peerV2 && p.preshared_key_set) attachPresharedKey(peer, Uint8Array.from(p.preshared_key as Uint8Array));
  // The dump hands us the key in clear; keep only the WeakMap copy.
  if (p.preshared_key instanceof Uint8Array) p.preshared_key.fill(0);
  return peer;
}

function parseTable(row: Row): ActualTable {
  const t = row.table as Row;
  return { id: t.table_id as number, family: t.is_ip6 ? 'ip6' : 'ip4', name: str(t.name) };
}

function parseTeib(row: Row): ActualTeibEntry {
  const e = row.entry as Row;
  return {
    swIfIndex: e.sw_if_index as number,
    peer: canonicalAddress(e.peer as string),
    nh: canonicalAddress(e.nh as string),
    nhTable: e.nh_table_id as number,
  };
}

function dumpWireguardInterfaces(client: VppClient): Promise<Row[]> {
  return dump(client, 'wireguard_interface_dump', { show_private_key: false, sw_if_index: NO_INDEX });
}

function dumpInterfaces(client: VppClient): Promise<Row[]> {
  return dump(client, 'sw_interface_dump', { sw_if_index: NO_INDEX, name_filter_valid: false, name_filter: '' });
}

async function readInterfaces(
  client: VppClient,
  wireguardRows: Promise<Row[]> = dumpWireguardInterfaces(client),
  interfaceRows: Promise<Row[]> = dumpInterfaces(client),
): Promise<{ interfaces: ActualInterface[]; wireguard: ActualWireguardInterface[] }> {
  const [ifRows, wgRows] = await Promise.all([interfaceRows, wireguardRows]);
  return {
    interfaces: await Promise.all(ifRows.map((row) => readInterface(client, row))),
    wireguard: wgRows.map(parseWireguard),
  };
}

export interface ObserveOptions {
  /**
   * Read only the routes a reconcile can act on: those with a path through a WireGuard interface,
   * and those whose routeKey is in this set (what the desired state wants). Other routes (a full
   * Internet table via the uplinks) are passed over as they stream in. See ActualState.routeScope.
   */
  routeScope?: ReadonlySet<string>;
}

// -- what the reconciler needs of VPP's API ---------------------------------------------------------

/** Read by every observe (each request with its reply or details). The peer dump is checked apart: v2 or v1. */
const READ_MESSAGES = [
  'sw_interface_dump',
  'sw_interface_details',
  'wireguard_interface_dump',
  'wireguard_interface_details',
  'ip_address_dump',
  'ip_address_details',
  'sw_interface_get_table',
  'sw_interface_get_table_reply',
  'ip_table_dump',
  'ip_table_details',
  'ip_route_dump',
  'ip_route_details',
  'ip_route_lookup',
  'ip_route_lookup_reply',
  'teib_dump',
  'teib_details',
];

/**
 * Refuses, before anything is read or changed, a VPP that lacks (or has another layout of) a message
 * the reconciler needs to read (`write`: also to apply), naming every such message at once instead of
 * failing on the first call that needs one. A VPP without the WireGuard plugin gets that said plainly.
 */
export function checkReconcileApi(client: VppClient, write: boolean): void {
  // Disconnected: the calls themselves say so.
  if (!client.connected) return;
  const peerV2 = hasPeerV2(client);
  const names = [...READ_MESSAGES, ...(peerV2 ? [] : ['wireguard_peers_dump', 'wireguard_peers_details'])];
  if (write) {
    // What an apply sends, with the replies; the peer add as v2 when VPP has it, else v1.
    const peerAdd = peerV2 ? 'wireguard_peer_add_v2' : 'wireguard_peer_add';
    for (const m of MUTATING_MESSAGES) {
      if (m.startsWith('wireguard_peer_add') && m !== peerAdd) continue;
      names.push(m, `${m}_reply`);
    }
  }
  const problems = client.incompatible(names.map(messageDef));
  if (problems.length === 0) return;
  throw new VppIncompatibleError(problems, apiHint(client, problems));
}

function apiHint(client: VppClient, problems: readonly IncompatibleMessage[]): string | undefined {
  const wireguard = problems.filter((m) => m.name.startsWith('wireguard_'));
  const noPlugin =
    wireguard.length > 0 &&
    wireguard.every((m) => m.theirs === undefined) &&
    client.incompatible([messageDef('wireguard_interface_dump')]).some((m) => m.theirs === undefined);
  if (noPlugin && wireguard.length === problems.length) {
    return (
      `VPP at ${client.socketPath} has no WireGuard API: its wireguard plugin is not loaded ` +
      '(startup.conf: plugins { plugin wireguard_plugin.so { enable } }; then restart VPP)'
    );
  }
  return undefined;
}

/** Reads VPP's state through dumps only (no mutating call). */
export async function observe(client: VppClient, opts: ObserveOptions = {}): Promise<ActualState> {
  checkReconcileApi(client, false);
  const peerV2 = hasPeerV2(client);
  const peers: ActualPeer[] = [];
  const routes: ActualRoute[] = [];
  const scope = opts.routeScope;
  const wireguardRows = dumpWireguardInterfaces(client);
  const interfaceRows = dumpInterfaces(client);
  // With a scope the routes wait for the interface lists (short dumps) to know which to keep.
  const indexes = scope
    ? Promise.all([wireguardRows, interfaceRows]).then(([wg, all]) => ({
        wireguard: new Set(wg.map((r) => (r.interface as Row).sw_if_index as number)),
        existing: new Set(all.map((r) => r.sw_if_index as number)),
      }))
    : undefined;
  const v2 = hasRouteSources(client);
  const dumpRoutes = async (id: number, family: AddressFamily): Promise<void> => {
    const known = await indexes;
    const table = { table_id: id, is_ip6: family === 'ip6', name: '' };
    await forEachDetail(
      client,
      v2 ? 'ip_route_v2_dump' : 'ip_route_dump',
      v2 ? { src: 0, table } : { table },
      (row) => {
        const route = row.route as Row;
        if (scope && known && !inScope(route, scope, known.wireguard, known.existing)) return;
        const r = parseRoute(route, family);
        if (r) routes.push(r);
      },
    );
  };
  // Table 0 exists in both families, so its routes (usually the most) are dumped alongside the
  // peers instead of waiting for the table list.
  const [ifs, tables, teibRows, , version] = await Promise.all([
    readInterfaces(client, wireguardRows, interfaceRows),
    dump(client, 'ip_table_dump', {}).then(async (rows) => {
      const list = rows.map(parseTable);
      await Promise.all(list.filter((t) => t.id !== 0).map((t) => dumpRoutes(t.id, t.family)));
      return list;
    }),
    dump(client, 'teib_dump', {}),
    forEachDetail(
      client,
      peerV2 ? 'wireguard_peers_v2_dump' : 'wireguard_peers_dump',
      { peer_index: NO_INDEX },
      (row) => peers.push(parsePeer(row, peerV2)),
    ),
    call(client, 'show_version', {}).then(
      (r) => str(r.version),
      () => undefined,
    ),
    dumpRoutes(0, 'ip4'),
    dumpRoutes(0, 'ip6'),
  ]);
  return buildActualState({
    ...ifs,
    peers,
    tables,
    routes,
    teib: teibRows.map(parseTeib),
    peerV2,
    ...(version ? { version } : {}),
    ...(scope ? { routeScope: scope } : {}),
  });
}

/**
 * A route of the scope: a path through a WireGuard interface or through one that no longer exists
 * (checked first: no text to parse), or a wanted key.
 */
function inScope(
  route: Row,
  scope: ReadonlySet<string>,
  viaWireguard: ReadonlySet<number>,
  existing: ReadonlySet<number>,
): boolean {
  for (const p of route.paths as Row[]) {
    const sw = p.sw_if_index as number;
    if (viaWireguard.has(sw) || (sw !== NO_INDEX && !existing.has(sw))) return true;
  }
  let prefix: string;
  try {
    prefix = canonicalPrefix(route.prefix as string);
  } catch {
    return false;
  }
  return scope.has(routeKey(route.table_id as number, prefix));
}

/** What an apply changed, so that verifying it can re-read just that. */
export interface Touched {
  /** Peers added (by their new index) and removed (by public key). */
  readonly addedPeers: Set<number>;
  readonly removedPeers: Set<string>;
  /** Routes set or deleted: table and prefix. */
  readonly routes: Map<string, { table: number; prefix: string }>;
  /** An interface, table binding, MTU, address, admin state, table or TEIB entry changed. */
  structural: boolean;
  /** A table was created or deleted (its routes come and go with it: observe everything again). */
  tables: boolean;
  /**
   * An interface was created: it may have been given the sw_if_index of one deleted earlier, and
   * VPP keeps routes through a deleted interface (as drops), which now read as through the new one.
   */
  interfacesCreated: boolean;
}

export function newTouched(): Touched {
  return {
    addedPeers: new Set(),
    removedPeers: new Set(),
    routes: new Map(),
    structural: false,
    tables: false,
    interfacesCreated: false,
  };
}

/**
 * Observes again after an apply, re-reading what the apply touched: interfaces, tables and TEIB in
 * full (they are few), peers by their new index and routes by exact lookup (they can be 10,000s);
 * everything else is taken from `before`. Used only when the apply succeeded.
 */
export async function observeTouched(client: VppClient, before: ActualState, touched: Touched): Promise<ActualState> {
  const peerV2 = before.capabilities.peerV2;
  const peers = new Map(before.peers);
  for (const k of touched.removedPeers) peers.delete(k);
  const routes = new Map(before.routes);
  const [ifs, tableRows, teibRows, peerRows, lookups] = await Promise.all([
    touched.structural ? readInterfaces(client) : undefined,
    touched.structural ? dump(client, 'ip_table_dump', {}) : undefined,
    touched.structural ? dump(client, 'teib_dump', {}) : undefined,
    Promise.all(
      [...touched.addedPeers].map((i) =>
        dump(client, peerV2 ? 'wireguard_peers_v2_dump' : 'wireguard_peers_dump', { peer_index: i }),
      ),
    ),
    Promise.all([...touched.routes].map(([k, r]) => lookupRoute(client, k, r.table, r.prefix))),
  ]);
  if (ifs) {
    // A /31 address that went (or moved) takes with it the host route VPP had added for its
    // other address: read those again too.
    const now = new Map(ifs.interfaces.map((i) => [i.swIfIndex, i]));
    for (const i of before.interfaces.values()) {
      for (const addr of i.addresses) {
        const other = pairedAddressOf31(addr);
        const still = now.get(i.swIfIndex);
        if (other === undefined || (still?.addresses.includes(addr) && still.table.ip4 === i.table.ip4)) continue;
        const prefix = `${other}/32`;
        const k = routeKey(i.table.ip4, prefix);
        if (!touched.routes.has(k)) lookups.push(await lookupRoute(client, k, i.table.ip4, prefix));
      }
    }
  }
  for (const rows of peerRows)
    for (const row of rows) {
      const p = parsePeer(row, peerV2);
      peers.set(p.publicKey, p);
    }
  for (const { k, route } of lookups) {
    if (route) routes.set(k, route);
    else routes.delete(k);
  }
  return buildActualState({
    interfaces: ifs ? ifs.interfaces : [...before.interfaces.values()],
    wireguard: ifs ? ifs.wireguard : [...before.wireguard.values()],
    peers: [...peers.values()],
    tables: tableRows ? tableRows.map(parseTable) : [...before.tables],
    routes: [...routes.values()],
    teib: teibRows ? teibRows.map(parseTeib) : [...before.teib],
    peerV2,
    ...(before.capabilities.version !== undefined ? { version: before.capabilities.version } : {}),
    ...(before.routeScope ? { routeScope: before.routeScope } : {}),
  });
}

/** One route by exact lookup; undefined when VPP has no such entry (or table). */
async function lookupRoute(
  client: VppClient,
  k: string,
  table: number,
  prefix: string,
): Promise<{ k: string; route: ActualRoute | undefined }> {
  try {
    const reply = await call(client, hasRouteSources(client) ? 'ip_route_lookup_v2' : 'ip_route_lookup', {
      table_id: table,
      exact: 1,
      prefix,
    });
    return { k, route: parseRoute({ ...(reply.route as Row), table_id: table }, familyOf(prefix)) };
  } catch (err) {
    const retval = (err as { retval?: number }).retval;
    if (retval === NO_SUCH_ENTRY || retval === NO_SUCH_FIB) return { k, route: undefined };
    throw err;
  }
}

/** Keeps the next-hop paths of an entry; connected (no next hop), local, drop and special entries are dropped. */
function parseRoute(route: Row, family: AddressFamily): ActualRoute | undefined {
  const paths: { swIfIndex: number; nh: string }[] = [];
  for (const p of route.paths as Row[]) {
    if (p.type !== PATH_TYPE_NORMAL || p.sw_if_index === NO_INDEX) continue;
    const addr = (p.nh as Row).address as { ip4?: string; ip6?: string };
    const nh = family === 'ip6' ? addr.ip6 : addr.ip4;
    if (nh === undefined || isZeroAddress(nh)) continue;
    paths.push({ swIfIndex: p.sw_if_index as number, nh: canonicalAddress(nh) });
  }
  if (!paths.length) return undefined;
  const r: ActualRoute = {
    table: route.table_id as number,
    family,
    prefix: canonicalPrefix(route.prefix as string),
    paths,
  };
  // One shape for the common case (tens of thousands of routes); the rare held one gets a copy.
  const src = route.src as number | undefined;
  return src === undefined || src === FIB_SOURCE_API ? r : { ...r, heldBy: src };
}

/** VPP reports each route's best source (ip_route_v2_dump and ip_route_lookup_v2, 24.10 on). */
function hasRouteSources(client: VppClient): boolean {
  return (
    client.has(messageDef('ip_route_v2_dump')) &&
    client.has(messageDef('ip_route_v2_details')) &&
    client.has(messageDef('ip_route_lookup_v2')) &&
    client.has(messageDef('ip_route_lookup_v2_reply'))
  );
}

// -- steps ----------------------------------------------------------------------------------------

export interface ExecContext {
  readonly client: VppClient;
  readonly actual: ActualState;
  /** Logical name → current sw_if_index of vppwg's interfaces; updated as interfaces are created and deleted. */
  readonly ifIndex: Map<string, number>;
  readonly peerV2: boolean;
  readonly touched: Touched;
}

/**
 * Puts one object back. Undos run in reverse order of completion: VPP's pools hand out the most
 * recently freed index first, so removed peers and interfaces get their old index back.
 */
export type Undo = () => Promise<void>;

function resolve(ctx: ExecContext, ref: IfRef): number {
  if (!('owner' in ref)) return ref.swIfIndex;
  const idx = ctx.ifIndex.get(ref.owner);
  if (idx === undefined) throw new Error(`interface "${ref.owner}" does not exist (yet)`);
  return idx;
}

function encodePaths(ctx: ExecContext, prefix: string, paths: readonly PathRef[]): Row[] {
  const ip6 = familyOf(prefix) === 'ip6';
  return paths.map((p) => ({
    sw_if_index: resolve(ctx, p.iface),
    table_id: 0,
    rpf_id: 0,
    weight: 1,
    preference: 0,
    type: PATH_TYPE_NORMAL,
    flags: 0,
    proto: ip6 ? 1 : 0,
    nh: { address: ip6 ? { ip6: p.nh } : { ip4: p.nh }, via_label: 0, obj_id: 0, classify_table_index: 0 },
    n_labels: 0,
    label_stack: [],
  }));
}

async function setRoute(ctx: ExecContext, table: number, prefix: string, paths: readonly PathRef[]): Promise<void> {
  // Without multipath an add replaces the entry's paths and a delete removes the entry: both idempotent.
  await call(ctx.client, 'ip_route_add_del', {
    is_add: paths.length > 0,
    is_multipath: false,
    route: { table_id: table, stats_index: 0, prefix, paths: encodePaths(ctx, prefix, paths) },
  });
}

async function addPeer(ctx: ExecContext, owner: string, peer: PeerConfig): Promise<number> {
  const swIfIndex = resolve(ctx, { owner });
  const common = {
    peer_index: 0,
    public_key: new Uint8Array(Buffer.from(peer.publicKey, 'base64')),
    port: peer.endpoint?.port ?? 0,
    persistent_keepalive: peer.persistentKeepalive,
    table_id: peer.underlayTable,
    endpoint: peer.endpoint?.address ?? '0.0.0.0',
    sw_if_index: swIfIndex,
    flags: 0,
    allowed_ips: [...peer.allowedIps],
  };
  let reply: Row;
  if (peer.presharedKey) {
    if (!ctx.peerV2)
      throw new Error('this VPP lacks wireguard_peer_add_v2: a peer with a preshared key cannot be added');
    reply = await call(ctx.client, 'wireguard_peer_add_v2', {
      peer: { ...common, preshared_key: peer.presharedKey.bytes, preshared_key_set: true },
    });
  } else {
    reply = await call(ctx.client, 'wireguard_peer_add', { peer: common });
  }
  return reply.peer_index as number;
}

async function removePeer(ctx: ExecContext, peerIndex: number): Promise<void> {
  await call(ctx.client, 'wireguard_peer_remove', { peer_index: peerIndex });
}

async function setFlags(ctx: ExecContext, swIfIndex: number, up: boolean): Promise<void> {
  await call(ctx.client, 'sw_interface_set_flags', { sw_if_index: swIfIndex, flags: up ? ADMIN_UP : 0 });
}

async function setTable(ctx: ExecContext, swIfIndex: number, family: AddressFamily, table: number): Promise<void> {
  await call(ctx.client, 'sw_interface_set_table', {
    sw_if_index: swIfIndex,
    is_ipv6: family === 'ip6',
    vrf_id: table,
  });
}

async function setMtu(ctx: ExecContext, swIfIndex: number, mtu: readonly number[]): Promise<void> {
  await call(ctx.client, 'sw_interface_set_mtu', { sw_if_index: swIfIndex, mtu: [...mtu] });
}

async function setAddress(ctx: ExecContext, swIfIndex: number, add: boolean, address: string): Promise<void> {
  await call(ctx.client, 'sw_interface_add_del_address', {
    sw_if_index: swIfIndex,
    is_add: add,
    del_all: false,
    prefix: address,
  });
}

async function setTable2(
  ctx: ExecContext,
  add: boolean,
  id: number,
  family: AddressFamily,
  name: string,
): Promise<void> {
  await call(ctx.client, 'ip_table_add_del', { is_add: add, table: { table_id: id, is_ip6: family === 'ip6', name } });
}

/** Creates a wg interface and tags it; a failure of the tag deletes the interface again, so the step is all or nothing. */
async function createInterface(
  ctx: ExecContext,
  owner: string,
  spec: { instance?: number; privateKey?: Uint8Array; listenPort: number; source: string },
): Promise<number> {
  const reply = await call(ctx.client, 'wireguard_interface_create', {
    interface: {
      user_instance: spec.instance ?? NO_INDEX,
      sw_if_index: 0,
      private_key: spec.privateKey ?? new Uint8Array(32),
      public_key: new Uint8Array(32),
      port: spec.listenPort,
      src_ip: spec.source,
    },
    generate_key: spec.privateKey === undefined,
  });
  const swIfIndex = reply.sw_if_index as number;
  try {
    await call(ctx.client, 'sw_interface_tag_add_del', {
      is_add: true,
      sw_if_index: swIfIndex,
      tag: OWNER_TAG_PREFIX + owner,
    });
  } catch (err) {
    await call(ctx.client, 'wireguard_interface_delete', { sw_if_index: swIfIndex }).catch(() => undefined);
    throw err;
  }
  ctx.ifIndex.set(owner, swIfIndex);
  return swIfIndex;
}

async function deleteInterface(ctx: ExecContext, owner: string, swIfIndex: number): Promise<void> {
  await call(ctx.client, 'wireguard_interface_delete', { sw_if_index: swIfIndex });
  if (ctx.ifIndex.get(owner) === swIfIndex) ctx.ifIndex.delete(owner);
}

/** Performs one step; resolves to the undo that puts the object back as it was. */
export async function executeStep(ctx: ExecContext, step: Step): Promise<Undo> {
  switch (step.t) {
    case 'table': {
      await setTable2(ctx, step.add, step.id, step.family, step.name);
      ctx.touched.structural = true;
      ctx.touched.tables = true;
      return () => setTable2(ctx, !step.add, step.id, step.family, step.name);
    }
    case 'interface-add': {
      ctx.touched.structural = true;
      ctx.touched.interfacesCreated = true;
      const swIfIndex = await createInterface(ctx, step.owner, {
        ...(step.instance !== undefined ? { instance: step.instance } : {}),
        ...(step.privateKey !== 'generate' ? { privateKey: step.privateKey.bytes } : {}),
        listenPort: step.listenPort,
        source: step.source,
      });
      return () => deleteInterface(ctx, step.owner, swIfIndex);
    }
    case 'interface-del': {
      ctx.touched.structural = true;
      const swIfIndex = resolve(ctx, { owner: step.owner });
      const before = ctx.actual.interfaces.get(swIfIndex);
      const wg = ctx.actual.wireguard.get(swIfIndex);
      // Read the private key only now, and keep it only in this undo: it is needed to put the interface back.
      const rows = await dump(ctx.client, 'wireguard_interface_dump', {
        show_private_key: true,
        sw_if_index: swIfIndex,
      });
      const iface = rows[0]?.interface as Row | undefined;
      const privateKey = iface ? makeSecretKey(iface.private_key as Uint8Array, 'VPP (kept for rollback)') : undefined;
      if (iface) (iface.private_key as Uint8Array).fill(0);
      await deleteInterface(ctx, step.owner, swIfIndex);
      return async () => {
        if (!wg || !before || !privateKey)
          throw new Error(`cannot restore interface "${step.owner}": its settings were not readable`);
        const idx = await createInterface(ctx, step.owner, {
          instance: wg.instance,
          privateKey: privateKey.bytes,
          listenPort: wg.listenPort,
          source: wg.source,
        });
        if (before.mtu.some((m) => m !== 0)) await setMtu(ctx, idx, before.mtu);
        if (before.table.ip4 !== 0) await setTable(ctx, idx, 'ip4', before.table.ip4);
        if (before.table.ip6 !== 0) await setTable(ctx, idx, 'ip6', before.table.ip6);
        if (before.adminUp) await setFlags(ctx, idx, true);
      };
    }
    case 'set-table': {
      const idx = resolve(ctx, step.iface);
      await setTable(ctx, idx, step.family, step.table);
      ctx.touched.structural = true;
      return () => setTable(ctx, resolve(ctx, step.iface), step.family, step.previous);
    }
    case 'set-mtu': {
      await setMtu(ctx, resolve(ctx, step.iface), step.mtu);
      ctx.touched.structural = true;
      return () => setMtu(ctx, resolve(ctx, step.iface), step.previous);
    }
    case 'address': {
      await setAddress(ctx, resolve(ctx, step.iface), step.add, step.address);
      ctx.touched.structural = true;
      return () => setAddress(ctx, resolve(ctx, step.iface), !step.add, step.address);
    }
    case 'peer-add': {
      const index = await addPeer(ctx, step.owner, step.peer);
      ctx.touched.addedPeers.add(index);
      return () => removePeer(ctx, index);
    }
    case 'peer-remove': {
      await removePeer(ctx, step.peerIndex);
      ctx.touched.removedPeers.add(step.restore.publicKey);
      return async () => {
        await addPeer(ctx, step.owner, step.restore);
      };
    }
    case 'route': {
      await setRoute(ctx, step.table, step.prefix, step.paths);
      ctx.touched.routes.set(routeKey(step.table, step.prefix), { table: step.table, prefix: step.prefix });
      return () => setRoute(ctx, step.table, step.prefix, step.previous);
    }
    case 'teib-del': {
      const entry = { sw_if_index: resolve(ctx, step.iface), peer: step.peer, nh: step.nh, nh_table_id: step.nhTable };
      await call(ctx.client, 'teib_entry_add_del', { is_add: 0, entry });
      ctx.touched.structural = true;
      return async () => {
        await call(ctx.client, 'teib_entry_add_del', {
          is_add: 1,
          entry: { ...entry, sw_if_index: resolve(ctx, step.iface) },
        });
      };
    }
    case 'admin': {
      await setFlags(ctx, resolve(ctx, step.iface), step.up);
      ctx.touched.structural = true;
      return () => setFlags(ctx, resolve(ctx, step.iface), step.previous);
    }
  }
}

/** Names of the messages that change VPP (for counting "mutating calls" in tests and benches). */
export const MUTATING_MESSAGES: readonly string[] = [
  'ip_table_add_del',
  'wireguard_interface_create',
  'wireguard_interface_delete',
  'sw_interface_tag_add_del',
  'sw_interface_set_table',
  'sw_interface_set_mtu',
  'sw_interface_add_del_address',
  'wireguard_peer_add',
  'wireguard_peer_add_v2',
  'wireguard_peer_remove',
  'ip_route_add_del',
  'teib_entry_add_del',
  'sw_interface_set_flags',
];
