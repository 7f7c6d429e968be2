/**
 * One writer per VPP (issue 14.14, the daemon's part): `vppwg serve` holds the VPP lock from start to
 * stop, so a CLI apply refuses and names it; it waits for a CLI apply in progress, and refuses to
 * start beside another daemon.
 */
import { join, resolve } from 'node:path';
import { startSim, type Sim } from '../../src/sim';
import { VppLock, VppLockedError } from '../../src/state';
import { DaemonLockedError } from '../../src/daemon/daemon';
import { exampleUplinks } from '../reconcile/helpers';
import { firstReconcile, keyPair, startDaemon, tempDir, waitFor, writeOnePeerConfig } from './helpers';

jest.setTimeout(60_000);

describe('the daemon and the VPP lock', () => {
  const tmp = tempDir('vppwg-lock-');
  let sim: Sim;
  let configPath: string;
  beforeAll(async () => {
    configPath = writeOnePeerConfig(tmp.dir, keyPair().pub);
    sim = await startSim({ config: { uplinks: exampleUplinks() } });
  });
  afterAll(async () => {
    await sim.stop();
    tmp.cleanup();
  });
  const opts = (name: string) => ({
    configPath,
    socketPath: sim.socketPath,
    tokenFile: join(tmp.dir, `${name}.token`),
  });

  it('holds it while it runs, so an apply is refused naming the daemon; another daemon refuses to start', async () => {
    const { daemon, log } = startDaemon(opts('first'));
    await daemon.start();
    await firstReconcile(daemon, log);
    try {
      expect(VppLock.holder(sim.socketPath)).toMatchObject({
        pid: process.pid,
        holder: `vppwg serve --config ${resolve(configPath)} (pid ${process.pid})`,
      });
      let refused: unknown;
      try {
        VppLock.acquire(sim.socketPath, 'vppwg apply site.yaml');
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(VppLockedError);
      expect((refused as Error).message).toMatch(/managed by vppwg serve --config .*desired\.yaml/);

      const second = startDaemon(opts('second'));
      await expect(second.daemon.start()).rejects.toThrow(DaemonLockedError);
      await second.daemon.stop('refused');
      // The refusal names the running daemon and says what to do; the first keeps its lock.
      await expect(
        (async () => {
          const third = startDaemon(opts('third'));
          try {
            await third.daemon.start();
          } finally {
            await third.daemon.stop('refused');
          }
        })(),
      ).rejects.toThrow(/already managed by vppwg serve --config .*desired\.yaml \(pid \d+\).*stop that daemon first/);
      expect(VppLock.holder(sim.socketPath)?.holder).toMatch(/^vppwg serve/);
    } finally {
      await daemon.stop('test done');
    }
    // Released on stop: an apply may take it now.
    expect(VppLock.holder(sim.socketPath)).toBeUndefined();
    VppLock.acquire(sim.socketPath, 'vppwg apply site.yaml').release();
  });

  it('waits for a CLI apply in progress, saying so, and manages VPP once it is done', async () => {
    const apply = VppLock.acquire(sim.socketPath, 'vppwg apply site.yaml');
    const { daemon, log } = startDaemon(opts('waiting'));
    const started = daemon.start();
    try {
      await waitFor(
        () => /VPP at .* is being changed by vppwg apply site\.yaml \(pid \d+\); waiting/.test(log.text()),
        30_000,
        'the waiting line',
      );
      await new Promise((r) => setTimeout(r, 300));
      // Nothing touched VPP meanwhile.
      expect(daemon.status().vpp.connects).toBe(0);
      expect(daemon.status().lastReconcile).toBeUndefined();
      apply.release();
      await started;
      await firstReconcile(daemon, log);
      expect(VppLock.holder(sim.socketPath)?.holder).toMatch(/^vppwg serve/);
    } finally {
      apply.release();
      await daemon.stop('test done');
    }
    expect(VppLock.holder(sim.socketPath)).toBeUndefined();
  });

  it('stops cleanly while still waiting for the lock', async () => {
    const apply = VppLock.acquire(sim.socketPath, 'vppwg apply site.yaml');
    const { daemon, log } = startDaemon(opts('stopped'));
    try {
      const started = daemon.start();
      await waitFor(() => /waiting for it to finish/.test(log.text()), 30_000, 'the waiting line');
      await daemon.stop('test: stop while waiting');
      await started;
      expect(daemon.status().vpp.connects).toBe(0);
      // The apply's lock is untouched.
      expect(VppLock.holder(sim.socketPath)?.holder).toBe('vppwg apply site.yaml');
    } finally {
      apply.release();
    }
  });
});
