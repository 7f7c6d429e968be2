/**
 * A failed reconcile is tried again soon, with a doubling wait, not only at the next drift check:
 * after a restart VPP may answer before its startup config has made the uplinks, and a one-off
 * rejection should not keep the tunnels down for a drift interval. Drift checks are off here, so
 * only the retry can converge.
 */
import { join } from 'node:path';
import { VppErrno } from '../../src/client';
import { startSim, type Sim } from '../../src/sim';
import { exampleUplinks } from '../reconcile/helpers';
import { keyPair, startDaemon, tempDir, waitFor, writeOnePeerConfig } from './helpers';

jest.setTimeout(60_000);

describe('retry after a failed reconcile', () => {
  const tmp = tempDir('vppwg-retry-');
  afterAll(() => tmp.cleanup());

  it('tries again after 50 ms, then 100 ms, and converges once VPP accepts', async () => {
    const peer = keyPair();
    const configPath = writeOnePeerConfig(tmp.dir, peer.pub);
    // VPP rejects the first two peer adds: the start and the first retry fail (and roll back).
    const sim: Sim = await startSim({
      config: {
        uplinks: exampleUplinks(),
        // Each fault counts from when the one before it has fired.
        faults: [
          { op: 'failNth', msg: 'wireguard_peer_add', n: 1, retval: VppErrno.INVALID_VALUE },
          { op: 'failNth', msg: 'wireguard_peer_add', n: 1, retval: VppErrno.INVALID_VALUE },
        ],
      },
    });
    const { daemon, log } = startDaemon({
      configPath,
      socketPath: sim.socketPath,
      tokenFile: join(tmp.dir, 'token'),
      driftIntervalMs: 0,
      retryInitialMs: 50,
    });
    const seen: { trigger: string; ok: boolean; at: number }[] = [];
    daemon.on('reconciled', (s: { trigger: string; ok: boolean }) =>
      seen.push({ trigger: s.trigger, ok: s.ok, at: Date.now() }),
    );
    try {
      await daemon.start();
      await waitFor(() => seen.some((r) => r.ok), 30_000, 'a successful reconcile');
      expect(seen.map(({ trigger, ok }) => ({ trigger, ok }))).toEqual([
        { trigger: 'start', ok: false },
        { trigger: 'retry', ok: false },
        { trigger: 'retry', ok: true },
      ]);
      // The second wait doubled the first.
      expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(100);
      expect(daemon.status().peers.map((p) => p.name)).toEqual(['p']);
      expect(log.text()).toMatch(/reconcile \(retry\) failed/);
      // Converged: no retry is pending, nothing runs again.
      await new Promise((r) => setTimeout(r, 400));
      expect(seen).toHaveLength(3);
    } finally {
      await daemon.stop('test done');
      await sim.stop();
    }
  });
});
