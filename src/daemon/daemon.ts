/**
 * The daemon beside VPP: keeps VPP equal to the desired-state file for as long as it runs.
 *
 * Everything that touches VPP (start, file change, SIGHUP, reconnect resync, drift check, API
 * plan/apply) runs through one queue, so reconciles never interleave and shutdown can wait for
 * the one in flight (the reconciler finishes or rolls it back).
 */
import { EventEmitter } from 'node:events';
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type winston from 'winston';
import * as bindings from 'vpp-api-ts';
import type { MessageDef, RequestDef, DumpDef } from 'vpp-api-ts';
import { VppClient } from '../client';
import { checkAgainstCapabilities, formatDiagnostic, loadDesiredState, parseDesiredState } from '../config';
import type { DesiredState, Diagnostic } from '../config';
import {
  PlanError,
  formatPlan,
  formatShow,
  observe,
  observeFor,
  planChanges,
  planToJson,
  reconcile,
  reconcileMessages,
  showState,
} from '../reconcile';
import type { ActualState, Plan, ReconcileResult } from '../reconcile';
import { projectRoot } from '../util/paths';
import { redact } from '../util/secrets';
import type {
  ApiDiagnostic,
  ConfigRejectionMsg,
  EventKindName,
  EventMsg,
  PlanResultMsg,
  ReconcileSummaryMsg,
  RequestMsg,
  ResponseMsg,
  StatusMsg,
  VppStatusMsg,
} from './api/proto';
import { createLogger, DaemonLogger } from './logger';
import { DaemonMetrics } from './metrics';
import { sdNotify } from './notify';
import { ManagedPeer, PeerTracker } from './peers';
import { ApiServer, ListenAddress } from './server';
import { loadOrCreateToken } from './token';
import { FileWatcher } from './watcher';

export type Trigger = 'start' | 'config' | 'sighup' | 'drift' | 'reconnect' | 'api' | 'retry';

export interface DaemonOptions {
  configPath: string;
  socketPath: string;
  listen: ListenAddress;
  /** Health and metrics on their own listener; undefined = on the API listener. */
  metricsListen?: ListenAddress;
  tokenFile: string;
  /** 0 turns the drift check off. */
  driftIntervalMs: number;
  /** Quiet time after the last change of the file before it is reloaded. */
  debounceMs?: number;
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Per-call timeout for VPP calls. */
  vppTimeoutMs?: number;
  logger?: DaemonLogger;
  /** systemd readiness notification (NOTIFY_SOCKET); default true. */
  notify?: boolean;
  /** First wait before a failed reconcile is tried again (doubling, up to the drift interval or 30 s); default 1000. */
  retryInitialMs?: number;
}

/**
 * Reconciles that plan from the state the previous one left (its verified result) instead of
 * observing everything again: the daemon is VPP's only writer for what it owns, and whatever others
 * change is caught by drift checks, which (like start and the resync after a reconnect) always observe
 * fully. A stale state that VPP rejects makes the reconciler roll back and redo the run from a fresh observe.
 */
const INCREMENTAL_TRIGGERS: ReadonlySet<Trigger> = new Set<Trigger>(['config', 'sighup', 'api']);

const EVENT_KIND_BY_TRANSITION = { up: 'PEER_UP', down: 'PEER_DOWN', removed: 'PEER_REMOVED' } as const;
const SHUTDOWN_WAIT_MS = 7000;

export class Daemon extends EventEmitter {
  readonly log: winston.Logger;
  readonly metrics = new DaemonMetrics();
  private readonly logging: DaemonLogger;
  private readonly configPath: string;
  private server?: ApiServer;
  private client?: VppClient;
  /** The client with call/dump timed into metrics; what the reconciler gets. */
  private timedClient?: VppClient;
  private watcher?: FileWatcher;
  private driftTimer?: NodeJS.Timeout;
  private connectTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  /** Failed reconciles in a row, for the retry backoff. */
  private failuresInARow = 0;

  private desired?: DesiredState;
  private desiredSource = '';
  private configRejected?: ConfigRejectionMsg;
  private lastReconcile?: ReconcileSummaryMsg;
  private readonly peers = new PeerTracker();
  /** VPP's state as the last successful reconcile on this connection left it (see INCREMENTAL_TRIGGERS). */
  private lastActual?: ActualState;
  private readonly vpp: VppStatusMsg;
  private reconcileCount = 0;
  private driftRepairCount = 0;
  private readonly startedAtMs = Date.now();
  private readyNotified = false;

  /** Tail of the queue of VPP work. */
  private queueTail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  /** A reconcile waiting in the queue that later requests can join. */
  private pendingReconcile?: { trigger: Trigger; promise: Promise<ReconcileSummaryMsg | undefined> };
  private stopping?: Promise<void>;
  private peerEventUnsubscribe?: () => void;

  constructor(private readonly opts: DaemonOptions) {
    super();
    this.logging = opts.logger ?? createLogger();
    this.log = this.logging.logger;
    this.configPath = resolve(opts.configPath);
    this.vpp = { connected: false, version: '', socketPath: opts.socketPath, sinceMs: Date.now(), connects: 0 };
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Loads the file (an invalid one at start throws: there is no last good state to keep), starts
   * the API, then connects to VPP in the background, retrying until it is there.
   */
  async start(): Promise<void> {
    const loaded = this.loadFile();
    if (!loaded.state) {
      const lines = loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
      throw new ConfigError(`the desired-state file is invalid; fix it and start again:\n${lines.join('\n')}`);
    }
    this.adoptDesired(loaded.state, `file ${this.configPath}`, loaded.diagnostics);

    const token = loadOrCreateToken(this.opts.tokenFile);
    if (token.created)
      this.log.info(`generated an API token into ${token.file} (mode 0600); clients read it from there`, {
        tokenFile: token.file,
      });
    if (token.warning) this.log.warn(token.warning, { tokenFile: token.file });

    this.server = new ApiServer({
      listen: this.opts.listen,
      metricsListen: this.opts.metricsListen,
      token: token.token,
      logger: this.log,
      sanitize: (r) => this.sanitize(r),
      handler: {
        handle: (req) => this.handleRequest(req),
        health: () => this.health(),
        metrics: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.text() }),
        onRequest: (kind, ok) => this.metrics.apiRequests.inc({ request: kind, result: ok ? 'ok' : 'error' }),
      },
    });
    await this.server.start();
    const a = this.server.address();
    const m = this.server.metricsAddress();
    this.log.info(
      `API listening on ws://${fmtHost(a.host)}:${a.port}/v1; health and metrics on http://${fmtHost(m.host)}:${m.port}/healthz and /metrics`,
      {
        listen: `${a.host}:${a.port}`,
      },
    );

    this.watcher = new FileWatcher(
      this.configPath,
      this.opts.debounceMs ?? 500,
      () => this.reloadConfig('config'),
      (err) => this.log.warn(`watching ${this.configPath} failed: ${err.message}; send SIGHUP after editing it`),
    );
    this.watcher.start();
    if (this.opts.driftIntervalMs > 0) {
      this.driftTimer = setInterval(() => this.driftCheck(), this.opts.driftIntervalMs);
    }
    this.connectLoop(0);
  }

  /** API address (tests bind port 0). */
  apiAddress(): ListenAddress {
    if (!this.server) throw new Error('the daemon is not started');
    return this.server.address();
  }

  metricsAddress(): ListenAddress {
    if (!this.server) throw new Error('the daemon is not started');
    return this.server.metricsAddress();
  }

  /** SIGHUP: reload the file now. */
  reload(): void {
    this.log.info('SIGHUP: reloading the desired state', { file: this.configPath });
    this.reloadConfig('sighup');
  }

  /**
   * The one shutdown path: stop taking work, let the operation in flight finish (or roll back),
   * say goodbye to VPP (sockclnt_delete), close the API.
   */
  stop(reason = 'stop requested'): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info(`shutting down: ${reason}`);
      if (this.opts.notify !== false) void sdNotify(['STOPPING=1']);
      this.watcher?.stop();
      if (this.driftTimer) clearInterval(this.driftTimer);
      if (this.connectTimer) clearTimeout(this.connectTimer);
      if (this.retryTimer) clearTimeout(this.retryTimer);
      const idle = this.queueTail.then(
        () => 'idle',
        () => 'idle',
      );
      const waited = await Promise.race([idle, sleep(SHUTDOWN_WAIT_MS).then(() => 'timeout')]);
      if (waited === 'timeout')
        this.log.warn(`the operation in flight did not finish within ${SHUTDOWN_WAIT_MS} ms; closing anyway`);
      this.peerEventUnsubscribe?.();
      if (this.client) {
        this.client.removeAllListeners('disconnected');
        await Promise.race([this.client.close(), sleep(1500)]);
      }
      await this.server?.close();
      this.metrics.vppConnected.set(0);
      this.log.info('stopped');
    })();
    return this.stopping;
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  // ---------------------------------------------------------------- VPP connection

  private connectLoop(attempt: number): void {
    if (this.stopping) return;
    const r = this.opts.reconnect ?? {};
    VppClient.connect({
      socketPath: this.opts.socketPath,
      clientName: 'vppwg-daemon',
      timeoutMs: this.opts.vppTimeoutMs,
      reconnect: { initialDelayMs: r.initialDelayMs ?? 100, maxDelayMs: r.maxDelayMs ?? 2000 },
      messages: [...reconcileMessages(), ...Object.values(daemonMessages())],
    }).then(
      (client) => {
        if (this.stopping) {
          void client.close();
          return;
        }
        this.client = client;
        this.timedClient = this.timed(client);
        this.peerEventUnsubscribe = client.subscribe(daemonMessages().peerEvent, (e) =>
          this.onPeerEvent(e.peer_index, e.flags),
        );
        client.on('connected', () => this.onConnected(false));
        client.on('disconnected', (err: Error) => this.onDisconnected(err));
        client.on('reconnecting', (info: { attempt: number; delayMs: number }) =>
          this.log.debug(`reconnecting to VPP (attempt ${info.attempt}, next in ${info.delayMs} ms)`),
        );
        client.on('error', (err: Error) => this.log.error(`VPP client: ${err.message}`));
        this.onConnected(true);
      },
      (err: Error) => {
        // Stopped while this attempt was under way: no retry timer may outlive the daemon.
        if (this.stopping) return;
        const delay = Math.min(r.maxDelayMs ?? 2000, (r.initialDelayMs ?? 100) * 2 ** Math.min(attempt, 16));
        if (attempt === 0 || attempt % 10 === 0) {
          this.log.warn(`VPP not reachable: ${err.message}; retrying every ≤${r.maxDelayMs ?? 2000} ms`, {
            socket: this.opts.socketPath,
          });
        }
        this.connectTimer = setTimeout(() => this.connectLoop(attempt + 1), delay);
      },
    );
  }

  private onConnected(first: boolean): void {
    this.vpp.connected = true;
    this.vpp.connects++;
    this.vpp.sinceMs = Date.now();
    this.metrics.vppConnected.set(1);
    this.metrics.vppConnects.inc();
    this.peers.connectionReset();
    // A VPP that comes back may be a new, empty one: the resync observes it fully.
    this.lastActual = undefined;
    void this.enqueue(async () => {
      try {
        const v = await this.client!.call(daemonMessages().showVersion, {});
        this.vpp.version = v.version;
      } catch (err) {
        this.log.warn(`show_version failed: ${(err as Error).message}`);
      }
    }).then(() => {
      this.log.info(`connected to VPP ${this.vpp.version} at ${this.opts.socketPath}`, {
        vppVersion: this.vpp.version,
        connects: this.vpp.connects,
      });
      this.publish('VPP_CONNECTED', `connected to VPP ${this.vpp.version}`, { vpp: { ...this.vpp } });
      void this.requestReconcile(first ? 'start' : 'reconnect');
    });
  }

  private onDisconnected(err: Error): void {
    this.vpp.connected = false;
    this.lastActual = undefined;
    this.vpp.sinceMs = Date.now();
    this.metrics.vppConnected.set(0);
    const wereUp = this.peers.markAllDown();
    this.updatePeerGauges();
    this.log.warn(
      `lost VPP: ${err.message}; reconnecting (no attempt limit); ${wereUp} established peer(s) now count as down`,
      {
        socket: this.opts.socketPath,
      },
    );
    this.publish('VPP_LOST', `lost VPP: ${err.message}`, { vpp: { ...this.vpp } });
  }

  // ---------------------------------------------------------------- desired state

  private loadFile(): { state?: DesiredState; diagnostics: Diagnostic[] } {
    const caps = this.client?.connected ? this.capabilities() : undefined;
    return loadDesiredState(this.configPath, caps ? { capabilities: caps } : {});
  }

  private capabilities(): { presharedKeys: boolean } {
    return { presharedKeys: this.client?.has('wireguard_peer_add_v2') ?? false };
  }

  private reloadConfig(trigger: 'config' | 'sighup'): void {
    if (this.stopping) return;
    const loaded = this.loadFile();
    if (!loaded.state) {
      this.rejectConfig(loaded.diagnostics);
      return;
    }
    this.configRejected = undefined;
    this.adoptDesired(loaded.state, `file ${this.configPath}`, loaded.diagnostics);
    this.log.info(`desired state reloaded from ${this.configPath} (${trigger})`, { trigger, file: this.configPath });
    void this.requestReconcile(trigger);
  }

  private rejectConfig(diagnostics: Diagnostic[]): void {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    this.configRejected = { atMs: Date.now(), file: this.configPath, diagnostics: errors.map(toApiDiagnostic) };
    this.metrics.configRejections.inc();
    this.log.error(`rejected ${this.configPath}: ${errors.length} error(s); the last good state stays applied`, {
      file: this.configPath,
      errors: errors.map(formatDiagnostic),
    });
    this.publish('CONFIG_REJECTED', `rejected ${this.configPath}: ${errors.map(formatDiagnostic).join('; ')}`, {
      configRejected: this.configRejected,
    });
  }

  private adoptDesired(state: DesiredState, source: string, diagnostics: readonly Diagnostic[]): void {
    this.desired = state;
    this.desiredSource = source;
    this.registerSecrets(state);
    for (const d of diagnostics) if (d.severity === 'warning') this.log.warn(formatDiagnostic(d), { file: d.file });
  }

  /** Every key of a state the daemon holds is scrubbed from logs and API replies. */
  private registerSecrets(state: DesiredState): void {
    for (const wg of state.wireguard) {
      if (wg.privateKey !== 'generate') this.logging.secrets.addBytes(wg.privateKey.bytes);
      for (const p of wg.peers) if (p.presharedKey) this.logging.secrets.addBytes(p.presharedKey.bytes);
    }
  }

  // ---------------------------------------------------------------- reconcile

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.queueTail.then(fn, fn);
    this.queueTail = run.then(
      () => {
        this.queued--;
      },
      () => {
        this.queued--;
      },
    );
    return run;
  }

  /** Queue a reconcile toward the current desired state; joins one already waiting. */
  requestReconcile(trigger: Trigger): Promise<ReconcileSummaryMsg | undefined> {
    if (this.pendingReconcile) {
      // A resync outranks a drift check: keep the more telling trigger for the log.
      if (this.pendingReconcile.trigger === 'drift') this.pendingReconcile.trigger = trigger;
      return this.pendingReconcile.promise;
    }
    const entry: { trigger: Trigger; promise: Promise<ReconcileSummaryMsg | undefined> } = {
      trigger,
      promise: Promise.resolve(undefined),
    };
    entry.promise = this.enqueue(async () => {
      if (this.pendingReconcile === entry) this.pendingReconcile = undefined;
      if (this.stopping || !this.desired) return undefined;
      try {
        return await this.runReconcile(entry.trigger, this.desired, true);
      } catch (err) {
        // Callers fire and forget: a bug here must be reported, not crash the daemon.
        this.log.error(`reconcile (${entry.trigger}) failed unexpectedly: ${(err as Error).message}`, { error: err });
        return undefined;
      }
    });
    this.pendingReconcile = entry;
    return entry.promise;
  }

  /**
   * After a failed reconcile, try again soon instead of at the next drift check: after a restart VPP
   * may answer before its startup config has made the uplinks, and a transient rejection should not
   * leave the tunnels down for a whole drift interval. The wait doubles from retryInitialMs up to the
   * drift interval (30 s when drift checks are off); a success resets it.
   */
  private scheduleRetry(ok: boolean): void {
    if (ok) {
      this.failuresInARow = 0;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      return;
    }
    if (this.retryTimer || this.stopping || !this.client?.connected) return;
    const cap = this.opts.driftIntervalMs > 0 ? this.opts.driftIntervalMs : 30_000;
    const delay = Math.min(cap, (this.opts.retryInitialMs ?? 1000) * 2 ** Math.min(this.failuresInARow++, 16));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // A reconcile already queued (file change, reconnect) tries anyway.
      if (!this.stopping && this.client?.connected && this.queued === 0) void this.requestReconcile('retry');
    }, delay);
    this.retryTimer.unref();
  }

  private driftCheck(): void {
    // Only when idle: a queued reconcile checks everything anyway.
    if (this.stopping || !this.client?.connected || this.queued > 0) return;
    void this.requestReconcile('drift');
  }

  /** Runs inside the queue. Returns the summary (also kept as lastReconcile). */
  private async runReconcile(trigger: Trigger, desired: DesiredState, rollback: boolean): Promise<ReconcileSummaryMsg> {
    const started = performance.now();
    const client = this.timedClient;
    if (!client || !this.client?.connected) {
      return this.finishReconcile(
        trigger,
        failedSummary(trigger, 'VPP is not connected; the desired state is applied once it is'),
        undefined,
      );
    }
    const capErrors = checkAgainstCapabilities(desired, this.configPath, this.capabilities());
    if (capErrors.length > 0) {
      return this.finishReconcile(
        trigger,
        failedSummary(trigger, capErrors.map(formatDiagnostic).join('; ')),
        undefined,
      );
    }
    let result: ReconcileResult;
    const cached = INCREMENTAL_TRIGGERS.has(trigger) ? this.takeLastActual(rollback) : undefined;
    try {
      result = await reconcile(client, desired, { rollback, ...(cached ? { actual: cached } : {}) });
    } catch (err) {
      const summary = failedSummary(trigger, (err as Error).message);
      summary.durationMs = Math.round(performance.now() - started);
      return this.finishReconcile(trigger, summary, undefined);
    }
    this.keepLastActual(result);
    return this.finishReconcile(trigger, summaryOf(trigger, result), result, cached !== undefined);
  }

  /**
   * The previous run's state, for one run only: whatever that run ends with replaces it (keepLastActual),
   * and a run that fails or throws leaves none, so the next one observes fully. Without rollback a stale
   * state cannot be retried safely, so then there is none.
   */
  private takeLastActual(rollback: boolean): ActualState | undefined {
    const cached = rollback ? this.lastActual : undefined;
    this.lastActual = undefined;
    return cached;
  }

  private keepLastActual(result: ReconcileResult): void {
    this.lastActual = result.ok && this.client?.connected ? result.actual : undefined;
  }

  private async finishReconcile(
    trigger: Trigger,
    summary: ReconcileSummaryMsg,
    result: ReconcileResult | undefined,
    plannedFromPrevious = false,
  ): Promise<ReconcileSummaryMsg> {
    const changed = summary.operations > 0;
    const noop = summary.ok && !changed;
    this.lastReconcile = summary;
    this.reconcileCount++;
    const label = !summary.ok ? (summary.rolledBack ? 'rolled_back' : 'failed') : noop ? 'noop' : 'ok';
    this.metrics.reconciles.inc({ result: label, trigger });
    this.metrics.reconcileDuration.observe({ trigger }, summary.durationMs / 1000);

    const fields = {
      trigger,
      result: label,
      operations: summary.operations,
      applied: summary.applied,
      durationMs: summary.durationMs,
      // 'previous run': planned from the state the last reconcile left, without observing VPP first.
      plannedFrom: plannedFromPrevious ? 'previous run' : 'observed',
      ...(changed && result ? { changes: planLines(result.plan) } : {}),
      ...(summary.error ? { error: summary.error } : {}),
    };
    if (!summary.ok)
      this.log.error(
        `reconcile (${trigger}) failed: ${summary.error}${summary.rolledBack ? ' (rolled back)' : ''}`,
        fields,
      );
    else if (noop && trigger === 'drift') this.log.debug('drift check: VPP matches the desired state', fields);
    else
      this.log.info(
        noop ? `reconcile (${trigger}): ${summary.summary}` : `reconcile (${trigger}) applied: ${summary.summary}`,
        fields,
      );

    if (trigger === 'drift' && summary.ok && changed) {
      this.driftRepairCount++;
      this.metrics.driftRepairs.inc();
      this.log.warn(`drift repaired: VPP was changed outside vppwg: ${summary.summary}`, fields);
      this.publish('DRIFT_REPAIRED', `drift repaired: ${summary.summary}`, { reconcile: summary });
    }
    if (!(noop && trigger === 'drift')) {
      this.publish(
        'RECONCILE_DONE',
        `reconcile (${trigger}) ${summary.ok ? 'ok' : 'failed'}: ${summary.error || summary.summary}`,
        { reconcile: summary },
      );
    }
    this.scheduleRetry(summary.ok);
    if (result) await this.trackPeers(result.peers);
    if (!this.readyNotified && this.opts.notify !== false) {
      this.readyNotified = true;
      void sdNotify([
        '--ready',
        `--status=${summary.ok ? 'in sync with the desired state' : 'first reconcile failed: ' + summary.error}`,
      ]).then((r) => {
        if (r !== 'not under systemd') this.log.info(`systemd notify READY=1: ${r}`);
      });
    }
    this.emit('reconciled', summary);
    return summary;
  }

  // ---------------------------------------------------------------- peer status

  /** Subscribe peers not yet subscribed on this connection, then read their flags once. */
  private async trackPeers(peers: readonly ManagedPeer[]): Promise<void> {
    const toSubscribe = this.peers.setPeers(peers);
    const client = this.timedClient;
    if (toSubscribe.length > 0 && client && this.client?.connected) {
      const m = daemonMessages();
      // VPP answers 0 even for a peer index that no longer exists (someone removed it since the
      // reconcile looked), so a subscription counts only once the dump below shows that peer.
      const results = await Promise.allSettled(
        toSubscribe.map((p) =>
          client.call(m.wantPeerEvents, {
            sw_if_index: p.swIfIndex,
            peer_index: p.peerIndex,
            enable_disable: 1,
            pid: process.pid,
          }),
        ),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      if (failed.length) {
        this.log.warn(
          `want_wireguard_peer_events failed for ${failed.length} peer(s): ${(failed[0] as PromiseRejectedResult).reason}`,
        );
      }
      try {
        const mark = this.peers.eventMark;
        const details = await client.dump(client.has(m.peersV2Dump) ? m.peersV2Dump : m.peersDump, {
          peer_index: 0xffffffff,
        });
        const keyAt = new Map(
          details.map((d) => [d.peer.peer_index, Buffer.from(d.peer.public_key).toString('base64')]),
        );
        this.peers.confirmSubscriptions(
          toSubscribe,
          results.map((r) => r.status === 'fulfilled'),
          keyAt,
        );
        // The flags may have changed between the add and the subscription: read them once.
        for (const d of details) this.onPeerFlags(d.peer.peer_index, d.peer.flags, mark);
      } catch (err) {
        this.log.warn(
          `wireguard_peers_dump failed: ${(err as Error).message}; peer status is re-read at the next reconcile`,
        );
      }
    }
    this.updatePeerGauges();
  }

  private onPeerEvent(peerIndex: number, flags: number): void {
    this.onPeerFlags(peerIndex, flags);
  }

  /** From an event, or (with the mark taken before the dump was asked for) from a dump. */
  private onPeerFlags(peerIndex: number, flags: number, dumpMark?: number): void {
    const t =
      dumpMark === undefined ? this.peers.onEvent(peerIndex, flags) : this.peers.seed(peerIndex, flags, dumpMark);
    if (!t) return;
    const kind = EVENT_KIND_BY_TRANSITION[t.kind];
    const text = `peer ${t.peer.name} (${t.peer.interface}) ${t.kind === 'up' ? 'established' : t.kind === 'down' ? 'no longer established' : 'removed from VPP'}`;
    this.log.info(text, {
      interface: t.peer.interface,
      peer: t.peer.name,
      publicKey: t.peer.publicKey,
      peerIndex,
      flags,
    });
    this.publish(kind, text, { peer: t.peer });
    this.updatePeerGauges();
  }

  private updatePeerGauges(): void {
    this.metrics.peersEstablished.set(this.peers.establishedCount());
    this.metrics.peersManaged.set(this.peers.size());
  }

  // ---------------------------------------------------------------- API

  private publish(kind: EventKindName, message: string, detail: Partial<EventMsg>): void {
    const event: EventMsg = { kind, atMs: Date.now(), message, ...detail };
    this.emit('event', event);
    this.server?.publish(event);
  }

  health(): { ready: boolean; detail: Record<string, unknown> } {
    const ready = this.vpp.connected && this.lastReconcile?.ok === true && !this.stopping;
    return {
      ready,
      detail: {
        vppConnected: this.vpp.connected,
        lastReconcile: this.lastReconcile
          ? {
              trigger: this.lastReconcile.trigger,
              ok: this.lastReconcile.ok,
              error: this.lastReconcile.error || undefined,
            }
          : null,
        configRejected: this.configRejected !== undefined,
      },
    };
  }

  /** Cheap reads for polling (status() copies and sorts every peer). */
  get lastReconcileSummary(): ReconcileSummaryMsg | undefined {
    return this.lastReconcile;
  }

  get vppConnected(): boolean {
    return this.vpp.connected;
  }

  get establishedPeerCount(): number {
    return this.peers.establishedCount();
  }

  status(): StatusMsg {
    return {
      vpp: { ...this.vpp },
      lastReconcile: this.lastReconcile,
      peers: this.peers.list(),
      ready: this.health().ready,
      desiredSource: this.desiredSource,
      configRejected: this.configRejected,
      driftRepairs: this.driftRepairCount,
      reconciles: this.reconcileCount,
      startedAtMs: this.startedAtMs,
      daemonVersion: daemonVersion(),
    };
  }

  /** Key material is scrubbed from every reply and event, whatever produced it. */
  private sanitize(res: ResponseMsg): ResponseMsg {
    return this.logging.secrets.redact(res) as ResponseMsg;
  }

  private async handleRequest(req: RequestMsg): Promise<Omit<ResponseMsg, 'id'>> {
    if (this.stopping && req.body !== 'getStatus')
      return errorReply('SHUTTING_DOWN', 'the daemon is shutting down; retry after it restarts');
    switch (req.body) {
      case 'getStatus':
        return { ok: true, status: this.status() };
      case 'getDesiredState': {
        if (!this.desired) return errorReply('BAD_REQUEST', 'no desired state loaded yet');
        const safe = toPlain(redact(this.desired));
        return {
          ok: true,
          desiredState: {
            json: JSON.stringify(safe, null, 2),
            text: `# source: ${this.desiredSource}\n${YAML.stringify(safe)}`,
          },
        };
      }
      case 'getActualState': {
        const client = this.connectedClient();
        if (!client) return vppUnavailable();
        const actual = await this.enqueue(() => observe(client));
        // showState/formatShow hold public keys only; redact() is a second guard.
        return {
          ok: true,
          actualState: { json: JSON.stringify(toPlain(redact(showState(actual))), null, 2), text: formatShow(actual) },
        };
      }
      case 'plan': {
        const doc = req.plan!;
        const loaded = this.parseDocument(doc.document, doc.name, doc.baseDir);
        if (!loaded.state) return invalidConfig(loaded.diagnostics);
        this.registerSecrets(loaded.state);
        const client = this.connectedClient();
        if (!client) return vppUnavailable();
        try {
          const plan = await this.enqueue(async () =>
            planChanges(loaded.state!, await observeFor(client, loaded.state!)),
          );
          return { ok: true, plan: planResult(plan, loaded.diagnostics) };
        } catch (err) {
          // PlanError: the document asks for what this VPP cannot have (e.g. an uplink it lacks).
          if (err instanceof PlanError) return errorReply('PLAN_FAILED', err.message);
          throw err;
        }
      }
      case 'apply':
        return this.apiApply(req.apply!);
      default:
        return errorReply('BAD_REQUEST', `request kind ${req.body ?? '(none)'} is not handled here`);
    }
  }

  private async apiApply(a: NonNullable<RequestMsg['apply']>): Promise<Omit<ResponseMsg, 'id'>> {
    const loaded = this.parseDocument(a.document, a.name, a.baseDir);
    if (!loaded.state) return invalidConfig(loaded.diagnostics);
    const state = loaded.state;
    this.registerSecrets(state);
    const client = this.connectedClient();
    if (!client) return vppUnavailable();
    if (a.dryRun) {
      let plan: Plan;
      try {
        plan = await this.enqueue(async () => planChanges(state, await observeFor(client, state)));
      } catch (err) {
        if (err instanceof PlanError) return errorReply('PLAN_FAILED', err.message);
        throw err;
      }
      return {
        ok: true,
        apply: {
          ok: true,
          plan: planResult(plan, loaded.diagnostics),
          applied: 0,
          rolledBack: false,
          verified: false,
          durationMs: 0,
          error: '',
        },
      };
    }
    let result: ReconcileResult | undefined;
    const summary = await this.enqueue(async () => {
      const started = performance.now();
      const rollback = !a.noRollback;
      const cached = this.takeLastActual(rollback);
      try {
        result = await reconcile(client, state, { rollback, ...(cached ? { actual: cached } : {}) });
      } catch (err) {
        const s = failedSummary('api', (err as Error).message);
        s.durationMs = Math.round(performance.now() - started);
        return this.finishReconcile('api', s, undefined);
      }
      const r = result;
      this.keepLastActual(r);
      const s = summaryOf('api', r);
      if (r.ok) {
        // The applied document is now what the daemon holds VPP to, until the file changes or SIGHUP.
        this.adoptDesired(state, `api apply (${a.name || 'request.yaml'})`, []);
        this.log.warn(
          'desired state replaced through the API; the file takes over again at its next change or SIGHUP',
          { source: this.desiredSource },
        );
      }
      return this.finishReconcile('api', s, r, cached !== undefined);
    });
    const plan = result ? planResult(result.plan, loaded.diagnostics) : undefined;
    const apply = {
      ok: summary.ok,
      plan,
      applied: summary.applied,
      rolledBack: summary.rolledBack,
      verified: summary.verified,
      durationMs: summary.durationMs,
      error: summary.error,
    };
    return summary.ok
      ? { ok: true, apply }
      : { ok: false, error: { code: 'APPLY_FAILED', message: summary.error }, apply };
  }

  private parseDocument(
    text: string,
    name: string | undefined,
    baseDir: string | undefined,
  ): { state?: DesiredState; diagnostics: Diagnostic[] } {
    const caps = this.client?.connected ? this.capabilities() : undefined;
    return parseDesiredState(text, name || 'request.yaml', {
      baseDir: baseDir || dirname(this.configPath),
      ...(caps ? { capabilities: caps } : {}),
    });
  }

  private connectedClient(): VppClient | undefined {
    return this.client?.connected ? this.timedClient : undefined;
  }

  /** The client with call/dump latency recorded per message. */
  private timed(client: VppClient): VppClient {
    const hist = this.metrics.apiCallDuration;
    const wrap =
      <F extends (def: MessageDef, ...rest: unknown[]) => Promise<unknown>>(fn: F) =>
      (def: MessageDef, ...rest: unknown[]): Promise<unknown> => {
        const end = hist.startTimer({ message: def.name });
        return fn.call(client, def, ...rest).then(
          (v) => {
            end({ result: 'ok' });
            return v;
          },
          (e: unknown) => {
            end({ result: 'error' });
            throw e;
          },
        );
      };
    // The iterating forms (the reconciler's route dumps) are timed until the last detail is read.
    const wrapIter =
      <F extends (def: MessageDef, ...rest: unknown[]) => AsyncIterableIterator<unknown>>(fn: F) =>
      (def: MessageDef, ...rest: unknown[]): AsyncIterableIterator<unknown> => {
        const end = hist.startTimer({ message: def.name });
        const inner = fn.call(client, def, ...rest);
        let ended = false;
        const finish = (result: 'ok' | 'error'): void => {
          if (ended) return;
          ended = true;
          end({ result });
        };
        const it: AsyncIterableIterator<unknown> = {
          [Symbol.asyncIterator]: () => it,
          next: async () => {
            try {
              const r = await inner.next();
              if (r.done) finish('ok');
              return r;
            } catch (e) {
              finish('error');
              throw e;
            }
          },
          return: async (v?: unknown) => {
            finish('ok');
            return inner.return ? inner.return(v) : { done: true, value: v };
          },
        };
        return it;
      };
    const wrapped = new Map<PropertyKey, unknown>([
      ['call', wrap(client.call as never)],
      // A batch counts as one call of its message (its latency is the whole batch's).
      ['callMany', wrap(client.callMany as never)],
      ['dump', wrap(client.dump as never)],
      ['stream', wrap(client.stream as never)],
      ['dumpIter', wrapIter(client.dumpIter as never)],
      ['streamIter', wrapIter(client.streamIter as never)],
    ]);
    return new Proxy(client, {
      get(target, prop) {
        if (wrapped.has(prop)) return wrapped.get(prop);
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}

/** The file was invalid at start: exit code 2 (systemd's RestartPreventExitStatus keeps it from looping). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function failedSummary(trigger: Trigger, error: string): ReconcileSummaryMsg {
  return {
    trigger,
    ok: false,
    finishedAtMs: Date.now(),
    durationMs: 0,
    summary: '',
    operations: 0,
    applied: 0,
    rolledBack: false,
    verified: false,
    error,
  };
}

function planResult(plan: Plan, diagnostics: readonly Diagnostic[]): PlanResultMsg {
  const s = plan.summary;
  return {
    empty: plan.isEmpty,
    summary: plan.isEmpty ? 'no changes' : `${s.create} to create, ${s.modify} to change, ${s.delete} to delete`,
    text: formatPlan(plan),
    json: JSON.stringify(planToJson(plan)),
    diagnostics: diagnostics.map(toApiDiagnostic),
  };
}

function planLines(plan: Plan): string[] {
  const lines = formatPlan(plan)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => /^\s*[-+~]/.test(l));
  return lines.length > 50 ? [...lines.slice(0, 50), `... ${lines.length - 50} more`] : lines;
}

function toApiDiagnostic(d: Diagnostic): ApiDiagnostic {
  return { severity: d.severity, file: d.file, line: d.line, column: d.column, path: d.path, message: d.message };
}

function errorReply(code: string, message: string): Omit<ResponseMsg, 'id'> {
  return { ok: false, error: { code, message } };
}

function vppUnavailable(): Omit<ResponseMsg, 'id'> {
  return errorReply(
    'VPP_UNAVAILABLE',
    'VPP is not connected right now; the daemon keeps reconnecting, retry shortly (see status)',
  );
}

function invalidConfig(diagnostics: Diagnostic[]): Omit<ResponseMsg, 'id'> {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  return {
    ok: false,
    error: {
      code: 'INVALID_CONFIG',
      message: `the document is invalid (${errors.length} error(s)); nothing was changed:\n${errors.map(formatDiagnostic).join('\n')}`,
      diagnostics: diagnostics.map(toApiDiagnostic),
    },
  };
}

/** JSON-safe copy: bigints as strings, byte arrays as base64 (public material only reaches here). */
function toPlain(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return x.toString();
      if (x instanceof Uint8Array) return Buffer.from(x).toString('base64');
      if (x instanceof Map) return Object.fromEntries(x);
      if (x instanceof Set) return [...x];
      return x;
    }) ?? 'null',
  );
}

function fmtHost(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

let version: string | undefined;
function daemonVersion(): string {
  version ??= (JSON.parse(readFileSync(resolve(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

interface PeerFlagsDetails {
  peer: { peer_index: number; flags: number; public_key: Uint8Array };
}

interface DaemonMessages {
  showVersion: RequestDef<Record<string, never>, { version: string }>;
  wantPeerEvents: RequestDef<{ sw_if_index: number; peer_index: number; enable_disable: number; pid: number }, unknown>;
  peerEvent: MessageDef<{ peer_index: number; flags: number }>;
  peersDump: DumpDef<{ peer_index: number }, PeerFlagsDetails>;
  peersV2Dump: DumpDef<{ peer_index: number }, PeerFlagsDetails>;
}

let messagesCache: DaemonMessages | undefined;

/** The messages the daemon sends besides the reconciler's, found by VPP name in the bindings. */
function daemonMessages(): DaemonMessages {
  if (messagesCache) return messagesCache;
  const byName = new Map<string, MessageDef>();
  const visit = (v: unknown, depth: number): void => {
    if (typeof v !== 'object' || v === null) return;
    const d = v as MessageDef;
    if (typeof d.nameCrc === 'string' && typeof d.encode === 'function') {
      if (!byName.has(d.name)) byName.set(d.name, d);
      return;
    }
    if (depth > 2) return;
    for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key], depth + 1);
  };
  visit(bindings, 0);
  const get = <T>(name: string): T => {
    const d = byName.get(name);
    if (!d) throw new Error(`the vpp-api-ts bindings lack ${name}: regenerate them (npm run codegen)`);
    return d as unknown as T;
  };
  messagesCache = {
    showVersion: get('show_version'),
    wantPeerEvents: get('want_wireguard_peer_events'),
    peerEvent: get('wireguard_peer_event'),
    peersDump: get('wireguard_peers_dump'),
    peersV2Dump: get('wireguard_peers_v2_dump'),
  };
  return messagesCache;
}

function summaryOf(trigger: Trigger, r: ReconcileResult): ReconcileSummaryMsg {
  const s = r.plan.summary;
  const notes = r.plan.notes.length ? ` (${r.plan.notes.length} note(s): ${r.plan.notes[0]})` : '';
  return {
    trigger,
    ok: r.ok,
    finishedAtMs: Date.now(),
    durationMs: Math.round(r.durationMs),
    summary: r.plan.isEmpty
      ? `no changes${notes}`
      : `${s.create} to create, ${s.modify} to change, ${s.delete} to delete${notes}`,
    operations: r.plan.operations.length,
    applied: r.applied,
    rolledBack: r.rolledBack,
    verified: r.verified,
    error: r.error ? `${r.error.operation}: ${r.error.message}` : '',
  };
}
