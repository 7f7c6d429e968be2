import type { Command } from 'commander';
import type { ExitCode } from '../main';

/** Registers: validate, plan, apply, show, demo. (Placeholder until the owning module lands.) */
export function registerStateCommands(program: Command, exit: ExitCode): void {
  void program;
  void exit;
}
