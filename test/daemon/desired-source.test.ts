/**
 * DaemonOptions.desiredSource: a source other than the file (the fleet's etcd source plugs in here)
 * feeds the daemon through the DesiredSource contract: first snapshot at start, a reload when it
 * says it changed, a rejected snapshot keeps the last good state, and it may watch the daemon.
 */
import { join } from 'node:path';
import { parseDesiredState } from '../../src/config';
import type { DaemonView, DesiredSnapshot, DesiredSource } from '../../src/daemon/desired-source';
import type { EventMsg } from '../../src/daemon/api/proto';
import { startSim, type Sim } from '../../src/sim';
import { exampleUplinks } from '../reconcile/helpers';
import { firstReconcile, keyPair, startDaemon, tempDir, waitFor } from './helpers';

jest.setTimeout(60_000);

function doc(peers: string[]): string {
  return `version: 1
uplinks: [{ name: host-eth0, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }]
wireguard:
  - name: wg0
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.6.0.1/24]
    peers:
${peers.map((p, i) => `      - { name: p${i}, public_key: ${p}, allowed_ips: [10.6.0.${i + 2}/32] }`).join('\n')}
`;
}

/** A source held in memory, as a fleet source would hold what etcd says. */
class MemorySource implements DesiredSource {
  readonly description = 'memory test-node';
  text = '';
  changed?: () => void;
  view?: DaemonView;
  stopped = false;
  /** Makes the next load fail, as an unreachable etcd would. */
  failNext?: Error;
  loads: ({ presharedKeys: boolean } | undefined)[] = [];

  start(changed: () => void, daemon: DaemonView): Promise<void> {
    this.changed = changed;
    this.view = daemon;
    return Promise.resolve();
  }

  load(capabilities?: { presharedKeys: boolean }): Promise<DesiredSnapshot> {
    this.loads.push(capabilities);
    const fail = this.failNext;
    this.failNext = undefined;
    if (fail) return Promise.reject(fail);
    return Promise.resolve(parseDesiredState(this.text, 'etcd.yaml', capabilities ? { capabilities } : {}));
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
}

describe('a desired source other than the file', () => {
  const tmp = tempDir('vppwg-source-');
  afterAll(() => tmp.cleanup());

  it('is loaded at start, reloaded when it says so, rejected when invalid, and stopped with the daemon', async () => {
    const a = keyPair().pub;
    const b = keyPair().pub;
    const source = new MemorySource();
    source.text = doc([a]);
    const sim: Sim = await startSim({ config: { uplinks: exampleUplinks() } });
    const { daemon, log } = startDaemon({
      desiredSource: source,
      socketPath: sim.socketPath,
      tokenFile: join(tmp.dir, 'token'),
    });
    const events: EventMsg[] = [];
    try {
      await daemon.start();
      await firstReconcile(daemon, log);
      expect(daemon.status().desiredSource).toBe('memory test-node');
      expect(daemon.status().peers.map((p) => p.name)).toEqual(['p0']);
      // The source may watch the daemon (the fleet publishes each node's status).
      expect(source.view!.status().ready).toBe(true);
      source.view!.on('event', (e) => events.push(e));

      source.text = doc([a, b]);
      source.changed!();
      await waitFor(
        () => events.find((e) => e.kind === 'RECONCILE_DONE' && e.reconcile?.trigger === 'config'),
        30_000,
        'the reconcile of the new snapshot',
      );
      expect(daemon.status().peers.map((p) => p.name)).toEqual(['p0', 'p1']);
      // Reloads are validated against the connected VPP.
      expect(source.loads.at(-1)).toEqual({ presharedKeys: true });

      source.text = doc([a, 'not-a-key']);
      source.changed!();
      const rejected = await waitFor(() => events.find((e) => e.kind === 'CONFIG_REJECTED'), 30_000, 'the rejection');
      expect(rejected.configRejected?.diagnostics[0]?.file).toBe('etcd.yaml');
      expect(daemon.status().configRejected?.file).toBe('memory test-node');
      expect(daemon.status().peers.map((p) => p.name)).toEqual(['p0', 'p1']);

      // A source that cannot load (etcd unreachable) is logged; the last good state stays.
      source.failNext = new Error('etcd unreachable');
      source.changed!();
      await waitFor(
        () =>
          /loading the desired state from memory test-node failed: etcd unreachable; the last good state stays applied/.test(
            log.text(),
          ),
        30_000,
        'the load failure in the log',
      );
      expect(daemon.status().desiredSource).toBe('memory test-node');
      expect(daemon.status().peers.map((p) => p.name)).toEqual(['p0', 'p1']);
    } finally {
      await daemon.stop('test done');
      await sim.stop();
    }
    expect(source.stopped).toBe(true);
  });
});
