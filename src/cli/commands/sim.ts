import type { Command } from 'commander';
import { unlinkSync } from 'node:fs';
import type { ExitCode } from '../exit-code';
import { startControlServer } from '../../sim/control';
import { SimConfigError, loadSimConfig, startSim, type SimConfig } from '../../sim/index';

/** Registers: sim — the VPP emulator in the foreground until SIGTERM/SIGINT. */
export function registerSimCommand(program: Command, exit: ExitCode): void {
  program
    .command('sim')
    .description('run the VPP emulator on a unix socket (foreground; SIGTERM/SIGINT stop it and remove the socket)')
    .requiredOption('--socket <path>', 'API socket path to listen on, e.g. /tmp/vpp-api.sock')
    .option('--config <file>', 'sim config (YAML or JSON): uplinks, reachablePeers, shuffleModules, profile, faults...')
    .option('--control <path>', 'control socket taking JSON lines such as {"op":"restart"} or {"op":"counters"}')
    .action(async (opts: { socket: string; config?: string; control?: string }) => {
      let config: SimConfig;
      try {
        config = opts.config ? loadSimConfig(opts.config) : {};
      } catch (e) {
        if (e instanceof SimConfigError) {
          process.stderr.write(`vppwg sim: ${e.message}\n`);
          exit.code = 2;
          return;
        }
        throw e;
      }
      // Listen for the signals before the socket exists: whoever sees the socket may signal at once.
      let stopRequested!: () => void;
      const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
      process.once('SIGTERM', stopRequested);
      process.once('SIGINT', stopRequested);
      let sim;
      try {
        sim = await startSim({ socketPath: opts.socket, config });
      } catch (e) {
        process.stderr.write(`vppwg sim: ${(e as Error).message}\n`);
        process.off('SIGTERM', stopRequested);
        process.off('SIGINT', stopRequested);
        exit.code = 1;
        return;
      }
      const control = opts.control ? await startControlServer(sim, opts.control) : undefined;
      process.stdout.write(
        `vppwg sim: listening on ${sim.socketPath}${opts.control ? `, control on ${opts.control}` : ''}\n`,
      );
      await stopped;
      process.off('SIGTERM', stopRequested);
      process.off('SIGINT', stopRequested);
      if (control) {
        await new Promise<void>((resolve) => control.close(() => resolve()));
        try {
          unlinkSync(opts.control!);
        } catch {
          // already gone
        }
      }
      await sim.stop();
      exit.code = 0;
    });
}
