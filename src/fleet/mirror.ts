/**
 * A local copy of everything under the fleet prefix, kept current: list with its revision, then
 * watch from revision + 1 with previous values. The `etcd3` client resumes a broken watch but
 * drops one the server cancels (a compacted start revision): then, and after every reconnect, the
 * prefix is listed again and diffed, so nothing is missed. While the store is away the copy stays
 * as it was and `reachable` is false; retries go on forever.
 */
import type { Etcd3, Watcher } from 'etcd3';
import { EventEmitter } from 'node:events';

export interface MirrorEvents {
  /** Keys whose value changed (set to another value, or deleted) since the last emit. */
  changed: [keys: string[]];
  /** Reachability of the store changed. */
  reachable: [reachable: boolean];
}

export class PrefixMirror extends EventEmitter<MirrorEvents> {
  readonly kvs = new Map<string, string>();
  /** The revision the copy is current at. */
  revision = 0;
  reachable = false;
  /** Full listings done (the first and every resync): for tests and status. */
  listings = 0;
  private watcher?: Watcher;
  private stopped = false;
  private resyncing?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly client: Etcd3,
    readonly prefix: string,
    private readonly retryMs = 1000,
  ) {
    super();
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
    const w = this.watcher;
    this.watcher = undefined;
    await w?.cancel().catch(() => undefined);
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
    const old = this.watcher;
    this.watcher = undefined;
    old?.removeAllListeners();
    void old?.cancel().catch(() => undefined);
    const res = await this.client.getAll().prefix(this.prefix).exec();
    if (this.stopped) return;
    const fresh = new Map<string, string>();
    for (const kv of res.kvs) fresh.set(kv.key.toString(), kv.value.toString());
    const changed: string[] = [];
    for (const [k, v] of fresh) if (this.kvs.get(k) !== v) changed.push(k);
    for (const k of this.kvs.keys()) if (!fresh.has(k)) changed.push(k);
    this.kvs.clear();
    for (const [k, v] of fresh) this.kvs.set(k, v);
    this.revision = Number(res.header.revision);
    this.listings++;
    await this.watch(this.revision + 1);
    this.setReachable(true);
    if (changed.length) this.emit('changed', changed);
  }

  private async watch(from: number): Promise<void> {
    const w = await this.client.watch().prefix(this.prefix).withPreviousKV().startRevision(String(from)).create();
    if (this.stopped) {
      await w.cancel().catch(() => undefined);
      return;
    }
    this.watcher = w;
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
      if (changed.length) this.emit('changed', changed);
    });
    w.on('disconnected', () => this.setReachable(false));
    // A reconnected watch resumes by itself, but what happened meanwhile is checked by a full listing.
    w.on('connected', () => {
      if (!this.reachable) void this.resync();
    });
    // A watch the server canceled (compaction) is gone for good: list again, watch again.
    w.on('error', () => void this.resync());
  }

  private setReachable(reachable: boolean): void {
    if (this.reachable === reachable) return;
    this.reachable = reachable;
    this.emit('reachable', reachable);
  }
}
