/**
 * `vppwg render bird FILE` / `vppwg render frr FILE`: the BGP part of the routing daemon's
 * configuration for the file's peers (src/bgp), printed to stdout, so the daemon's sessions and
 * vppwg's tunnels come from one file.
 */
import type { Command } from 'commander';
import { formatDiagnostic, loadDesiredState } from '../../config';
import { bgpPlan, RenderError } from '../../bgp/sessions';
import { renderBird } from '../../bgp/bird';
import { renderFrr } from '../../bgp/frr';
import type { ExitCode } from '../exit-code';

export const RENDER_TARGETS = { bird: renderBird, frr: renderFrr } as const;
export type RenderTarget = keyof typeof RENDER_TARGETS;

export interface RenderResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function runRender(target: string, file: string, env: NodeJS.ProcessEnv = process.env): RenderResult {
  if (!(target in RENDER_TARGETS))
    return {
      stdout: '',
      stderr: `vppwg render: unknown routing daemon "${target}": use one of ${Object.keys(RENDER_TARGETS).join(', ')}\n`,
      code: 1,
    };
  const { state, diagnostics } = loadDesiredState(file, { env });
  const stderr = diagnostics.map((d) => formatDiagnostic(d) + '\n').join('');
  if (!state || diagnostics.some((d) => d.severity === 'error')) return { stdout: '', stderr, code: 1 };
  try {
    const plan = bgpPlan(state, file);
    return { stdout: RENDER_TARGETS[target as RenderTarget](plan, file), stderr, code: 0 };
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    return { stdout: '', stderr: `${stderr}vppwg render: ${err.message}\n`, code: 1 };
  }
}

export function registerRenderCommands(program: Command, exit: ExitCode): void {
  program
    .command('render')
    .description("print the BGP part of a routing daemon's configuration (BIRD 2 or FRR 8) for the file's peers")
    .argument('<daemon>', `the routing daemon: ${Object.keys(RENDER_TARGETS).join(' or ')}`)
    .argument('<file>', 'the desired-state file')
    .action((daemon: string, file: string) => {
      const r = runRender(daemon, file);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      exit.code = r.code;
    });
}
