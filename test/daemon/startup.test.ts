/**
 * The daemon started before VPP: it serves (health 503, status says disconnected), keeps trying,
 * and converges as soon as the emulator process appears.
 */
import { join } from 'node:path';
import { keyPair, SimProcess, startDaemon, tempDir, waitFor, writeOnePeerConfig, writeSimConfig } from './helpers';

// The deadlines inside only bound a failure: on a loaded 2-core CI machine running two suites at once, a
// process start or a handshake can take many seconds, and a jest timeout would hide which wait it was.
jest.setTimeout(120_000);

describe('daemon started before VPP', () => {
  const tmp = tempDir('vppwg-startup-');
  afterAll(() => tmp.cleanup());

  it('is not ready while VPP is absent and converges once it appears', async () => {
    const socketPath = join(tmp.dir, 'api.sock');
    const peer = keyPair();
    const configPath = writeOnePeerConfig(tmp.dir, peer.pub);
    const { daemon, log } = startDaemon({ configPath, socketPath, tokenFile: join(tmp.dir, 'token') });
    const sim = new SimProcess(socketPath, writeSimConfig(tmp.dir));
    try {
      await daemon.start();
      const port = daemon.metricsAddress().port;
      const h = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(h.status).toBe(503);
      expect(await h.json()).toMatchObject({ status: 'not ready', vppConnected: false, lastReconcile: null });
      expect(daemon.status().vpp.connected).toBe(false);
      await waitFor(() => /VPP not reachable/.test(log.text()), 30_000, 'the not-reachable warning');
      await sim.start();
      await waitFor(() => daemon.status().lastReconcile?.ok, 30_000, 'the first reconcile');
      expect(daemon.status().lastReconcile?.trigger).toBe('start');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(daemon.status().peers.map((p) => p.name)).toEqual(['p']);
    } finally {
      await daemon.stop('test done');
      await sim.stop();
    }
  });
});
