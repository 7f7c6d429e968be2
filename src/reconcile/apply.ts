/**
 * Runs a plan phase by phase. Operations of one phase are independent, so they are all handed to
 * the client at once and it pipelines them within its in-flight window; a phase starts only when
 * the previous one has answered. On the first rejection no further operation starts, the ones in
 * flight are awaited, and (unless told otherwise) every applied operation is undone in reverse
 * phase order so each object is as it was before the run. An interrupt (the signal) stops the same
 * way and is always rolled back; abandoning (the second signal) stops the rollback, and what stays
 * applied is listed.
 */
import { VppApiError } from '../client';
import type { ActualState } from './actual';
import { PHASES, phaseOf, stepOf, type Operation, type Phase, type Plan, type PlannedStep } from './plan-model';
import { executeStep, newTouched, type ExecContext, type Touched, type Undo } from './vpp';
import { setOwnerTag } from './vpp-tag';
import type { VppClient } from '../client';
import type { CreateJournal } from '../state/create-journal';

export interface ApplyError {
  operation: string;
  message: string;
  retval?: number;
}

export interface ApplyOutcome {
  applied: number;
  error?: ApplyError;
  rolledBack: boolean;
  /** Undo steps that failed themselves (VPP is then not as before). */
  rollbackErrors: string[];
  /** What the applied operations changed (for a focused re-observe). */
  touched: Touched;
  /** After an abandoned or failed rollback: the operations applied and not undone, as 'id (reason)'. */
  left: string[];
  /** Wall time of each phase that ran, from its first request to its last reply (VPP's time, mostly). */
  phaseMs: Partial<Record<Phase, number>>;
}

export interface ApplyOptions {
  rollback: boolean;
  peerV2: boolean;
  /** Aborted: start no more operations, await those in flight, roll back (whatever `rollback` says). */
  signal?: AbortSignal;
  /** Aborted: start no more undos either. */
  abandon?: AbortSignal;
  /** Where interface creates are recorded before they are sent (see CreateJournal). */
  journal?: CreateJournal;
  /**
   * Awaited once, after every other bring-up phase answered and before the WireGuard interfaces
   * are brought up (only when the plan brings one up): the reconciler reads VPP back there, before
   * VPP starts computing a first handshake for every peer, which any later read would wait behind.
   */
  beforeTunnelsUp?: (touched: Touched) => Promise<void>;
}

/**
 * Undo failures as one line: alike ones counted, not repeated (VPP gone mid-rollback fails every
 * one of 100,000 undos the same way), the first few kinds shown.
 */
export function rollbackFailureText(errors: readonly string[], kinds = 4): string {
  const counts = new Map<string, number>();
  for (const e of errors) counts.set(e, (counts.get(e) ?? 0) + 1);
  const shown = [...counts]
    .slice(0, kinds)
    .map(([e, n]) => (n > 1 ? `${e} (${n.toLocaleString('en-US')} undos)` : e))
    .join('; ');
  const more = counts.size - kinds;
  return more > 0 ? `${shown}; and ${more.toLocaleString('en-US')} other failure(s)` : shown;
}

/** The error of an interrupted run (the result's error operation). */
export const INTERRUPTED = 'interrupted';

/** One operation's step, with the bookkeeping around it: the journal for creates, the tag step here. */
async function execute(ctx: ExecContext, step: PlannedStep, journal: CreateJournal | undefined): Promise<Undo> {
  if (step.t === 'tag') {
    await setOwnerTag(ctx.client, step.swIfIndex, step.owner, true);
    ctx.touched.structural = true;
    ctx.touched.interfacesCreated = true;
    return () => setOwnerTag(ctx.client, step.swIfIndex, step.owner, false);
  }
  if (step.t !== 'interface-add' || !journal) return executeStep(ctx, step);
  journal.begin({
    name: step.owner,
    ...(step.instance !== undefined ? { instance: step.instance } : {}),
    listenPort: step.listenPort,
    source: step.source,
  });
  const undo = await executeStep(ctx, step);
  // Created and tagged: the tag says whose it is from now on. (A failure keeps the record: the
  // interface may be there untagged, and the next run takes it back.)
  journal.end(step.owner);
  return undo;
}

/** Operations started and not finished: the client's default in-flight window; more would only queue (and hold memory) in the client. */
const MAX_CONCURRENT = 1024;

function describe(err: unknown): { message: string; retval?: number } {
  if (err instanceof VppApiError) {
    const e = err as VppApiError & { retval: number; errorName?: string; msgName?: string };
    return {
      message: `VPP rejected ${e.msgName ?? 'the call'}: ${e.errorName ?? 'error'} (${e.retval})`,
      retval: e.retval,
    };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

async function runAll<T>(
  items: readonly T[],
  fn: (item: T) => Promise<void>,
  stop: () => boolean,
  concurrency = MAX_CONCURRENT,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop()) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  const n = Math.min(concurrency, items.length);
  const workers: Promise<void>[] = [];
  for (let i = 0; i < n; i++) workers.push(worker());
  await Promise.all(workers);
}

export async function applyPlan(
  client: VppClient,
  plan: Plan,
  actual: ActualState,
  opts: ApplyOptions,
): Promise<ApplyOutcome> {
  const ctx: ExecContext = {
    client,
    actual,
    ifIndex: new Map(actual.owned.interfaces),
    peerV2: opts.peerV2,
    touched: newTouched(),
  };
  const byPhase = new Map<Phase, Operation[]>();
  for (const op of plan.operations) {
    const p = phaseOf(op);
    const list = byPhase.get(p) ?? [];
    list.push(op);
    byPhase.set(p, list);
  }
  const undoByPhase: { op: Operation; undo: Undo }[][] = [];
  let applied = 0;
  let error: ApplyError | undefined;
  const phaseMs: Partial<Record<Phase, number>> = {};
  const interrupted = (): boolean => opts.signal?.aborted === true;
  for (const phase of PHASES) {
    const ops = byPhase.get(phase);
    if (!ops) continue;
    if (phase === 'admin-up' && opts.beforeTunnelsUp) await opts.beforeTunnelsUp(ctx.touched);
    const phaseStarted = performance.now();
    const undos: { op: Operation; undo: Undo }[] = [];
    undoByPhase.push(undos);
    await runAll(
      ops,
      async (op) => {
        try {
          undos.push({ op, undo: await execute(ctx, stepOf(op), opts.journal) });
          applied++;
        } catch (err) {
          if (!error) error = { operation: op.id, ...describe(err) };
        }
      },
      () => error !== undefined || interrupted(),
      // One at a time: a create whose tag fails deletes its interface again, and that free,
      // interleaved with another create, would leave VPP's stack of free sw_if_index out of the
      // order the rollback undoes in (interfaces would come back under each other's index).
      phase === 'interface-add' ? 1 : MAX_CONCURRENT,
    );
    phaseMs[phase] = performance.now() - phaseStarted;
    if (error || interrupted()) break;
  }
  const stopped = !error && interrupted() && applied < plan.operations.length;
  if (stopped) {
    error = {
      operation: INTERRUPTED,
      message: `interrupted after ${applied} of ${plan.operations.length} operations: what this run applied is rolled back`,
    };
  }
  const outcome = { applied, touched: ctx.touched, phaseMs };
  if (!error) return { ...outcome, rolledBack: false, rollbackErrors: [], left: [] };
  // An interrupted run is always rolled back: it stopped at no point anyone chose.
  if (!opts.rollback && !stopped) return { ...outcome, error, rolledBack: false, rollbackErrors: [], left: [] };
  const rollbackErrors: string[] = [];
  const left: string[] = [];
  const abandoned = (): boolean => opts.abandon?.aborted === true;
  for (let i = undoByPhase.length - 1; i >= 0; i--) {
    // Reverse order of completion (see Undo): VPP's pools then give removed objects their old index.
    const undos = [...undoByPhase[i]!].reverse();
    const undone = new Set<Operation>();
    await runAll(
      undos,
      async ({ op, undo }) => {
        try {
          await undo();
          undone.add(op);
        } catch (err) {
          rollbackErrors.push(describe(err).message);
        }
      },
      abandoned,
    );
    for (const { op } of undos) if (!undone.has(op)) left.push(`${op.id} (${op.reason})`);
  }
  if (abandoned() && error.operation === INTERRUPTED) error.message += '; the rollback was abandoned';
  return { ...outcome, error, rolledBack: left.length === 0, rollbackErrors, left };
}
