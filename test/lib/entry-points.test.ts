/**
 * The public entry points from the source tree (test/package/ runs them installed): planning
 * changes nothing, bad input is refused naming the place, and the daemon API's event streams end
 * when the loop breaks or the connection closes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, encodeKey, generatePrivateKey, plan, publicKeyOf, readState, validateDesiredState } from '../../src';
import type { DesiredStateDocument } from '../../src';
import { startSim, type RunningSim } from '../../src/lib/sim';
import { ConfigError, startDaemon } from '../../src/lib/daemon';
import { connectDaemon } from '../../src/lib/api';
import { MUTATING_MESSAGES } from '../../src/reconcile';

const doc: DesiredStateDocument = {
  uplinks: [{ name: 'host-eth0', addresses: ['192.0.2.1/24'] }],
  wireguard: [
    {
      name: 'wg-a',
      private_key: { inline: encodeKey(generatePrivateKey()) },
      listen_port: 51820,
      source: '192.0.2.1',
      addresses: ['10.5.0.1/24'],
      peers: [
        {
          name: 'b',
          public_key: encodeKey(publicKeyOf(generatePrivateKey())),
          endpoint: { address: '192.0.2.2', port: 51820 },
          allowed_ips: ['10.5.0.2/32'],
        },
      ],
    },
  ],
};

let sim: RunningSim;
beforeEach(async () => {
  sim = await startSim({ uplinks: [{ name: 'host-eth0', up: true }] });
});
afterEach(() => sim.stop());

test('plan() lists the creates and sends VPP nothing that changes it', async () => {
  const vpp = await connect({ socket: sim.socket });
  try {
    const p = await plan(vpp, validateDesiredState(doc).state!);
    expect(p.summary.create).toBeGreaterThan(0);
    const mutating = Object.entries(sim.counters()).filter(([m, n]) => MUTATING_MESSAGES.includes(m) && n > 0);
    expect(mutating).toEqual([]);
    expect((await readState(vpp)).wireguard).toEqual([]);
  } finally {
    await vpp.close();
  }
});

test('connect() to a socket nobody listens on rejects naming the socket', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'vppwg-none-')), 'api.sock');
  await expect(connect({ socket })).rejects.toThrow(socket);
});

test('startDaemon() with an invalid file rejects with ConfigError naming the file and place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vppwg-lib-'));
  const config = join(dir, 'bad.yaml');
  writeFileSync(config, 'wireguard:\n  - name: wg0\n    listen_port: 0\n');
  const started = startDaemon({ config, socket: sim.socket, logLevel: 'error', logStream: process.stderr });
  await expect(started).rejects.toThrow(ConfigError);
  await expect(started).rejects.toThrow(/bad\.yaml:3/);
});

test('events(): breaking the loop ends that stream; closing the connection ends the others', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vppwg-lib-'));
  const config = join(dir, 'desired.json');
  writeFileSync(config, JSON.stringify(doc));
  const daemon = await startDaemon({ config, socket: sim.socket, driftIntervalMs: 0, logLevel: 'error' });
  try {
    expect((await daemon.firstReconcile()).ok).toBe(true);
    const api = await connectDaemon(daemon.url, { token: daemon.token });
    const first = api.events({ kinds: ['RECONCILE_DONE'] });
    const status = await api.status();
    expect(status.peers.map((p) => p.name)).toEqual(['b']);
    const applied = api.apply({ document: JSON.stringify(doc), name: 'again.json' });
    for await (const e of first) {
      expect(e.kind).toBe('RECONCILE_DONE');
      break;
    }
    expect(await first.next()).toEqual({ value: undefined, done: true });
    await applied;
    const second = api.events();
    const pending = second.next();
    await api.close();
    expect(await pending).toEqual({ value: undefined, done: true });
  } finally {
    await daemon.stop();
  }
});
