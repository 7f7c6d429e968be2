/**
 * `plan --out FILE` and `apply FILE.plan`: a plan saved as JSON (mode 0600) so that apply carries
 * out exactly what was reviewed. It holds the desired-state file's path and a digest of its
 * content and of the keys it resolved to, the plan's options, and the plan's operations. The
 * operations double as the fingerprint of VPP's state: apply plans again and refuses unless the
 * new plan equals the saved one. No key is ever written, only a one-way digest of them all.
 */
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DesiredState } from '../config';
import { planToJson, type Plan } from '../reconcile';

/** The marker `apply` recognises a saved plan by (its content, not its file name). */
export const SAVED_PLAN_FORMAT = 'vppwg-plan';
const SAVED_PLAN_VERSION = 1;

interface OperationJson {
  id: string;
  action: string;
  kind: string;
  key: string;
  reason: string;
  dependsOn: string[];
}

/** The shape of planToJson. */
export interface PlanJson {
  isEmpty: boolean;
  summary: Plan['summary'];
  operations: OperationJson[];
  notes: string[];
}

export function planJsonOf(plan: Plan): PlanJson {
  return planToJson(plan) as PlanJson;
}

export interface SavedPlan {
  format: typeof SAVED_PLAN_FORMAT;
  version: number;
  createdAt: string;
  /** The desired-state file, absolute. */
  file: string;
  /** sha256 of the file's content when the plan was made. */
  fileSha256: string;
  /** sha256 over every key the file resolved to (files, environment, inline): a changed key file shows. */
  keysSha256: string;
  /** Options the plan was made with; apply uses the same. */
  options: { pruneRoutes: boolean };
  plan: PlanJson;
}

export class SavedPlanError extends Error {}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileSha256(path: string): string {
  return sha256(readFileSync(path));
}

/** One digest over all key material of `state`, in file order; never reversible to a key. */
export function keysSha256(state: DesiredState): string {
  const h = createHash('sha256');
  for (const wg of state.wireguard) {
    h.update(`interface ${wg.name}\0`);
    h.update(wg.privateKey === 'generate' ? 'generate' : wg.privateKey.bytes);
    for (const p of wg.peers) {
      h.update(`\0peer ${p.publicKey}\0`);
      if (p.presharedKey) h.update(p.presharedKey.bytes);
    }
  }
  return h.digest('hex');
}

export function makeSavedPlan(file: string, state: DesiredState, plan: Plan, options: SavedPlan['options']): SavedPlan {
  return {
    format: SAVED_PLAN_FORMAT,
    version: SAVED_PLAN_VERSION,
    createdAt: new Date().toISOString(),
    file: resolve(file),
    fileSha256: fileSha256(file),
    keysSha256: keysSha256(state),
    options,
    plan: planJsonOf(plan),
  };
}

/** Writes the plan atomically, readable by its owner only (it names peers and endpoints). */
export function writeSavedPlan(path: string, saved: SavedPlan): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(saved, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    throw new SavedPlanError(
      `cannot write the plan to ${path}: ${(err as Error).message}: give a writable path with --out`,
    );
  }
}

/**
 * The saved plan in `path`, or undefined when the file is not one (a desired-state file). A file
 * carrying the marker but damaged is an error naming it.
 */
export function readSavedPlan(path: string): SavedPlan | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined; // Not readable: the desired-state loader reports it with its own words.
  }
  if (!new RegExp(`"format"\\s*:\\s*"${SAVED_PLAN_FORMAT}"`).test(text)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SavedPlanError(
      `${path} is a vppwg plan but not valid JSON (${(err as Error).message}): run plan --out again`,
    );
  }
  if (typeof doc !== 'object' || doc === null || (doc as { format?: unknown }).format !== SAVED_PLAN_FORMAT)
    return undefined;
  const d = doc as Partial<SavedPlan>;
  const ok =
    d.version === SAVED_PLAN_VERSION &&
    typeof d.file === 'string' &&
    typeof d.fileSha256 === 'string' &&
    typeof d.keysSha256 === 'string' &&
    typeof d.options?.pruneRoutes === 'boolean' &&
    Array.isArray(d.plan?.operations);
  if (!ok)
    throw new SavedPlanError(
      `${path} is a vppwg plan this version cannot read (version ${String(d.version)}, or damaged): run plan --out again`,
    );
  return d as SavedPlan;
}

function describe(op: OperationJson): string {
  const sign = op.action === 'create' ? '+' : op.action === 'delete' ? '-' : '~';
  return `${sign} ${op.kind} ${op.key}: ${op.reason}`;
}

/** The first way `now` differs from `saved`, for the refusal message; undefined when they are equal. */
export function firstDifference(saved: PlanJson, now: PlanJson): string | undefined {
  const a = saved.operations;
  const b = now.operations;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i >= a.length) return `VPP now also needs "${describe(b[i])}"`;
    if (i >= b.length) return `the plan's "${describe(a[i])}" is no longer needed`;
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i]))
      return `the plan's operation ${i + 1} "${describe(a[i])}" is now "${describe(b[i])}"`;
  }
  return undefined;
}

/** Why the saved plan no longer fits its desired-state file (changed or gone), or undefined. */
export function staleFile(saved: SavedPlan): string | undefined {
  let now: string;
  try {
    now = fileSha256(saved.file);
  } catch (err) {
    return `cannot read ${saved.file}, which the plan was made from (${(err as NodeJS.ErrnoException).code ?? 'error'}): restore it or run plan again`;
  }
  if (now !== saved.fileSha256) return `${saved.file} changed since the plan was made: run plan again`;
  return undefined;
}

/** Why the saved plan no longer fits the keys its file resolves to now (a key file rewritten, say), or undefined. */
export function staleKeys(saved: SavedPlan, state: DesiredState): string | undefined {
  if (keysSha256(state) !== saved.keysSha256)
    return `a key ${saved.file} refers to changed since the plan was made: run plan again`;
  return undefined;
}
