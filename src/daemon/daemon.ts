/**
 * The daemon beside VPP: keeps VPP equal to the desired state for as long as it runs.
 *
 * A controller with parts on a typed event bus (bus.ts): the VPP connection, the desired state
 * (from a DesiredSource: the file, or the fleet), the VPP writer lock, the reconcile runner with
 * its work queue, drift checks, peer status, learned endpoints, the API and systemd. Everything
 * that touches VPP runs through the one queue, so reconciles never interleave and the one
 * shutdown path (stop) can wait for the one in flight (the reconciler finishes or rolls it back).
 */
import { EventEmitter } from 'node:events';
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type winston from 'winston';
import { StateDir } from '../state';
import { projectRoot } from '../util/paths';
import type { ReconcileSummaryMsg, StatusMsg } from './api/proto';
import { DaemonBus, type Trigger } from './bus';
import type { DesiredSource } from './desired-source';
import { FileDesiredSource } from './file-source';
import { createLogger, DaemonLogger } from './logger';
import { DaemonMetrics } from './metrics';
import { ApiPart } from './parts/api';
import { DesiredStatePart } from './parts/desired';
import { DriftTimer } from './parts/drift-timer';
import { LearnedEndpoints } from './parts/learned-endpoints';
import { LinkState } from './parts/link-state';
import { PeerStatus } from './parts/peer-status';
import { ReconcileRunner } from './parts/reconcile-runner';
import { SystemdNotifier } from './parts/systemd';
import { VppConnection } from './parts/vpp-connection';
import { DAEMON_HOLDER_PREFIX, VppWriterLock } from './parts/vpp-writer-lock';
import type { ListenAddress } from './server';
import { WorkQueue } from './work-queue';

export type { Trigger } from './bus';
export { ConfigError } from './parts/desired';
export { DaemonLockedError } from './parts/vpp-writer-lock';

export interface DaemonOptions {
  /** The desired-state file; optional when `desiredSource` is given. */
  configPath?: string;
  /** Where the desired state comes from instead of the file at configPath (the fleet's etcd source). */
  desiredSource?: DesiredSource;
  socketPath: string;
  listen: ListenAddress;
  /** Health and metrics on their own listener; undefined = on the API listener. */
  metricsListen?: ListenAddress;
  tokenFile: string;
  /**
   * vppwg's state directory (`serve --state-dir`): generated keys and learned peer endpoints are kept
   * there across restarts of VPP and of vppwg. Undefined: nothing is kept (keys are generated anew).
   */
  stateDir?: string;
  /**
   * `serve --adopt`: at start, take over WireGuard interfaces made outside vppwg that the desired
   * state describes, by tagging them (see ReconcileOptions.adopt).
   */
  adopt?: boolean;
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

/** How long shutdown waits for the operation in flight. */
const SHUTDOWN_WAIT_MS = 7000;

export class Daemon extends EventEmitter {
  readonly log: winston.Logger;
  readonly metrics = new DaemonMetrics();
  private readonly logging: DaemonLogger;
  private readonly bus: DaemonBus;
  private readonly queue = new WorkQueue();
  private readonly startedAtMs = Date.now();
  private stopping?: Promise<void>;

  private readonly vpp: VppConnection;
  private readonly desired: DesiredStatePart;
  private readonly lock: VppWriterLock;
  private readonly runner: ReconcileRunner;
  private readonly drift: DriftTimer;
  private readonly peers: PeerStatus;
  private readonly links: LinkState;
  private readonly learned: LearnedEndpoints;
  private readonly api: ApiPart;
  private readonly systemd: SystemdNotifier;

  constructor(private readonly opts: DaemonOptions) {
    super();
    this.logging = opts.logger ?? createLogger();
    this.log = this.logging.logger;
    const log = this.log;
    this.bus = new DaemonBus((event, err) =>
      log.error(`internal error after ${event} (please report it): ${err.message}`),
    );
    const source = opts.desiredSource ?? this.fileSource();
    if (source.health) this.metrics.watchStore(() => source.health!().storeReachable);
    const stateDir = opts.stateDir !== undefined ? new StateDir(resolve(opts.stateDir)) : undefined;

    this.vpp = new VppConnection(opts, this.bus, this.queue, this.metrics, log);
    this.desired = new DesiredStatePart(
      source,
      this,
      () => this.vpp.capabilities(),
      this.bus,
      this.logging.secrets,
      this.metrics,
      log,
    );
    const holder = opts.configPath
      ? `${DAEMON_HOLDER_PREFIX} --config ${resolve(opts.configPath)}`
      : `${DAEMON_HOLDER_PREFIX} (${source.description})`;
    this.lock = new VppWriterLock(opts.socketPath, holder, log);
    this.learned = new LearnedEndpoints(stateDir, () => this.desired.state, this.bus, log);
    this.runner = new ReconcileRunner(
      {
        stateDir,
        driftIntervalMs: opts.driftIntervalMs,
        retryInitialMs: opts.retryInitialMs,
        ...(opts.adopt ? { adopt: true } : {}),
      },
      () => this.desired.state,
      () => (opts.configPath ? resolve(opts.configPath) : source.description),
      () => this.learned.endpoints(),
      this.vpp,
      this.queue,
      this.bus,
      this.metrics,
      log,
    );
    this.drift = new DriftTimer(opts.driftIntervalMs, this.runner, this.vpp, this.queue);
    this.peers = new PeerStatus(this.bus, this.metrics, log);
    this.links = new LinkState(() => this.desired.state, this.bus, this.metrics, log);
    this.api = new ApiPart(
      {
        listen: opts.listen,
        metricsListen: opts.metricsListen,
        tokenFile: opts.tokenFile,
        baseDir: opts.configPath ? dirname(resolve(opts.configPath)) : process.cwd(),
      },
      this,
      this.desired,
      this.runner,
      this.vpp,
      this.queue,
      this.bus,
      this.logging.secrets,
      this.metrics,
      log,
    );
    this.systemd = new SystemdNotifier(opts.notify !== false, this.bus, log);

    this.bus.on('publish', (e) => void this.emit('event', e));
  }

  private fileSource(): DesiredSource {
    if (!this.opts.configPath)
      throw new Error('DaemonOptions: give configPath (the desired-state file) or desiredSource');
    const path = resolve(this.opts.configPath);
    return new FileDesiredSource(path, this.opts.debounceMs ?? 500, (err) =>
      this.log.warn(`watching ${path} failed: ${err.message}; send SIGHUP after editing it`),
    );
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Starts the API (its line, naming the bound port, comes first), loads the desired state (an
   * invalid one throws ConfigError: there is no last good state to keep), takes the VPP lock
   * (waiting for a CLI apply in progress; another daemon refuses the start), then connects to VPP
   * in the background, retrying until it is there.
   */
  async start(): Promise<void> {
    await this.api.start();
    await this.desired.start();
    await this.lock.start();
    if (this.stopping) return;
    this.learned.start();
    this.peers.start();
    this.links.start();
    this.runner.start();
    this.systemd.start();
    // Last of the 'reconciled' listeners: peers and learned endpoints are current when callers hear it.
    this.bus.on('reconciled', ({ summary }) => void this.emit('reconciled', summary));
    this.drift.start();
    this.vpp.start();
  }

  /**
   * The one shutdown path: stop taking work, let the operation in flight finish (or roll back),
   * say goodbye to VPP (sockclnt_delete), release the VPP lock, close the API.
   */
  stop(reason = 'stop requested'): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info(`shutting down: ${reason}`);
      this.systemd.stop();
      await this.desired.stop();
      this.drift.stop();
      this.vpp.stopConnecting();
      this.runner.stop();
      if (!(await this.queue.idle(SHUTDOWN_WAIT_MS)))
        this.log.warn(`the operation in flight did not finish within ${SHUTDOWN_WAIT_MS} ms; closing anyway`);
      this.peers.stop();
      this.links.stop();
      this.learned.stop();
      await this.vpp.stop();
      this.lock.stop();
      await this.api.stop();
      this.log.info('stopped');
    })();
    return this.stopping;
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** SIGHUP: reload the desired state now. */
  reload(): void {
    this.log.info('SIGHUP: reloading the desired state', { source: this.desired.source.description });
    void this.desired.reload('sighup');
  }

  /** Queue a reconcile toward the current desired state; joins one already waiting. */
  requestReconcile(trigger: Trigger): Promise<ReconcileSummaryMsg | undefined> {
    return this.runner.requestReconcile(trigger);
  }

  /** API address (tests bind port 0). */
  apiAddress(): ListenAddress {
    return this.api.address();
  }

  metricsAddress(): ListenAddress {
    return this.api.metricsAddress();
  }

  // ---------------------------------------------------------------- status

  health(): { ready: boolean; detail: Record<string, unknown> } {
    const last = this.runner.lastSummary;
    const ready = this.vpp.connected && last?.ok === true && !this.stopping;
    return {
      ready,
      detail: {
        vppConnected: this.vpp.status.connected,
        lastReconcile: last ? { trigger: last.trigger, ok: last.ok, error: last.error || undefined } : null,
        configRejected: this.desired.rejection !== undefined,
        ...(this.desired.source.health ? { storeReachable: this.desired.source.health().storeReachable } : {}),
      },
    };
  }

  /** Cheap reads for polling (status() copies and sorts every peer). */
  get lastReconcileSummary(): ReconcileSummaryMsg | undefined {
    return this.runner.lastSummary;
  }

  get vppConnected(): boolean {
    return this.vpp.status.connected;
  }

  get establishedPeerCount(): number {
    return this.peers.establishedCount;
  }

  status(): StatusMsg {
    return {
      vpp: { ...this.vpp.status },
      lastReconcile: this.runner.lastSummary,
      peers: this.peers.list(),
      ready: this.health().ready,
      // No field of its own in the API's Status yet: the source's line says it.
      desiredSource:
        this.desired.source.health?.().storeReachable === false
          ? `${this.desired.description} (store unreachable: the last state stays applied)`
          : this.desired.description,
      configRejected: this.desired.rejection,
      driftRepairs: this.runner.driftRepairs,
      reconciles: this.runner.reconciles,
      startedAtMs: this.startedAtMs,
      daemonVersion: daemonVersion(),
      uplinks: this.links.list(),
    };
  }
}

let version: string | undefined;
function daemonVersion(): string {
  version ??= (JSON.parse(readFileSync(resolve(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
