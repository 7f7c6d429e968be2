/**
 * The desired state after loading and validation: what the reconciler consumes. Everything here is
 * normalised (defaults applied, keys resolved to raw 32 bytes, prefixes in canonical text form
 * 'a.b.c.d/len' / 'x::/len'). The on-disk YAML/JSON format (src/config/schema) maps onto this.
 */
import type { SecretKey } from '../util/secrets';

/** Owned by util/secrets (which redacts it), so that util does not depend on config. */
export type { SecretKey };

export type AddressFamily = 'ip4' | 'ip6';

export interface DesiredTable {
  /** FIB table id (non-zero: table 0 always exists). */
  readonly id: number;
  readonly name: string;
  /** Families to create: ['ip4'], ['ip6'] or both. */
  readonly families: readonly AddressFamily[];
}

/**
 * How an uplink is found among VPP's interfaces by its hardware rather than its name: every key
 * given must agree, and exactly one interface may match (see src/reconcile/uplink-match.ts).
 */
export interface UplinkMatch {
  /** MAC address, lower case 'aa:bb:cc:dd:ee:ff' (VPP's sw_interface_details l2_address). */
  readonly mac?: string;
  /** PCI address 'dddd:bb:dd.f', lower case (what VPP's DPDK interface names encode). */
  readonly pci?: string;
}

export interface DesiredUplink {
  /**
   * VPP interface name, e.g. 'TenGigabitEthernet0/8/0', 'host-eth0', 'loop0'; with `match` the
   * file's logical name for it (used by routes), until the plan resolves it to VPP's name. vppwg
   * never creates or deletes it.
   */
  readonly name: string;
  /** Find the interface by hardware; `name` is then logical. */
  readonly match?: UplinkMatch;
  /** Set once matched (src/reconcile/uplink-match.ts): the file's logical name, `name` being VPP's. */
  readonly logicalName?: string;
  /** Only the attributes the file names are managed; undefined = leave as is. */
  readonly adminUp?: boolean;
  readonly mtu?: number;
  readonly table?: number;
  /**
   * Interface addresses 'a.b.c.d/len' (host bits kept) that must be present. undefined = leave
   * addresses alone. An address VPP has and this list lacks is an error (the uplink may be how the
   * operator reaches the box) unless removeUnlistedAddresses opts in to removing it.
   */
  readonly addresses?: readonly string[];
  /** File key `remove_unlisted_addresses: true`: `addresses` is the exact set; others are removed. */
  readonly removeUnlistedAddresses?: boolean;
  /** File key `allow_admin_down: true`: `admin_up: false` may bring an uplink that is up down. */
  readonly allowAdminDown?: boolean;
  /** File key `host_interface`: the Linux TAP linux-cp pairs with the uplink (in DesiredState.linuxCp.netns). */
  readonly hostInterface?: string;
}

export interface DesiredRoute {
  /** Canonical prefix, network address. */
  readonly prefix: string;
  /** FIB table of the route (0 = default). */
  readonly table: number;
  /** Next-hop address. */
  readonly via: string;
  /** Interface name of the path (an uplink's VPP name or a WireGuard interface's logical name). */
  readonly interface: string;
}

export interface DesiredPeer {
  /** Logical name, for messages and plans. */
  readonly name: string;
  /** Identity of the peer (as in `wg syncconf`): base64 of the 32-byte public key. */
  readonly publicKey: string;
  readonly presharedKey?: SecretKey;
  /** Absent for a remote-access-server peer: VPP learns the endpoint from the handshake. */
  readonly endpoint?: { readonly address: string; readonly port: number };
  /** Canonical prefixes, 1..255. */
  readonly allowedIps: readonly string[];
  /** Seconds, 0 = off. */
  readonly persistentKeepalive: number;
  /** Underlay FIB table used to reach the endpoint (VPP's peer table_id), default 0. */
  readonly underlayTable: number;
  /** The peer's tunnel addresses: each gets a host route via this next hop on the interface. */
  readonly tunnelNextHops: readonly string[];
  /** Networks reached through the peer, each via a next hop inside the peer's allowed IPs. */
  readonly routes: readonly { readonly prefix: string; readonly via: string }[];
  /** File key `bgp`: a BGP session to the peer over each of its tunnel next hops (what `vppwg render` writes). */
  readonly bgp?: { readonly peerAs: number };
}

export interface DesiredWireguardInterface {
  /** Logical name; recorded in VPP as the interface tag `vppwg:<name>` (ownership marker). */
  readonly name: string;
  /** wg<instance>; undefined = let VPP choose the lowest free one. */
  readonly instance?: number;
  /**
   * Private key, or 'generate': vppwg generates it once and keeps it in its state directory
   * (keys/<name>.key, mode 0600), reusing it across restarts of VPP and of vppwg.
   */
  readonly privateKey: SecretKey | 'generate';
  /** Base64 public key derived from privateKey when it is given (undefined for 'generate'). */
  readonly publicKey?: string;
  readonly listenPort: number;
  /** Underlay source address: must be held by an uplink. */
  readonly source: string;
  /** Tunnel addresses 'a.b.c.d/len', IPv4 and/or IPv6. */
  readonly addresses: readonly string[];
  readonly mtu?: number;
  /** Overlay FIB table (VRF) bound for both families; 0 = default. */
  readonly table: number;
  readonly adminUp: boolean;
  readonly peers: readonly DesiredPeer[];
  /** File key `host_interface`: the Linux TUN linux-cp pairs with this interface (in DesiredState.linuxCp.netns). */
  readonly hostInterface?: string;
}

export interface DesiredState {
  readonly tables: readonly DesiredTable[];
  readonly uplinks: readonly DesiredUplink[];
  /** Static underlay routes (default route via the gateway, pinned endpoint routes). */
  readonly routes: readonly DesiredRoute[];
  readonly wireguard: readonly DesiredWireguardInterface[];
  /** File key `linux_cp`: the namespace the routing daemon runs in, set as linux-cp's default. */
  readonly linuxCp?: DesiredLinuxCp;
  /** File key `bgp`: the local side of the BGP sessions `vppwg render` writes. */
  readonly bgp?: DesiredBgp;
}

export interface DesiredLinuxCp {
  readonly netns: string;
}

export interface DesiredBgp {
  readonly localAs: number;
  /** An IPv4 address, canonical text. */
  readonly routerId: string;
}

/** One finding of validation: the place in the file and what to do. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  /** 1-based; 0 when unknown. */
  readonly line: number;
  readonly column: number;
  /** JSON pointer into the document, e.g. '/wireguard/0/peers/2/allowed_ips/1'. */
  readonly path: string;
  /** What is wrong and what to do, e.g. 'allowed IP 10.0.0.0/8 overlaps peer "b" (10.1.0.0/16): allowed IPs of peers on one interface must not overlap'. */
  readonly message: string;
}
