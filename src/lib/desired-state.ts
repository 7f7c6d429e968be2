/**
 * The desired state written as a TypeScript object: the file format's shape (snake_case keys, as
 * in the YAML) as a type, and its validation through the same schema and semantic checks as a file.
 * test/lib/document-type.test.ts keeps these types and the JSON Schema (src/config/schema.ts) in step.
 */
import { parseDesiredState, type LoadResult } from '../config';

/** A key given by reference: exactly one of a file path, an environment variable, or inline base64 (warns). */
export type KeySourceDocument = { file: string } | { env: string } | { inline: string };

export interface TableDocument {
  /** 1..4294967294 (table 0 always exists). */
  id: number;
  name: string;
  families?: ('ipv4' | 'ipv6')[];
}

export interface UplinkDocument {
  /** An interface VPP already has, e.g. 'host-eth0' (with `match`: a logical name); never created or deleted. */
  name: string;
  /** Find the NIC by hardware instead of by name: exactly one VPP interface must match. */
  match?: { mac?: string; pci?: string };
  admin_up?: boolean;
  mtu?: number;
  table?: number;
  /** 'a.b.c.d/len' or 'x::y/len': present in VPP; others stay unless remove_unlisted_addresses. */
  addresses?: string[];
  /** `addresses` is the exact set: others are removed (the uplink may be how you reach the box). */
  remove_unlisted_addresses?: boolean;
  /** `admin_up: false` may bring an uplink that is up down. */
  allow_admin_down?: boolean;
  /** Pair with a Linux TAP of this name (≤ 15 bytes) in linux_cp.netns. */
  host_interface?: string;
}

export interface RouteDocument {
  prefix: string;
  via: string;
  /** An uplink or a wireguard interface name. */
  interface: string;
  table?: number;
}

export interface PeerRouteDocument {
  prefix: string;
  /** Inside the peer's allowed IPs; default its first tunnel next hop. */
  via?: string;
}

export interface PeerDocument {
  name: string;
  /** base64, 32 bytes. */
  public_key: string;
  /** Needs VPP 26.06 or later (wireguard_peer_add_v2). */
  preshared_key?: KeySourceDocument;
  /** Absent: a remote-access client whose endpoint VPP learns. */
  endpoint?: { address: string; port: number };
  /** 1..255 prefixes. */
  allowed_ips: string[];
  persistent_keepalive?: number;
  underlay_table?: number;
  tunnel_next_hops?: string[];
  routes?: PeerRouteDocument[];
  /** A BGP session to the peer's tunnel next hop (for `vppwg render`). */
  bgp?: { peer_as: number };
}

export interface WireguardDocument {
  /** Logical name, recorded as the interface tag `vppwg:<name>`. */
  name: string;
  instance?: number;
  private_key: 'generate' | KeySourceDocument;
  listen_port: number;
  /** An address of an uplink; fixes the underlay family. */
  source: string;
  addresses?: string[];
  mtu?: number;
  table?: number;
  admin_up?: boolean;
  /** Pair with a Linux TUN of this name (≤ 15 bytes) in linux_cp.netns, for a routing daemon. */
  host_interface?: string;
  peers?: PeerDocument[];
}

/** The desired-state file (YAML or JSON) as an object; see README "The desired-state file". */
export interface DesiredStateDocument {
  version?: 1;
  tables?: TableDocument[];
  uplinks?: UplinkDocument[];
  routes?: RouteDocument[];
  wireguard?: WireguardDocument[];
  /** linux-cp: the namespace where the routing daemon runs. */
  linux_cp?: { netns: string };
  /** What `vppwg render bird|frr` needs. */
  bgp?: { local_as: number; router_id: string };
}

export interface ValidateOptions {
  /** Relative key file paths are resolved against it; default the working directory. */
  baseDir?: string;
  /** Where `{env: VAR}` keys are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Names the object in diagnostics; default '<desired state>'. */
  name?: string;
  /** Known capabilities of the VPP it is for (a preshared key needs `presharedKeys`). */
  capabilities?: { presharedKeys: boolean };
}

/**
 * Checks a desired-state object as a file is checked (schema, then addresses, keys, overlaps,
 * coverage). `state` is set only when there is no error; `diagnostics` name each place by JSON
 * pointer (`/wireguard/0/peers/1/public_key`) and say what to do.
 */
export function validateDesiredState(doc: DesiredStateDocument, opts: ValidateOptions = {}): LoadResult {
  const name = opts.name ?? '<desired state>';
  let text: string;
  try {
    text = JSON.stringify(doc, null, 2);
  } catch (err) {
    throw new TypeError(`${name}: cannot be read as JSON (${(err as Error).message}): give plain data`);
  }
  // Text starting with '{' takes the JSON path; lines are counted in this rendering.
  return parseDesiredState(text ?? 'null', name, {
    baseDir: opts.baseDir ?? process.cwd(),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.capabilities ? { capabilities: opts.capabilities } : {}),
  });
}
