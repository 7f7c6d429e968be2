/**
 * The FIB as `ip_route_dump` shows it: per table, every entry whatever put it there (special
 * entries of a fresh table, interface addresses, TEIB adjacencies, API routes), each entry showing
 * the paths of its best source. Sources are ranked as VPP ranks them (special > interface > API >
 * adjacency > default route). An entry shows the prefix it was created with, host bits included
 * (address 10.100.0.1/24 yields the connected entry 10.100.0.1/24 in the recording), but it is
 * found by the masked prefix, as VPP's FIB hashes it.
 */
import { LCP_RT_DYNAMIC_SOURCE } from './lcp-sources';
import { VppHashOrder } from './vhash';
import { type Af, type Prefix, addrString, ip4HashKey, mask4, maskPrefix, prefixString } from './net';

export const PATH_TYPE_NORMAL = 0;
export const PATH_TYPE_LOCAL = 1;
export const PATH_TYPE_DROP = 2;
export const NO_INTERFACE = 0xffffffff;

export interface FibPath {
  swIfIndex: number;
  /** Next-hop text ('0.0.0.0' / '::' when none). */
  nh: string;
  type: number;
  weight: number;
  preference: number;
  flags: number;
  /** 0 IPv4, 1 IPv6 (fib_path_nh_proto). */
  proto: number;
  /** Table of a recursive lookup (sw_if_index ~0); shown as 0 for attached paths, as VPP does. */
  tableId: number;
}

/** Lower rank wins. */
export const SOURCE_RANK = { special: 0, interface: 1, lcp: 2, api: 3, adj: 4, rr: 5, default: 6 } as const;
export type FibSource = keyof typeof SOURCE_RANK;

const SOURCES: readonly FibSource[] = ['special', 'interface', 'lcp', 'api', 'adj', 'rr', 'default'];

/** VPP's fib_source_t numbers (fib_source.h), as ip_route_v2 reports an entry's best source and filters by one. */
export const SOURCE_ID: Readonly<Record<FibSource, number>> = {
  special: 1, // FIB_SOURCE_SPECIAL
  interface: 4, // FIB_SOURCE_INTERFACE
  lcp: LCP_RT_DYNAMIC_SOURCE, // linux-nl's 'lcp-rt-dynamic': a run-time number (see ./lcp.ts)
  api: 8, // FIB_SOURCE_API
  adj: 15, // FIB_SOURCE_ADJ
  rr: 18, // FIB_SOURCE_RR
  default: 20, // FIB_SOURCE_DEFAULT_ROUTE
};

/**
 * What the recursive-resolution source holds: nothing of its own. An RR entry (a tracked WireGuard
 * endpoint) forwards as its cover does, so its paths are worked out from the cover when shown.
 */
export const RR_MARK: FibPath[] = [];

/** Told about every change of an entry's paths (but the RR source's), e.g. to count adjacencies. */
export type PathsListener = (table: FibTable, before: FibPath[] | undefined, after: FibPath[] | undefined) => void;

/** One FIB entry: the paths each source gave it (a slot per source: cheaper than a Map per entry). */
export class FibEntry {
  special: FibPath[] | undefined = undefined;
  interface: FibPath[] | undefined = undefined;
  /** Routes the routing daemon put in the kernel, copied by linux-nl (see ./lcp.ts). */
  lcp: FibPath[] | undefined = undefined;
  api: FibPath[] | undefined = undefined;
  adj: FibPath[] | undefined = undefined;
  rr: FibPath[] | undefined = undefined;
  default: FibPath[] | undefined = undefined;
  constructor(
    readonly prefix: Prefix,
    readonly key: number | string,
    readonly statsIndex: number,
  ) {}
  get text(): string {
    return prefixString(this.prefix);
  }
  get empty(): boolean {
    return !this.special && !this.interface && !this.lcp && !this.api && !this.adj && !this.rr && !this.default;
  }
}

/**
 * Map key of a prefix within its length: VPP keys its FIB on the masked address (10.0.0.1/24 and
 * 10.0.0.0/24 are one entry), while the entry shows the prefix it was created with. IPv4 keys are
 * int32 (small integers to V8, so lookups allocate nothing); IPv6 keys are the masked text.
 */
export function prefixKey(p: Prefix): number | string {
  return p.af === 4 ? (p.len >= 32 ? p.v4 : p.v4 & mask4(p.len)) | 0 : prefixString(maskPrefix(p));
}

/**
 * A vppinfra pool's indices: a freed index goes on a stack and the next allocation takes the most
 * recently freed one (pool_put appends to free_indices, pool_get pops the last), else a new one.
 * Stats-segment slots (a route's load-balance index), wg peers, sw_if_index.
 */
export class PoolIndices {
  private next: number;
  private readonly free: number[] = [];
  constructor(reserved: number) {
    this.next = reserved;
  }
  alloc(): number {
    return this.free.length > 0 ? this.free.pop()! : this.next++;
  }
  release(v: number): void {
    this.free.push(v);
  }
}

/** Whether a path names a next-hop address (paths without one carry the zero address as text). */
export function hasNextHop(p: FibPath): boolean {
  return p.nh !== '0.0.0.0' && p.nh !== '::';
}

export function dropPath(af: Af): FibPath {
  return {
    swIfIndex: NO_INTERFACE,
    nh: af === 4 ? '0.0.0.0' : '::',
    type: PATH_TYPE_DROP,
    weight: 1,
    preference: 0,
    flags: 0,
    proto: af === 4 ? 0 : 1,
    tableId: 0,
  };
}

export function samePath(a: FibPath, b: FibPath): boolean {
  return (
    a.swIfIndex === b.swIfIndex &&
    a.nh === b.nh &&
    a.type === b.type &&
    a.weight === b.weight &&
    a.preference === b.preference &&
    a.flags === b.flags &&
    a.proto === b.proto &&
    a.tableId === b.tableId
  );
}

export class FibTable {
  /** Entries by prefix length, then by prefixKey. */
  private readonly byLenMap: (Map<number | string, FibEntry> | undefined)[] = [];
  private count = 0;
  /** IPv4 only: one VPP-ordered hash per prefix length. */
  private readonly byLen: (VppHashOrder | undefined)[] = [];

  /** Held by the API (created by ip_table_add_del and not deleted since); interfaces bound to it hold it too. */
  apiLocked = true;
  /** Set by the model once the table's own entries are in. */
  onPathsChange: PathsListener | undefined = undefined;

  constructor(
    readonly af: Af,
    readonly tableId: number,
    public name: string,
    private readonly stats: PoolIndices,
  ) {
    // What ip4/ip6_fib_table_create_and_lock installs in every new table.
    if (af === 4) {
      this.add({ af: 4, v4: 0, len: 0 }, 'default', [dropPath(4)]);
      this.add({ af: 4, v4: 0, len: 32 }, 'special', [dropPath(4)]);
      this.add({ af: 4, v4: 0xf0000000, len: 4 }, 'special', [dropPath(4)]);
      this.add({ af: 4, v4: 0xe0000000, len: 4 }, 'special', [dropPath(4)]);
      this.add({ af: 4, v4: 0xffffffff, len: 32 }, 'special', [dropPath(4)]);
    } else {
      this.add({ af: 6, v4: 0, v6: new Uint8Array(16), len: 0 }, 'default', [dropPath(6)]);
      // All link-local goes to the link-local lookup (a special DPO; its dumped path is inferred
      // from the source, not recorded: no interface, no next hop, IPv6).
      const ll = new Uint8Array(16);
      ll[0] = 0xfe;
      ll[1] = 0x80;
      this.add({ af: 6, v4: 0, v6: ll, len: 10 }, 'special', [
        {
          swIfIndex: NO_INTERFACE,
          nh: '::',
          type: PATH_TYPE_NORMAL,
          weight: 1,
          preference: 0,
          flags: 0,
          proto: 1,
          tableId: 0,
        },
      ]);
    }
  }

  get(p: Prefix): FibEntry | undefined {
    return this.byLenMap[p.len]?.get(prefixKey(p));
  }

  get size(): number {
    return this.count;
  }

  /** Every entry, in no particular order. */
  *all(): IterableIterator<FibEntry> {
    for (const m of this.byLenMap) if (m) yield* m.values();
  }

  /** Sets the paths of one source on an entry (creating it). Returns the entry. */
  add(p: Prefix, source: FibSource, paths: FibPath[]): FibEntry {
    const key = prefixKey(p);
    let m = this.byLenMap[p.len];
    if (!m) m = this.byLenMap[p.len] = new Map();
    let e = m.get(key);
    if (!e) {
      e = new FibEntry(p, key, this.stats.alloc());
      m.set(key, e);
      this.count++;
      if (this.af === 4) {
        let h = this.byLen[p.len];
        if (!h) h = this.byLen[p.len] = new VppHashOrder(32);
        h.set(ip4HashKey((key as number) >>> 0));
      }
    }
    const before = e[source];
    e[source] = paths;
    if (!before) this.withSource(source).add(e);
    if (source !== 'rr') this.onPathsChange?.(this, before, paths);
    return e;
  }

  /** Entries each source has a hand in: a filtered ip_route_v2_dump reads these, not the whole table. */
  private readonly bySource = new Map<FibSource, Set<FibEntry>>();
  private withSource(source: FibSource): Set<FibEntry> {
    let set = this.bySource.get(source);
    if (!set) this.bySource.set(source, (set = new Set()));
    return set;
  }

  /**
   * The entries of one source in walk order by prefix length (within a length, in the order the
   * source added them: VPP's hash order is kept only by the full walk), without walking the others.
   */
  entriesOf(source: FibSource): FibEntry[] {
    return [...(this.bySource.get(source) ?? [])].sort((a, b) => a.prefix.len - b.prefix.len);
  }

  /** Removes one source from an entry; the entry goes when no source is left. */
  remove(p: Prefix, source: FibSource): void {
    const e = this.get(p);
    if (!e || !e[source]) return;
    const before = e[source];
    e[source] = undefined;
    this.bySource.get(source)?.delete(e);
    if (source !== 'rr') this.onPathsChange?.(this, before, undefined);
    if (e.empty) this.removeEntry(e);
  }

  private removeEntry(e: FibEntry): void {
    this.byLenMap[e.prefix.len]?.delete(e.key);
    this.count--;
    this.stats.release(e.statsIndex);
    if (this.af === 4) this.byLen[e.prefix.len]?.unset(ip4HashKey((e.key as number) >>> 0));
  }

  /** Drops every entry (table deletion). */
  clear(): void {
    for (const e of [...this.all()]) {
      for (const source of SOURCES) if (source !== 'rr' && e[source]) this.onPathsChange?.(this, e[source], undefined);
      this.removeEntry(e);
    }
    this.bySource.clear();
  }

  best(e: FibEntry): { source: FibSource; paths: FibPath[] } {
    // SOURCES is in rank order: the first present wins.
    for (const source of SOURCES) {
      const paths = e[source];
      if (paths) return { source, paths: paths === RR_MARK ? this.rrPaths(e) : paths };
    }
    throw new Error('FIB entry without a source');
  }

  /** The longest less specific entry (fib_table_get_less_specific): the default route at least. */
  cover(e: FibEntry): FibEntry | undefined {
    for (let len = e.prefix.len - 1; len >= 0; len--) {
      const c = this.byLenMap[len]?.get(prefixKey({ ...e.prefix, len }));
      if (c) return c;
    }
    return undefined;
  }

  /**
   * A tracked endpoint's paths (fib_entry_src_rr_activate): through an attached cover (a connected
   * prefix), an attached host path to the endpoint itself, as an ARP entry would have; else the
   * cover's own paths (a drop under the default route).
   */
  private rrPaths(e: FibEntry): FibPath[] {
    const c = this.cover(e);
    if (!c) return [dropPath(this.af)];
    const { paths } = this.best(c);
    const only = paths.length === 1 ? paths[0]! : undefined;
    if (only && only.type === PATH_TYPE_NORMAL && only.swIfIndex !== NO_INTERFACE && !hasNextHop(only)) {
      return [{ ...only, nh: addrString(e.prefix) }];
    }
    return paths;
  }

  /** Entries in the order `ip_route_dump` sends them. */
  *walk(): IterableIterator<FibEntry> {
    if (this.af === 4) {
      // ip4_fib_hash_table_walk: one hash per prefix length, shortest first, hash order within.
      for (let len = 0; len <= 32; len++) {
        const h = this.byLen[len];
        if (!h) continue;
        for (const key of h.keys()) {
          const v4 =
            ((key & 255) * 0x1000000 + ((key >>> 8) & 255) * 0x10000 + ((key >>> 16) & 255) * 0x100 + (key >>> 24)) >>>
            0;
          const e = this.byLenMap[len]?.get(v4 | 0); // hash keys are masked, as the map keys
          if (e) yield e;
        }
      }
      return;
    }
    // IPv6: VPP walks a hash keyed on a struct with uninitialised padding, so its order cannot be
    // reproduced; shortest prefix first, then by address.
    const all = [...this.all()];
    all.sort((a, b) => a.prefix.len - b.prefix.len || Buffer.compare(a.prefix.v6!, b.prefix.v6!));
    yield* all;
  }
}
