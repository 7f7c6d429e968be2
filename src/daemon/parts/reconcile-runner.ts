/**
 * The one reconcile runner: every reconcile (start, file change, SIGHUP, reconnect resync, drift
 * check, retry, API apply) and every plan (API plan, apply dry run) goes through run() in the work
 * queue, so reconciles never interleave. It keeps the state the last run left (to plan file edits
 * from), retries failed runs with backoff, and tells how each went (log, metrics, events, bus).
 */
import type winston from 'winston';
import type { VppClient } from '../../client';
import { checkAgainstCapabilities, formatDiagnostic, type DesiredState } from '../../config';
import { reconcile, type ActualState, type ReconcileOptions, type ReconcileResult } from '../../reconcile';
import { hasLinuxCp } from '../../reconcile/lcp-messages';
import type { StateDir } from '../../state';
import { Backoff } from '../../util/backoff';
import type { ReconcileSummaryMsg } from '../api/proto';
import type { DaemonBus, DaemonPart, Trigger } from '../bus';
import type { DaemonMetrics } from '../metrics';
import { failedSummary, planLines, summaryOf } from '../summary';
import type { WorkQueue } from '../work-queue';
import type { VppConnection } from './vpp-connection';

/**
 * Reconciles that plan from the state the previous one left (its verified result) instead of
 * observing everything again: the daemon is VPP's only writer for what it owns, and whatever others
 * change is caught by drift checks, which (like start and the resync after a reconnect) always observe
 * fully. A stale state that VPP rejects makes the reconciler roll back and redo the run from a fresh observe.
 */
const INCREMENTAL_TRIGGERS: ReadonlySet<Trigger> = new Set<Trigger>(['config', 'sighup', 'api']);

/**
 * Beside a routing daemon (VPP has linux-cp) a drift check reads only the routes vppwg owns, by
 * lookup (ReconcileOptions.routeReads 'owned'): its full table would otherwise be walked by VPP on
 * every check. Every this many drift checks read all routes, so an API route another client put
 * through vppwg's interfaces is still found (as start, reconnects and file changes always do).
 */
const DRIFT_CHECKS_PER_FULL_READ = 10;

export interface ReconcileRunnerOptions {
  /** Where generated keys are kept and what the reconciler remembers (see ReconcileOptions.stateDir). */
  stateDir?: StateDir;
  /** Drift check interval (0 = off): caps the retry wait. */
  driftIntervalMs: number;
  /** First wait before a failed reconcile is tried again (doubling); default 1000. */
  retryInitialMs?: number;
  /**
   * `serve --adopt`: take over interfaces made outside vppwg that the file describes, until the
   * first reconcile that succeeds; later ones do not (see ReconcileOptions.adopt).
   */
  adopt?: boolean;
}

export interface RunOptions {
  rollback?: boolean;
  /** Observe and plan only: nothing changes, nothing is counted as a reconcile. */
  dryRun?: boolean;
  /** Inside the queue, after a successful run and before it is reported (an API apply adopts its document here). */
  onSuccess?: (r: ReconcileResult) => void;
}

export type RunOutcome = { summary: ReconcileSummaryMsg; result?: ReconcileResult };

export class ReconcileRunner implements DaemonPart {
  private last?: ReconcileSummaryMsg;
  private count = 0;
  private driftRepairCount = 0;
  /** Drift checks since the last one that read every route (see DRIFT_CHECKS_PER_FULL_READ). */
  private driftChecksSinceFullRead = 0;
  /** VPP's state as the last successful reconcile on this connection left it (see INCREMENTAL_TRIGGERS). */
  private lastActual?: ActualState;
  /** A reconcile waiting in the queue that later requests can join. */
  private pending?: { trigger: Trigger; promise: Promise<ReconcileSummaryMsg | undefined> };
  private retryTimer?: NodeJS.Timeout;
  private readonly retryBackoff: Backoff;
  private stopped = false;
  private readonly offs: (() => void)[] = [];
  /** Adoption allowed until the first reconcile that succeeds (serve --adopt). */
  private adoptUntilSuccess: boolean;

  constructor(
    private readonly opts: ReconcileRunnerOptions,
    private readonly desired: () => DesiredState | undefined,
    /** For diagnostics of a capability check: the source's name. */
    private readonly sourceName: () => string,
    /** Last learned endpoints of peers the file gives none (see LearnedEndpoints). */
    private readonly learnedEndpoints: () => ReconcileOptions['learnedEndpoints'],
    private readonly vpp: VppConnection,
    private readonly queue: WorkQueue,
    private readonly bus: DaemonBus,
    private readonly metrics: DaemonMetrics,
    private readonly log: winston.Logger,
  ) {
    this.adoptUntilSuccess = opts.adopt === true;
    const cap = opts.driftIntervalMs > 0 ? opts.driftIntervalMs : 30_000;
    this.retryBackoff = new Backoff({ initialMs: opts.retryInitialMs ?? 1000, maxMs: cap });
  }

  start(): void {
    // A VPP that comes back may be a new, empty one: the resync observes it fully.
    this.offs.push(
      this.bus.on('vpp-connected', () => void (this.lastActual = undefined)),
      this.bus.on('vpp-lost', () => void (this.lastActual = undefined)),
      this.bus.on('vpp-ready', ({ first }) => void this.requestReconcile(first ? 'start' : 'reconnect')),
      this.bus.on('desired-changed', ({ trigger }) => void this.requestReconcile(trigger)),
    );
  }

  /** No new runs or retries; the one in flight finishes (the controller waits for the queue). */
  stop(): void {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  get lastSummary(): ReconcileSummaryMsg | undefined {
    return this.last;
  }

  get reconciles(): number {
    return this.count;
  }

  get driftRepairs(): number {
    return this.driftRepairCount;
  }

  /** Queue a reconcile toward the current desired state; joins one already waiting. */
  requestReconcile(trigger: Trigger): Promise<ReconcileSummaryMsg | undefined> {
    if (this.pending) {
      // A resync outranks a drift check: keep the more telling trigger for the log.
      if (this.pending.trigger === 'drift') this.pending.trigger = trigger;
      return this.pending.promise;
    }
    const entry: { trigger: Trigger; promise: Promise<ReconcileSummaryMsg | undefined> } = {
      trigger,
      promise: Promise.resolve(undefined),
    };
    entry.promise = this.queue.enqueue(async () => {
      if (this.pending === entry) this.pending = undefined;
      const desired = this.desired();
      if (this.stopped || !desired) return undefined;
      try {
        return (await this.runQueued(entry.trigger, desired, {})).summary;
      } catch (err) {
        // Callers fire and forget: a bug here must be reported, not crash the daemon.
        this.log.error(`reconcile (${entry.trigger}) failed unexpectedly: ${(err as Error).message}`, { error: err });
        return undefined;
      }
    });
    this.pending = entry;
    return entry.promise;
  }

  /** A run of `desired` in the queue (API apply and plan): not joined with others. */
  run(trigger: Trigger, desired: DesiredState, opts: RunOptions): Promise<RunOutcome> {
    return this.queue.enqueue(() => this.runQueued(trigger, desired, opts));
  }

  /** Runs inside the queue. A dry run reports nothing; a real one is logged, counted and told on the bus. */
  private async runQueued(trigger: Trigger, desired: DesiredState, opts: RunOptions): Promise<RunOutcome> {
    const started = performance.now();
    const client = this.vpp.connectedClient();
    const fail = (error: string): Promise<RunOutcome> => {
      const summary = failedSummary(trigger, error, Math.round(performance.now() - started));
      return opts.dryRun ? Promise.resolve({ summary }) : this.finish(trigger, summary, undefined);
    };
    if (!client) return fail('VPP is not connected; the desired state is applied once it is');
    const capErrors = checkAgainstCapabilities(desired, this.sourceName(), this.vpp.capabilities()!);
    if (capErrors.length > 0) return fail(capErrors.map(formatDiagnostic).join('; '));
    const rollback = opts.rollback ?? true;
    const cached = !opts.dryRun && INCREMENTAL_TRIGGERS.has(trigger) ? this.takeLastActual(rollback) : undefined;
    const ownedRoutesOnly = !opts.dryRun && trigger === 'drift' && this.driftReadsOwnedRoutes(client);
    let result: ReconcileResult;
    try {
      result = await reconcile(client, desired, {
        rollback,
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(cached ? { actual: cached } : {}),
        ...(this.opts.stateDir ? { stateDir: this.opts.stateDir } : {}),
        learnedEndpoints: this.learnedEndpoints(),
        ...(this.adoptUntilSuccess ? { adopt: true } : {}),
        ...(ownedRoutesOnly ? { routeReads: 'owned' as const } : {}),
      });
    } catch (err) {
      return fail((err as Error).message);
    }
    const summary = summaryOf(trigger, result);
    if (opts.dryRun) return { summary, result };
    // A state read for owned routes only lacks others through vppwg's interfaces: no plan starts from it.
    this.lastActual = result.ok && this.vpp.connected && !ownedRoutesOnly ? result.actual : undefined;
    if (result.ok) {
      this.adoptUntilSuccess = false;
      opts.onSuccess?.(result);
    }
    return this.finish(trigger, summary, result, cached !== undefined);
  }

  /** Whether this drift check reads owned routes only: beside linux-cp, but not every DRIFT_CHECKS_PER_FULL_READ-th. */
  private driftReadsOwnedRoutes(client: VppClient): boolean {
    if (!hasLinuxCp(client)) return false;
    if (++this.driftChecksSinceFullRead < DRIFT_CHECKS_PER_FULL_READ) return true;
    this.driftChecksSinceFullRead = 0;
    return false;
  }

  /**
   * The previous run's state, for one run only: whatever that run ends with replaces it, and a run
   * that fails or throws leaves none, so the next one observes fully. Without rollback a stale
   * state cannot be retried safely, so then there is none.
   */
  private takeLastActual(rollback: boolean): ActualState | undefined {
    const cached = rollback ? this.lastActual : undefined;
    this.lastActual = undefined;
    return cached;
  }

  private async finish(
    trigger: Trigger,
    summary: ReconcileSummaryMsg,
    result: ReconcileResult | undefined,
    plannedFromPrevious = false,
  ): Promise<RunOutcome> {
    const changed = summary.operations > 0;
    const noop = summary.ok && !changed;
    this.last = summary;
    this.count++;
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

    const publish = (kind: 'DRIFT_REPAIRED' | 'RECONCILE_DONE', message: string): void =>
      this.bus.emit('publish', { kind, atMs: Date.now(), message, reconcile: summary });
    if (trigger === 'drift' && summary.ok && changed) {
      this.driftRepairCount++;
      this.metrics.driftRepairs.inc();
      this.log.warn(`drift repaired: VPP was changed outside vppwg: ${summary.summary}`, fields);
      publish('DRIFT_REPAIRED', `drift repaired: ${summary.summary}`);
    }
    if (!(noop && trigger === 'drift')) {
      publish(
        'RECONCILE_DONE',
        `reconcile (${trigger}) ${summary.ok ? 'ok' : 'failed'}: ${summary.error || summary.summary}`,
      );
    }
    this.scheduleRetry(summary.ok);
    // Peer subscriptions and learned endpoints are brought up to date before the next run.
    await this.bus.emitAndWait('reconciled', { trigger, summary, ...(result ? { result } : {}) });
    return { summary, ...(result ? { result } : {}) };
  }

  /**
   * After a failed reconcile, try again soon instead of at the next drift check: after a restart VPP
   * may answer before its startup config has made the uplinks, and a transient rejection should not
   * leave the tunnels down for a whole drift interval. The wait doubles from retryInitialMs up to the
   * drift interval (30 s when drift checks are off); a success resets it.
   */
  private scheduleRetry(ok: boolean): void {
    if (ok) {
      this.retryBackoff.reset();
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      return;
    }
    if (this.retryTimer || this.stopped || !this.vpp.connected) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // A reconcile already queued (file change, reconnect) tries anyway.
      if (!this.stopped && this.vpp.connected && this.queue.size === 0) void this.requestReconcile('retry');
    }, this.retryBackoff.next());
    this.retryTimer.unref();
  }
}
