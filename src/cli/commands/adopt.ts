/**
 * `vppwg export`: the running VPP's WireGuard state as a desired-state document, private keys only
 * ever written to files (mode 0600) under --keys-dir.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_VPP_SOCKET, VppClient } from '../../client';
import { exportDesiredState, exportToYaml } from '../../adopt/export';
import { readPrivateKeys, writeKeyFile } from '../../adopt/private-keys';
import { observe, reconcileMessages } from '../../reconcile';
import type { ExitCode } from '../exit-code';
import type { Io } from './state';

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
  let client: VppClient;
  try {
    client = await VppClient.connect({ socketPath: socket, messages: reconcileMessages(), reconnect: false });
  } catch (err) {
    io.err(`cannot connect to VPP at ${socket}: ${(err as Error).message}\n(give VPP's API socket with --socket PATH)`);
    return 1;
  }
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

/** Registers: export. */
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
}
