/**
 * File edits plan from the state the previous reconcile left instead of observing VPP again; a
 * stale state (VPP changed behind the daemon's back, no drift check yet) is rejected by VPP and the
 * run is redone from a fresh observe. Drift checks are off here so that nothing else observes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VppClient } from '../../src/client';
import { loadDesiredState } from '../../src/config';
import { observe, planChanges, reconcileMessages } from '../../src/reconcile';
import { Daemon } from '../../src/daemon/daemon';
import type { ReconcileSummaryMsg } from '../../src/daemon/api/proto';
import {
  CapturedLog,
  firstReconcile,
  keyPair,
  SimProcess,
  startDaemon,
  tempDir,
  waitFor,
  writeSimConfig,
} from './helpers';

const wgKey = keyPair();
const peerB = keyPair();
const peerC = keyPair();

function desiredYaml(bAllowed: string[], cAllowed: string[]): string {
  return `version: 1
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }
wireguard:
  - name: wg-inc
    private_key: { file: wg.key }
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.9.0.1/24]
    admin_up: true
    peers:
      - name: b
        public_key: ${peerB.pub}
        allowed_ips: [${bAllowed.join(', ')}]
        tunnel_next_hops: [10.9.0.2]
        routes: [{ prefix: 10.40.0.0/16 }]
      - name: c
        public_key: ${peerC.pub}
        allowed_ips: [${cAllowed.join(', ')}]
        tunnel_next_hops: [10.9.0.3]
`;
}

// The deadlines inside only bound a failure: on a loaded 2-core CI machine running two suites at once, a
// process start or a handshake can take many seconds, and a jest timeout would hide which wait it was.
jest.setTimeout(120_000);

describe('incremental reconcile in the daemon', () => {
  const tmp = tempDir('vppwg-incr-');
  const socketPath = join(tmp.dir, 'api.sock');
  const configPath = join(tmp.dir, 'desired.yaml');
  let sim: SimProcess;
  let daemon: Daemon;
  let log: CapturedLog;
  let checker: VppClient | undefined;
  const reconciles: ReconcileSummaryMsg[] = [];

  /** How many full route dumps (only a full observe sends ip_route_v2_dump, or ip_route_dump) the daemon has made. */
  async function routeDumps(): Promise<number> {
    const text = await daemon.metrics.text();
    let n = 0;
    for (const m of text.matchAll(
      /vppwg_vpp_api_call_duration_seconds_count\{message="ip_route(_v2)?_dump",result="ok"\} (\d+)/g,
    ))
      n += Number(m[2]);
    return n;
  }

  async function inSync(): Promise<boolean> {
    checker ??= await VppClient.connect({ socketPath, reconnect: false, messages: reconcileMessages() });
    const r = loadDesiredState(configPath);
    if (!r.state) throw new Error('the test file is invalid');
    return planChanges(r.state, await observe(checker)).isEmpty;
  }

  async function editAndWait(yaml: string): Promise<ReconcileSummaryMsg> {
    const mark = reconciles.length;
    writeFileSync(configPath, yaml);
    return waitFor(
      () => reconciles.slice(mark).find((r) => r.trigger === 'config'),
      30_000,
      'the reconcile of the edit',
    );
  }

  function lastConfigLine(): Record<string, unknown> | undefined {
    return log
      .lines()
      .filter((l) => l.trigger === 'config' && /^reconcile \(config\)/.test(String(l.message)))
      .at(-1);
  }

  beforeAll(async () => {
    writeFileSync(join(tmp.dir, 'wg.key'), wgKey.priv + '\n', { mode: 0o600 });
    writeFileSync(configPath, desiredYaml(['10.9.0.2/32', '10.40.0.0/16'], ['10.9.0.3/32']));
    sim = new SimProcess(socketPath, writeSimConfig(tmp.dir));
    await sim.start();
    ({ daemon, log } = startDaemon({ configPath, socketPath, tokenFile: join(tmp.dir, 'token'), driftIntervalMs: 0 }));
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

  it('plans a file edit from the previous run: no full observe before or after', async () => {
    const dumpsBefore = await routeDumps();
    expect(dumpsBefore).toBeGreaterThan(0); // the start reconcile observed fully
    const r = await editAndWait(desiredYaml(['10.9.0.2/32', '10.40.0.0/16'], ['10.9.0.3/32', '10.50.0.0/16']));
    expect(r).toMatchObject({ ok: true, verified: true });
    expect(r.operations).toBeGreaterThan(0);
    expect(lastConfigLine()?.plannedFrom).toBe('previous run');
    expect(await routeDumps()).toBe(dumpsBefore);
    expect(await inSync()).toBe(true);
  });

  it('redoes the run from a fresh observe when the previous state is stale and VPP rejects the plan', async () => {
    // Behind the daemon's back: remove peer b. No drift check runs, so the daemon's state still has it.
    const c =
      checker ?? (checker = await VppClient.connect({ socketPath, reconnect: false, messages: reconcileMessages() }));
    const peer = (await observe(c)).peers.get(peerB.pub)!;
    const remove = reconcileMessages().find((d) => d.name === 'wireguard_peer_remove')!;
    await (c.call as (d: unknown, v: unknown) => Promise<unknown>)(remove, { peer_index: peer.peerIndex });
    const dumpsBefore = await routeDumps();
    // An edit of that very peer: planned from the stale state, it changes a peer VPP no longer has.
    const r = await editAndWait(
      desiredYaml(['10.9.0.2/32', '10.40.0.0/16', '10.41.0.0/16'], ['10.9.0.3/32', '10.50.0.0/16']),
    );
    expect(r).toMatchObject({ ok: true, verified: true });
    expect(await routeDumps()).toBeGreaterThan(dumpsBefore); // the redo observed VPP fully
    expect(await inSync()).toBe(true);
    expect((await observe(c)).peers.get(peerB.pub)?.allowedIps).toContain('10.41.0.0/16');
  });

  it('SIGHUP plans from the previous run; a drift check always observes fully', async () => {
    const dumpsBefore = await routeDumps();
    const mark = reconciles.length;
    daemon.reload();
    await waitFor(() => reconciles.slice(mark).find((r) => r.trigger === 'sighup'), 30_000, 'the sighup reconcile');
    // The previous run succeeded: SIGHUP plans from its state, so no full observe.
    expect(await routeDumps()).toBe(dumpsBefore);
    await daemon.requestReconcile('drift');
    expect(await routeDumps()).toBeGreaterThan(dumpsBefore);
  });
});
