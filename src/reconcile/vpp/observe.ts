/**
 * Reading VPP's state for the reconciler: the dumps that build an ActualState, and the narrower
 * re-read after an apply of just what it touched.
 */
import * as iface from 'vpp-api-ts/interface';
import * as ip from 'vpp-api-ts/ip';
import * as teib from 'vpp-api-ts/teib';
import * as vpe from 'vpp-api-ts/vpe';
import * as wireguard from 'vpp-api-ts/wireguard';
import { VppErrno, type VppClient } from '../../client';
import { mapInWindow } from '../../util/window';
import type { AddressFamily } from '../../config/model';
import {
  attachPresharedKey,
  buildActualState,
  ownerOfTag,
  routeKey,
  FIB_SOURCE_API,
  type ActualInterface,
  type ActualPeer,
  type ActualRoute,
  type ActualState,
  type ActualTable,
  type ActualTeibEntry,
  type ActualWireguardInterface,
} from '../actual';
import { hasLinuxCp } from '../lcp-messages';
import { readLcp } from '../lcp-observe';
import {
  canonicalVppAddress,
  canonicalInterfaceAddress,
  decodedVppPrefix,
  familyOf,
  isZeroDecodedAddress,
  pairedAddressOf31,
} from '../ip';
import {
  ADMIN_UP,
  LINK_UP,
  NO_INDEX,
  PATH_TYPE_NORMAL,
  PEER_ESTABLISHED,
  checkReconcileApi,
  hasPeerV2,
  hasRouteSources,
} from './messages';

type InterfaceRow = iface.SwInterfaceDetails;
type WireguardRow = wireguard.WireguardInterfaceDetails;
/** A route as ip_route_details (v1) or ip_route_v2_details (with its best source) carries it. */
type RouteRow = ip.IpRoute | ip.IpRouteV2;
/** A peer as the v1 dump or the v2 dump (with the preshared key) carries it. */
type PeerRow = wireguard.WireguardPeer | wireguard.WireguardPeerV2;

/** What VPP's l2_address says for an interface without hardware address (wg, local0). */
const NO_MAC = '00:00:00:00:00:00';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/**
 * Route lookups in flight at once: enough to keep VPP's queue full, few enough that a cold apply
 * of 50,000 peers (100,000 wanted routes, each looked up beside linux-cp) does not hold them all.
 */
const LOOKUPS_IN_FLIGHT = 1024;

/** The peers (one by index, or all with NO_INDEX) as they arrive, through the v2 dump when `peerV2`. */
async function forEachPeer(
  client: VppClient,
  peerV2: boolean,
  peerIndex: number,
  each: (p: PeerRow) => void,
): Promise<void> {
  if (peerV2) {
    for await (const d of client.dumpIter(wireguard.wireguard_peers_v2_dump, { peer_index: peerIndex })) each(d.peer);
  } else {
    for await (const d of client.dumpIter(wireguard.wireguard_peers_dump, { peer_index: peerIndex })) each(d.peer);
  }
}

/**
 * The routes of one table as they arrive (large dumps of 10,000s of routes are parsed without
 * holding every raw row), through ip_route_v2_dump when `withSources`. The request is sent at
 * once; rows wait in the stream until the caller reads them.
 */
function routeRows(
  client: VppClient,
  withSources: boolean,
  id: number,
  family: AddressFamily,
  src = 0,
): AsyncIterable<RouteRow> {
  const table = { table_id: id, is_ip6: family === 'ip6', name: '' };
  const details = withSources
    ? client.dumpIter(ip.ip_route_v2_dump, { src, table })
    : client.dumpIter(ip.ip_route_dump, { table });
  return {
    async *[Symbol.asyncIterator]() {
      for await (const d of details) yield d.route;
    },
  };
}

async function readInterface(client: VppClient, row: InterfaceRow): Promise<ActualInterface> {
  const swIfIndex = row.sw_if_index;
  const [t4, t6, a4, a6] = await Promise.all([
    client.call(iface.sw_interface_get_table, { sw_if_index: swIfIndex, is_ipv6: false }),
    client.call(iface.sw_interface_get_table, { sw_if_index: swIfIndex, is_ipv6: true }),
    client.dump(ip.ip_address_dump, { sw_if_index: swIfIndex, is_ipv6: false }),
    client.dump(ip.ip_address_dump, { sw_if_index: swIfIndex, is_ipv6: true }),
  ]);
  const owner = ownerOfTag(row.tag);
  const mac = row.l2_address.toLowerCase();
  return {
    swIfIndex,
    name: row.interface_name,
    devType: row.interface_dev_type,
    tag: row.tag,
    ...(owner !== undefined ? { owner } : {}),
    adminUp: (row.flags & ADMIN_UP) !== 0,
    linkUp: (row.flags & LINK_UP) !== 0,
    ...(mac !== NO_MAC ? { mac } : {}),
    ...(row.sup_sw_if_index !== swIfIndex ? { parentSwIfIndex: row.sup_sw_if_index } : {}),
    mtu: [...row.mtu],
    table: { ip4: t4.vrf_id, ip6: t6.vrf_id },
    addresses: [...a4, ...a6].map((a) => canonicalInterfaceAddress(a.prefix)),
  };
}

function parseWireguard(row: WireguardRow): ActualWireguardInterface {
  const i = row.interface;
  return {
    swIfIndex: i.sw_if_index,
    instance: i.user_instance,
    publicKey: b64(i.public_key),
    listenPort: i.port,
    source: canonicalVppAddress(i.src_ip),
  };
}

function parsePeer(p: PeerRow): ActualPeer {
  const v2 = 'preshared_key' in p;
  const peer: ActualPeer = {
    peerIndex: p.peer_index,
    swIfIndex: p.sw_if_index,
    publicKey: b64(p.public_key),
    // Addresses are compared as the decoder wrote them: it writes the canonical text.
    ...(!isZeroDecodedAddress(p.endpoint) && p.port !== 0 ? { endpoint: { address: p.endpoint, port: p.port } } : {}),
    allowedIps: p.allowed_ips.map(decodedVppPrefix),
    persistentKeepalive: p.persistent_keepalive,
    underlayTable: p.table_id,
    flags: p.flags,
    established: (p.flags & PEER_ESTABLISHED) !== 0,
    ...(v2 ? { presharedKeySet: p.preshared_key_set } : {}),
  };
  if (v2) {
    if (p.preshared_key_set) attachPresharedKey(peer, Uint8Array.from(p.preshared_key));
    // The dump hands us the key in clear; keep only the WeakMap copy.
    p.preshared_key.fill(0);
  }
  return peer;
}

/**
 * VPP's WireGuard peers (all, or the one at `peerIndex`) as an observe reads them: through the v2
 * dump when the connection has it, a preshared key kept only where presharedKeyOf finds it (the
 * bytes VPP sent are zeroed). For readers of peer status (the daemon) that need no full observe.
 */
export async function readPeers(client: VppClient, peerIndex = NO_INDEX): Promise<ActualPeer[]> {
  const peers: ActualPeer[] = [];
  await forEachPeer(client, hasPeerV2(client), peerIndex, (p) => peers.push(parsePeer(p)));
  return peers;
}

function parseTable(row: ip.IpTableDetails): ActualTable {
  const t = row.table;
  return { id: t.table_id, family: t.is_ip6 ? 'ip6' : 'ip4', name: t.name };
}

function parseTeib(row: teib.TeibDetails): ActualTeibEntry {
  const e = row.entry;
  return {
    swIfIndex: e.sw_if_index,
    peer: canonicalVppAddress(e.peer),
    nh: canonicalVppAddress(e.nh),
    nhTable: e.nh_table_id,
  };
}

function dumpWireguardInterfaces(client: VppClient): Promise<WireguardRow[]> {
  return client.dump(wireguard.wireguard_interface_dump, { show_private_key: false, sw_if_index: NO_INDEX });
}

function dumpInterfaces(client: VppClient): Promise<InterfaceRow[]> {
  return client.dump(iface.sw_interface_dump, { sw_if_index: NO_INDEX, name_filter_valid: false, name_filter: '' });
}

async function readInterfaces(
  client: VppClient,
  wireguardRows: Promise<WireguardRow[]> = dumpWireguardInterfaces(client),
  interfaceRows: Promise<InterfaceRow[]> = dumpInterfaces(client),
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
  /**
   * Read only the routes of `routeScope`, each by exact lookup, and no table walk: the cost stays
   * with what vppwg owns however many routes others put in the tables (a routing daemon's full
   * Internet table through linux-cp: VPP's source-filtered dump walks every entry). API routes
   * another client added through vppwg's interfaces are not seen. See ReconcileOptions.routeReads.
   */
  scopeOnly?: boolean;
}

/** Reads VPP's state through dumps and lookups only (no mutating call). */
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
        wireguard: new Set(wg.map((r) => r.interface.sw_if_index)),
        existing: new Set(all.map((r) => r.sw_if_index)),
      }))
    : undefined;
  const withSources = hasRouteSources(client);
  // Beside a routing daemon (linux-cp), whose full table may run through vppwg's interfaces, a
  // reconcile reads only API routes, as VPP filters them, and looks up the wanted ones it lacks:
  // the cost stays with what vppwg owns.
  const apiOnly = scope !== undefined && withSources && hasLinuxCp(client);
  // Sent with the other requests: VPP answers them in order.
  const scoped = scope !== undefined && opts.scopeOnly === true ? lookupMissing(client, scope, []) : undefined;
  const dumpRoutes = async (id: number, family: AddressFamily): Promise<void> => {
    if (scoped) return;
    // Asked for before the interface lists are in: one round trip to VPP, not two, which counts
    // when VPP answers between bursts of handshake work. VPP answers in order, so the lists
    // (asked first) are complete by the time the routes arrive.
    const rows = routeRows(client, withSources, id, family, apiOnly ? FIB_SOURCE_API : 0);
    const known = await indexes;
    for await (const route of rows) {
      if (scope && known && !inScope(route, scope, known.wireguard, known.existing)) continue;
      const r = parseRoute(route, family);
      if (r) routes.push(r);
    }
  };
  // Table 0 exists in both families, so its routes (usually the most) are dumped alongside the
  // peers instead of waiting for the table list.
  const [ifs, tables, teibRows, , version, lcp, scopedRoutes] = await Promise.all([
    readInterfaces(client, wireguardRows, interfaceRows),
    client.dump(ip.ip_table_dump, {}).then(async (rows) => {
      const list = rows.map(parseTable);
      await Promise.all(list.filter((t) => t.id !== 0).map((t) => dumpRoutes(t.id, t.family)));
      return list;
    }),
    client.dump(teib.teib_dump, {}),
    forEachPeer(client, peerV2, NO_INDEX, (p) => peers.push(parsePeer(p))),
    client.call(vpe.show_version, {}).then(
      (r) => r.version,
      () => undefined,
    ),
    readLcp(client),
    scoped,
    dumpRoutes(0, 'ip4'),
    dumpRoutes(0, 'ip6'),
  ]);
  if (scopedRoutes) routes.push(...scopedRoutes);
  else if (apiOnly) routes.push(...(await lookupMissing(client, scope, routes)));
  return buildActualState({
    ...ifs,
    peers,
    tables,
    routes,
    teib: teibRows.map(parseTeib),
    peerV2,
    ...(version ? { version } : {}),
    ...(scope ? { routeScope: scope } : {}),
    ...(lcp ? { lcp } : {}),
  });
}

/**
 * A route of the scope: a path through a WireGuard interface or through one that no longer exists
 * (checked first: no text to parse), or a wanted key.
 */
function inScope(
  route: RouteRow,
  scope: ReadonlySet<string>,
  viaWireguard: ReadonlySet<number>,
  existing: ReadonlySet<number>,
): boolean {
  for (const p of route.paths) {
    const sw = p.sw_if_index;
    if (viaWireguard.has(sw) || (sw !== NO_INDEX && !existing.has(sw))) return true;
  }
  let prefix: string;
  try {
    prefix = decodedVppPrefix(route.prefix);
  } catch {
    return false;
  }
  return scope.has(routeKey(route.table_id, prefix));
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
  /** Admin state set by the run, by sw_if_index (VPP's reply confirms it; see reconcile's verify). */
  readonly adminSet: Map<number, boolean>;
}

export function newTouched(): Touched {
  return {
    addedPeers: new Set(),
    removedPeers: new Set(),
    routes: new Map(),
    structural: false,
    tables: false,
    interfacesCreated: false,
    adminSet: new Map(),
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
  const [ifs, tableRows, teibRows, , lookups, lcp] = await Promise.all([
    touched.structural ? readInterfaces(client) : undefined,
    touched.structural ? client.dump(ip.ip_table_dump, {}) : undefined,
    touched.structural ? client.dump(teib.teib_dump, {}) : undefined,
    Promise.all(
      [...touched.addedPeers].map((i) =>
        forEachPeer(client, peerV2, i, (row) => {
          const p = parsePeer(row);
          peers.set(p.publicKey, p);
        }),
      ),
    ),
    mapInWindow([...touched.routes], LOOKUPS_IN_FLIGHT, ([k, r]) => lookupRoute(client, k, r.table, r.prefix)),
    touched.structural ? readLcp(client) : before.lcp,
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
    ...(lcp ? { lcp } : {}),
  });
}

/** The wanted routes an API-only dump did not bring: held by another source (an address, the routing daemon) or absent. */
async function lookupMissing(
  client: VppClient,
  scope: ReadonlySet<string>,
  got: readonly ActualRoute[],
): Promise<ActualRoute[]> {
  const have = new Set(got.map((r) => routeKey(r.table, r.prefix)));
  const missing = [...scope].filter((k) => !have.has(k));
  const found = await mapInWindow(missing, LOOKUPS_IN_FLIGHT, (k) => {
    const bar = k.indexOf('|');
    return lookupRoute(client, k, Number(k.slice(0, bar)), k.slice(bar + 1));
  });
  return found.flatMap((f) => (f.route ? [f.route] : []));
}

/** One route by exact lookup; undefined when VPP has no such entry (or table). */
async function lookupRoute(
  client: VppClient,
  k: string,
  table: number,
  prefix: string,
): Promise<{ k: string; route: ActualRoute | undefined }> {
  const request = { table_id: table, exact: 1, prefix };
  try {
    const reply = hasRouteSources(client)
      ? await client.call(ip.ip_route_lookup_v2, request)
      : await client.call(ip.ip_route_lookup, request);
    return { k, route: parseRoute({ ...reply.route, table_id: table }, familyOf(prefix)) };
  } catch (err) {
    const retval = (err as { retval?: number }).retval;
    // ip_route_lookup(_v2) answers these for a prefix (or a table) VPP does not have.
    if (retval === VppErrno.NO_SUCH_ENTRY || retval === VppErrno.NO_SUCH_FIB) return { k, route: undefined };
    throw err;
  }
}

/** Keeps the next-hop paths of an entry; connected (no next hop), local, drop and special entries are dropped. */
function parseRoute(route: RouteRow, family: AddressFamily): ActualRoute | undefined {
  const paths: { swIfIndex: number; nh: string }[] = [];
  for (const p of route.paths) {
    if (p.type !== PATH_TYPE_NORMAL || p.sw_if_index === NO_INDEX) continue;
    // A union arm whose bytes are no valid address is left out of the decoded value.
    const nh: string | undefined = family === 'ip6' ? p.nh.address.ip6 : p.nh.address.ip4;
    if (nh === undefined || isZeroDecodedAddress(nh)) continue;
    paths.push({ swIfIndex: p.sw_if_index, nh });
  }
  if (!paths.length) return undefined;
  const r: ActualRoute = {
    table: route.table_id,
    family,
    prefix: decodedVppPrefix(route.prefix),
    paths,
  };
  // One shape for the common case (tens of thousands of routes); the rare held one gets a copy.
  const src = 'src' in route ? route.src : undefined;
  return src === undefined || src === FIB_SOURCE_API ? r : { ...r, heldBy: src };
}
