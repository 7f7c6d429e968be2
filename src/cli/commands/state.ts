/**
 * `vppwg validate | plan | apply | show | demo`: the desired-state workflow on the command line.
 * Each command is a `run*` function writing through an Io (so tests capture output) and returning
 * the exit code; `plan` exits 0 when VPP already matches, 2 when there are changes, 1 on error.
 */
import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExitCode } from '../exit-code';
import { DEFAULT_VPP_SOCKET, VppClient } from '../../client';
import {
  checkAgainstCapabilities,
  formatDiagnostic,
  loadDesiredState,
  type DesiredState,
  type Diagnostic,
} from '../../config';
import {
  formatPlan,
  formatShow,
  observe,
  observeFor,
  planChanges,
  planToJson,
  PlanError,
  reconcile,
  reconcileMessages,
  showState,
  type ActualState,
  type Plan,
  type ReconcileOptions,
  type ReconcileResult,
} from '../../reconcile';
import { checkReconcileApi, hasPeerV2 } from '../../reconcile/vpp';
import { DEFAULT_STATE_DIR, StateDir, VppLock, VppLockedError } from '../../state';
import { projectRoot } from '../../util/paths';
import { readYes } from '../confirm';
import { catchInterrupts, type Interrupts } from '../interrupts';
import { planProblemDiagnostics } from '../plan-findings';
import {
  firstDifference,
  makeSavedPlan,
  planJsonOf,
  readSavedPlan,
  staleFile,
  staleKeys,
  writeSavedPlan,
  type PlanJson,
  type SavedPlan,
} from '../saved-plan';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /**
   * Where `apply` reads the answer to its confirmation question. Asked only when this is a
   * terminal (isTTY); absent means no terminal, so never asked.
   */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
}

const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  input: process.stdin,
};

export interface StateOptions {
  socket?: string;
  json?: boolean;
  rollback?: boolean;
  env?: NodeJS.ProcessEnv;
  /** vppwg's state directory (kept keys, applied routes); default DEFAULT_STATE_DIR. */
  stateDir?: string;
  /** plan, apply: also remove static routes vppwg applied that the file no longer lists. */
  pruneRoutes?: boolean;
  /** plan: also save the plan here, for `apply FILE`. */
  out?: string;
  /** apply: do not ask before deleting or replacing, even on a terminal. */
  autoApprove?: boolean;
  /** apply: go ahead although another vppwg holds this VPP's lock. */
  force?: boolean;
  /** show: the desired-state file, for peer names and which uplinks it manages. */
  config?: string;
  /** apply: take over WireGuard interfaces made outside vppwg that the file describes (`vppwg adopt`). */
  adopt?: boolean;
}

function countPeers(s: DesiredState): number {
  return s.wireguard.reduce((n, w) => n + w.peers.length, 0);
}

function report(io: Io, diagnostics: readonly Diagnostic[], json: boolean | undefined): void {
  if (json) return;
  for (const d of diagnostics) io.err(formatDiagnostic(d));
}

function load(io: Io, file: string, opts: StateOptions): DesiredState | undefined {
  const { state, diagnostics } = loadDesiredState(file, { env: opts.env ?? process.env });
  report(io, diagnostics, false);
  if (!state || diagnostics.some((d) => d.severity === 'error')) {
    io.err(`${file}: invalid, nothing was changed in VPP`);
    return undefined;
  }
  return state;
}

/** A connection for one command, or undefined after saying why on stderr (and how to point elsewhere). */
export async function connect(io: Io, socket: string): Promise<VppClient | undefined> {
  try {
    return await VppClient.connect({ socketPath: socket, messages: reconcileMessages(), reconnect: false });
  } catch (err) {
    // The client's message names the socket and what to check; the CLI adds how to point elsewhere.
    const message = (err as Error).message;
    io.err(
      `${message.includes(socket) ? message : `cannot connect to VPP at ${socket}: ${message}`}\n` +
        `(give VPP's API socket with --socket PATH)`,
    );
    return undefined;
  }
}

/** Capability checks that need the connected VPP (preshared keys need wireguard_peer_add_v2). */
function checkCapabilities(io: Io, client: VppClient, state: DesiredState, file: string): boolean {
  const diags = checkAgainstCapabilities(state, file, { presharedKeys: hasPeerV2(client) });
  report(io, diags, false);
  return !diags.some((d) => d.severity === 'error');
}

export async function runValidate(file: string, opts: StateOptions, io: Io = processIo): Promise<number> {
  const { state, diagnostics } = loadDesiredState(file, { env: opts.env ?? process.env });
  const all = [...diagnostics];
  if (state && opts.socket) {
    const client = await connect(io, opts.socket);
    if (!client) return 1;
    try {
      all.push(...checkAgainstCapabilities(state, file, { presharedKeys: hasPeerV2(client) }));
      try {
        checkReconcileApi(client, true);
        // What a plan against this VPP would refuse: an uplink it lacks, a key used elsewhere, ...
        planChanges(state, await observeFor(client, state));
      } catch (err) {
        if (err instanceof PlanError) all.push(...planProblemDiagnostics(file, state, err.problems));
        // Not a place in the file: the VPP the file is checked against cannot carry it out.
        else all.push({ severity: 'error', file, line: 0, column: 0, path: '', message: (err as Error).message });
      }
    } finally {
      await client.close();
    }
  }
  const ok = state !== undefined && !all.some((d) => d.severity === 'error');
  if (opts.json) {
    io.out(JSON.stringify({ file, valid: ok, diagnostics: all }, null, 2));
  } else {
    report(io, all, false);
    if (ok) io.out(`${file}: valid (${state!.wireguard.length} WireGuard interface(s), ${countPeers(state!)} peer(s))`);
    else io.err(`${file}: invalid`);
  }
  return ok ? 0 : 1;
}

/** The reconcile options every command derives from its flags. */
function reconcileOptions(opts: StateOptions): ReconcileOptions {
  return {
    stateDir: new StateDir(opts.stateDir ?? DEFAULT_STATE_DIR),
    ...(opts.pruneRoutes ? { pruneRoutes: true } : {}),
    ...(opts.adopt ? { adopt: true } : {}),
  };
}

export async function runPlan(file: string, opts: StateOptions, io: Io = processIo): Promise<number> {
  const state = load(io, file, opts);
  if (!state) return 1;
  const client = await connect(io, opts.socket ?? DEFAULT_VPP_SOCKET);
  if (!client) return 1;
  try {
    if (!checkCapabilities(io, client, state, file)) return 1;
    // Through reconcile, not planChanges: the plan then uses the keys kept in the state directory.
    const r = await reconcile(client, state, { ...reconcileOptions(opts), dryRun: true });
    if (!r.ok) {
      io.err(`cannot plan: ${r.error?.message ?? 'unknown error'}`);
      return 1;
    }
    io.out(opts.json ? JSON.stringify(planToJson(r.plan), null, 2) : formatPlan(r.plan));
    if (opts.out) {
      writeSavedPlan(opts.out, makeSavedPlan(file, state, r.plan, { pruneRoutes: opts.pruneRoutes === true }));
      (opts.json ? io.err : io.out)(`Saved the plan to ${opts.out}: \`vppwg apply ${opts.out}\` applies exactly it.`);
    }
    return r.plan.isEmpty ? 0 : 2;
  } catch (err) {
    io.err(err instanceof PlanError ? `cannot plan: ${err.message}` : `plan failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await client.close();
  }
}

function resultToJson(r: ReconcileResult): unknown {
  return {
    ok: r.ok,
    applied: r.applied,
    rolledBack: r.rolledBack,
    verified: r.verified,
    durationMs: Math.round(r.durationMs * 10) / 10,
    ...(r.error ? { error: r.error } : {}),
    ...(r.left ? { left: r.left } : {}),
    peers: r.peers,
    plan: planToJson(r.plan),
  };
}

export function formatResult(r: ReconcileResult, rollback: boolean): string {
  const ms = Math.round(r.durationMs);
  if (r.ok) {
    if (r.plan.isEmpty) return `Nothing to do: VPP already matches the desired state (${ms} ms).`;
    return `Applied ${r.applied} operation(s) in ${ms} ms; verified: VPP matches the desired state.`;
  }
  const interrupted = r.error?.operation === 'interrupted';
  const lines = [
    interrupted
      ? `Interrupted: ${r.error?.message ?? 'stopped by a signal'}`
      : `Error in ${r.error?.operation ?? 'apply'}: ${r.error?.message ?? 'unknown error'}`,
  ];
  if (r.left?.length) {
    lines.push(`Abandoned the rollback: ${r.left.length} operation(s) this run applied stay in VPP:`);
    for (const op of r.left) lines.push(`  ${op}`);
    lines.push('Check them with `vppwg show`; `vppwg apply` completes the run, `vppwg plan` shows what is left.');
  } else if (r.error?.operation !== 'plan' && r.error?.operation !== 'verify') {
    if (r.rolledBack) lines.push(`Rolled back the ${r.applied} operation(s) applied before it: VPP is as before.`);
    else if (!rollback)
      lines.push(`Left ${r.applied} applied operation(s) in place (--no-rollback); run apply again to complete.`);
    else lines.push('Rollback did not complete: check `vppwg show`.');
  }
  return lines.join('\n');
}

const deletes = (plan: Plan): number => plan.operations.filter((op) => op.action === 'delete').length;

/**
 * The saved plan `arg` names with the desired-state file it was made from, or just the file; a
 * reason to refuse instead when the plan cannot be applied as it is.
 */
function resolveApplyTarget(arg: string, opts: StateOptions): { file: string; saved?: SavedPlan } | { refuse: string } {
  let saved: SavedPlan | undefined;
  try {
    saved = readSavedPlan(arg);
  } catch (err) {
    return { refuse: (err as Error).message };
  }
  if (!saved) return { file: arg };
  if (opts.pruneRoutes && !saved.options.pruneRoutes)
    return { refuse: `${arg} was planned without --prune-routes: run plan --prune-routes --out ${arg} again` };
  return { file: saved.file, saved };
}

/**
 * Plans without applying and checks the plan against `expected` (a saved plan, or the one the
 * operator confirmed): VPP's state is fingerprinted by the operations it needs. Returns the dry
 * run (its `actual` is what the apply starts from), or undefined after reporting why not.
 */
async function planAgain(
  io: Io,
  client: VppClient,
  state: DesiredState,
  options: ReconcileOptions,
  expected: { plan: PlanJson; since: string } | undefined,
): Promise<ReconcileResult | undefined> {
  const dry = await reconcile(client, state, { ...options, dryRun: true });
  if (!dry.ok) {
    io.err(`cannot plan: ${dry.error?.message ?? 'unknown error'}`);
    return undefined;
  }
  const diff = expected && firstDifference(expected.plan, planJsonOf(dry.plan));
  if (diff) {
    io.err(`VPP changed since ${expected!.since} (${diff}): nothing was changed; run plan again`);
    return undefined;
  }
  return dry;
}

export async function runApply(target: string, opts: StateOptions, io: Io = processIo): Promise<number> {
  const resolved = resolveApplyTarget(target, opts);
  if ('refuse' in resolved) {
    io.err(resolved.refuse);
    return 1;
  }
  const { file, saved } = resolved;
  if (saved) {
    const stale = staleFile(saved);
    if (stale) {
      io.err(stale);
      return 1;
    }
  }
  const state = load(io, file, opts);
  if (!state) return 1;
  if (saved) {
    const stale = staleKeys(saved, state);
    if (stale) {
      io.err(stale);
      return 1;
    }
  }
  const socket = opts.socket ?? DEFAULT_VPP_SOCKET;
  let lock: VppLock | undefined;
  if (!opts.force) {
    try {
      lock = VppLock.acquire(socket, `vppwg apply ${target}`);
    } catch (err) {
      io.err(err instanceof VppLockedError ? err.message : `apply failed: ${(err as Error).message}`);
      return 1;
    }
  }
  // From here on a signal rolls back instead of killing, and the lock is released on every path.
  // Until the reconcile that changes VPP starts (planning, the question), a signal only stops.
  const phase = { changing: false };
  const interrupts = catchInterrupts(
    () =>
      io.err(
        phase.changing
          ? 'interrupted: rolling back what this run applied (Ctrl-C again to abandon)'
          : 'interrupted: stopping before any change to VPP',
      ),
    () =>
      io.err(
        phase.changing
          ? 'abandoning the rollback: what is still applied is listed below'
          : 'stopping: nothing was changed in VPP; the request in flight ends within its timeout',
      ),
  );
  try {
    const client = await connect(io, socket);
    if (!client) return 1;
    try {
      if (!checkCapabilities(io, client, state, file)) return 1;
      return await applyWith(io, client, state, file, opts, saved, interrupts, phase);
    } catch (err) {
      io.err(`apply failed: ${(err as Error).message}`);
      return 1;
    } finally {
      await client.close();
    }
  } finally {
    interrupts.dispose();
    lock?.release();
  }
}

async function applyWith(
  io: Io,
  client: VppClient,
  state: DesiredState,
  file: string,
  opts: StateOptions,
  saved: SavedPlan | undefined,
  interrupts: Interrupts,
  phase: { changing: boolean },
): Promise<number> {
  const rollback = opts.rollback !== false;
  const options: ReconcileOptions = {
    ...reconcileOptions({
      ...opts,
      pruneRoutes: saved ? saved.options.pruneRoutes : opts.pruneRoutes,
      // A saved plan that adopts was reviewed as such.
      adopt: opts.adopt || (saved?.plan.operations.some((o) => o.action === 'adopt') ?? false),
    }),
    rollback,
    signal: interrupts.signal,
    abandon: interrupts.abandon,
  };
  // A saved plan was the review: applying it asks nothing (as terraform does).
  const mayAsk = !saved && !opts.autoApprove && io.input?.isTTY === true;
  let start: ActualState | undefined;
  let shown = false;
  if (saved || mayAsk) {
    const expected = saved ? { plan: saved.plan, since: `the plan was made (${saved.createdAt})` } : undefined;
    let dry = await planAgain(io, client, state, options, expected);
    if (!dry) return 1;
    if (mayAsk && deletes(dry.plan) > 0) {
      (opts.json ? io.err : io.out)(formatPlan(dry.plan));
      shown = true;
      io.err(
        `This deletes or replaces ${deletes(dry.plan)} object(s) (the '-' lines above). ` +
          `Apply? Only 'yes' goes ahead (--auto-approve skips this question):`,
      );
      if (!(await readYes(io.input!, interrupts.signal))) {
        io.err('Apply cancelled: nothing was changed in VPP.');
        return interrupts.exitCode() ?? 1;
      }
      // The operator may have taken a while: apply only what was shown.
      dry = await planAgain(io, client, state, options, {
        plan: planJsonOf(dry.plan),
        since: 'the plan above was shown',
      });
      if (!dry) return 1;
    }
    start = dry.actual;
  }
  if (interrupts.signal.aborted) {
    io.err('Nothing was changed in VPP.');
    return interrupts.exitCode()!;
  }
  phase.changing = true;
  const r = await reconcile(client, state, { ...options, ...(start ? { actual: start } : {}) });
  if (opts.json) {
    io.out(JSON.stringify(resultToJson(r), null, 2));
  } else {
    // A plan that could not be made is only its error ("No changes" above it would mislead).
    if (!shown && r.error?.operation !== 'plan') io.out(formatPlan(r.plan));
    (r.ok ? io.out : io.err)(formatResult(r, rollback));
  }
  return interrupts.exitCode() ?? (r.ok ? 0 : 1);
}

export async function runShow(opts: StateOptions, io: Io = processIo): Promise<number> {
  const desired = opts.config ? load(io, opts.config, opts) : undefined;
  if (opts.config && !desired) return 1;
  const client = await connect(io, opts.socket ?? DEFAULT_VPP_SOCKET);
  if (!client) return 1;
  try {
    const actual = await observe(client);
    const context = desired ? { desired } : {};
    io.out(opts.json ? JSON.stringify(showState(actual, context), null, 2) : formatShow(actual, context));
    return 0;
  } catch (err) {
    io.err(`show failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await client.close();
  }
}

/**
 * `npm start`: the embedded emulator with the examples' uplinks, one apply, the plan, the result
 * and `show`. Keys it generates are kept in a temporary state directory, removed at the end.
 */
export async function runDemo(file: string, opts: StateOptions, io: Io = processIo): Promise<number> {
  const state = load(io, file, opts);
  if (!state) return 1;
  // Loaded here so that the other commands do not pull the emulator in.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sim = require('../../sim') as typeof import('../../sim');
  const config = sim.loadSimConfig(join(projectRoot(), 'deploy', 'examples', 'sim-uplinks.yaml'));
  const stateDir = mkdtempSync(join(tmpdir(), 'vppwg-demo-'));
  const emulator = await sim.startSim({ config: { ...config, reachablePeers: true } });
  try {
    io.out(
      `Started the VPP emulator on ${emulator.socketPath} (uplinks: ${(config.uplinks ?? []).map((u) => u.name).join(', ')})`,
    );
    const client = await connect(io, emulator.socketPath);
    if (!client) return 1;
    try {
      if (!checkCapabilities(io, client, state, file)) return 1;
      const r = await reconcile(client, state, reconcileOptions({ stateDir }));
      io.out(`\nPlan for ${file}:`);
      if (r.error?.operation !== 'plan') io.out(formatPlan(r.plan));
      io.out('');
      (r.ok ? io.out : io.err)(formatResult(r, true));
      io.out('\nvppwg show:');
      io.out(formatShow(await observe(client), { desired: state }));
      return r.ok ? 0 : 1;
    } finally {
      await client.close();
    }
  } finally {
    await emulator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Registers: validate, plan, apply, show, demo. */
export function registerStateCommands(program: Command, exit: ExitCode): void {
  // commander appends "(default: ...)" itself: the help texts name no default.
  const socketHelp = 'VPP API socket';
  const stateDirHelp = "vppwg's state directory (kept keys, the routes it applied)";
  const pruneHelp = 'also remove static routes vppwg applied earlier that the file no longer lists';
  program
    .command('validate')
    .description(
      'check a desired-state file (offline; with --socket also against that VPP: uplinks it lacks, preshared-key support, ...)',
    )
    .argument('<file>', 'desired-state file (YAML or JSON)')
    .option('--socket <path>', 'also check against the VPP at this API socket')
    .option('--json', 'print the findings as JSON')
    .action(async (file: string, o: StateOptions) => {
      exit.code = await runValidate(file, o);
    });
  program
    .command('plan')
    .description('show what apply would change (exit 0: no changes, 2: changes, 1: error)')
    .argument('<file>', 'desired-state file')
    .option('--socket <path>', socketHelp, DEFAULT_VPP_SOCKET)
    .option('--state-dir <dir>', stateDirHelp, DEFAULT_STATE_DIR)
    .option('--prune-routes', pruneHelp)
    .option('--out <file>', 'also save the plan here (mode 0600); `vppwg apply FILE` then applies exactly it')
    .option('--json', 'print the plan as JSON')
    .action(async (file: string, o: StateOptions) => {
      exit.code = await runPlan(file, o);
    });
  program
    .command('apply')
    .description(
      'make VPP match the file (or carry out a plan saved by plan --out); on a VPP error or Ctrl-C, undo what this run applied',
    )
    .argument('<file>', 'desired-state file, or a plan saved by plan --out')
    .option('--socket <path>', socketHelp, DEFAULT_VPP_SOCKET)
    .option('--state-dir <dir>', stateDirHelp, DEFAULT_STATE_DIR)
    .option('--prune-routes', pruneHelp)
    .option('--auto-approve', 'do not ask before deleting or replacing anything (asked only on a terminal)')
    .option('--force', 'apply although a running vppwg serve or another apply holds this VPP')
    .option('--no-rollback', 'leave what was applied when VPP rejects an operation')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: StateOptions) => {
      exit.code = await runApply(file, o);
    });
  program
    .command('show')
    .description("VPP's WireGuard-related state (keys hidden)")
    .option('--socket <path>', socketHelp, DEFAULT_VPP_SOCKET)
    .option('--config <file>', 'desired-state file: name peers as it does, mark the uplinks it manages')
    .option('--json', 'print the state as JSON')
    .action(async (o: StateOptions) => {
      exit.code = await runShow(o);
    });
  program
    .command('demo')
    .description('start the embedded VPP emulator, apply the file, print the plan, the result and show, stop')
    .argument('<file>', 'desired-state file')
    .action(async (file: string) => {
      exit.code = await runDemo(file, {});
    });
}
