/**
 * An uplink's carrier seen by the daemon: the emulator (a process, driven through its control
 * socket as a tester pulls a cable) drops and restores the carrier of a DPDK-named NIC the file
 * matches by MAC; VPP's sw_interface_event reaches the daemon, which reports the link in its
 * status, `vppwg status`, the metrics and the event stream (LINK_DOWN / LINK_UP) and does not
 * reconcile because of it, however often it flaps.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatStatus } from '../../src/cli/commands/daemon';
import { apiUrl, DaemonApiClient } from '../../src/daemon/apiClient';
import type { EventMsg } from '../../src/daemon/api/proto';
import type { Daemon } from '../../src/daemon/daemon';
import {
  CLI,
  firstReconcile,
  requireBuiltCli,
  SimProcess,
  startDaemon,
  tempDir,
  waitFor,
  type CapturedLog,
} from './helpers';

jest.setTimeout(120_000);

const NIC = 'GigabitEthernet0/8/0';
const MAC = '02:fe:00:00:00:08';

describe('uplink link state from VPP interface events', () => {
  const tmp = tempDir('vppwg-link-');
  const socketPath = join(tmp.dir, 'api.sock');
  const configPath = join(tmp.dir, 'desired.yaml');
  let sim: SimProcess;
  let daemon: Daemon;
  let log: CapturedLog;
  let api: DaemonApiClient;
  const streamed: EventMsg[] = [];

  const carrier = async (up: boolean): Promise<void> => {
    expect(await sim.control({ op: 'setCarrier', interface: NIC, up })).toEqual({ ok: true });
  };
  const status = async () => (await api.call({ getStatus: {} })).status!;
  const metric = async (): Promise<string> => {
    const a = daemon.metricsAddress();
    return (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
  };

  beforeAll(async () => {
    const simConfig = join(tmp.dir, 'sim.yaml');
    writeFileSync(
      simConfig,
      `uplinks:\n  - { name: ${NIC}, mac: '${MAC}', addresses: [192.0.2.1/24] }\n  - { name: host-eth1, addresses: [198.51.100.1/24] }\n`,
    );
    writeFileSync(
      configPath,
      `version: 1
uplinks:
  - name: wan
    match: { mac: '${MAC}' }
    addresses: [192.0.2.1/24]
  - name: host-eth1
routes:
  - { prefix: 0.0.0.0/0, via: 192.0.2.254, interface: wan }
`,
    );
    sim = new SimProcess(socketPath, simConfig, join(tmp.dir, 'control.sock'));
    await sim.start();
    ({ daemon, log } = startDaemon({ configPath, socketPath, tokenFile: join(tmp.dir, 'token') }));
    await daemon.start();
    await firstReconcile(daemon, log);
    api = await DaemonApiClient.connect(
      apiUrl(daemon.apiAddress()),
      readFileSync(join(tmp.dir, 'token'), 'utf8').trim(),
    );
    await api.subscribe((e) => streamed.push(e), ['LINK_DOWN', 'LINK_UP', 'RECONCILE_DONE']);
  });

  afterAll(async () => {
    await api?.close();
    await daemon?.stop('test done');
    await sim?.stop();
    tmp.cleanup();
  });

  it('reports each uplink with both names and its link up after the first reconcile', async () => {
    const s = await status();
    expect(s.uplinks).toEqual([
      expect.objectContaining({ name: 'wan', vppName: NIC, adminUp: true, linkUp: true, linkChanges: 0 }),
      expect.objectContaining({ name: 'host-eth1', vppName: 'host-eth1', linkUp: true }),
    ]);
    expect(formatStatus(s)).toMatch(new RegExp(`uplinks   2/2 link up\\n  wan \\(${NIC}\\)  link up since `));
    expect(await metric()).toContain(`vppwg_uplink_link_up{uplink="wan",interface="${NIC}"} 1`);
  });

  it('sees the carrier go down and up, in status, metrics and events, without reconciling', async () => {
    const reconcilesBefore = (await status()).reconciles;
    const mark = streamed.length;
    await carrier(false);
    const down = await waitFor(
      async () => (await status()).uplinks?.find((u) => u.name === 'wan' && !u.linkUp),
      30_000,
      'wan reported down',
    );
    expect(down).toMatchObject({ vppName: NIC, adminUp: true, linkChanges: 1 });
    expect(formatStatus(await status())).toContain(`  wan (${NIC})  link DOWN since `);
    expect(await metric()).toContain(`vppwg_uplink_link_up{uplink="wan",interface="${NIC}"} 0`);
    await waitFor(() => streamed.slice(mark).some((e) => e.kind === 'LINK_DOWN'), 30_000, 'the LINK_DOWN event');
    const event = streamed.slice(mark).find((e) => e.kind === 'LINK_DOWN')!;
    expect(event.message).toBe(`uplink wan (${NIC}) link down (carrier lost)`);
    expect(event.uplink).toMatchObject({ name: 'wan', vppName: NIC, linkUp: false });

    // Flapping: three more downs and ups.
    await carrier(true);
    for (let i = 0; i < 3; i++) {
      await carrier(false);
      await carrier(true);
    }
    await waitFor(
      async () => (await status()).uplinks?.find((u) => u.name === 'wan' && u.linkUp && u.linkChanges === 8),
      30_000,
      'eight link changes, ending up',
    );
    const kinds = streamed.slice(mark).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'LINK_DOWN')).toHaveLength(4);
    expect(kinds.filter((k) => k === 'LINK_UP')).toHaveLength(4);
    expect(await metric()).toContain('vppwg_uplink_link_changes_total{uplink="wan"} 8');
    // No reconcile storm: the link is reported, never re-applied.
    await new Promise((r) => setTimeout(r, 300));
    expect(kinds).not.toContain('RECONCILE_DONE');
    expect((await status()).reconciles).toBe(reconcilesBefore);
    // The other uplink did not move.
    expect((await status()).uplinks?.find((u) => u.name === 'host-eth1')).toMatchObject({
      linkUp: true,
      linkChanges: 0,
    });
  });

  it('`vppwg events --kinds LINK_DOWN,LINK_UP` streams the link changes', async () => {
    requireBuiltCli();
    const port = daemon.apiAddress().port;
    const ev = spawn(
      process.execPath,
      [
        CLI,
        'events',
        '--api',
        `127.0.0.1:${port}`,
        '--token-file',
        join(tmp.dir, 'token'),
        '--kinds',
        'LINK_DOWN,LINK_UP',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    ev.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    ev.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor(() => stderr.includes('subscribed to LINK_DOWN, LINK_UP'), 30_000, '`vppwg events` to subscribe');
      await carrier(false);
      await carrier(true);
      await waitFor(() => stdout.split('\n').length > 2, 30_000, 'two event lines');
      expect(stdout).toMatch(
        new RegExp(`LINK_DOWN +uplink wan \\(${NIC}\\) link down \\(carrier lost\\)\n.*LINK_UP +uplink wan`),
      );
    } finally {
      ev.kill('SIGINT');
    }
  });

  it('after VPP restarts, learns the links afresh: one lost before the restart and back after it is reported up', async () => {
    await carrier(false);
    await waitFor(async () => (await status()).uplinks?.find((u) => u.name === 'wan' && !u.linkUp), 30_000, 'wan down');
    const mark = streamed.length;
    const connects = (await status()).vpp.connects;
    // A new VPP: every NIC comes back with its carrier.
    expect(await sim.control({ op: 'restart' })).toEqual({ ok: true });
    const up = await waitFor(
      async () => {
        const s = await status();
        return s.vpp.connects > connects && s.lastReconcile?.ok && s.uplinks?.find((u) => u.name === 'wan' && u.linkUp);
      },
      30_000,
      'wan up after the restart',
    );
    expect(up).toMatchObject({ vppName: NIC, linkChanges: 12 });
    await waitFor(() => streamed.slice(mark).some((e) => e.kind === 'LINK_UP'), 30_000, 'the LINK_UP event');
    expect(
      streamed
        .slice(mark)
        .filter((e) => e.kind.startsWith('LINK_'))
        .map((e) => e.message),
    ).toEqual([`uplink wan (${NIC}) link up`]);
  });

  it('refuses a carrier change for an interface that is not an uplink, naming the uplinks', async () => {
    const r = await sim.control({ op: 'setCarrier', interface: 'wg0', up: false });
    expect(r).toEqual({ ok: false, error: `sim: no uplink named wg0; the uplinks are: ${NIC}, host-eth1` });
    expect(await sim.control({ op: 'setCarrier', interface: NIC })).toMatchObject({
      ok: false,
      error: expect.stringContaining('setCarrier needs interface (an uplink name) and up (true or false)'),
    });
  });
});
