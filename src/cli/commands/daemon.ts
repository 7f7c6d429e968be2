import type { Command } from 'commander';
import type { ExitCode } from '../main';

/** Registers: serve, status, events. (Placeholder until the owning module lands.) */
export function registerDaemonCommands(program: Command, exit: ExitCode): void {
  void program;
  void exit;
}
