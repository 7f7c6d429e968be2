import type { Command } from 'commander';
import type { ExitCode } from '../main';

/** Registers: sim. (Placeholder until the owning module lands.) */
export function registerSimCommand(program: Command, exit: ExitCode): void {
  void program;
  void exit;
}
