/**
 * The daemon API driven by a test client over ws with protobuf messages (the emulator runs as a
 * separate process with reachable peers): status, plan, apply, the event stream seeing a peer
 * come up and then go away; refusal without the token; malformed frames survived.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { VppClient } from '../../src/client';
import { observe, reconcileMessages, showState } from '../../src/reconcile';
import { Daemon } from '../../src/daemon/daemon';
import { formatStatus } from '../../src/cli/commands/daemon';
import { apiUrl, DaemonApiClient } from '../../src/daemon/apiClient';
import { decodeResponse, encodeRequest } from '../../src/daemon/api/proto';
import type { EventMsg, ResponseMsg } from '../../src/daemon/api/proto';
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
const peerA = keyPair();
const peerNew = keyPair();
const pskA = psk();
const SECRETS = [wgKey.priv, pskA, peerA.priv, peerNew.priv];

function doc(withNewPeer: boolean): string {
  return `version: 1
uplinks:
  - name: host-eth0
    addresses: [192.0.2.1/24, '2001:db8:0:1::1/64']
routes:
  - { prefix: 0.0.0.0/0, via: 192.0.2.254, interface: host-eth0 }
wireguard:
  - name: wg0
    private_key: { inline: ${wgKey.priv} }
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.9.0.1/24]
    admin_up: true
    peers:
      - name: a
        public_key: ${peerA.pub}
        preshared_key: { file: a.psk }
        allowed_ips: [10.9.0.2/32]
        tunnel_next_hops: [10.9.0.2]
${
  withNewPeer
    ? `      - name: newcomer
        public_key: ${peerNew.pub}
        endpoint: { address: 198.51.100.9, port: 51820 }
        allowed_ips: [10.9.0.9/32, 10.90.0.0/16]
        tunnel_next_hops: [10.9.0.9]
        routes: [{ prefix: 10.90.0.0/16 }]
`
    : ''
}`;
}

// The deadlines inside only bound a failure: on a loaded 2-core CI machine running two suites at once, a
// process start or a handshake can take many seconds, and a jest timeout would hide which wait it was.
jest.setTimeout(120_000);

describe('daemon API over ws + protobuf', () => {
  const tmp = tempDir('vppwg-api-');
  const socketPath = join(tmp.dir, 'api.sock');
  const configPath = join(tmp.dir, 'desired.yaml');
  const tokenFile = join(tmp.dir, 'token');
  let sim: SimProcess;
  let daemon: Daemon;
  let log: CapturedLog;
  let api: DaemonApiClient;
  let token: string;
  const received: ResponseMsg[] = [];
  const streamed: EventMsg[] = [];

  async function call(body: Parameters<DaemonApiClient['request']>[0]): Promise<ResponseMsg> {
    const res = await api.request(body);
    received.push(res);
    return res;
  }

  async function vppState(): Promise<string> {
    const c = await VppClient.connect({ socketPath, reconnect: false, messages: reconcileMessages() });
    try {
      const s = showState(await observe(c));
      // Established flips asynchronously; compare configuration only.
      return JSON.stringify(s, (k, v: unknown) => (k === 'established' ? undefined : v));
    } finally {
      await c.close();
    }
  }

  beforeAll(async () => {
    writeFileSync(join(tmp.dir, 'a.psk'), pskA + '\n');
    chmodSync(join(tmp.dir, 'a.psk'), 0o600);
    writeFileSync(configPath, doc(false));
    sim = new SimProcess(socketPath, writeSimConfig(tmp.dir, { reachableDelayMs: 50 }), join(tmp.dir, 'control.sock'));
    await sim.start();
    ({ daemon, log } = startDaemon({ configPath, socketPath, tokenFile }));
    await daemon.start();
    await firstReconcile(daemon, log);
    token = readFileSync(tokenFile, 'utf8').trim();
    api = await DaemonApiClient.connect(apiUrl(daemon.apiAddress()), token);
  });

  afterAll(async () => {
    await api?.close();
    await daemon?.stop('test done');
    await sim?.stop();
    tmp.cleanup();
  });

  it('answers GetStatus with VPP, the last reconcile and per-peer status', async () => {
    const res = await call({ getStatus: {} });
    expect(res.ok).toBe(true);
    expect(res.id).toBeGreaterThan(0);
    const s = res.status!;
    expect(s.vpp).toMatchObject({ connected: true, socketPath, connects: 1 });
    expect(s.vpp.version).toMatch(/^26\./);
    expect(s.lastReconcile).toMatchObject({ trigger: 'start', ok: true, verified: true });
    expect(s.ready).toBe(true);
    expect(s.desiredSource).toBe(`file ${configPath}`);
    // Peer a has no endpoint (remote-access server): it never initiates, so it is not established.
    expect(s.peers).toEqual([
      expect.objectContaining({ interface: 'wg0', name: 'a', publicKey: peerA.pub, established: false }),
    ]);
  });

  it('plans a given document without changing VPP', async () => {
    const before = await vppState();
    const res = await call({ plan: { document: doc(true), name: 'new.yaml', baseDir: tmp.dir } });
    expect(res.ok).toBe(true);
    const plan = res.plan!;
    expect(plan.empty).toBe(false);
    expect(plan.text).toMatch(/\+ peer .*newcomer|\+ peer .*/);
    const json = JSON.parse(plan.json) as { operations: { action: string; kind: string }[] };
    expect(json.operations.some((o) => o.action === 'create' && o.kind === 'peer')).toBe(true);
    expect(await vppState()).toBe(before);
    const same = await call({ plan: { document: doc(false), baseDir: tmp.dir } });
    expect(same.plan?.empty).toBe(true);
  });

  it('rejects an invalid document with located diagnostics and changes nothing', async () => {
    const before = await vppState();
    const res = await call({
      apply: { document: doc(true).replace('10.90.0.0/16]', '10.90.0.0/40]'), name: 'bad.yaml', baseDir: tmp.dir },
    });
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe('INVALID_CONFIG');
    const errors = res.error!.diagnostics!.filter((d) => d.severity === 'error');
    const prefixError = errors.find((d) => /allowed_ips/.test(d.path));
    expect(prefixError).toMatchObject({ file: 'bad.yaml', message: expect.stringMatching(/10\.90\.0\.0\/40/) });
    expect(prefixError!.line).toBeGreaterThan(0);
    // The inline private key is allowed, with a warning that travels with the answer.
    expect(res.error!.diagnostics!.some((d) => d.severity === 'warning' && /inline/.test(d.message))).toBe(true);
    expect(await vppState()).toBe(before);
  });

  it('rolls back an apply that VPP rejects midway, as the CLI does, and leaves VPP as it was', async () => {
    const before = await vppState();
    // The newcomer's first route is refused: the peer added before it must be removed again. Refused
    // twice: a run planned from the previous run's state is redone once from a fresh observe after a
    // rejection (the state might have been stale), and that redo must meet the same refusal.
    for (let i = 0; i < 2; i++)
      expect(await sim.control({ op: 'failNth', msg: 'ip_route_add_del', n: 1, retval: -6 })).toMatchObject({
        ok: true,
      });
    const res = await call({ apply: { document: doc(true), name: 'new.yaml', baseDir: tmp.dir } });
    await sim.control({ op: 'clearFaults' });
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe('APPLY_FAILED');
    expect(res.error?.message).toMatch(/ip_route_add_del|route/);
    expect(res.apply).toMatchObject({ ok: false, rolledBack: true });
    expect(res.apply!.applied).toBeGreaterThan(0);
    expect(await vppState()).toBe(before);
    // The file's state is still what the daemon holds VPP to.
    expect((await call({ getStatus: {} })).status!.desiredSource).toBe(`file ${configPath}`);
    await daemon.requestReconcile('sighup');
  });

  it('applies a document and the event stream sees the new peer become established, then removed', async () => {
    const subId = await api.subscribe((e) => streamed.push(e));
    expect(subId).toBeGreaterThan(0);
    const res = await call({ apply: { document: doc(true), name: 'new.yaml', baseDir: tmp.dir } });
    expect(res.ok).toBe(true);
    expect(res.apply).toMatchObject({ ok: true, verified: true, rolledBack: false });
    expect(res.apply!.applied).toBeGreaterThan(0);
    await waitFor(
      () => streamed.find((e) => e.kind === 'PEER_UP' && e.peer?.name === 'newcomer'),
      30_000,
      'PEER_UP for newcomer',
    );
    expect(streamed.find((e) => e.kind === 'RECONCILE_DONE' && e.reconcile?.trigger === 'api')).toBeDefined();
    const status = (await call({ getStatus: {} })).status!;
    expect(status.desiredSource).toMatch(/^api apply/);
    // Established either through the event or, when the handshake beat the subscription, through the dump read after it.
    expect(status.peers.find((p) => p.name === 'newcomer')).toMatchObject({ established: true });

    const removed = await call({ apply: { document: doc(false), name: 'without.yaml', baseDir: tmp.dir } });
    expect(removed.apply?.ok).toBe(true);
    // VPP sends flags 0 (no longer established) then DEAD before the remove reply.
    await waitFor(
      () => streamed.find((e) => e.kind === 'PEER_REMOVED' && e.peer?.publicKey === peerNew.pub),
      30_000,
      'PEER_REMOVED for newcomer',
    );
    const kinds = streamed.filter((e) => e.peer?.publicKey === peerNew.pub).map((e) => e.kind);
    expect(kinds).toEqual(['PEER_UP', 'PEER_DOWN', 'PEER_REMOVED']);
    expect((await call({ getStatus: {} })).status!.peers.map((p) => p.name)).toEqual(['a']);
  });

  it('reports a document VPP cannot take as APPLY_FAILED and leaves VPP as it was', async () => {
    const before = await vppState();
    const res = await call({ apply: { document: doc(false).replaceAll('host-eth0', 'host-eth9'), baseDir: tmp.dir } });
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe('APPLY_FAILED');
    expect(res.error?.message).toMatch(/host-eth9/);
    expect(await vppState()).toBe(before);
    const planned = await call({
      plan: { document: doc(false).replaceAll('host-eth0', 'host-eth9'), baseDir: tmp.dir },
    });
    expect(planned.error).toMatchObject({ code: 'PLAN_FAILED', message: expect.stringMatching(/host-eth9/) });
    expect(daemon.health().ready).toBe(false);
    // The daemon still holds VPP to the last good document; a resync makes it ready again.
    await daemon.requestReconcile('sighup');
    expect(daemon.health().ready).toBe(true);
  });

  it('refuses a connection without the token and survives malformed frames', async () => {
    const url = apiUrl(daemon.apiAddress());
    await expect(DaemonApiClient.connect(url, undefined)).rejects.toMatchObject({ statusCode: 401 });
    await expect(DaemonApiClient.connect(url, 'x'.repeat(token.length))).rejects.toMatchObject({ statusCode: 401 });

    // A raw ws client, to send what a well-behaved client never would.
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const replies: ResponseMsg[] = [];
    ws.on('message', (d: Buffer) => replies.push(decodeResponse(d)));
    ws.send('GET /status', { binary: false });
    ws.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), { binary: true });
    ws.send(Buffer.alloc(0), { binary: true });
    ws.send(encodeRequest({ id: 42, getStatus: {} }), { binary: true });
    await waitFor(() => replies.length >= 4, 3000, 'four replies');
    expect(replies[0]).toMatchObject({ id: 0, ok: false, error: { code: 'BAD_FRAME' } });
    expect(replies[1]).toMatchObject({ id: 0, ok: false, error: { code: 'BAD_FRAME' } });
    expect(replies[2]).toMatchObject({ id: 0, ok: false, error: { code: 'BAD_REQUEST' } });
    expect(replies[3]).toMatchObject({ id: 42, ok: true });
    expect(replies[3]!.status?.vpp.connected).toBe(true);
    received.push(...replies);
    ws.close();
    // The other connection (with a live subscription) was not disturbed.
    expect((await call({ getStatus: {} })).ok).toBe(true);
    expect(log.text()).toMatch(/API connection refused: missing or wrong bearer token/);
  });

  it('reports when a peer last went established, from VPP’s event, in status and `vppwg status`', async () => {
    const before = (await call({ getStatus: {} })).status!.peers.find((p) => p.name === 'a')!;
    expect(before).toMatchObject({ established: false, lastHandshakeAtMs: 0 });
    expect(formatStatus((await call({ getStatus: {} })).status!)).toMatch(
      / a .*not established .*last handshake not seen/,
    );
    // The remote-access client completes a handshake.
    const at = Date.now();
    expect(await sim.control({ op: 'establishPeer', peerIndex: before.peerIndex })).toMatchObject({ ok: true });
    const after = await waitFor(
      async () => (await call({ getStatus: {} })).status!.peers.find((p) => p.name === 'a' && p.established),
      30_000,
      'peer a established',
    );
    expect(after.lastHandshakeAtMs).toBeGreaterThanOrEqual(at);
    expect(after.lastHandshakeAtMs).toBeLessThanOrEqual(Date.now());
    expect(formatStatus((await call({ getStatus: {} })).status!)).toContain(
      `last handshake ${new Date(after.lastHandshakeAtMs).toISOString()}`,
    );
  });

  it('put no key material in any reply, event or log line', () => {
    expect(received.length).toBeGreaterThan(8);
    assertNoSecrets('API replies', JSON.stringify(received), SECRETS);
    assertNoSecrets('streamed events', JSON.stringify(streamed), SECRETS);
    assertNoSecrets('daemon log', log.text(), SECRETS);
    assertNoSecrets('daemon log', log.text(), [token]);
  });
});
