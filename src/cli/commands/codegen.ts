import type { Command } from 'commander';
import type { ExitCode } from '../main';

/** Registers: codegen, codegen import. (Placeholder until the owning module lands.) */
export function registerCodegenCommands(program: Command, exit: ExitCode): void {
  void program;
  void exit;
}
