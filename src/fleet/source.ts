/**
 * The fleet as a DesiredSource (`vppwg serve --etcd ... --node NAME`): the node claims its name,
 * mirrors what concerns it (followed.ts), derives its desired state from its own document and its networks,
 * keeps and publishes its keys, answers rotation requests, and publishes its status under its
 * lease. The store going away changes nothing applied: load() keeps answering from the mirrored
 * copy, status says the store is unreachable, and a full listing runs when it is back.
 */
import type { Etcd3 } from 'etcd3';
import { checkAgainstCapabilities } from '../config';
import type { DaemonView, DesiredSnapshot, DesiredSource } from '../daemon/desired-source';
import type { EventMsg } from '../daemon/api/proto';
import { StateDir } from '../state';
import { assembleDesired } from './assemble';
import { NodeClaim, NodeClaimedError } from './claim';
import { FleetCopyKeeper } from './kept-copy';
import { checkName, DEFAULT_PREFIX, FleetLayout } from './layout';
import { mergeStates } from './merge';
import { followedPrefixes } from './followed';
import { PrefixSetMirror } from './mirror';
import type { FleetNodeStatus } from './model';
import { NodeKeys } from './node-keys';
import { fleetStatusOf } from './status';
import { connectStore, type StoreOptions } from './store';

export interface FleetSourceOptions {
  readonly endpoints: readonly string[];
  readonly node: string;
  readonly prefix?: string;
  readonly tls?: StoreOptions['tls'];
  /** etcd password auth (deployments use TLS client certificates instead). */
  readonly auth?: StoreOptions['auth'];
  /** Where the node's private keys are kept (--state-dir). */
  readonly stateDir: string;
  /** The --config file, merged with the fleet's objects. */
  readonly fileSource?: DesiredSource;
  /** Lease of the claim and the status (default 10 s). */
  readonly leaseTtlSeconds?: number;
  /** How often the status is refreshed when nothing happens (default 5000 ms). */
  readonly statusIntervalMs?: number;
  /** Changes coming in bursts are gathered this long (default 50 ms). */
  readonly debounceMs?: number;
  /** Where the source says what the operator should know (the daemon's log). */
  readonly warn?: (message: string) => void;
}

export type FleetSource = EtcdDesiredSource;

/** The kept copy is written at most this often (a burst of changes at start would write it per change). */
const KEEP_COPY_MS = 5000;

/** An unchanged status is rewritten this often (its time moves on for readers). */
const STATUS_REFRESH_MS = 30_000;

/**
 * A load waits, after the previous one, ten times the last load's and reconcile's duration: while a
 * fleet starts, N nodes publish their keys one by one, and a reload per arrival cost each node
 * about N reloads and reconciles. Quick reconciles (a small fleet) barely wait; a busy node backs
 * off, at most a second, or 15 ms per peer in a larger fleet (up to 3 s): there each reload costs
 * more and more keys arrive (at 200 nodes a 1 s cap spent the start reloading: 80 s to converge,
 * 47 s with 3 s). A change after a quiet spell is still loaded within debounceMs.
 */
const RELOAD_GAP_PER_RECONCILE = 10;
const RELOAD_MAX_GAP_MS = 1000;
const RELOAD_MAX_GAP_PER_PEER_MS = 15;
const RELOAD_MAX_GAP_CEILING_MS = 3000;

/** How long after the previous load the next one may start (see RELOAD_GAP_PER_RECONCILE). */
export function reloadGapMs(lastReconcileMs: number, lastLoadMs: number, peers: number): number {
  const cap = Math.min(RELOAD_MAX_GAP_CEILING_MS, Math.max(RELOAD_MAX_GAP_MS, RELOAD_MAX_GAP_PER_PEER_MS * peers));
  return Math.min(cap, RELOAD_GAP_PER_RECONCILE * (lastReconcileMs + lastLoadMs));
}

/**
 * A changed status is written at most this often: at start each peer's handshake changes it, and a
 * write per change would be N writes of N peers per node in a burst.
 */
const STATUS_MIN_GAP_MS = 1000;

/** The fleet could not be joined at start (the store did not answer); nothing was applied. */
export class FleetStartError extends Error {}

/** What `vppwg serve --etcd` creates and passes to the Daemon as its desiredSource. */
export async function createFleetSource(opts: FleetSourceOptions): Promise<EtcdDesiredSource> {
  checkName(opts.node, 'node');
  const layout = new FleetLayout(opts.prefix ?? DEFAULT_PREFIX);
  const client = connectStore({
    endpoints: opts.endpoints,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.auth ? { auth: opts.auth } : {}),
  });
  return new EtcdDesiredSource(client, layout, opts);
}

export class EtcdDesiredSource implements DesiredSource {
  readonly description: string;
  private readonly mirror: PrefixSetMirror;
  private readonly keys: NodeKeys;
  private readonly copy: FleetCopyKeeper;
  private claim?: NodeClaim;
  private claimRefusal?: string;
  /** The keys of the last good state, waiting to be kept (see keepCopySoon). */
  private copyPending?: { revision: number; kvs: ReadonlyMap<string, string> };
  private copyTimer?: NodeJS.Timeout;
  private daemon?: DaemonView;
  private changed?: () => void;
  private networks = new Set<string>();
  private rejected?: string;
  private readonly handledRotations = new Set<string>();
  private lastStatus?: { digest: string; claim: NodeClaim; atMs: number };
  private publishing = false;
  private statusWriting = false;
  /** Something the status shows may have changed since it was last built (an event, the store, a load). */
  private statusDirty = true;
  /** This node's public keys as it last wrote them, with the revision of the write. */
  private readonly written = new Map<string, { value: string; revision: number }>();
  private debounceTimer?: NodeJS.Timeout;
  private lastLoadAtMs = 0;
  /** How long the last load took (deriving and validating N peers): part of the reload gap. */
  private lastLoadMs = 0;
  /** Peers in the last state loaded: a larger fleet backs off longer (see RELOAD_MAX_GAP_PER_PEER_MS). */
  private lastPeerCount = 0;
  private statusTimer?: NodeJS.Timeout;
  private statusSoon?: NodeJS.Timeout;
  private stopped = false;
  private readonly onEvent = (_e: EventMsg) => this.publishStatusSoon();

  constructor(
    private readonly client: Etcd3,
    readonly layout: FleetLayout,
    private readonly opts: FleetSourceOptions,
  ) {
    const file = opts.fileSource ? ` and ${opts.fileSource.description}` : '';
    this.description = `etcd node ${opts.node} at ${layout.prefix}${file}`;
    const stateDir = new StateDir(opts.stateDir);
    this.keys = new NodeKeys(stateDir);
    this.copy = new FleetCopyKeeper(stateDir, layout, opts.node);
    this.mirror = new PrefixSetMirror(client, {
      prefixes: (kvs) => followedPrefixes(layout, opts.node, kvs),
      setDependsOn: [layout.networks()],
    });
  }

  get node(): string {
    return this.opts.node;
  }

  /** Whether the store answered last time it was asked. */
  get storeReachable(): boolean {
    return this.mirror.reachable;
  }

  health(): { storeReachable: boolean } {
    return { storeReachable: this.mirror.reachable };
  }

  /** Full listings of the prefix so far (1 after start; one more per resync). */
  get listings(): number {
    return this.mirror.listings;
  }

  async start(changed: () => void, daemon: DaemonView): Promise<void> {
    this.changed = changed;
    this.daemon = daemon;
    this.mirror.on('changed', (keys) => {
      if (keys.some((k) => this.affectsDesired(k))) this.schedule();
      else if (keys.some((k) => this.isOwnPublicKey(k))) void this.publishKeys();
    });
    this.mirror.on('reachable', (up) => {
      this.publishStatusSoon();
      if (up) this.schedule();
    });
    try {
      try {
        await this.takeClaim();
        await this.mirror.start();
      } catch (err) {
        if (err instanceof NodeClaimedError) throw err;
        this.startFromKeptCopy(err as Error);
      }
      await this.opts.fileSource?.start(changed, daemon);
    } catch (err) {
      await this.stop();
      throw err;
    }
    daemon.on('event', this.onEvent);
    this.statusTimer = setInterval(() => this.statusTick(), this.opts.statusIntervalMs ?? 5000);
    await this.handleRotations();
  }

  async load(capabilities?: { presharedKeys: boolean }): Promise<DesiredSnapshot> {
    this.lastLoadAtMs = Date.now();
    const started = performance.now();
    try {
      return await this.loadNow(capabilities);
    } finally {
      this.lastLoadMs = performance.now() - started;
    }
  }

  private async loadNow(capabilities?: { presharedKeys: boolean }): Promise<DesiredSnapshot> {
    const assembled = assembleDesired(this.node, this.layout, this.mirror.kvs, (n) => this.keys.privateKeyText(n));
    this.networks = new Set(assembled.networks);
    void this.publishKeys();
    if (!assembled.state) {
      this.rejected = assembled.diagnostics.find((d) => d.severity === 'error')?.message;
      this.publishStatusSoon();
      return { diagnostics: assembled.diagnostics };
    }
    this.rejected = undefined;
    let state = assembled.state;
    // Members still without a key count too: at start they are the keys about to arrive.
    this.lastPeerCount = state.wireguard.reduce((n, w) => n + w.peers.length, assembled.waiting.length);
    const diagnostics = [...assembled.diagnostics];
    if (capabilities)
      diagnostics.push(...checkAgainstCapabilities(state, this.layout.desired(this.node), capabilities));
    if (this.opts.fileSource) {
      const file = await this.opts.fileSource.load(capabilities);
      diagnostics.push(...file.diagnostics);
      if (!file.state) return { diagnostics };
      const merged = mergeStates(
        { state: file.state, source: this.opts.fileSource.description },
        { state, source: `etcd node ${this.node} at ${this.layout.prefix}` },
      );
      diagnostics.push(...merged.diagnostics);
      if (!merged.state) return { diagnostics };
      state = merged.state;
    }
    if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
    if (this.mirror.reachable) this.keepCopySoon();
    return { state, diagnostics };
  }

  /** The status this node publishes (also what `fleet status` reads back). */
  currentStatus(): FleetNodeStatus | undefined {
    if (!this.daemon) return undefined;
    return fleetStatusOf(this.node, this.daemon.status(), this.networks, this.mirror.reachable, this.rejected);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.debounceTimer);
    clearTimeout(this.statusSoon);
    clearInterval(this.statusTimer);
    this.keepCopy();
    this.daemon?.off('event', this.onEvent);
    await this.mirror.stop();
    await this.opts.fileSource?.stop();
    await this.claim?.release();
    this.claim = undefined;
    this.client.close();
  }

  private async takeClaim(): Promise<void> {
    const claim = await NodeClaim.take(this.client, this.layout, this.node, this.opts.leaseTtlSeconds ?? 10);
    claim.lease.on('lost', () => {
      if (this.claim === claim) this.claim = undefined;
    });
    this.claim = claim;
    this.claimRefusal = undefined;
  }

  /**
   * The store did not answer at start: run on the copy an earlier run kept (nothing applied is torn
   * down; the name is claimed once the store answers), or refuse to start when there is none.
   */
  private startFromKeptCopy(cause: Error): void {
    const kept = this.copy.read();
    const etcd = `etcd at ${this.opts.endpoints.join(',')} did not answer (${cause.message})`;
    if (!kept)
      throw new FleetStartError(
        `cannot start fleet node ${this.node}: ${etcd}: check --etcd, the TLS files and that the store runs`,
      );
    this.mirror.startFrom(kept.kvs, kept.revision);
    this.opts.warn?.(
      `${etcd}: fleet node ${this.node} starts from the fleet state kept in ${kept.path} (revision ${kept.revision}, ${new Date(kept.savedAtMs).toISOString()}); the store is retried until it answers`,
    );
  }

  /**
   * What this good state was derived from, kept for a restart while the store is away: taken now
   * (a value written next may be refused), written within KEEP_COPY_MS, and at stop.
   */
  private keepCopySoon(): void {
    this.copyPending = { revision: this.mirror.revision, kvs: new Map(this.mirror.kvs) };
    this.copyTimer ??= setTimeout(() => this.keepCopy(), KEEP_COPY_MS);
  }

  private keepCopy(): void {
    clearTimeout(this.copyTimer);
    this.copyTimer = undefined;
    const pending = this.copyPending;
    this.copyPending = undefined;
    if (!pending) return;
    try {
      this.copy.save(pending.revision, pending.kvs);
    } catch (err) {
      this.opts.warn?.(`${(err as Error).message}; a restart while etcd is away will not find this state`);
    }
  }

  /** Other nodes' status and claims change all the time and derive nothing here: they must not cost a reconcile. */
  private affectsDesired(key: string): boolean {
    const k = this.layout.parse(key);
    if (k === undefined || k.kind === 'status' || k.kind === 'claim' || k.kind === 'address') return false;
    // Another node's own document and rotation requests are its business alone.
    if (k.kind === 'desired' || k.kind === 'rotate') return k.node === this.node;
    // This node's own public key is derived from its kept private key, not read back: its echo
    // must not cost a second reconcile right after the first one published it.
    if (k.kind === 'public') return k.node !== this.node;
    return true;
  }

  /** A change to this node's own published key: someone removed or overwrote it, publish again. */
  private isOwnPublicKey(key: string): boolean {
    const k = this.layout.parse(key);
    return k?.kind === 'public' && k.node === this.node;
  }

  /** A reload within debounceMs, gathering what else comes meanwhile, and not before its gap since the last (see RELOAD_GAP_PER_RECONCILE). */
  private schedule(): void {
    if (this.stopped || this.debounceTimer) return;
    const lastReconcileMs = this.daemon?.lastReconcileSummary?.durationMs ?? 0;
    const gap = reloadGapMs(lastReconcileMs, this.lastLoadMs, this.lastPeerCount);
    const wait = Math.max(this.opts.debounceMs ?? 50, this.lastLoadAtMs + gap - Date.now());
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.handleRotations().finally(() => {
        if (!this.stopped) this.changed?.();
      });
    }, wait);
  }

  /** Publishes every kept key the store does not show (first start, rotation, a store that lost it). */
  private async publishKeys(): Promise<void> {
    if (this.publishing || this.stopped || !this.mirror.reachable) return;
    this.publishing = true;
    try {
      for (const net of this.networks) {
        const pub = this.keys.publicKey(net);
        const key = this.layout.publicKey(this.node, net);
        if (this.mirror.kvs.get(key) === pub) continue;
        // Written already, its echo not back yet: a second write would be a change every node reloads for.
        const written = this.written.get(key);
        if (written?.value === pub && this.mirror.revision < written.revision) continue;
        await this.putPublicKey(net, pub);
      }
    } catch {
      // The store went away: the next reconnect lists again and calls load(), which tries again.
    } finally {
      this.publishing = false;
    }
  }

  private async putPublicKey(network: string, pub: string): Promise<void> {
    const key = this.layout.publicKey(this.node, network);
    const res = await this.client.put(key).value(pub).exec();
    this.written.set(key, { value: pub, revision: Number(res.header.revision) });
  }

  /** A rotation request for this node: new key, kept, published; then the request is removed. */
  private async handleRotations(): Promise<void> {
    const prefix = `${this.layout.node(this.node)}rotate/`;
    for (const [key, value] of [...this.mirror.kvs]) {
      if (!key.startsWith(prefix) || this.stopped) continue;
      const k = this.layout.parse(key);
      if (k?.kind !== 'rotate') continue;
      const request = `${key}@${value}`;
      try {
        if (!this.handledRotations.has(request) && this.mirror.kvs.has(this.layout.member(k.network, this.node))) {
          const pub = this.keys.rotate(k.network);
          this.handledRotations.add(request);
          await this.putPublicKey(k.network, pub);
        }
        await this.client.delete().key(key);
      } catch {
        // The store went away mid-way: the key is kept; publishing and removal are retried on reconnect.
      }
    }
  }

  /**
   * The periodic tick builds a status (N peers, sorted and compared) only when something was said to
   * change, when the name must be claimed again, or when the unchanged one is due to be rewritten.
   */
  private statusTick(): void {
    const last = this.lastStatus;
    const fresh = last !== undefined && Date.now() - last.atMs < STATUS_REFRESH_MS;
    if (!this.statusDirty && this.claim !== undefined && last?.claim === this.claim && fresh) return;
    void this.publishStatus();
  }

  /** Within 100 ms (gathering a burst of events), but not before the last write's STATUS_MIN_GAP_MS has passed. */
  private publishStatusSoon(): void {
    this.statusDirty = true;
    if (this.stopped || this.statusSoon) return;
    const wait = Math.max(100, (this.lastStatus?.atMs ?? 0) + STATUS_MIN_GAP_MS - Date.now());
    this.statusSoon = setTimeout(() => {
      this.statusSoon = undefined;
      void this.publishStatus();
    }, wait);
  }

  private async publishStatus(): Promise<void> {
    this.statusDirty = false;
    const status = this.currentStatus();
    if (!status || this.stopped) return;
    try {
      if (!this.claim && this.mirror.reachable) {
        // Started while the store was away, or the lease expired meanwhile: take the name (again).
        await this.takeClaim();
      }
      if (!this.claim) return;
      // An unchanged status (times aside) is written again only now and then: `fleet status` and
      // watchers of the store need not see a write per interval. The lease keeps it alive.
      const digest = JSON.stringify({
        ...status,
        atMs: 0,
        lastReconcile: status.lastReconcile && { ...status.lastReconcile, atMs: 0 },
      });
      const claim = this.claim;
      const last = this.lastStatus;
      if (digest === last?.digest && claim === last.claim && Date.now() - last.atMs < STATUS_REFRESH_MS) return;
      if (this.statusWriting || (claim === last?.claim && Date.now() - last.atMs < STATUS_MIN_GAP_MS)) {
        this.publishStatusSoon();
        return;
      }
      this.statusWriting = true;
      try {
        await claim.lease.put(this.layout.status(this.node)).value(JSON.stringify(status));
        this.lastStatus = { digest, claim, atMs: Date.now() };
      } finally {
        this.statusWriting = false;
      }
    } catch (err) {
      this.statusDirty = true;
      // Another agent took the name while this one could not claim it: said once, tried again each tick.
      if (err instanceof NodeClaimedError && err.message !== this.claimRefusal) {
        this.claimRefusal = err.message;
        this.opts.warn?.(`${err.message}; this node's status is not published meanwhile`);
      }
      // Unreachable store: the next tick tries again; the status says so locally meanwhile.
    }
  }
}
