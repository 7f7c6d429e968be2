/**
 * Learned endpoints (issue 14.3): for peers the file gives no endpoint, the daemon keeps the
 * endpoint VPP reports (in the state directory, learned-endpoints.json) and hands it to every
 * reconcile, so a peer re-created after VPP restarts starts with it and VPP can initiate.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VppClient } from '../../src/client';
import { loadDesiredState } from '../../src/config';
import type { DesiredState } from '../../src/config';
import * as reconciler from '../../src/reconcile';
import { observe, reconcileMessages } from '../../src/reconcile';
import type { ActualState } from '../../src/reconcile';
import { startSim, type Sim } from '../../src/sim';
import { StateDir } from '../../src/state';
import { DaemonBus } from '../../src/daemon/bus';
import { LearnedEndpoints, LEARNED_ENDPOINTS_FILE } from '../../src/daemon/parts/learned-endpoints';
import { exampleUplinks } from '../reconcile/helpers';
import { captureLogger, firstReconcile, keyPair, startDaemon, tempDir, waitFor, writeOnePeerConfig } from './helpers';

jest.setTimeout(120_000);

function actualWith(peers: Record<string, { address: string; port: number } | undefined>): ActualState {
  return {
    peers: new Map(
      Object.entries(peers).map(([k, endpoint]) => [k, { publicKey: k, ...(endpoint ? { endpoint } : {}) }]),
    ),
  } as unknown as ActualState;
}

function desiredOf(path: string): DesiredState {
  const r = loadDesiredState(path);
  if (!r.state) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.state;
}

describe('learned endpoints part', () => {
  const tmp = tempDir('vppwg-learned-');
  afterAll(() => tmp.cleanup());

  it('records what VPP reports for peers without a file endpoint, keeps it in the state dir, and reloads it', () => {
    const client = keyPair();
    const configPath = writeOnePeerConfig(tmp.dir, client.pub);
    const desired = desiredOf(configPath);
    const stateDir = new StateDir(join(tmp.dir, 'state'));
    const { logging } = captureLogger();
    const part = new LearnedEndpoints(stateDir, () => desired, new DaemonBus(), logging.logger);
    part.start();
    expect(part.endpoints().size).toBe(0);

    part.record(
      actualWith({ [client.pub]: { address: '198.51.100.9', port: 40000 }, other: { address: '1.2.3.4', port: 1 } }),
    );
    expect([...part.endpoints()]).toEqual([[client.pub, { address: '198.51.100.9', port: 40000 }]]);
    const file = stateDir.documentPath(LEARNED_ENDPOINTS_FILE);
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { peers: Record<string, unknown> };
    expect(kept.peers[client.pub]).toMatchObject({ address: '198.51.100.9', port: 40000, interface: 'wg0', name: 'p' });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Nothing changed (or VPP lost it, as after a restart): the file is not written again and the endpoint stays.
    const written = statSync(file).mtimeMs;
    part.record(actualWith({ [client.pub]: { address: '198.51.100.9', port: 40000 } }));
    part.record(actualWith({ [client.pub]: undefined }));
    expect(statSync(file).mtimeMs).toBe(written);
    expect(part.endpoints().get(client.pub)).toEqual({ address: '198.51.100.9', port: 40000 });

    // A new vppwg process reads it back.
    const again = new LearnedEndpoints(stateDir, () => desired, new DaemonBus(), logging.logger);
    again.start();
    expect(again.endpoints().get(client.pub)).toEqual({ address: '198.51.100.9', port: 40000 });

    // A roamed client: the new address replaces the old.
    again.record(actualWith({ [client.pub]: { address: '203.0.113.5', port: 41000 } }));
    expect(again.endpoints().get(client.pub)).toEqual({ address: '203.0.113.5', port: 41000 });

    // A peer that left the file is forgotten.
    const without = { ...desired, wireguard: desired.wireguard.map((w) => ({ ...w, peers: [] })) };
    const third = new LearnedEndpoints(stateDir, () => without, new DaemonBus(), logging.logger);
    third.start();
    third.record(actualWith({}));
    expect(third.endpoints().size).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, peers: {} });
  });

  it('reads the endpoint of a peer that VPP reports established, without waiting for a reconcile', async () => {
    const client = keyPair();
    const desired = desiredOf(writeOnePeerConfig(tmp.dir, client.pub));
    const stateDir = new StateDir(join(tmp.dir, 'events'));
    const { logging } = captureLogger();
    const bus = new DaemonBus((event, err) => {
      throw new Error(`${event}: ${err.message}`);
    });
    const part = new LearnedEndpoints(stateDir, () => desired, bus, logging.logger);
    part.start();
    const asked: unknown[] = [];
    // Stands in for VPP: answers the one-peer dump the part sends.
    const vpp = {
      connected: true,
      has: () => true,
      dumpIter: async function* (_def: unknown, req: unknown) {
        asked.push(req);
        yield {
          peer: {
            peer_index: 7,
            sw_if_index: 3,
            flags: 2,
            public_key: Buffer.from(client.pub, 'base64'),
            endpoint: '2001:db8::9',
            port: 51000,
            allowed_ips: ['10.0.0.2/32'],
            persistent_keepalive: 0,
            table_id: 0,
          },
        };
      },
    };
    bus.emit('vpp-connected', { client: vpp as unknown as VppClient, first: true });
    const peer = {
      interface: 'wg0',
      name: 'p',
      publicKey: client.pub,
      peerIndex: 7,
      swIfIndex: 3,
      established: true,
      sinceMs: 1,
      lastEventFlags: 2,
      lastEventAtMs: 1,
      lastHandshakeAtMs: 1,
    };
    await bus.emitAndWait('peer-transition', {
      transition: { kind: 'up', peer },
      peerIndex: 7,
      flags: 2,
      fromEvent: true,
    });
    expect(asked).toEqual([{ peer_index: 7 }]);
    expect(part.endpoints().get(client.pub)).toEqual({ address: '2001:db8::9', port: 51000 });
    expect(readFileSync(stateDir.documentPath(LEARNED_ENDPOINTS_FILE), 'utf8')).toContain('2001:db8::9');
    // Flags read from a dump (not an event) ask VPP nothing.
    await bus.emitAndWait('peer-transition', {
      transition: { kind: 'up', peer },
      peerIndex: 7,
      flags: 2,
      fromEvent: false,
    });
    expect(asked).toHaveLength(1);
  });

  it('starts empty, with a warning naming the file, when the kept file is damaged', () => {
    const stateDir = new StateDir(join(tmp.dir, 'damaged'));
    stateDir.writeDocument(LEARNED_ENDPOINTS_FILE, {});
    writeFileSync(stateDir.documentPath(LEARNED_ENDPOINTS_FILE), '{not json');
    const { logging, log } = captureLogger();
    const part = new LearnedEndpoints(stateDir, () => undefined, new DaemonBus(), logging.logger);
    part.start();
    expect(part.endpoints().size).toBe(0);
    return waitFor(
      () => /learned-endpoints\.json is not valid JSON.*start empty/.test(log.text()),
      5000,
      'the warning',
    );
  });
});

describe('daemon: a remote-access client after VPP restarts', () => {
  const tmp = tempDir('vppwg-learned-d-');
  afterAll(() => tmp.cleanup());

  it('re-creates the peer with its learned endpoint, also after the daemon itself restarted (needs the reconciler part)', async () => {
    const client = keyPair();
    const configPath = writeOnePeerConfig(tmp.dir, client.pub);
    const stateDir = join(tmp.dir, 'state');
    const sim: Sim = await startSim({ config: { uplinks: exampleUplinks() } });
    const opts = {
      configPath,
      socketPath: sim.socketPath,
      tokenFile: join(tmp.dir, 'token'),
      stateDir,
      driftIntervalMs: 150,
    };
    // The daemon's own part, checked where it hands over: what every reconcile is given.
    const runs = jest.spyOn(reconciler, 'reconcile');
    let { daemon, log } = startDaemon(opts);
    let checker: VppClient | undefined;
    const vpp = async (): Promise<VppClient> => {
      if (!checker?.connected)
        checker = await VppClient.connect({
          socketPath: sim.socketPath,
          reconnect: false,
          messages: reconcileMessages(),
        });
      return checker;
    };
    const endpointInVpp = async (): Promise<string | undefined> => {
      const ep = (await observe(await vpp())).peers.get(client.pub)?.endpoint;
      return ep ? `${ep.address}:${ep.port}` : undefined;
    };
    try {
      await daemon.start();
      await firstReconcile(daemon, log);
      expect(await endpointInVpp()).toBeUndefined();

      // The client handshakes from 198.51.100.9:40000 and VPP learns it: as the emulator cannot
      // receive a handshake, the peer is put back with that endpoint behind the daemon's back.
      const c = await vpp();
      const a = await observe(c);
      const peer = a.peers.get(client.pub)!;
      const defs = new Map(reconcileMessages().map((d) => [d.name, d]));
      const call = (name: string, v: unknown): Promise<unknown> =>
        (c.call as (d: unknown, v: unknown) => Promise<unknown>)(defs.get(name), v);
      await call('wireguard_peer_remove', { peer_index: peer.peerIndex });
      await call('wireguard_peer_add', {
        peer: {
          peer_index: 0,
          public_key: new Uint8Array(Buffer.from(client.pub, 'base64')),
          port: 40000,
          persistent_keepalive: peer.persistentKeepalive,
          table_id: peer.underlayTable,
          endpoint: '198.51.100.9',
          sw_if_index: peer.swIfIndex,
          flags: 0,
          allowed_ips: [...peer.allowedIps],
        },
      });
      // A drift check sees it (a learned endpoint is not drift) and the daemon keeps it.
      const file = join(stateDir, 'learned-endpoints.json');
      await waitFor(
        () => {
          try {
            return /198\.51\.100\.9/.test(readFileSync(file, 'utf8'));
          } catch {
            return false;
          }
        },
        30_000,
        'the learned endpoint in the state directory',
      );
      expect(await endpointInVpp()).toBe('198.51.100.9:40000');

      // VPP restarts: everything is gone; the resync re-creates the peer with the learned endpoint.
      await checker?.close();
      await sim.control.restart();
      await waitFor(
        () => daemon.status().vpp.connects === 2 && daemon.status().lastReconcile?.trigger === 'reconnect',
        30_000,
        'the resync',
      );
      const resync = runs.mock.calls.at(-1)![2]!;
      expect(resync.stateDir?.root).toBe(stateDir);
      expect([...(resync.learnedEndpoints ?? [])]).toEqual([[client.pub, { address: '198.51.100.9', port: 40000 }]]);
      expect(daemon.status().lastReconcile?.ok).toBe(true);
      // What VPP has is asserted at the end, after every check of the daemon's own part.
      const inVpp: Record<string, string | undefined> = { afterVppRestart: await endpointInVpp() };

      // The daemon restarts too, and VPP again: the endpoint comes from the state directory.
      await daemon.stop('test: restart the daemon');
      await checker?.close();
      await sim.control.restart();
      ({ daemon, log } = startDaemon(opts));
      await daemon.start();
      await firstReconcile(daemon, log);
      expect([...(runs.mock.calls.at(-1)![2]!.learnedEndpoints ?? [])]).toEqual([
        [client.pub, { address: '198.51.100.9', port: 40000 }],
      ]);
      inVpp.afterDaemonRestart = await endpointInVpp();
      // Needs the reconciler's part of learnedEndpoints (a peer created anew starts with it).
      expect(inVpp).toEqual({ afterVppRestart: '198.51.100.9:40000', afterDaemonRestart: '198.51.100.9:40000' });
    } finally {
      runs.mockRestore();
      await checker?.close();
      await daemon.stop('test done');
      await sim.stop();
    }
  });
});
