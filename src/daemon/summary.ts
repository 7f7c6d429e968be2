/**
 * How a reconcile or a plan is told: the one-line summary, the API messages and the changed lines
 * for the log.
 */
import { formatDiagnostic, type Diagnostic } from '../config';
import { formatPlan, planSummaryText, planToJson, type Plan, type ReconcileResult } from '../reconcile';
import type { ApiDiagnostic, PlanResultMsg, ReconcileSummaryMsg } from './api/proto';
import type { Trigger } from './bus';

export function summaryOf(trigger: Trigger, r: ReconcileResult): ReconcileSummaryMsg {
  const notes = r.plan.notes.length ? ` (${r.plan.notes.length} note(s): ${r.plan.notes[0]})` : '';
  return {
    trigger,
    ok: r.ok,
    finishedAtMs: Date.now(),
    durationMs: Math.round(r.durationMs),
    summary: planSummaryText(r.plan) + notes,
    operations: r.plan.operations.length,
    applied: r.applied,
    rolledBack: r.rolledBack,
    verified: r.verified,
    error: r.error ? `${r.error.operation}: ${r.error.message}` : '',
  };
}

export function failedSummary(trigger: Trigger, error: string, durationMs = 0): ReconcileSummaryMsg {
  return {
    trigger,
    ok: false,
    finishedAtMs: Date.now(),
    durationMs,
    summary: '',
    operations: 0,
    applied: 0,
    rolledBack: false,
    verified: false,
    error,
  };
}

export function planResult(plan: Plan, diagnostics: readonly Diagnostic[]): PlanResultMsg {
  return {
    empty: plan.isEmpty,
    summary: planSummaryText(plan),
    text: formatPlan(plan),
    json: JSON.stringify(planToJson(plan)),
    diagnostics: diagnostics.map(toApiDiagnostic),
  };
}

/** The +/-/~/= lines of a plan and its loud ! lines (a key that changes), for the log, at most 50. */
export function planLines(plan: Plan): string[] {
  const lines = formatPlan(plan)
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => /^\s*[-+~=!]/.test(l));
  return lines.length > 50 ? [...lines.slice(0, 50), `... ${lines.length - 50} more`] : lines;
}

export function toApiDiagnostic(d: Diagnostic): ApiDiagnostic {
  return { severity: d.severity, file: d.file, line: d.line, column: d.column, path: d.path, message: d.message };
}

export function errorLines(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}
