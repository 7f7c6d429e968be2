import type { Command } from 'commander';
import type { ExitCode } from '../main';

/** Registers: genkey, pubkey. (Placeholder until the owning module lands.) */
export function registerKeyCommands(program: Command, exit: ExitCode): void {
  void program;
  void exit;
}
