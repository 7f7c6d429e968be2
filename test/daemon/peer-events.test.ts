/**
 * Peer events of a recreated interface: every peer that went with it is reported once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSim, type Sim } from '../../src/sim';
import type { EventMsg } from '../../src/daemon/api/proto';
import { exampleUplinks } from '../reconcile/helpers';
import { firstReconcile, keyPair, startDaemon, tempDir, waitFor } from './helpers';

jest.setTimeout(60_000);

function threePeers(dir: string, listenPort: number, pubs: string[]): string {
  const path = join(dir, 'desired.yaml');
  writeFileSync(
    path,
    `version: 1
uplinks: [{ name: host-eth0, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }]
wireguard:
  - name: wg0
    private_key: generate
    listen_port: ${listenPort}
    source: 192.0.2.1
    addresses: [10.6.0.1/24]
    admin_up: true
    peers:
${pubs.map((p, i) => `      - { name: p${i}, public_key: ${p}, endpoint: { address: 192.0.2.${i + 10}, port: 51820 }, allowed_ips: [10.6.0.${i + 2}/32] }`).join('\n')}
`,
  );
  return path;
}

describe('peer events of a recreated interface', () => {
  const tmp = tempDir('vppwg-peerev-');
  afterAll(() => tmp.cleanup());

  it('emits one PEER_REMOVED per peer when an interface with three peers is recreated', async () => {
    const pubs = [keyPair().pub, keyPair().pub, keyPair().pub];
    const configPath = threePeers(tmp.dir, 51820, pubs);
    const sim: Sim = await startSim({ config: { uplinks: exampleUplinks(), reachablePeers: { delayMs: 5 } } });
    const { daemon, log } = startDaemon({
      configPath,
      socketPath: sim.socketPath,
      tokenFile: join(tmp.dir, 'token'),
    });
    const events: EventMsg[] = [];
    daemon.on('event', (e: EventMsg) => events.push(e));
    try {
      await daemon.start();
      await firstReconcile(daemon, log);
      await waitFor(() => daemon.status().peers.filter((p) => p.established).length === 3, 30_000, 'all up');
      const mark = events.length;
      // A new listen port recreates the interface, and its peers with it.
      threePeers(tmp.dir, 51821, pubs);
      await waitFor(
        () => events.slice(mark).some((e) => e.kind === 'RECONCILE_DONE' && e.reconcile?.trigger === 'config'),
        30_000,
        'the config reconcile',
      );
      await new Promise((r) => setTimeout(r, 200));
      const removed = events
        .slice(mark)
        .filter((e) => e.kind === 'PEER_REMOVED')
        .map((e) => e.peer?.name)
        .sort();
      expect(removed).toEqual(['p0', 'p1', 'p2']);
      expect(daemon.status().peers.map((p) => p.name)).toEqual(['p0', 'p1', 'p2']);
    } finally {
      await daemon.stop('test done');
      await sim.stop();
    }
  });
});
