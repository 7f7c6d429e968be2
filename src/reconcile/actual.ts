/**
 * What VPP has, as read back through dumps. Indexed by the keys the planner diffs on (interface
 * name, owner name, public key, table+prefix) so that planning 10,000 peers stays linear.
 */
import type { AddressFamily } from '../config/model';
import { TAG_PREFIX } from '../config/tag';
import type { ActualLcp } from './lcp-actual';

/** The ownership tag's prefix (src/config/tag.ts owns it); kept under this name for existing imports. */
export const OWNER_TAG_PREFIX = TAG_PREFIX;

export interface ActualInterface {
  readonly swIfIndex: number;
  /** VPP's name: 'wg0', 'TenGigabitEthernet0/8/0', 'loop0'. */
  readonly name: string;
  readonly devType: string;
  readonly tag: string;
  /**
   * Logical name when the tag is vppwg's ownership marker on a WireGuard interface, else undefined.
   * vppwg only creates WireGuard interfaces, so the marker on anything else (a loopback tagged by
   * hand) is not vppwg's: such an interface keeps its `tag` but no owner, and is left alone.
   */
  readonly owner?: string;
  readonly adminUp: boolean;
  readonly linkUp: boolean;
  /** Hardware (MAC) address, lower case; unset when VPP reports none (all zero: wg, local0). */
  readonly mac?: string;
  /** Set on a sub-interface: its parent's sw_if_index (it reports the parent's MAC). */
  readonly parentSwIfIndex?: number;
  /** VPP's per-protocol MTUs [L3, IP4, IP6, MPLS]. */
  readonly mtu: readonly number[];
  readonly table: { readonly ip4: number; readonly ip6: number };
  /** Interface addresses, host bits kept, canonical text. */
  readonly addresses: readonly string[];
}

export interface ActualWireguardInterface {
  readonly swIfIndex: number;
  readonly instance: number;
  /** base64 */
  readonly publicKey: string;
  readonly listenPort: number;
  readonly source: string;
}

export interface ActualPeer {
  readonly peerIndex: number;
  readonly swIfIndex: number;
  /** base64: the identity the diff keys on. */
  readonly publicKey: string;
  /** Undefined while VPP knows no endpoint (0.0.0.0 / :: or port 0): a remote-access-server peer before its handshake. */
  readonly endpoint?: { readonly address: string; readonly port: number };
  /** Canonical network prefixes, in VPP's order. */
  readonly allowedIps: readonly string[];
  readonly persistentKeepalive: number;
  readonly underlayTable: number;
  readonly flags: number;
  readonly established: boolean;
  /** Known only through the v2 dump; undefined when VPP has no v2 peer messages. */
  readonly presharedKeySet?: boolean;
}

export interface ActualTable {
  readonly id: number;
  readonly family: AddressFamily;
  readonly name: string;
}

export interface ActualPath {
  readonly swIfIndex: number;
  /** Canonical next-hop address. */
  readonly nh: string;
}

/** FIB_SOURCE_API (VPP's fib_source.h): the source of every route added with ip_route_add_del. */
export const FIB_SOURCE_API = 8;
/** The last built-in source (FIB_SOURCE_INTERPOSE); higher numbers are registered by plugins at run time. */
const FIB_SOURCE_LAST_BUILTIN = 21;

/**
 * Whether VPP prefers source `src` to the API for a prefix: the built-in sources numbered below it
 * (special, classify, proxy, interface, SR, BIER, 6RD) rank above it, the rest below; a plugin's own
 * source ranks where it chose, which the API does not tell, so it counts as above (left alone).
 */
export function sourceRanksAboveApi(src: number): boolean {
  return src < FIB_SOURCE_API || src > FIB_SOURCE_LAST_BUILTIN;
}

export interface ActualRoute {
  readonly table: number;
  readonly family: AddressFamily;
  /** Canonical network prefix. */
  readonly prefix: string;
  /** Next-hop paths (connected, local and drop entries are not routes anyone configured, and are left out). */
  readonly paths: readonly ActualPath[];
  /**
   * VPP's best source for the entry when it is not the API (an interface address, an adjacency, a
   * recursive resolution, another control plane's source), as ip_route_v2 reports it: what VPP
   * forwards by is not an API route, so vppwg can neither replace nor remove it. Unset with the v1 dumps.
   */
  readonly heldBy?: number;
}

export interface ActualTeibEntry {
  readonly swIfIndex: number;
  readonly peer: string;
  readonly nh: string;
  readonly nhTable: number;
}

export interface ActualState {
  readonly interfaces: ReadonlyMap<number, ActualInterface>;
  readonly interfacesByName: ReadonlyMap<string, ActualInterface>;
  readonly wireguard: ReadonlyMap<number, ActualWireguardInterface>;
  /** Keyed by public key: VPP allows one peer per key across all interfaces. */
  readonly peers: ReadonlyMap<string, ActualPeer>;
  readonly tables: readonly ActualTable[];
  /** Keyed by routeKey(table, prefix). Only the tables observed (0, the file's, and those of owned interfaces). */
  readonly routes: ReadonlyMap<string, ActualRoute>;
  /**
   * Set when routes were read for a reconcile: then a route is here only if a path goes through a
   * WireGuard interface or its key is one of these (the keys the desired state wants), so a VPP
   * holding a full Internet table is not read into memory on every run. Unset: every route.
   */
  readonly routeScope?: ReadonlySet<string>;
  readonly teib: readonly ActualTeibEntry[];
  /** WireGuard interfaces carrying vppwg's tag: logical name → sw_if_index. */
  readonly owned: { readonly interfaces: ReadonlyMap<string, number> };
  /** Interfaces that carry vppwg's tag but are not WireGuard interfaces, so not vppwg's: logical name → sw_if_index. */
  readonly strayTagged: ReadonlyMap<string, number>;
  /** linux-cp's pairs and sources; undefined when VPP has no linux-cp plugin (see ./lcp-actual.ts). */
  readonly lcp?: ActualLcp;
  readonly capabilities: {
    readonly peerV2: boolean;
    /** show_version's text, when read. */
    readonly version?: string;
    /**
     * VPP before 26.02 unstacks a removed peer's midchain delegate instead of removing it, so a
     * re-added peer with a new endpoint keeps forwarding to the old one until its adjacencies are
     * rebuilt (routes through it withdrawn and re-added).
     */
    readonly staleDelegates: boolean;
  };
}

export function routeKey(table: number, prefix: string): string {
  return `${table}|${prefix}`;
}

export function tableKey(family: AddressFamily, id: number): string {
  return `${family}:${id}`;
}

/** Secrets read from VPP, kept out of every enumerable/printable field: used only to compare and to restore on rollback. */
const psks = new WeakMap<ActualPeer, Uint8Array>();
const privateKeys = new WeakMap<ActualWireguardInterface, Uint8Array>();

export function attachPresharedKey(peer: ActualPeer, key: Uint8Array): void {
  psks.set(peer, key);
}
export function presharedKeyOf(peer: ActualPeer): Uint8Array | undefined {
  return psks.get(peer);
}
export function attachPrivateKey(wg: ActualWireguardInterface, key: Uint8Array): void {
  privateKeys.set(wg, key);
}
export function privateKeyOf(wg: ActualWireguardInterface): Uint8Array | undefined {
  return privateKeys.get(wg);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Builds the indexes of an ActualState from plain lists (observe and tests use it). */
export function buildActualState(input: {
  interfaces: ActualInterface[];
  wireguard: ActualWireguardInterface[];
  peers: ActualPeer[];
  tables: ActualTable[];
  routes: ActualRoute[];
  teib: ActualTeibEntry[];
  peerV2: boolean;
  version?: string;
  routeScope?: ReadonlySet<string>;
  lcp?: ActualLcp;
}): ActualState {
  const interfaces = new Map<number, ActualInterface>();
  const interfacesByName = new Map<string, ActualInterface>();
  const owned = new Map<string, number>();
  const strayTagged = new Map<string, number>();
  const wireguard = new Map(input.wireguard.map((w) => [w.swIfIndex, w]));
  for (const tagged of input.interfaces) {
    let i = tagged;
    if (i.owner !== undefined) {
      if (wireguard.has(i.swIfIndex)) owned.set(i.owner, i.swIfIndex);
      else {
        // Deleting it would be a wireguard_interface_delete VPP refuses (and not vppwg's to delete).
        strayTagged.set(i.owner, i.swIfIndex);
        const { owner: _notOurs, ...rest } = i;
        i = rest;
      }
    }
    interfaces.set(i.swIfIndex, i);
    interfacesByName.set(i.name, i);
  }
  const routes = new Map<string, ActualRoute>();
  for (const r of input.routes) routes.set(routeKey(r.table, r.prefix), r);
  return {
    interfaces,
    interfacesByName,
    wireguard,
    peers: new Map(input.peers.map((p) => [p.publicKey, p])),
    tables: input.tables,
    routes,
    ...(input.routeScope ? { routeScope: input.routeScope } : {}),
    teib: input.teib,
    owned: { interfaces: owned },
    strayTagged,
    ...(input.lcp ? { lcp: input.lcp } : {}),
    capabilities: {
      peerV2: input.peerV2,
      ...(input.version !== undefined ? { version: input.version } : {}),
      staleDelegates: hasStaleDelegates(input.version, input.peerV2),
    },
  };
}

/** `actual` with the admin state of some interfaces as given (what VPP's replies confirmed after it was read). */
export function withAdminStates(actual: ActualState, states: ReadonlyMap<number, boolean>): ActualState {
  if (!states.size) return actual;
  const interfaces = new Map(actual.interfaces);
  const interfacesByName = new Map(actual.interfacesByName);
  for (const [idx, up] of states) {
    const i = interfaces.get(idx);
    if (!i || i.adminUp === up) continue;
    const set = { ...i, adminUp: up };
    interfaces.set(idx, set);
    interfacesByName.set(set.name, set);
  }
  return { ...actual, interfaces, interfacesByName };
}

export function ownerOfTag(tag: string): string | undefined {
  return tag.startsWith(OWNER_TAG_PREFIX) ? tag.slice(OWNER_TAG_PREFIX.length) : undefined;
}

/** '24.10-release' → true, '26.10.0-rc0~374' → false; unknown text: VPP without v2 peers predates 26.06, so assume it might. */
export function hasStaleDelegates(version: string | undefined, peerV2: boolean): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return !peerV2;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major < 26 || (major === 26 && minor < 2);
}
