/**
 * The daemon's parts that need no VPP: the redacting logger, the token file, the API server's
 * auth and frame handling (with a scripted handler), the peer tracker, listen addresses.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/daemon/logger';
import { authorizationMatches, loadOrCreateToken } from '../../src/daemon/token';
import { ApiServer, parseListen } from '../../src/daemon/server';
import { apiUrl, DaemonApiClient } from '../../src/daemon/apiClient';
import { PeerTracker } from '../../src/daemon/peers';
import { DaemonBus } from '../../src/daemon/bus';
import { WorkQueue } from '../../src/daemon/work-queue';
import { makeSecretKey } from '../../src/util/secrets';
import type { RequestMsg } from '../../src/daemon/api/proto';

const PRIV = 'yLPy0oXiFow/ZVqJnt+CZ2Fb0L0RCVK3omr5EPdv2FQ=';
const PSK = 'qKm3CBbYu8cttLepvATl59tFC7FtT8Erwrh1FgYykFU=';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('redacting logger', () => {
  it('never writes a registered key, a key field or a SecretKey, in JSON or text lines', async () => {
    for (const format of ['json', 'text'] as const) {
      const out = capture();
      const { logger, secrets } = createLogger({ stream: out.stream, format, level: 'debug' });
      secrets.add(PRIV);
      secrets.addBytes(Buffer.from(PSK, 'base64'));
      logger.info(`message naming ${PRIV} inline`);
      logger.warn('fields', {
        private_key: 'anything',
        presharedKey: PSK,
        nested: { deep: [{ note: `key=${PSK};` }] },
      });
      logger.error('secret object', { key: makeSecretKey(Buffer.from(PRIV, 'base64'), 'inline') });
      logger.info('error meta', { error: new Error(`failed with ${PRIV}`) });
      logger.info('bytes', { raw: Buffer.from(PRIV, 'base64') });
      logger.info('a public key stays', { publicKey: 'YloExQnXnuq7IQ02MLpJzxbtrWCU/xmg8WaFxFZkEE4=' });
      await new Promise((r) => setImmediate(r));
      const text = out.text();
      expect(text).not.toContain(PRIV);
      expect(text).not.toContain(PSK);
      expect(text).not.toContain('anything');
      expect(text).toContain('[redacted]');
      expect(text).toContain('YloExQnXnuq7IQ02MLpJzxbtrWCU/xmg8WaFxFZkEE4=');
      if (format === 'json') {
        for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
      }
    }
  });
});

describe('API token file', () => {
  it('generates a 0600 token once, then reads the same one; bearer check is exact', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vppwg-token-'));
    try {
      const file = join(dir, 'sub', 'api.token');
      const first = loadOrCreateToken(file);
      expect(first.created).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const second = loadOrCreateToken(file);
      expect(second.created).toBe(false);
      expect(second.token).toBe(first.token);
      expect(authorizationMatches(`Bearer ${first.token}`, first.token)).toBe(true);
      expect(authorizationMatches(`Bearer ${first.token}x`, first.token)).toBe(false);
      expect(authorizationMatches(undefined, first.token)).toBe(false);
      expect(authorizationMatches(first.token, first.token)).toBe(false);
      writeFileSync(join(dir, 'short'), 'abc\n');
      expect(() => loadOrCreateToken(join(dir, 'short'))).toThrow(/at least 16/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('listen addresses', () => {
  it('parses host:port forms and rejects bad ports with an example', () => {
    expect(parseListen('127.0.0.1:9810')).toEqual({ host: '127.0.0.1', port: 9810 });
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseListen('9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseListen(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(() => parseListen('127.0.0.1:http')).toThrow(/HOST:PORT/);
    expect(() => parseListen('127.0.0.1:70000')).toThrow(/HOST:PORT/);
  });

  it('warns about listeners other hosts can reach, and only those', () => {
    const { logger } = createLogger({ stream: capture().stream, format: 'json' });
    const handler = {
      handle: async () => ({ ok: true }),
      health: () => ({ ready: true, detail: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
    };
    const server = (listen: string, metrics?: string): ApiServer =>
      new ApiServer({
        listen: parseListen(listen),
        ...(metrics ? { metricsListen: parseListen(metrics) } : {}),
        token: 'exposure-token-0123456789',
        logger,
        handler,
      });
    expect(server('127.0.0.1:0', '[::1]:0').exposureWarnings()).toEqual([]);
    expect(server('0.0.0.0:9810', '127.0.0.1:9811').exposureWarnings()).toEqual([
      'API listener on 0.0.0.0 is reachable from other hosts; keep it behind a firewall',
    ]);
    expect(server('localhost:9810', '192.0.2.1:9811').exposureWarnings()).toEqual([
      'metrics listener on 192.0.2.1 is reachable from other hosts; keep it behind a firewall',
    ]);
  });
});

describe('API server transport', () => {
  const token = 'test-token-0123456789abcdef';
  let server: ApiServer;
  let url: string;
  const seen: RequestMsg[] = [];
  const logs = capture();

  beforeAll(async () => {
    const { logger } = createLogger({ stream: logs.stream, format: 'json' });
    server = new ApiServer({
      listen: { host: '127.0.0.1', port: 0 },
      token,
      logger,
      handler: {
        handle: async (req) => {
          seen.push(req);
          return {
            ok: true,
            status: {
              vpp: { connected: true, version: 'v', socketPath: 's', sinceMs: 1, connects: 1 },
              peers: [],
              ready: true,
              desiredSource: 'x',
              driftRepairs: 0,
              reconciles: 1,
              startedAtMs: 1,
              daemonVersion: '0',
            },
          };
        },
        health: () => ({ ready: false, detail: { why: 'scripted' } }),
        metrics: async () => ({ contentType: 'text/plain', body: 'm 1\n' }),
      },
    });
    await server.start();
    url = apiUrl(server.address());
  });
  afterAll(() => server.close());

  it('refuses an upgrade without the token or with a wrong one (HTTP 401)', async () => {
    await expect(DaemonApiClient.connect(url, undefined)).rejects.toMatchObject({ statusCode: 401 });
    await expect(DaemonApiClient.connect(url, 'wrong-token-0123456789abcd')).rejects.toMatchObject({ statusCode: 401 });
  });

  it('answers malformed frames with an error and keeps the connection', async () => {
    const c = await DaemonApiClient.connect(url, token);
    try {
      const errors: string[] = [];
      c.onFrameError = (r) => errors.push(`${r.error?.code}: ${r.error?.message}`);
      c.sendRaw('{"not":"protobuf"}', false);
      c.sendRaw(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff]));
      const empty = await c.request({});
      expect(empty.ok).toBe(false);
      expect(empty.error?.code).toBe('BAD_REQUEST');
      const res = await c.call({ getStatus: {} });
      expect(res.status?.ready).toBe(true);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(/^BAD_FRAME: text frame/);
      expect(errors[1]).toMatch(/^BAD_FRAME: frame of 5 bytes is not a protobuf/);
    } finally {
      await c.close();
    }
  });

  it('fans events out to subscriptions that want their kind', async () => {
    const c = await DaemonApiClient.connect(url, token);
    try {
      const all: string[] = [];
      const peersOnly: string[] = [];
      await c.subscribe((e) => all.push(e.kind));
      await c.subscribe((e) => peersOnly.push(e.kind), ['PEER_UP']);
      server.publish({ kind: 'VPP_LOST', atMs: 1, message: 'lost' });
      server.publish({ kind: 'PEER_UP', atMs: 2, message: 'up' });
      await c.call({ getStatus: {} }); // ordered after the events on the same connection
      expect(all).toEqual(['VPP_LOST', 'PEER_UP']);
      expect(peersOnly).toEqual(['PEER_UP']);
    } finally {
      await c.close();
    }
  });

  it('stops a subscription on Unsubscribe and refuses an unknown one', async () => {
    const c = await DaemonApiClient.connect(url, token);
    try {
      const got: string[] = [];
      const sub = await c.subscribe((e) => got.push(e.message));
      server.publish({ kind: 'VPP_LOST', atMs: 1, message: 'first' });
      expect((await c.call({ unsubscribe: { subscriptionId: sub } })).body).toBe('unsubscribed');
      server.publish({ kind: 'VPP_LOST', atMs: 2, message: 'second' });
      const again = await c.request({ unsubscribe: { subscriptionId: sub } });
      expect(again).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(got).toEqual(['first']);
    } finally {
      await c.close();
    }
  });

  it('serves /healthz (503 when not ready) and /metrics', async () => {
    const a = server.address();
    const h = await fetch(`http://127.0.0.1:${a.port}/healthz`);
    expect(h.status).toBe(503);
    expect(await h.json()).toMatchObject({ status: 'not ready', why: 'scripted' });
    const m = await fetch(`http://127.0.0.1:${a.port}/metrics`);
    expect(await m.text()).toBe('m 1\n');
  });

  it('never logs the token', () => {
    expect(logs.text()).toContain('bearer token');
    expect(logs.text()).not.toContain(token);
    expect(readFileSync(__filename, 'utf8')).toContain(token); // the grep above is meaningful
  });
});

describe('separate health/metrics listener (--metrics)', () => {
  it('serves /healthz and /metrics there and not on the API listener', async () => {
    const { logger } = createLogger({ stream: capture().stream, format: 'json' });
    const server = new ApiServer({
      listen: { host: '127.0.0.1', port: 0 },
      metricsListen: { host: '127.0.0.1', port: 0 },
      token: 'another-token-0123456789',
      logger,
      handler: {
        handle: async () => ({ ok: true }),
        health: () => ({ ready: true, detail: {} }),
        metrics: async () => ({ contentType: 'text/plain', body: 'vppwg_x 1\n' }),
      },
    });
    await server.start();
    try {
      const api = server.address().port;
      const metrics = server.metricsAddress().port;
      expect(metrics).not.toBe(api);
      expect((await fetch(`http://127.0.0.1:${metrics}/healthz`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text()).toBe('vppwg_x 1\n');
      expect((await fetch(`http://127.0.0.1:${api}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${api}/v1`)).status).toBe(426);
    } finally {
      await server.close();
    }
  });
});

describe('peer tracker', () => {
  const a = { interface: 'wg0', name: 'a', publicKey: 'KA', peerIndex: 0, swIfIndex: 3 };
  const b = { interface: 'wg0', name: 'b', publicKey: 'KB', peerIndex: 1, swIfIndex: 3 };

  it('maps events by peer index to public keys and reports transitions once', () => {
    const t = new PeerTracker();
    expect(t.setPeers([a, b]).map((p) => p.name)).toEqual(['a', 'b']);
    t.markSubscribed(a);
    t.markSubscribed(b);
    expect(t.setPeers([a, b])).toEqual([]);
    expect(t.onEvent(1, 2, 100)).toMatchObject({ kind: 'up', peer: { name: 'b', established: true, sinceMs: 100 } });
    expect(t.onEvent(1, 2, 101)).toBeUndefined();
    expect(t.list().find((p) => p.name === 'b')?.lastHandshakeAtMs).toBe(100);
    expect(t.establishedCount()).toBe(1);
    expect(t.onEvent(1, 0, 102)).toMatchObject({ kind: 'down', peer: { name: 'b', established: false } });
    expect(t.onEvent(7, 2)).toBeUndefined();
  });

  it('drops the subscription of a removed slot so a re-added peer is subscribed again', () => {
    const t = new PeerTracker();
    t.setPeers([a, b]);
    t.markSubscribed(a);
    t.markSubscribed(b);
    expect(t.onEvent(0, 1)).toMatchObject({ kind: 'removed', peer: { name: 'a' } });
    // a re-added into the same slot: needs want_wireguard_peer_events again
    expect(t.setPeers([a, b]).map((p) => p.name)).toEqual(['a']);
    // another key reusing slot 1 after b left
    const c = { ...b, name: 'c', publicKey: 'KC' };
    expect(t.setPeers([a, c]).map((p) => p.name)).toEqual(['a', 'c']);
    expect(t.list().map((p) => p.name)).toEqual(['a', 'c']);
  });

  it('keeps when a peer last went established (a handshake) across downs and VPP loss, never from a dump', () => {
    const t = new PeerTracker();
    t.setPeers([a, b]);
    expect(t.seed(0, 2, t.eventMark, 50)).toMatchObject({ kind: 'up' });
    expect(t.list().find((p) => p.name === 'a')?.lastHandshakeAtMs).toBe(0);
    t.onEvent(1, 2, 100);
    t.onEvent(1, 0, 200);
    t.markAllDown(300);
    expect(t.list().find((p) => p.name === 'b')).toMatchObject({ established: false, lastHandshakeAtMs: 100 });
    t.onEvent(1, 2, 400);
    expect(t.list().find((p) => p.name === 'b')?.lastHandshakeAtMs).toBe(400);
  });

  it('counts every peer down when VPP is lost', () => {
    const t = new PeerTracker();
    t.setPeers([a, b]);
    t.onEvent(0, 2, 1);
    t.onEvent(1, 2, 1);
    expect(t.markAllDown(5)).toBe(2);
    expect(t.list().map((p) => [p.established, p.sinceMs])).toEqual([
      [false, 5],
      [false, 5],
    ]);
  });

  it('keeps its established count equal to a recount through any sequence of changes', () => {
    const t = new PeerTracker();
    const pool = Array.from({ length: 8 }, (_, i) => ({
      interface: 'wg0',
      name: `p${i}`,
      publicKey: `K${i}`,
      peerIndex: i,
      swIfIndex: 3,
    }));
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let step = 0; step < 2000; step++) {
      const op = rnd(10);
      if (op === 0) t.setPeers(pool.filter(() => rnd(3) > 0));
      else if (op === 1) t.markAllDown();
      else t.onEvent(rnd(10), [0, 1, 2, 3][rnd(4)]!);
      expect(t.establishedCount()).toBe(t.list().filter((p) => p.established).length);
    }
  });

  it('does not count a subscription to a peer that vanished before VPP registered it', () => {
    // A drift check observed b at slot 1; someone removed b before the subscription reached VPP,
    // which answers 0 anyway. The dump after it no longer has slot 1: b must be asked for again.
    const t = new PeerTracker();
    const first = t.setPeers([a, b]);
    expect(t.confirmSubscriptions(first, [true, true], new Map([[0, 'KA']]))).toBe(1);
    expect(t.setPeers([a, b]).map((p) => p.name)).toEqual(['b']);
    // A failed call is not a subscription either; a confirmed one is not asked for again.
    const again = t.setPeers([a, b]);
    expect(t.confirmSubscriptions(again, [false], new Map([[1, 'KB']]))).toBe(0);
    expect(t.confirmSubscriptions(t.setPeers([a, b]), [true], new Map([[1, 'KB']]))).toBe(1);
    expect(t.setPeers([a, b])).toEqual([]);
  });

  it('lets an event that came while a dump was on its way win over the dump', () => {
    const t = new PeerTracker();
    t.setPeers([a, b]);
    const mark = t.eventMark; // dump asked for: b not yet established in what it will return
    expect(t.onEvent(1, 2)).toMatchObject({ kind: 'up' }); // the handshake completes meanwhile
    expect(t.seed(1, 0, mark)).toBeUndefined(); // the stale dump row does not undo it
    expect(t.list().find((p) => p.name === 'b')?.established).toBe(true);
    expect(t.seed(0, 2, mark)).toMatchObject({ kind: 'up', peer: { name: 'a' } }); // no newer event for a
    expect(t.seed(1, 0, t.eventMark)).toMatchObject({ kind: 'down' }); // a dump asked for later counts
  });

  it('forgets every subscription on a new VPP connection', () => {
    const t = new PeerTracker();
    t.setPeers([a]);
    t.markSubscribed(a);
    t.connectionReset();
    expect(t.setPeers([a])).toHaveLength(1);
  });
});

describe('daemon bus', () => {
  it('calls listeners in order, reports what one throws without stopping the others, and unsubscribes', async () => {
    const errors: string[] = [];
    const bus = new DaemonBus((event, err) => errors.push(`${event}: ${err.message}`));
    const seen: string[] = [];
    const off = bus.on('vpp-ready', ({ first }) => void seen.push(`a ${first}`));
    bus.on('vpp-ready', () => {
      throw new Error('broken part');
    });
    bus.on('vpp-ready', async () => {
      seen.push('c');
      throw new Error('async broken part');
    });
    bus.emit('vpp-ready', { first: true });
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['a true', 'c']);
    expect(errors).toEqual(['vpp-ready: broken part', 'vpp-ready: async broken part']);
    off();
    bus.emit('vpp-ready', { first: false });
    expect(seen).toEqual(['a true', 'c', 'c']);
  });

  it('emitAndWait waits for each listener in turn', async () => {
    const bus = new DaemonBus();
    const order: string[] = [];
    bus.on('vpp-lost', async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('slow');
    });
    bus.on('vpp-lost', () => void order.push('fast'));
    await bus.emitAndWait('vpp-lost', { error: new Error('gone') });
    expect(order).toEqual(['slow', 'fast']);
  });
});

describe('work queue', () => {
  it('runs jobs one at a time in order, past a failing one, and tells when it is idle', async () => {
    const q = new WorkQueue();
    const log: string[] = [];
    const job =
      (name: string, ms: number, fail = false) =>
      () =>
        new Promise<string>((resolve, reject) =>
          setTimeout(() => {
            log.push(name);
            if (fail) reject(new Error(name));
            else resolve(name);
          }, ms),
        );
    const a = q.enqueue(job('a', 30));
    const b = q.enqueue(job('b', 1, true));
    const c = q.enqueue(job('c', 1));
    expect(q.size).toBe(3);
    expect(await q.idle(5)).toBe(false);
    await expect(b).rejects.toThrow('b');
    expect(await Promise.all([a, c])).toEqual(['a', 'c']);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(await q.idle(1000)).toBe(true);
    expect(q.size).toBe(0);
  });
});
