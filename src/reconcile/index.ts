/**
 * The reconciler: observe VPP, diff against the desired state, apply the plan (rolling back on a
 * rejection), then observe again and check that VPP now equals the desired state.
 */
import type { VppClient } from '../client';
import type { DesiredState } from '../config/model';
import { withAdminStates, type ActualState } from './actual';
import { applyPlan, INTERRUPTED, rollbackFailureText } from './apply';
import { adoptInterrupted, findTakeable, withOwners, type TakenInterface } from './adopt';
import { planChanges, type PlanOptions } from './plan';
import { PlanError } from './plan-error';
import type { Phase, Plan } from './plan-model';
import { wantedRouteKeys } from './route-diff';
import { checkReconcileApi, hasPeerV2, newTouched, observe, observeTouched, type Touched } from './vpp';
import { routesAnUpMayShadow } from './verify-early';
import { StateDirError, type StateDir } from '../state';
import { CreateJournal } from '../state/create-journal';
import { RouteRecord, type RecordedRoute } from '../state/route-record';
import { recordedRouteKeys, routesToRemember } from './route-memory';
import { keepInterfaceKeys, resolveInterfaceKeys, type InterfaceKey } from './keys';
import { resolveUplinks } from './uplink-match';

/**
 * Above this many re-read objects a full observe (a few dumps) is cheaper than exact lookups one by one.
 */
const FOCUSED_VERIFY_LIMIT = 256;

export type {
  ActualState,
  ActualInterface,
  ActualWireguardInterface,
  ActualPeer,
  ActualRoute,
  ActualTable,
  ActualTeibEntry,
} from './actual';
export { buildActualState, OWNER_TAG_PREFIX } from './actual';
export { planChanges, type PlanOptions } from './plan';
export { PlanError } from './plan-error';
export { PHASES, type Operation, type Plan, type Phase } from './plan-model';
export { ACTION_SIGNS, signOf, type Action, type ActionSign } from './action';
export {
  formatPlan,
  planSummaryText,
  planToJson,
  showState,
  formatShow,
  type ShownState,
  type ShowOptions,
} from './format';
export { checkReconcileApi, observe, readPeers, reconcileMessages, MUTATING_MESSAGES } from './vpp';
export { resolveUplinks, pciOfInterface } from './uplink-match';

export interface ReconcileResult {
  ok: boolean;
  plan: Plan;
  applied: number;
  rolledBack: boolean;
  error?: { operation: string; message: string; retval?: number };
  verified: boolean;
  durationMs: number;
  peers: { interface: string; name: string; publicKey: string; peerIndex: number; swIfIndex: number }[];
  /**
   * VPP's state at the end, as observed (after a successful apply: re-read where this run touched
   * it). Pass it as `actual` to the next reconcile to skip its first observe (see ReconcileOptions).
   */
  actual?: ActualState;
  /** After an abandoned rollback: the operations applied and not undone, for the operator to check. */
  left?: string[];
  /** Where the run's time went (ms): what tells VPP's share from vppwg's. */
  timings: ReconcileTimings;
}

export interface ReconcileTimings {
  /** Reading VPP before planning (0 when planned from a previous result's state). */
  observeMs: number;
  planMs: number;
  /** Each phase of the apply, first request to last reply: VPP's work, mostly. */
  phaseMs: Partial<Record<Phase, number>>;
  /** Reading VPP back to verify. */
  verifyMs: number;
}

/** Internal: the second round of a run (see reconcile). */
interface RoundOptions extends ReconcileOptions {
  round?: number;
}

function mergePlans(a: Plan, b: Plan): Plan {
  return {
    operations: [...a.operations, ...b.operations],
    isEmpty: a.isEmpty && b.isEmpty,
    summary: {
      create: a.summary.create + b.summary.create,
      modify: a.summary.modify + b.summary.modify,
      delete: a.summary.delete + b.summary.delete,
      adopt: a.summary.adopt + b.summary.adopt,
    },
    warnings: [...new Set([...a.warnings, ...b.warnings])],
    notes: [...new Set([...a.notes, ...b.notes])],
  };
}

export interface ReconcileOptions {
  /** Undo what this run applied when VPP rejects an operation (default true). */
  rollback?: boolean;
  /** Observe and plan only. */
  dryRun?: boolean;
  /**
   * VPP's state from the previous result, to plan against instead of observing everything again
   * (10,000 peers take a few hundred ms to dump). Only for a caller that is VPP's sole writer and
   * also runs uncached drift checks: changes made behind its back are not seen. If VPP rejects an
   * operation planned from it, the run is rolled back and done once more from a fresh observe.
   */
  actual?: ActualState;
  /**
   * vppwg's state directory: where `private_key: generate` keys are kept (generated once, reused),
   * where interfaces being created are recorded before the call (so one left untagged by a crash
   * is recognised as vppwg's), and where the static routes vppwg applied are remembered (so a plan
   * can name those the file no longer lists). Without it, 'generate' keys are not kept.
   */
  stateDir?: StateDir;
  /**
   * Last endpoints VPP learned for peers the file gives none (remote-access clients), by public
   * key: a peer created anew (say after VPP restarted) starts with it, so VPP can initiate. Never drift.
   */
  learnedEndpoints?: ReadonlyMap<string, { address: string; port: number }>;
  /** Remove static routes vppwg applied earlier that the file no longer lists (`--prune-routes`). */
  pruneRoutes?: boolean;
  /**
   * Aborting it (first Ctrl-C) stops sending new operations, lets those in flight finish and rolls
   * back what this run applied; the result's error operation is 'interrupted'.
   */
  signal?: AbortSignal;
  /**
   * Take over WireGuard interfaces made outside vppwg that the file describes, by tagging them
   * (`vppwg adopt`, `serve --adopt`): no peer, address or route of theirs is removed or re-added
   * unless it differs from the file. Without it a run that finds one is refused, naming it; a dry
   * run shows each as `= adopt`.
   */
  adopt?: boolean;
  /** Aborting it (second Ctrl-C) abandons the rollback too; the result's `left` lists what stays applied. */
  abandon?: AbortSignal;
  /**
   * Which routes the plan reads. 'all' (default): every route vppwg could act on, among them API
   * routes another client added through vppwg's interfaces (removed as drift); VPP walks whole
   * tables for them. 'owned': only the file's routes and those vppwg recorded applying (stateDir),
   * each by exact lookup, so the cost does not grow with routes vppwg does not own (a routing
   * daemon's full table through linux-cp). The daemon's drift checks beside linux-cp use it.
   */
  routeReads?: 'all' | 'owned';
}

const EMPTY_PLAN: Plan = {
  operations: [],
  isEmpty: true,
  summary: { create: 0, modify: 0, delete: 0, adopt: 0 },
  warnings: [],
  notes: [],
};

/** VPP's state as a plan for `desired` needs it: every route it can act on, and no other (see ActualState.routeScope). */
export function observeFor(client: VppClient, desired: DesiredState): Promise<ActualState> {
  return observe(client, { routeScope: wantedRouteKeys(desired) });
}

/** Whether `actual` holds every route of `scope` that VPP has (it read them all, or at least these keys). */
function covers(actual: ActualState, scope: ReadonlySet<string>): boolean {
  const read = actual.routeScope;
  if (!read) return true;
  for (const k of scope) if (!read.has(k)) return false;
  return true;
}

function peersOf(desired: DesiredState, actual: ActualState): ReconcileResult['peers'] {
  const out: ReconcileResult['peers'] = [];
  for (const wg of desired.wireguard) {
    const idx = actual.owned.interfaces.get(wg.name);
    for (const p of wg.peers) {
      const a = actual.peers.get(p.publicKey);
      if (!a || a.swIfIndex !== idx) continue;
      out.push({
        interface: wg.name,
        name: p.name,
        publicKey: p.publicKey,
        peerIndex: a.peerIndex,
        swIfIndex: a.swIfIndex,
      });
    }
  }
  return out;
}

/**
 * Makes VPP match `desired`: observe, plan, apply (rolling back on a rejection unless told not
 * to), observe again and verify. With `dryRun` only the plan is made.
 */
export function reconcile(
  client: VppClient,
  desired: DesiredState,
  opts: ReconcileOptions = {},
): Promise<ReconcileResult> {
  return reconcileRound(client, desired, opts);
}

async function reconcileRound(client: VppClient, file: DesiredState, opts: RoundOptions): Promise<ReconcileResult> {
  const started = performance.now();
  const timings: ReconcileTimings = { observeMs: 0, planMs: 0, phaseMs: {}, verifyMs: 0 };
  const done = (r: Omit<ReconcileResult, 'durationMs' | 'timings'>): ReconcileResult => ({
    ...r,
    timings,
    durationMs: performance.now() - started,
  });
  // Routes are read only where the plan can act (see ActualState.routeScope). A previous run's
  // state serves only if it was read for every route this desired state wants: a newly wanted
  // prefix may exist via another interface, which the plan must see to replace it and to restore
  // it on rollback rather than delete it.
  const refused = (message: string): ReconcileResult =>
    done({
      ok: false,
      plan: EMPTY_PLAN,
      applied: 0,
      rolledBack: false,
      error: { operation: 'plan', message },
      verified: false,
      peers: [],
    });
  const journal = opts.stateDir ? new CreateJournal(opts.stateDir) : undefined;
  const routeRecord = opts.stateDir ? new RouteRecord(opts.stateDir) : undefined;
  let appliedRoutes: RecordedRoute[] = [];
  try {
    appliedRoutes = routeRecord?.read() ?? [];
  } catch (err) {
    if (!(err instanceof StateDirError)) throw err;
    return refused(err.message);
  }
  // Routes vppwg applied and the file dropped are read too: the plan names them (or prunes them).
  const recorded = recordedRouteKeys(appliedRoutes);
  const wanted = wantedRouteKeys(file);
  const routeScope = recorded.length ? new Set([...wanted, ...recorded]) : wanted;
  const cached = opts.actual && covers(opts.actual, routeScope) ? opts.actual : undefined;
  const observeStarted = performance.now();
  const observed =
    cached ?? (await observe(client, { routeScope, ...(opts.routeReads === 'owned' ? { scopeOnly: true } : {}) }));
  timings.observeMs = performance.now() - observeStarted;
  // Uplinks matched by hardware get VPP's names once, for the whole run (plan, verify, routes remembered).
  let desired: DesiredState;
  try {
    desired = resolveUplinks(file, observed);
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    return refused(err.message);
  }
  /** After a run that left VPP as desired: the record of applied routes, and no create pending. */
  const remember = (after: ActualState): void => {
    routeRecord?.write(routesToRemember(desired, appliedRoutes, after), appliedRoutes);
    journal?.clear();
  };
  let keys: Map<string, InterfaceKey> | undefined;
  let before = observed;
  let adopted: ReadonlyMap<string, number> | undefined;
  let taken: Map<string, TakenInterface> | undefined;
  try {
    // Interfaces an interrupted run created and could not tag are vppwg's: the plan tags them.
    const creating = journal?.read() ?? [];
    if (creating.length) ({ actual: before, adopted } = adoptInterrupted(observed, creating));
    taken = findTakeable(desired, before);
    if (taken.size && !opts.dryRun && !opts.adopt) {
      const which = [...taken].map(([name, t]) => `"${name}" (VPP's ${t.vppName})`).join(', ');
      return refused(
        `the file describes WireGuard interface(s) made outside vppwg: ${which}; take them over without touching their tunnels with \`vppwg adopt FILE\` (or \`vppwg serve --adopt\`), or give the file's interfaces other instances`,
      );
    }
    before = withOwners(before, new Map([...taken].map(([name, t]) => [name, t.swIfIndex])));
    if (opts.stateDir) keys = await resolveInterfaceKeys(client, desired, before, opts.stateDir);
  } catch (err) {
    if (!(err instanceof StateDirError)) throw err;
    return refused(err.message);
  }
  // For verifying: what was adopted is tagged by then.
  const verifyOpts: PlanOptions = {
    ...(opts.learnedEndpoints ? { learnedEndpoints: opts.learnedEndpoints } : {}),
    ...(keys ? { keys, keepsKeys: !opts.dryRun } : {}),
    ...(appliedRoutes.length ? { appliedRoutes, pruneRoutes: opts.pruneRoutes ?? false } : {}),
  };
  const planOpts: PlanOptions = {
    ...verifyOpts,
    ...(adopted?.size ? { adopted } : {}),
    ...(taken?.size ? { taken } : {}),
  };
  let plan: Plan;
  try {
    const planStarted = performance.now();
    plan = planChanges(desired, before, planOpts);
    timings.planMs = performance.now() - planStarted;
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    return refused(err.message);
  }
  if (!opts.dryRun && keys && opts.stateDir) {
    // Kept before any create is sent: an interface never runs on a key vppwg could lose.
    try {
      keepInterfaceKeys(opts.stateDir, keys);
    } catch (err) {
      if (!(err instanceof StateDirError)) throw err;
      return refused(err.message);
    }
  }
  if (!opts.dryRun && plan.isEmpty) remember(observed);
  if (opts.dryRun || plan.isEmpty) {
    // Nothing to send: what was observed is what is verified.
    return done({
      ok: true,
      plan,
      applied: 0,
      rolledBack: false,
      // With a cached state nothing was read from VPP in this run: nothing was verified.
      verified: plan.isEmpty && !cached,
      peers: peersOf(desired, before),
      // As VPP has it (an adopted interface is not tagged yet): a next run may plan from it.
      actual: observed,
    });
  }
  // Nothing is sent unless VPP takes every message an apply may need: never a half-applied run for that.
  checkReconcileApi(client, true);
  const rollback = opts.rollback ?? true;
  // Verify by observing again: what this run touched, re-read (or everything, for a large run).
  const readBack = (t: Touched): Promise<ActualState> =>
    t.tables || t.interfacesCreated || t.addedPeers.size + t.routes.size > FOCUSED_VERIFY_LIMIT
      ? observe(client, { routeScope })
      : observeTouched(client, before, t);
  // Read back before the WireGuard interfaces come up, when the plan brings one up: from then on
  // VPP computes every peer's first handshake (2.5 s at 10,000 peers) and a read waits behind it.
  // The admin state set after it is what VPP's replies confirmed.
  let readEarly: Promise<ActualState> | undefined;
  const outcome = await applyPlan(client, plan, before, {
    rollback,
    peerV2: hasPeerV2(client),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.abandon ? { abandon: opts.abandon } : {}),
    ...(journal ? { journal } : {}),
    beforeTunnelsUp: async (t) => {
      const verifyStarted = performance.now();
      readEarly = readBack(t);
      // Settled here (a failure is reported as the verify error below), and awaited before the up.
      await readEarly.catch(() => undefined);
      timings.verifyMs = performance.now() - verifyStarted;
    },
  });
  timings.phaseMs = outcome.phaseMs;
  const interrupted = outcome.error?.operation === INTERRUPTED;
  if (outcome.error && cached && rollback && outcome.rolledBack && !interrupted) {
    // The cached state may have been stale: VPP is as before this run, so plan again from what it has.
    return reconcileRound(client, file, { ...opts, actual: undefined });
  }
  if (outcome.error) {
    // Best effort: the peers list is informative; a VPP that went away must not hide the error.
    const after = await observe(client, { routeScope }).catch(() => undefined);
    const error = { ...outcome.error };
    if (outcome.rollbackErrors.length)
      error.message += `; rollback incomplete: ${rollbackFailureText(outcome.rollbackErrors)}`;
    return done({
      ok: false,
      plan,
      applied: outcome.applied,
      rolledBack: outcome.rolledBack,
      error,
      verified: false,
      peers: after ? peersOf(desired, after) : [],
      ...(after ? { actual: after } : {}),
      ...(outcome.left.length ? { left: outcome.left } : {}),
    });
  }
  const t = outcome.touched;
  let after: ActualState;
  let remaining: Plan;
  const verifyStarted = performance.now();
  try {
    if (readEarly) {
      const early = withAdminStates(await readEarly, t.adminSet);
      const shadowed = routesAnUpMayShadow(early, t.adminSet, routeScope);
      after = shadowed.size ? await observeTouched(client, early, { ...newTouched(), routes: shadowed }) : early;
    } else after = await readBack(t);
  } catch (err) {
    return done({
      ok: false,
      plan,
      applied: outcome.applied,
      rolledBack: false,
      error: {
        operation: 'verify',
        message: `applied, but VPP could not be observed again to verify: ${(err as Error).message}`,
      },
      verified: false,
      peers: [],
    });
  }
  try {
    remaining = planChanges(desired, after, verifyOpts);
  } catch (err) {
    remaining = { ...EMPTY_PLAN, isEmpty: false, notes: [(err as Error).message] };
  }
  timings.verifyMs += performance.now() - verifyStarted;
  if (!remaining.isEmpty && t.interfacesCreated && (opts.round ?? 1) === 1 && remaining.operations.length > 0) {
    // A new interface can be given the sw_if_index of one deleted earlier, and VPP kept the routes
    // through that one (as drops): they now read as through ours, and only now can the plan see
    // them. One more round, from what was just observed; what this round applied stays.
    const second = await reconcileRound(client, file, { ...opts, actual: after, round: 2 });
    return {
      ...second,
      plan: mergePlans(plan, second.plan),
      applied: outcome.applied + second.applied,
      durationMs: performance.now() - started,
    };
  }
  if (!remaining.isEmpty) {
    const what = remaining.operations.length
      ? remaining.operations
          .slice(0, 10)
          .map((op) => `${op.id} (${op.reason})`)
          .join('; ')
      : remaining.notes.join('; ');
    return done({
      ok: false,
      plan,
      applied: outcome.applied,
      rolledBack: false,
      error: { operation: 'verify', message: `VPP does not match the desired state after applying: ${what}` },
      verified: false,
      peers: peersOf(desired, after),
      actual: after,
    });
  }
  remember(after);
  return done({
    ok: true,
    plan,
    applied: outcome.applied,
    rolledBack: false,
    verified: true,
    peers: peersOf(desired, after),
    actual: after,
  });
}
