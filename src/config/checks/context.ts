/**
 * What the checker's passes share: the findings, the raw document, where keys are read from, the
 * facts each pass records for later ones (declared tables, uplink addresses, routes...), and the
 * normalised output being built.
 */
import type { ParsedAddress, ParsedPrefix } from '../addr';
import type { Findings } from '../findings';
import type { DataPath } from '../locate';
import type {
  AddressFamily,
  DesiredBgp,
  DesiredLinuxCp,
  DesiredRoute,
  DesiredTable,
  DesiredUplink,
  DesiredWireguardInterface,
} from '../model';
import type { Obj } from './values';

/** Where keys given as {env} or relative {file} are read from. */
export interface KeyContext {
  env: NodeJS.ProcessEnv;
  baseDir: string;
}

/** A prefix with the object it belongs to, for overlap checks. */
export interface Owned {
  prefix: ParsedPrefix;
  owner: string;
  path: DataPath;
}

/** A route in some FIB table, for duplicate and longest-match checks. */
export interface FibEntry {
  table: number;
  prefix: ParsedPrefix;
  /** The wireguard interface it goes through, if any. */
  viaWireguard?: string;
  what: string;
  path: DataPath;
}

export interface TableInfo {
  families: Set<AddressFamily>;
  path: DataPath;
}

/** A peer with an endpoint, for the recursion check once all routes are known. */
export interface EndpointUse {
  wg: string;
  peer: string;
  address: ParsedAddress;
  table: number;
  path: DataPath;
}

export class CheckContext {
  /** Declared tables by id (tables pass). */
  readonly tables = new Map<number, TableInfo>();
  /** Uplink names and where each is declared (uplinks pass). */
  readonly uplinkNames = new Map<string, DataPath>();
  /** Host addresses held by uplinks and the uplink holding each (for WireGuard source checks). */
  readonly uplinkAddresses = new Map<string, { uplink: string; table: number }>();
  /** Every interface address (uplinks and WireGuard), for duplicates. */
  readonly interfaceAddresses = new Map<string, { owner: string; path: DataPath }>();
  /** Interface subnets per table (an uplink without `table` is taken to be in table 0). */
  readonly subnets: (Owned & { table: number })[] = [];
  /** The connected subnets of uplinks, for longest-match of endpoints. */
  readonly connected: FibEntry[] = [];
  /** WireGuard interface names (interface names pass): top-level routes may name them. */
  readonly wgNames = new Map<string, DataPath>();
  /** Peer public keys across all interfaces (VPP refuses a duplicate anywhere). */
  readonly publicKeys = new Map<string, { what: string; path: DataPath }>();
  /** Every route the file makes (tunnel next hops, peer routes, static routes). */
  readonly fib: FibEntry[] = [];
  readonly endpoints: EndpointUse[] = [];

  readonly out: {
    tables: DesiredTable[];
    uplinks: DesiredUplink[];
    routes: DesiredRoute[];
    wireguard: DesiredWireguardInterface[];
    linuxCp?: DesiredLinuxCp;
    bgp?: DesiredBgp;
  } = { tables: [], uplinks: [], routes: [], wireguard: [] };

  constructor(
    readonly f: Findings,
    readonly data: Obj,
    readonly keys: KeyContext,
  ) {}

  /** True when the schema already reported the value at `path`. */
  skip(path: DataPath): boolean {
    return this.f.isBad(path);
  }
}
