/**
 * `serve --state-dir` (issue 14.1, the daemon's part): every reconcile gets the state directory, so
 * a `private_key: generate` interface keeps its key across restarts of VPP and of the daemon.
 */
import { join } from 'node:path';
import { VppClient } from '../../src/client';
import * as reconciler from '../../src/reconcile';
import { observe, reconcileMessages } from '../../src/reconcile';
import { startSim, type Sim } from '../../src/sim';
import { exampleUplinks } from '../reconcile/helpers';
import { firstReconcile, keyPair, startDaemon, tempDir, waitFor, writeOnePeerConfig } from './helpers';

jest.setTimeout(60_000);

describe('the daemon with a state directory', () => {
  const tmp = tempDir('vppwg-statedir-');
  afterAll(() => tmp.cleanup());

  it('passes it to every reconcile; a generated key survives VPP and daemon restarts (VPP side needs the reconciler part)', async () => {
    const configPath = writeOnePeerConfig(tmp.dir, keyPair().pub);
    const stateDir = join(tmp.dir, 'state');
    const sim: Sim = await startSim({ config: { uplinks: exampleUplinks() } });
    const opts = { configPath, socketPath: sim.socketPath, tokenFile: join(tmp.dir, 'token'), stateDir };
    const runs = jest.spyOn(reconciler, 'reconcile');
    let { daemon, log } = startDaemon(opts);
    const publicKey = async (): Promise<string | undefined> => {
      const c = await VppClient.connect({
        socketPath: sim.socketPath,
        reconnect: false,
        messages: reconcileMessages(),
      });
      try {
        const a = await observe(c);
        return a.wireguard.get(a.owned.interfaces.get('wg0')!)?.publicKey;
      } finally {
        await c.close();
      }
    };
    try {
      await daemon.start();
      await firstReconcile(daemon, log);
      const first = await publicKey();
      expect(first).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      await sim.control.restart();
      await waitFor(() => daemon.status().lastReconcile?.trigger === 'reconnect', 30_000, 'the resync');
      const afterVpp = await publicKey();
      await daemon.stop('test: restart the daemon');
      await sim.control.restart();
      ({ daemon, log } = startDaemon(opts));
      await daemon.start();
      await firstReconcile(daemon, log);
      const afterBoth = await publicKey();
      // Every reconcile (start, resync, start again) was given the directory.
      expect(runs.mock.calls.length).toBeGreaterThanOrEqual(3);
      expect(runs.mock.calls.every((c) => c[2]?.stateDir?.root === stateDir)).toBe(true);
      // Needs the reconciler's part of stateDir (generate once, reuse).
      expect({ afterVpp, afterBoth }).toEqual({ afterVpp: first, afterBoth: first });
    } finally {
      runs.mockRestore();
      await daemon.stop('test done');
      await sim.stop();
    }
  });
});
