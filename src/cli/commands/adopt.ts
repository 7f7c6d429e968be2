/**
 * Taking over a VPP someone else set up: `vppwg export` writes the running VPP's WireGuard state as
 * a desired-state document (private keys only ever into files of mode 0600 under --keys-dir);
 * `vppwg adopt FILE` tags the interfaces it describes as vppwg's, touching nothing else, and only
 * when VPP matches the file (or with --apply, which then applies the rest as `apply` would).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_VPP_SOCKET } from '../../client';
import { exportDesiredState, exportToYaml } from '../../adopt/export';
import { readPrivateKeys, writeKeyFile } from '../../adopt/private-keys';
import { formatPlan, observe, reconcile, signOf } from '../../reconcile';
import { loadDesiredState } from '../../config';
import { DEFAULT_STATE_DIR, StateDir } from '../../state';
import type { ExitCode } from '../exit-code';
import { connect, runApply, type Io, type StateOptions } from './state';

const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

export interface ExportCliOptions {
  socket?: string;
  interfaces?: string;
  json?: boolean;
  keysDir?: string;
}

export async function runExport(opts: ExportCliOptions, io: Io = processIo): Promise<number> {
  const socket = opts.socket ?? DEFAULT_VPP_SOCKET;
  const client = await connect(io, socket);
  if (!client) return 1;
  try {
    const actual = await observe(client);
    const interfaces = opts.interfaces
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    // A first pass names what is exported, so keys are read only for those interfaces.
    const first = exportDesiredState(actual, { ...(interfaces ? { interfaces } : {}) });
    let keyFiles: Map<string, string> | undefined;
    if (opts.keysDir) {
      const dir = resolve(opts.keysDir);
      const keys = await readPrivateKeys(
        client,
        first.interfaces.map((i) => i.swIfIndex),
      );
      keyFiles = new Map();
      for (const itf of first.interfaces) keyFiles.set(itf.name, writeKeyFile(dir, itf.name, keys.get(itf.swIfIndex)!));
      for (const k of keys.values()) k.fill(0);
    }
    const result = exportDesiredState(actual, {
      ...(interfaces ? { interfaces } : {}),
      ...(keyFiles ? { keyFiles } : {}),
    });
    io.out(
      opts.json ? JSON.stringify(result.document, null, 2) : exportToYaml(result, `the VPP at ${socket}`).trimEnd(),
    );
    for (const p of result.presharedKeyPeers)
      io.err(`${p}: VPP holds a preshared key for this peer and cannot give it back: add preshared_key to the file`);
    if (keyFiles) for (const [name, path] of keyFiles) io.err(`${name}: private key written to ${path} (mode 0600)`);
    return 0;
  } catch (err) {
    io.err(`export failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await client.close();
  }
}

export interface AdoptCliOptions extends StateOptions {
  /** Adopt what matches, then apply the rest of the file as `apply` does. */
  apply?: boolean;
}

/**
 * `vppwg adopt FILE`: first a dry run; unless --apply, anything but `= adopt` in it means VPP
 * differs from the file, and nothing is adopted (each difference named). Then the same path as
 * `apply` (lock, Ctrl-C, verification), with adoption allowed.
 */
export async function runAdopt(file: string, opts: AdoptCliOptions, io: Io = processIo): Promise<number> {
  const { state, diagnostics } = loadDesiredState(file, { env: opts.env ?? process.env });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!state || errors.length) {
    // apply reports the findings with their places.
    return runApply(file, { ...opts, adopt: true }, io);
  }
  const socket = opts.socket ?? DEFAULT_VPP_SOCKET;
  const client = await connect(io, socket);
  if (!client) return 1;
  let adoptable: number;
  try {
    const dry = await reconcile(client, state, {
      dryRun: true,
      adopt: true,
      stateDir: new StateDir(opts.stateDir ?? DEFAULT_STATE_DIR),
    });
    if (!dry.ok) {
      io.err(`cannot adopt: ${dry.error?.message ?? 'unknown error'}`);
      return 1;
    }
    const others = dry.plan.operations.filter((o) => o.action !== 'adopt');
    adoptable = dry.plan.operations.length - others.length;
    if (others.length && !opts.apply) {
      io.err(
        [
          `Nothing adopted: VPP differs from ${file} in ${others.length} place(s); adopting now would change them:`,
          ...others.map((o) => `  ${signOf(o.action)} ${o.kind} ${o.key}: ${o.reason}`),
          'Edit the file until only "= adopt" lines are left (vppwg plan shows them), or give --apply to adopt and then apply these.',
        ].join('\n'),
      );
      return 1;
    }
    if (!adoptable && !others.length) {
      io.out(formatPlan(dry.plan));
      io.out("Nothing to adopt: everything the file describes is already vppwg's.");
      return 0;
    }
  } finally {
    await client.close();
  }
  return runApply(file, { ...opts, adopt: true, ...(opts.apply ? {} : { autoApprove: true }) }, io);
}

/** Registers: export, adopt. */
export function registerAdoptCommands(program: Command, exit: ExitCode): void {
  program
    .command('export')
    .description("print VPP's WireGuard state as a desired-state file (private keys only into --keys-dir files)")
    .option('--socket <path>', `VPP API socket (default ${DEFAULT_VPP_SOCKET})`)
    .option(
      '--interfaces <names>',
      'comma-separated VPP interface names to export (default: every WireGuard interface)',
    )
    .option('--json', 'print JSON instead of YAML')
    .option('--keys-dir <dir>', "read each interface's private key from VPP and write it to DIR/<name>.key (mode 0600)")
    .action(async (o: ExportCliOptions) => {
      exit.code = await runExport(o);
    });
  program
    .command('adopt')
    .description(
      'take over the WireGuard interfaces the file describes that VPP already has, by tagging them; nothing else is touched',
    )
    .argument('<file>', 'desired-state file (e.g. from vppwg export)')
    .option('--socket <path>', `VPP API socket (default ${DEFAULT_VPP_SOCKET})`)
    .option('--state-dir <dir>', `vppwg's state directory (default ${DEFAULT_STATE_DIR})`)
    .option('--apply', 'adopt what matches, then apply the rest of the file as apply does')
    .option('--force', 'go ahead although another vppwg holds the lock for this VPP')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: AdoptCliOptions) => {
      exit.code = await runAdopt(file, o);
    });
}
