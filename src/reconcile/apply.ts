/**
 * Runs a plan phase by phase. Operations of one phase are independent, so they are all handed to
 * the client at once and it pipelines them within its in-flight window; a phase starts only when
 * the previous one has answered. On the first rejection no further operation starts, the ones in
 * flight are awaited, and (unless told otherwise) every applied operation is undone in reverse
 * phase order so each object is as it was before the run.
 */
import { VppApiError } from '../client';
import type { ActualState } from './actual';
import { PHASES, phaseOf, stepOf, type Operation, type Phase, type Plan } from './plan';
import { executeStep, newTouched, type ExecContext, type Touched, type Undo } from './vpp';
import type { VppClient } from '../client';

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
  opts: { rollback: boolean; peerV2: boolean },
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
  const undoByPhase: Undo[][] = [];
  let applied = 0;
  let error: ApplyError | undefined;
  for (const phase of PHASES) {
    const ops = byPhase.get(phase);
    if (!ops) continue;
    const undos: Undo[] = [];
    undoByPhase.push(undos);
    await runAll(
      ops,
      async (op) => {
        try {
          undos.push(await executeStep(ctx, stepOf(op)));
          applied++;
        } catch (err) {
          if (!error) error = { operation: op.id, ...describe(err) };
        }
      },
      () => error !== undefined,
      // One at a time: a create whose tag fails deletes its interface again, and that free,
      // interleaved with another create, would leave VPP's stack of free sw_if_index out of the
      // order the rollback undoes in (interfaces would come back under each other's index).
      phase === 'interface-add' ? 1 : MAX_CONCURRENT,
    );
    if (error) break;
  }
  if (!error) return { applied, rolledBack: false, rollbackErrors: [], touched: ctx.touched };
  if (!opts.rollback) return { applied, error, rolledBack: false, rollbackErrors: [], touched: ctx.touched };
  const rollbackErrors: string[] = [];
  for (let i = undoByPhase.length - 1; i >= 0; i--) {
    const undos = undoByPhase[i]!;
    // Reverse order of completion (see Undo): VPP's pools then give removed objects their old index.
    await runAll(
      [...undos].reverse(),
      async (undo) => {
        try {
          await undo();
        } catch (err) {
          rollbackErrors.push(describe(err).message);
        }
      },
      () => false,
    );
  }
  return { applied, error, rolledBack: rollbackErrors.length === 0, rollbackErrors, touched: ctx.touched };
}
