/**
 * `vppwg validate | plan | apply | show | demo`: the desired-state workflow on the command line.
 * Each command is a `run*` function writing through an Io (so tests capture output) and returning
 * the exit code; `plan` exits 0 when VPP already matches, 2 when there are changes, 1 on error.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { ExitCode } from '../main';
import { VppClient } from '../../client';
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
  type ReconcileResult,
} from '../../reconcile';
import { checkReconcileApi, hasPeerV2 } from '../../reconcile/vpp';
import { projectRoot } from '../../util/paths';

export const DEFAULT_SOCKET = '/run/vpp/api.sock';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

export interface StateOptions {
  socket?: string;
  json?: boolean;
  rollback?: boolean;
  env?: NodeJS.ProcessEnv;
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

async function connect(io: Io, socket: string): Promise<VppClient | undefined> {
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
      } catch (err) {
        // Not a place in the file: the VPP the file is checked against cannot carry it out.
        all.push({ severity: 'error', file, line: 0, column: 0, path: '', message: (err as Error).message });
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

export async function runPlan(file: string, opts: StateOptions, io: Io = processIo): Promise<number> {
  const state = load(io, file, opts);
  if (!state) return 1;
  const client = await connect(io, opts.socket ?? DEFAULT_SOCKET);
  if (!client) return 1;
  try {
    if (!checkCapabilities(io, client, state, file)) return 1;
    const plan = planChanges(state, await observeFor(client, state));
    io.out(opts.json ? JSON.stringify(planToJson(plan), null, 2) : formatPlan(plan));
    return plan.isEmpty ? 0 : 2;
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
  const lines = [`Error in ${r.error?.operation ?? 'apply'}: ${r.error?.message ?? 'unknown error'}`];
  if (r.error?.operation !== 'plan' && r.error?.operation !== 'verify') {
    if (r.rolledBack) lines.push(`Rolled back the ${r.applied} operation(s) applied before it: VPP is as before.`);
    else if (!rollback)
      lines.push(`Left ${r.applied} applied operation(s) in place (--no-rollback); run apply again to complete.`);
    else lines.push('Rollback did not complete: check `vppwg show`.');
  }
  return lines.join('\n');
}

export async function runApply(file: string, opts: StateOptions, io: Io = processIo): Promise<number> {
  const state = load(io, file, opts);
  if (!state) return 1;
  const client = await connect(io, opts.socket ?? DEFAULT_SOCKET);
  if (!client) return 1;
  try {
    if (!checkCapabilities(io, client, state, file)) return 1;
    const rollback = opts.rollback !== false;
    const r = await reconcile(client, state, { rollback });
    if (opts.json) {
      io.out(JSON.stringify(resultToJson(r), null, 2));
    } else {
      io.out(formatPlan(r.plan));
      (r.ok ? io.out : io.err)(formatResult(r, rollback));
    }
    return r.ok ? 0 : 1;
  } catch (err) {
    io.err(`apply failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await client.close();
  }
}

export async function runShow(opts: StateOptions, io: Io = processIo): Promise<number> {
  const client = await connect(io, opts.socket ?? DEFAULT_SOCKET);
  if (!client) return 1;
  try {
    const actual = await observe(client);
    io.out(opts.json ? JSON.stringify(showState(actual), null, 2) : formatShow(actual));
    return 0;
  } catch (err) {
    io.err(`show failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await client.close();
  }
}

/** `npm start`: the embedded emulator with the examples' uplinks, one apply, the plan, the result and `show`. */
export async function runDemo(file: string, opts: StateOptions, io: Io = processIo): Promise<number> {
  const state = load(io, file, opts);
  if (!state) return 1;
  // Loaded here so that the other commands do not pull the emulator in.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sim = require('../../sim') as typeof import('../../sim');
  const config = sim.loadSimConfig(join(projectRoot(), 'deploy', 'examples', 'sim-uplinks.yaml'));
  const emulator = await sim.startSim({ config: { ...config, reachablePeers: true } });
  try {
    io.out(
      `Started the VPP emulator on ${emulator.socketPath} (uplinks: ${(config.uplinks ?? []).map((u) => u.name).join(', ')})`,
    );
    const client = await connect(io, emulator.socketPath);
    if (!client) return 1;
    try {
      if (!checkCapabilities(io, client, state, file)) return 1;
      const r = await reconcile(client, state);
      io.out(`\nPlan for ${file}:`);
      io.out(formatPlan(r.plan));
      io.out('');
      (r.ok ? io.out : io.err)(formatResult(r, true));
      io.out('\nvppwg show:');
      io.out(formatShow(await observe(client)));
      return r.ok ? 0 : 1;
    } finally {
      await client.close();
    }
  } finally {
    await emulator.stop();
  }
}

/** Registers: validate, plan, apply, show, demo. */
export function registerStateCommands(program: Command, exit: ExitCode): void {
  const socketHelp = `VPP API socket (default ${DEFAULT_SOCKET})`;
  program
    .command('validate')
    .description(
      'check a desired-state file (offline; with --socket also against that VPP, e.g. preshared-key support)',
    )
    .argument('<file>', 'desired-state file (YAML or JSON)')
    .option('--socket <path>', 'also check against the VPP at this API socket')
    .option('--json', 'print the findings as JSON')
    .action(async (file: string, o: { socket?: string; json?: boolean }) => {
      exit.code = await runValidate(file, o);
    });
  program
    .command('plan')
    .description('show what apply would change (exit 0: no changes, 2: changes, 1: error)')
    .argument('<file>', 'desired-state file')
    .option('--socket <path>', socketHelp, DEFAULT_SOCKET)
    .option('--json', 'print the plan as JSON')
    .action(async (file: string, o: { socket: string; json?: boolean }) => {
      exit.code = await runPlan(file, o);
    });
  program
    .command('apply')
    .description('make VPP match the file; on a VPP error, undo what this run applied')
    .argument('<file>', 'desired-state file')
    .option('--socket <path>', socketHelp, DEFAULT_SOCKET)
    .option('--no-rollback', 'leave what was applied when VPP rejects an operation')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { socket: string; json?: boolean; rollback: boolean }) => {
      exit.code = await runApply(file, o);
    });
  program
    .command('show')
    .description("VPP's WireGuard-related state (keys hidden)")
    .option('--socket <path>', socketHelp, DEFAULT_SOCKET)
    .option('--json', 'print the state as JSON')
    .action(async (o: { socket: string; json?: boolean }) => {
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
