/**
 * A local copy of a set of key prefixes, kept current: listed at one revision, each prefix watched
 * from the next with previous values. The set may depend on the copy (a fleet node follows the
 * public keys of its networks' members, whom it finds under networks/): a prefix newly wanted is
 * listed and watched, one no longer wanted is dropped with its keys. The `etcd3` client resumes a
 * broken watch but drops one the server cancels (a compacted start revision): then, and after
 * every reconnect, everything is listed again and diffed, so nothing is missed. While the store is
 * away the copy stays as it was and `reachable` is false; retries go on forever.
 */
import type { Etcd3, Watcher } from 'etcd3';
import { EventEmitter } from 'node:events';

export interface MirrorEvents {
  /** Keys whose value changed (set to another value, or deleted) since the last emit. */
  changed: [keys: string[]];
  /** Reachability of the store changed. */
  reachable: [reachable: boolean];
}

/** The prefixes to mirror, given the copy so far (called until it names nothing new). */
export type WantedPrefixes = (kvs: ReadonlyMap<string, string>) => Iterable<string>;

export interface PrefixSetOptions {
  /** The prefixes, or a function of the copy giving them. */
  readonly prefixes: WantedPrefixes | readonly string[];
  /** Keys under these prefixes can change what `prefixes` gives (none: the set is fixed). */
  readonly setDependsOn?: readonly string[];
  /** How long after a failed listing it is tried again (default 1000 ms). */
  readonly retryMs?: number;
}

/** Ranges per listing transaction (etcd allows 128 operations in one by default: --max-txn-ops). */
const TXN_RANGES = 100;

export class PrefixSetMirror extends EventEmitter<MirrorEvents> {
  readonly kvs = new Map<string, string>();
  /** The highest revision the copy has seen. */
  revision = 0;
  reachable = false;
  /** Full listings done (the first and every resync): for tests and status. */
  listings = 0;
  private readonly wanted: WantedPrefixes;
  private readonly dependsOn: readonly string[];
  private readonly retryMs: number;
  private readonly watchers = new Map<string, Watcher>();
  /** Bumped by every full listing: what an older one started is dropped when it lands. */
  private generation = 0;
  private stopped = false;
  private resyncing?: Promise<void>;
  private adjusting: Promise<void> = Promise.resolve();
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly client: Etcd3,
    opts: PrefixSetOptions,
  ) {
    super();
    const fixed = opts.prefixes;
    this.wanted = typeof fixed === 'function' ? fixed : () => fixed;
    this.dependsOn = opts.setDependsOn ?? [];
    this.retryMs = opts.retryMs ?? 1000;
  }

  /** The prefixes watched now. */
  get prefixes(): string[] {
    return [...this.watchers.keys()];
  }

  /** Resolves after the first listing; throws when the store cannot be read then. */
  async start(): Promise<void> {
    await this.sync();
  }

  /**
   * Starts from a copy kept by an earlier run, the store being away: `reachable` stays false and
   * the listing is retried until it works (then diffed against the copy, as after any reconnect).
   */
  startFrom(kvs: ReadonlyMap<string, string>, revision: number): void {
    for (const [k, v] of kvs) this.kvs.set(k, v);
    this.revision = revision;
    void this.resync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await Promise.all(this.dropWatchers());
  }

  /** Lists again and re-watches; on failure marks the store unreachable and retries until it works. */
  resync(): Promise<void> {
    if (!this.resyncing) {
      this.resyncing = this.sync()
        .catch(() => {
          this.setReachable(false);
          if (!this.stopped) this.retryTimer = setTimeout(() => void this.resync(), this.retryMs);
        })
        .finally(() => {
          this.resyncing = undefined;
        });
    }
    return this.resyncing;
  }

  private async sync(): Promise<void> {
    const generation = ++this.generation;
    void Promise.all(this.dropWatchers());
    // Every prefix at one revision (the first listing's), so the copy is one moment of the store.
    const fresh = new Map<string, string>();
    const listed = new Set<string>();
    let revision: number | undefined;
    for (;;) {
      const next = disjoint(this.wanted(fresh)).filter((p) => !listed.has(p));
      if (next.length === 0) break;
      const got = await this.list(next, revision);
      revision ??= got.revision;
      for (const [k, v] of got.kvs) fresh.set(k, v);
      for (const p of next) listed.add(p);
    }
    if (this.stopped || generation !== this.generation) return;
    const changed: string[] = [];
    for (const [k, v] of fresh) if (this.kvs.get(k) !== v) changed.push(k);
    for (const k of this.kvs.keys()) if (!fresh.has(k)) changed.push(k);
    this.kvs.clear();
    for (const [k, v] of fresh) this.kvs.set(k, v);
    if (revision !== undefined) this.revision = revision;
    this.listings++;
    const from = this.revision + 1;
    await Promise.all([...listed].map((p) => this.watch(p, from, generation)));
    if (this.stopped || generation !== this.generation) return;
    this.setReachable(true);
    if (changed.length) this.emit('changed', changed);
  }

  /**
   * The keys under `prefixes`, at `revision` (or the store's current one), in transactions of up
   * to TXN_RANGES ranges: a node of a 200-member mesh lists 200 prefixes, and 200 nodes starting at
   * once sent etcd 40,000 requests.
   */
  private async list(
    prefixes: readonly string[],
    revision?: number,
  ): Promise<{ revision: number; kvs: Map<string, string> }> {
    const kvs = new Map<string, string>();
    const chunks: string[][] = [];
    for (let i = 0; i < prefixes.length; i += TXN_RANGES) chunks.push(prefixes.slice(i, i + TXN_RANGES));
    const listChunk = async (chunk: readonly string[], at: number | undefined) => {
      const res = await this.client.kv.txn({
        success: chunk.map((p) => ({
          request_range: {
            key: Buffer.from(p),
            range_end: prefixEnd(p),
            ...(at !== undefined ? { revision: at } : {}),
          },
        })),
      });
      for (const r of res.responses)
        for (const kv of r.response_range.kvs) kvs.set(kv.key.toString(), kv.value.toString());
      return Number(res.header.revision);
    };
    // The first at the store's revision, the others pinned to it: one moment of the store.
    const at = revision ?? (chunks.length ? await listChunk(chunks.shift()!, undefined) : 0);
    for (const chunk of chunks) await listChunk(chunk, at);
    return { revision: at, kvs };
  }

  private async watch(prefix: string, from: number, generation: number): Promise<void> {
    const w = await this.client.watch().prefix(prefix).withPreviousKV().startRevision(String(from)).create();
    if (this.stopped || generation !== this.generation) {
      await w.cancel().catch(() => undefined);
      return;
    }
    this.watchers.set(prefix, w);
    w.on('data', (res) => {
      const changed: string[] = [];
      for (const ev of res.events) {
        const key = ev.kv.key.toString();
        // A value written again unchanged is no change: every node would reload for nothing.
        if (ev.type === 'Delete') {
          if (this.kvs.delete(key)) changed.push(key);
        } else {
          const value = ev.kv.value.toString();
          if (this.kvs.get(key) === value) continue;
          this.kvs.set(key, value);
          changed.push(key);
        }
      }
      this.revision = Math.max(this.revision, Number(res.header.revision));
      if (changed.length === 0) return;
      if (changed.some((k) => this.dependsOn.some((p) => k.startsWith(p)))) this.adjustSoon();
      this.emit('changed', changed);
    });
    w.on('disconnected', () => this.setReachable(false));
    // A reconnected watch resumes by itself, but what happened meanwhile is checked by a full listing.
    w.on('connected', () => {
      if (!this.reachable) void this.resync();
    });
    // A watch the server canceled (compaction) is gone for good: list again, watch again.
    w.on('error', () => void this.resync());
  }

  /** The wanted set may have changed: one adjustment at a time, after those before it. */
  private adjustSoon(): void {
    this.adjusting = this.adjusting.then(() => this.adjust()).catch(() => void this.resync());
  }

  /** Drops prefixes no longer wanted (their keys with them), lists and watches new ones. */
  private async adjust(): Promise<void> {
    // While unreachable, the resync that follows the reconnect works the set out afresh.
    if (this.stopped || !this.reachable || this.resyncing) return;
    const generation = this.generation;
    const want = new Set(disjoint(this.wanted(this.kvs)));
    const changed: string[] = [];
    for (const [prefix, w] of [...this.watchers]) {
      if (want.has(prefix)) continue;
      this.watchers.delete(prefix);
      w.removeAllListeners();
      void w.cancel().catch(() => undefined);
      for (const k of [...this.kvs.keys()]) {
        if (k.startsWith(prefix)) {
          this.kvs.delete(k);
          changed.push(k);
        }
      }
    }
    const added = [...want].filter((p) => !this.watchers.has(p));
    if (added.length) {
      const { revision, kvs } = await this.list(added);
      if (this.stopped || generation !== this.generation) return;
      for (const [k, v] of kvs) {
        if (this.kvs.get(k) === v) continue;
        this.kvs.set(k, v);
        changed.push(k);
      }
      this.revision = Math.max(this.revision, revision);
      await Promise.all(added.map((prefix) => this.watch(prefix, revision + 1, generation)));
    }
    if (changed.length && generation === this.generation) this.emit('changed', changed);
  }

  private dropWatchers(): Promise<void>[] {
    const all = [...this.watchers.values()];
    this.watchers.clear();
    return all.map((w) => {
      w.removeAllListeners();
      return w.cancel().catch(() => undefined);
    });
  }

  private setReachable(reachable: boolean): void {
    if (this.reachable === reachable) return;
    this.reachable = reachable;
    this.emit('reachable', reachable);
  }
}

/** The prefixes without those another one covers (a key must be watched once). */
function disjoint(prefixes: Iterable<string>): string[] {
  const sorted = [...new Set(prefixes)].sort();
  const out: string[] = [];
  for (const p of sorted) if (!out.length || !p.startsWith(out[out.length - 1]!)) out.push(p);
  return out;
}

/** The end of the range of keys starting with `prefix` (its last byte incremented, as etcd's clients do). */
function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
