/**
 * The `vppwg` command line. Each command lives in its own module under ./commands and registers
 * itself here; exit codes are returned, never `process.exit`ed, so one shutdown path stays possible.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../util/paths';
import { registerCodegenCommands } from './commands/codegen';
import { registerSimCommand } from './commands/sim';
import { registerStateCommands } from './commands/state';
import { registerKeyCommands } from './commands/keys';
import { registerDaemonCommands } from './commands/daemon';
import { registerAdoptCommands } from './commands/adopt';
import { registerFleetCommands } from './commands/fleet';
import { registerRenderCommands } from './commands/render';
import type { ExitCode } from './exit-code';

export type { ExitCode } from './exit-code';

export function buildProgram(exit: ExitCode): Command {
  const program = new Command();
  program
    .name('vppwg')
    .description('WireGuard control-plane agent for the FD.io VPP dataplane')
    .version(readVersion())
    .exitOverride()
    .showHelpAfterError();
  registerCodegenCommands(program, exit);
  registerSimCommand(program, exit);
  registerStateCommands(program, exit);
  registerKeyCommands(program, exit);
  registerDaemonCommands(program, exit);
  registerAdoptCommands(program, exit);
  registerFleetCommands(program, exit);
  registerRenderCommands(program, exit);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const exit: ExitCode = { code: 0 };
  const program = buildProgram(exit);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors with 1.
      return err.exitCode === 0 ? 0 : 1;
    }
    throw err;
  }
  return exit.code;
}

function readVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
