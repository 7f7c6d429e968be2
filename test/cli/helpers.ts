/**
 * The built CLI as a child process (`node bin/vppwg.js ...`, from dist/: npm test builds it first)
 * against an emulator in the test's process, whose state and counters the test reads directly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/paths';

export const CLI = join(projectRoot(), 'bin', 'vppwg.js');

export interface CliRun {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** The exit code, or 128 + the signal number when a signal ended it. */
  exit: Promise<number>;
}

export function startCli(args: readonly string[]): CliRun {
  if (!existsSync(join(projectRoot(), 'dist', 'src', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run `npx tsc -b` first (npm test does it in pretest)');
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGINT' ? 2 : 15))),
  );
  return { child, out: () => out, err: () => err, exit };
}

export async function runCli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const r = startCli(args);
  const code = await r.exit;
  return { code, out: r.out(), err: r.err() };
}

export async function until(cond: () => boolean, what: string, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
