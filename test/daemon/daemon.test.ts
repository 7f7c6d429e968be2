/**
 * The daemon against the emulator run as a separate process: resync after an emulator restart
 * (all state lost, new message ids), drift repair, file edits (good and broken), health and
 * metrics, and no key material anywhere in what it printed or served.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VppClient } from '../../src/client';
import { loadDesiredState } from '../../src/config';
import type { DesiredState } from '../../src/config';
import { observe, planChanges, reconcileMessages, showState } from '../../src/reconcile';
import type { ActualState } from '../../src/reconcile';
import { Daemon } from '../../src/daemon/daemon';
import type { EventMsg, ReconcileSummaryMsg } from '../../src/daemon/api/proto';
import { apiUrl, DaemonApiClient } from '../../src/daemon/apiClient';
import {
  assertNoSecrets,
  firstReconcile,
  CapturedLog,
  keyPair,
  psk,
  SimProcess,
  startDaemon,
  tempDir,
  waitFor,
  writeSimConfig,
} from './helpers';

const wgKey = keyPair();
const peerB = keyPair();
const peerC = keyPair();
const pskB = psk();
const SECRETS = [wgKey.priv, pskB, peerB.priv, peerC.priv];

function desiredYaml(opts: { cRoutes: string[]; cAllowed: string[] }): string {
  return `version: 1
uplinks:
  - name: host-eth0
    admin_up: true
    addresses: [192.0.2.1/24, '2001:db8:0:1::1/64']
routes:
  - { prefix: 0.0.0.0/0, via: 192.0.2.254, interface: host-eth0 }
wireguard:
  - name: wg-sites
    private_key: { file: wg.key }
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.8.0.1/24]
    admin_up: true
    peers:
      - name: site-b
        public_key: ${peerB.pub}
        preshared_key: { file: b.psk }
        endpoint: { address: 198.51.100.2, port: 51820 }
        allowed_ips: [10.8.0.2/32, 10.20.0.0/16]
        persistent_keepalive: 25
        tunnel_next_hops: [10.8.0.2]
        routes: [{ prefix: 10.20.0.0/16 }]
      - name: site-c
        public_key: ${peerC.pub}
        endpoint: { address: 203.0.113.7, port: 51820 }
        allowed_ips: [${opts.cAllowed.join(', ')}]
        tunnel_next_hops: [10.8.0.3]
        routes: [${opts.cRoutes.map((r) => `{ prefix: ${r} }`).join(', ')}]
`;
}

// The deadlines inside only bound a failure: on a loaded 2-core CI machine running two suites at once, a
// process start or a handshake can take many seconds, and a jest timeout would hide which wait it was.
jest.setTimeout(120_000);

describe('daemon against the emulator process', () => {
  const tmp = tempDir('vppwg-daemon-');
  const socketPath = join(tmp.dir, 'api.sock');
  const configPath = join(tmp.dir, 'desired.yaml');
  const tokenFile = join(tmp.dir, 'token');
  const simConfig = writeSimConfig(tmp.dir, { reachableDelayMs: 30 });
  let sim: SimProcess;
  let daemon: Daemon;
  let log: CapturedLog;
  const events: EventMsg[] = [];
  /** Every reconcile the daemon finished, in order (drift checks included: lastReconcile moves on every 250 ms). */
  const reconciles: ReconcileSummaryMsg[] = [];
  let checker: VppClient | undefined;
  /** Everything the daemon served over HTTP and the API, for the key grep at the end. */
  const served: string[] = [];

  function desiredNow(): DesiredState {
    const r = loadDesiredState(configPath);
    if (!r.state) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
    return r.state;
  }

  async function check(): Promise<VppClient> {
    if (!checker?.connected) {
      checker = await VppClient.connect({ socketPath, reconnect: false, messages: reconcileMessages() });
    }
    return checker;
  }

  async function actual(): Promise<ActualState> {
    return observe(await check());
  }

  async function inSync(): Promise<boolean> {
    return planChanges(desiredNow(), await actual()).isEmpty;
  }

  function eventAfter(since: number, pred: (e: EventMsg) => boolean): EventMsg | undefined {
    return events.slice(since).find(pred);
  }

  beforeAll(async () => {
    writeFileSync(join(tmp.dir, 'wg.key'), wgKey.priv + '\n');
    writeFileSync(join(tmp.dir, 'b.psk'), pskB + '\n');
    chmodSync(join(tmp.dir, 'wg.key'), 0o600);
    chmodSync(join(tmp.dir, 'b.psk'), 0o600);
    writeFileSync(configPath, desiredYaml({ cAllowed: ['10.8.0.3/32', '10.30.0.0/16'], cRoutes: ['10.30.0.0/16'] }));
    sim = new SimProcess(socketPath, simConfig);
    await sim.start();
    ({ daemon, log } = startDaemon({ configPath, socketPath, tokenFile, driftIntervalMs: 250 }));
    daemon.on('event', (e: EventMsg) => events.push(e));
    daemon.on('reconciled', (r: ReconcileSummaryMsg) => reconciles.push(r));
    await daemon.start();
    await firstReconcile(daemon, log);
  });

  afterAll(async () => {
    await checker?.close();
    await daemon?.stop('test done');
    await sim?.stop();
    tmp.cleanup();
  });

  it('applies the file at start and reports ready', async () => {
    expect(await inSync()).toBe(true);
    const s = daemon.status();
    // The first reconcile is the start one; drift checks (every 250 ms) may have followed it already.
    expect(reconciles[0]).toMatchObject({ trigger: 'start', ok: true, verified: true });
    expect(reconciles.filter((r) => r.trigger === 'start')).toHaveLength(1);
    expect(reconciles.every((r) => r.ok)).toBe(true);
    expect(s.vpp.connected).toBe(true);
    expect(s.vpp.version).toMatch(/^26\./);
    const a = daemon.metricsAddress();
    const h = await fetch(`http://127.0.0.1:${a.port}/healthz`);
    const body = await h.text();
    served.push(body);
    expect(h.status).toBe(200);
    // Both peers have endpoints and the emulator marks them reachable: events bring them up.
    await waitFor(
      () => daemon.status().peers.filter((p) => p.established).length === 2,
      30_000,
      'both peers established',
    );
    expect(daemon.status().peers.map((p) => p.name)).toEqual(['site-b', 'site-c']);
  });

  it('restores the desired state within 5 s after the emulator restarts (state lost, new message ids)', async () => {
    const before = events.length;
    const idsOf = async (): Promise<string> => {
      const c = await check();
      return reconcileMessages()
        .map((d) => c.messageId(d))
        .join(',');
    };
    const oldIds = await idsOf();
    await checker?.close();
    checker = undefined;
    await sim.stop();
    await waitFor(() => eventAfter(before, (e) => e.kind === 'VPP_LOST'), 30_000, 'VPP_LOST');
    expect(daemon.health().ready).toBe(false);
    expect(daemon.status().peers.some((p) => p.established)).toBe(false);
    sim = new SimProcess(socketPath, simConfig);
    await sim.start();
    const restarted = Date.now();
    // Fresh emulator: nothing of ours is there yet (unless the daemon was already faster).
    const done = await waitFor(
      () =>
        eventAfter(
          before,
          (e) => e.kind === 'RECONCILE_DONE' && e.reconcile?.trigger === 'reconnect' && e.reconcile.ok,
        ),
      // The 5 s bound is asserted on the event's own time below; this deadline only bounds a failure.
      30_000,
      'the resync reconcile',
    );
    // Restored and verified by the daemon (it observes again after applying) within 5 s of the new emulator's socket.
    expect(done.reconcile?.verified).toBe(true);
    expect(done.atMs - restarted).toBeLessThan(5000);
    // And an independent look agrees.
    await waitFor(() => inSync(), 30_000, 'VPP to equal the desired state');
    // The new emulator numbered its messages differently (shuffled modules): the daemon used the new table.
    expect(await idsOf()).not.toBe(oldIds);
    expect(eventAfter(before, (e) => e.kind === 'VPP_CONNECTED')).toBeDefined();
    const resync = eventAfter(before, (e) => e.kind === 'RECONCILE_DONE' && e.reconcile?.trigger === 'reconnect');
    expect(resync?.reconcile?.operations).toBeGreaterThan(5); // everything was re-created
    expect(daemon.status().vpp.connects).toBe(2);
    // Peer events are subscribed again on the new connection: both peers come back up.
    await waitFor(
      () => daemon.status().peers.filter((p) => p.established).length === 2,
      30_000,
      'peers established after resync',
    );
    expect(daemon.health().ready).toBe(true);
  });

  it('repairs a peer removed and a route added behind its back at the next drift check', async () => {
    const c = await check();
    const a = await actual();
    const peer = a.peers.get(peerB.pub)!;
    const wgIndex = a.owned.interfaces.get('wg-sites')!;
    const before = events.length;
    const defs = new Map(reconcileMessages().map((d) => [d.name, d]));
    const call = (name: string, v: unknown): Promise<unknown> =>
      (c.call as (d: unknown, v: unknown) => Promise<unknown>)(defs.get(name), v);
    await call('wireguard_peer_remove', { peer_index: peer.peerIndex });
    await call('ip_route_add_del', {
      is_add: true,
      is_multipath: false,
      route: {
        table_id: 0,
        prefix: '10.99.0.0/24',
        paths: [{ sw_if_index: wgIndex, weight: 1, proto: 0, nh: { address: { ip4: '10.8.0.3' } } }],
      },
    });
    // (No inSync() === false check here: on a loaded machine two drift checks may already have repaired
    // both; the drift log lines below show that these two changes were there and were undone.)
    const logMark = log.lines().length;
    // The removal is seen at once through the peer events...
    await waitFor(
      () => eventAfter(before, (e) => e.kind === 'PEER_REMOVED' && e.peer?.name === 'site-b'),
      30_000,
      'PEER_REMOVED for site-b',
    );
    // ...and both changes are undone by the drift check.
    const repaired = await waitFor(
      () => eventAfter(before, (e) => e.kind === 'DRIFT_REPAIRED'),
      30_000,
      'DRIFT_REPAIRED',
    );
    expect(repaired.reconcile?.ok).toBe(true);
    // A drift check may have run between the two changes: then the next one repairs the second.
    await waitFor(() => inSync(), 30_000, 'VPP to equal the desired state again');
    const after = await actual();
    expect(after.peers.has(peerB.pub)).toBe(true);
    expect([...after.routes.values()].some((r) => r.prefix === '10.99.0.0/24')).toBe(false);
    expect(daemon.status().driftRepairs).toBeGreaterThanOrEqual(1);
    const driftChanges = log
      .lines()
      .slice(logMark)
      .filter((l) => l.trigger === 'drift' && Array.isArray(l.changes))
      .flatMap((l) => l.changes as string[]);
    expect(driftChanges).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\s*\+ peer /),
        expect.stringMatching(/^\s*- route .*10\.99\.0\.0\/24/),
      ]),
    );
    // The re-added peer is subscribed again: it comes back up.
    await waitFor(
      () => daemon.status().peers.find((p) => p.name === 'site-b')?.established,
      30_000,
      'site-b established again',
    );
  });

  it('applies an edit of the file', async () => {
    const before = events.length;
    writeFileSync(
      configPath,
      desiredYaml({
        cAllowed: ['10.8.0.3/32', '10.30.0.0/16', '10.31.0.0/16'],
        cRoutes: ['10.30.0.0/16', '10.31.0.0/16'],
      }),
    );
    const done = await waitFor(
      () => eventAfter(before, (e) => e.kind === 'RECONCILE_DONE' && e.reconcile?.trigger === 'config'),
      30_000,
      'the config reconcile',
    );
    expect(done.reconcile?.ok).toBe(true);
    const a = await actual();
    expect([...a.routes.values()].some((r) => r.prefix === '10.31.0.0/16')).toBe(true);
    expect(a.peers.get(peerC.pub)?.allowedIps).toContain('10.31.0.0/16');
    expect(await inSync()).toBe(true);
  });

  it('reports a broken edit and changes nothing', async () => {
    // Established flips on its own (the emulator's handshakes); compare configuration only.
    const config = async (): Promise<string> =>
      JSON.stringify(showState(await actual()), (k, v: unknown) => (k === 'established' ? undefined : v));
    const stateBefore = await config();
    const before = events.length;
    const good = readFileSync(configPath, 'utf8');
    const broken = good.replace(peerC.pub, 'not-a-key').replace('10.31.0.0/16]', '10.31.0.0/33]');
    writeFileSync(configPath, broken);
    const rejected = await waitFor(
      () => eventAfter(before, (e) => e.kind === 'CONFIG_REJECTED'),
      30_000,
      'CONFIG_REJECTED',
    );
    const diags = rejected.configRejected!.diagnostics;
    expect(diags.length).toBeGreaterThanOrEqual(2);
    expect(diags.every((d) => d.file === configPath && d.line > 0)).toBe(true);
    expect(diags.map((d) => d.message).join('\n')).toMatch(/base64/);
    // Drift checks keep running against the last good state (two of them, after the rejection); VPP stays as it was.
    const rejectedAt = reconciles.length;
    await waitFor(
      () => reconciles.slice(rejectedAt).filter((r) => r.trigger === 'drift').length >= 2,
      30_000,
      'two drift checks after the rejection',
    );
    expect(reconciles.slice(rejectedAt).every((r) => r.ok && r.trigger === 'drift')).toBe(true);
    expect(await config()).toBe(stateBefore);
    expect(eventAfter(before, (e) => e.kind === 'RECONCILE_DONE' && e.reconcile?.trigger === 'config')).toBeUndefined();
    expect(daemon.status().configRejected?.diagnostics.length).toBe(diags.length);
    expect(log.lines().some((l) => l.level === 'error' && /rejected .*desired\.yaml/.test(String(l.message)))).toBe(
      true,
    );
    // Fixing it clears the rejection.
    const fixedAt = events.length;
    writeFileSync(configPath, good + '\n# fixed\n');
    await waitFor(
      () => eventAfter(fixedAt, (e) => e.kind === 'RECONCILE_DONE' && e.reconcile?.trigger === 'config'),
      30_000,
      'reconcile of the fixed file',
    );
    expect(daemon.status().configRejected).toBeUndefined();
  });

  it('reloads on SIGHUP (daemon.reload) and logs one line per reconcile with what changed', async () => {
    const before = events.length;
    daemon.reload();
    await waitFor(
      () => eventAfter(before, (e) => e.kind === 'RECONCILE_DONE' && e.reconcile?.trigger === 'sighup'),
      30_000,
      'the sighup reconcile',
    );
    const lines = log.lines().filter((l) => /^reconcile \(/.test(String(l.message)));
    const restart = lines.find((l) => l.trigger === 'reconnect');
    expect(restart?.changes).toEqual(expect.arrayContaining([expect.stringMatching(/^\s*\+ peer/)]));
    expect(lines.find((l) => l.trigger === 'sighup')?.result).toBe('noop');
  });

  it('exports the metrics the issue asks for', async () => {
    const a = daemon.metricsAddress();
    const text = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
    served.push(text);
    expect(text).toMatch(/vppwg_reconciles_total\{result="ok",trigger="start"\} 1/);
    expect(text).toMatch(/vppwg_reconciles_total\{result="ok",trigger="reconnect"\} 1/);
    expect(text).toMatch(/vppwg_reconcile_duration_seconds_count\{trigger="start"\} 1/);
    expect(text).toMatch(/vppwg_drift_repairs_total [1-9]/);
    expect(text).toMatch(/vppwg_vpp_connected 1/);
    expect(text).toMatch(/vppwg_peers_established 2/);
    expect(text).toMatch(/vppwg_config_rejections_total 1/);
    expect(text).toMatch(
      /vppwg_vpp_api_call_duration_seconds_count\{message="wireguard_peer_add_v2",result="ok"\} [1-9]/,
    );
    expect(text).toMatch(
      /vppwg_vpp_api_call_duration_seconds_count\{message="want_wireguard_peer_events",result="ok"\} [1-9]/,
    );
  });

  it('serves status and state over the API without key material', async () => {
    const token = readFileSync(tokenFile, 'utf8').trim();
    const client = await DaemonApiClient.connect(apiUrl(daemon.apiAddress()), token);
    try {
      for (const body of [{ getStatus: {} }, { getDesiredState: {} }, { getActualState: {} }] as const) {
        const res = await client.call(body);
        served.push(JSON.stringify(res));
      }
      const desired = JSON.parse((await client.call({ getDesiredState: {} })).desiredState!.json) as {
        wireguard: { privateKey: unknown; peers: { presharedKey?: unknown }[] }[];
      };
      expect(desired.wireguard[0]!.privateKey).toBe('[redacted]');
      expect(desired.wireguard[0]!.peers[0]!.presharedKey).toBe('[redacted]');
    } finally {
      await client.close();
    }
  });

  it('never let key material reach its log, API replies, events or metrics', () => {
    expect(log.text().length).toBeGreaterThan(1000);
    assertNoSecrets('daemon log', log.text(), SECRETS);
    assertNoSecrets('events', JSON.stringify(events), SECRETS);
    assertNoSecrets('API and HTTP replies', served.join('\n'), SECRETS);
    // The grep is meaningful: the keys were really in use.
    expect(readFileSync(join(tmp.dir, 'wg.key'), 'utf8')).toContain(wgKey.priv);
  });
});
