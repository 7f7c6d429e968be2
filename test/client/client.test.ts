import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  VppClient,
  VppApiError,
  VppDisconnectedError,
  VppIncompatibleError,
  VppProtocolError,
  VppTimeoutError,
  type CompatibilityReport,
} from '../../src/client';
import { bootstrap } from '../../src/client';
import { ScriptedServer, tableFor, type ReceivedFrame, type ServerConnection } from '../support/scripted-server';
import {
  echo,
  echo_reply,
  testMessages,
  thing_details,
  thing_dump,
  thing_event,
  thing_get,
  thing_get_reply,
} from './test-defs';

/** The fake's behaviour for the test messages. */
function fakeVpp(f: ReceivedFrame, conn: ServerConnection, s: ScriptedServer): void {
  if (f.nameCrc === echo.nameCrc) {
    const value = f.body.readUInt32BE(10);
    if (value === 404) return; // VPP silently drops what it cannot handle
    if (value === 7) conn.send(s.encode(thing_event, { client_index: 0, pid: 0, flags: 2 }));
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE((value * 2) >>> 0);
    conn.send(s.reply(echo_reply, f.context, value === 999 ? -116 : 0, tail));
  } else if (f.nameCrc === thing_dump.nameCrc) {
    const count = f.body.readUInt32BE(10);
    const out: Buffer[] = [];
    for (let n = 0; n < count; n++) {
      out.push(s.encode(thing_details, { context: f.context, n }));
      if (n === 1) out.push(s.encode(thing_event, { client_index: 0, pid: 0, flags: 1 }));
    }
    conn.send(...out);
  } else if (f.nameCrc === thing_get.nameCrc) {
    // 10 items, at most 3 per round, as VPP's REPLY_AND_DETAILS_MACRO does under time pressure.
    const cursor = f.body.readUInt32BE(10);
    const out: Buffer[] = [];
    let n = cursor;
    for (; n < 10 && n < cursor + 3; n++) out.push(s.encode(thing_details, { context: f.context, n }));
    const last = n >= 10;
    out.push(s.encode(thing_get_reply, { context: f.context, retval: last ? 0 : -165, cursor: last ? 0xffffffff : n }));
    conn.send(...out);
  }
}

async function setup(
  opts: Partial<Parameters<typeof VppClient.connect>[0]> = {},
  serverOpts: Partial<Parameters<typeof ScriptedServer.start>[0]> = {},
): Promise<{ server: ScriptedServer; client: VppClient }> {
  const server = await ScriptedServer.start({ table: tableFor(testMessages), onRequest: fakeVpp, ...serverOpts });
  const client = await VppClient.connect({
    socketPath: server.socketPath,
    messages: testMessages,
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    ...opts,
  });
  return { server, client };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function started(
  opts: Partial<Parameters<typeof VppClient.connect>[0]> = {},
  serverOpts: Partial<Parameters<typeof ScriptedServer.start>[0]> = {},
): Promise<{ server: ScriptedServer; client: VppClient }> {
  const r = await setup(opts, serverOpts);
  cleanups.push(() => r.server.stop());
  cleanups.push(() => r.client.close());
  return r;
}

describe('VppClient against the scripted server', () => {
  it('connects, reports compatibility and sends the handle as client_index', async () => {
    const { client, server } = await started();
    expect(client.connected).toBe(true);
    expect(client.clientIndex).toBe(0x80000001);
    expect(client.compatibility.changed).toEqual([]);
    expect(client.compatibility.missing).toEqual([]);
    expect(client.compatibility.compatible).toEqual(expect.arrayContaining(['echo', 'control_ping', 'thing_event']));
    expect(client.has('echo')).toBe(true);
    expect(client.has(echo)).toBe(true);
    expect(await client.call(echo, { value: 21 })).toEqual({ context: expect.any(Number), retval: 0, value: 42 });
    const sent = server.received.find((f) => f.nameCrc === echo.nameCrc)!;
    expect(sent.clientIndex).toBe(0x80000001);
    expect(sent.id).toBe(server.idOf(echo));
    expect(sent.context).not.toBe(0);
  });

  it('turns a non-zero retval into VppApiError with the number and its name', async () => {
    const { client } = await started();
    const err = await client.call(echo, { value: 999 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppApiError);
    expect(err).toMatchObject({ msgName: 'echo', retval: -116, errorName: 'ENTRY_ALREADY_EXISTS' });
    expect((err as Error).message).toContain('echo');
    expect((err as Error).message).toContain('-116 ENTRY_ALREADY_EXISTS');
  });

  it('keeps every pipelined reply matched to its caller, replies out of order, within the window', async () => {
    let unanswered = 0;
    let maxUnanswered = 0;
    const held: [ReceivedFrame, ServerConnection][] = [];
    const { client, server } = await started(
      { maxInFlight: 64 },
      {
        onRequest: (f, conn, s) => {
          unanswered++;
          maxUnanswered = Math.max(maxUnanswered, unanswered);
          held.push([f, conn]);
          // Answer in bursts, newest first, so replies come back out of request order.
          if (held.length >= 16 || f.body.readUInt32BE(10) === 2999) {
            const burst = held.splice(0).reverse();
            for (const [hf, hc] of burst) {
              unanswered--;
              fakeVpp(hf, hc, s);
            }
          }
        },
      },
    );
    // Steer clear of the fake's special values (404 unanswered, 999 error, 7 event).
    const values = Array.from({ length: 3000 }, (_, i) => (i === 404 || i === 999 || i === 7 ? i + 10_000 : i));
    const results = await Promise.all(values.map((value) => client.call(echo, { value })));
    expect(results.map((r) => r.value)).toEqual(values.map((v) => v * 2));
    expect(maxUnanswered).toBeLessThanOrEqual(64);
    expect(maxUnanswered).toBeGreaterThan(1);
    expect(server.received.filter((f) => f.nameCrc === echo.nameCrc)).toHaveLength(3000);
  });

  it('times out a call whose reply never comes, naming it, and stays usable; the late reply is dropped', async () => {
    const { client, server } = await started({ traceSize: 8 });
    const err = await client.call(echo, { value: 404 }, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppTimeoutError);
    expect((err as Error).message).toMatch(/^echo \(context \d+\) got no reply within 50 ms/);
    expect(client.connected).toBe(true);
    expect((await client.call(echo, { value: 1 })).value).toBe(2);
    // Now the lost reply turns up: it must not resolve anything or break the stream.
    const lost = server.received.find((f) => f.nameCrc === echo.nameCrc && f.body.readUInt32BE(10) === 404)!;
    server.connections[0]!.send(server.reply(echo_reply, lost.context, 0, Buffer.alloc(4)));
    expect((await client.call(echo, { value: 3 })).value).toBe(6);
    expect(client.stats.lateReplies).toBe(1);
    expect(client.trace().map((t) => [t.message, t.outcome])).toEqual([
      ['sockclnt_create', 'ok'],
      ['echo', 'timeout'],
      ['echo', 'ok'],
      ['echo', 'ok'],
    ]);
  });

  it('counts a timeout from the write: a call waiting for a window slot does not time out meanwhile', async () => {
    const { client, server } = await started({ maxInFlight: 1 });
    const first = client.call(echo, { value: 404 }, { timeoutMs: 150 }).catch((e: unknown) => e);
    const second = client.call(echo, { value: 5 }, { timeoutMs: 100 });
    expect(client.pendingCount).toBe(2);
    expect(await first).toBeInstanceOf(VppTimeoutError);
    expect((await second).value).toBe(10);
    // Never more than the window on the wire: the second was written only after the first gave up.
    const echoes = server.received.filter((f) => f.nameCrc === echo.nameCrc);
    expect(echoes.map((f) => f.body.readUInt32BE(10))).toEqual([404, 5]);
  });

  it('dumps with control_ping on the same context, delivering interleaved events in order', async () => {
    const { client, server } = await started();
    const order: string[] = [];
    client.subscribe(thing_event, (e) => order.push(`event ${e.flags}`));
    const items = await client.dump(thing_dump, { count: 4 });
    order.push('dump resolved');
    expect(items.map((d) => d.n)).toEqual([0, 1, 2, 3]);
    expect(order).toEqual(['event 1', 'dump resolved']);
    const dumpFrame = server.received.find((f) => f.nameCrc === thing_dump.nameCrc)!;
    const ping = server.received[server.received.indexOf(dumpFrame) + 1]!;
    expect(ping.nameCrc).toBe(bootstrap.control_ping.nameCrc);
    expect(ping.context).toBe(dumpFrame.context);
    expect(await client.dump(thing_dump, { count: 0 })).toEqual([]);
    const seen: number[] = [];
    for await (const d of client.dumpIter(thing_dump, { count: 5 })) seen.push(d.n);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('delivers events sent before the reply of the call that caused them before the caller resumes', async () => {
    const { client } = await started();
    const order: string[] = [];
    const off = client.subscribe(thing_event, (e) => order.push(`event ${e.flags}`));
    await client.call(echo, { value: 7 });
    order.push('reply');
    expect(order).toEqual(['event 2', 'reply']);
    off();
    await client.call(echo, { value: 7 });
    expect(order).toEqual(['event 2', 'reply']);
  });

  it('loops a cursor stream while VPP answers EAGAIN', async () => {
    const { client, server } = await started();
    expect((await client.stream(thing_get, {})).map((d) => d.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const cursors = server.received.filter((f) => f.nameCrc === thing_get.nameCrc).map((f) => f.body.readUInt32BE(10));
    expect(cursors).toEqual([0, 3, 6, 9]);
  });

  it('rejects a dump at once when the server closes mid-dump, then reconnects', async () => {
    const { client } = await started(
      {},
      {
        onRequest: (f, conn, s) => {
          if (f.nameCrc === thing_dump.nameCrc) {
            conn.send(
              s.encode(thing_details, { context: f.context, n: 0 }),
              s.encode(thing_details, { context: f.context, n: 1 }),
            );
            setTimeout(() => conn.end(), 20);
          }
        },
        onControlPing: () => undefined, // the dump's end never comes: the server dies first
      },
    );
    const disconnected = once(client, 'disconnected');
    const reconnected = once(client, 'connected');
    const other = client.call(echo, { value: 404 }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    const err = await client.dump(thing_dump, { count: 10 }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppDisconnectedError);
    expect((err as Error).message).toMatch(/^thing_dump: connection to VPP at .* lost/);
    expect(await other).toBeInstanceOf(VppDisconnectedError);
    await disconnected;
    expect(client.connected).toBe(false);
    await expect(client.call(echo, { value: 1 })).rejects.toBeInstanceOf(VppDisconnectedError);
    await reconnected;
    expect(client.connected).toBe(true);
  });

  it('after a restart with a new message table, reconnects and uses the new ids', async () => {
    const { client, server } = await started();
    expect((await client.call(echo, { value: 1 })).value).toBe(2);
    const oldId = server.idOf(echo);
    const events: string[] = [];
    client.on('disconnected', () => events.push('disconnected'));
    client.on('reconnecting', (r: { attempt: number }) => events.push(`reconnecting ${r.attempt}`));
    const reconnected = once(client, 'connected');
    const seenEvents: number[] = [];
    client.subscribe(thing_event, (e) => seenEvents.push(e.flags));
    await server.restart(tableFor([...testMessages].reverse(), 700), 30);
    const [report] = (await reconnected) as [CompatibilityReport];
    expect(report.missing).toEqual([]);
    expect(events[0]).toBe('disconnected');
    expect(events[1]).toBe('reconnecting 1');
    const newId = server.idOf(echo);
    expect(newId).not.toBe(oldId);
    expect((await client.call(echo, { value: 7 })).value).toBe(14);
    const last = server.received.filter((f) => f.nameCrc === echo.nameCrc).at(-1)!;
    expect(last.id).toBe(newId);
    // The event id changed too: the subscription follows it.
    expect(seenEvents).toEqual([2]);
  });

  it('when VPP comes back without a required message, reports it and keeps retrying until it is there', async () => {
    const { client, server } = await started({ requireMessages: ['echo'] });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    const attempts: number[] = [];
    client.on('reconnecting', (r: { attempt: number }) => attempts.push(r.attempt));
    await server.restart(tableFor(testMessages.filter((d) => d !== echo)));
    while (errors.length === 0 || attempts.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(client.connected).toBe(false);
    expect(errors[0]).toBeInstanceOf(VppIncompatibleError);
    expect((errors[0] as Error).message).toContain('echo (ours e0000001) is missing');
    const reconnected = new Promise((r) => client.once('connected', r));
    await server.restart(tableFor(testMessages));
    await reconnected;
    expect((await client.call(echo, { value: 4 })).value).toBe(8);
  });

  it('gives up after maxAttempts reconnects, saying so', async () => {
    const { client, server } = await started({ reconnect: { initialDelayMs: 5, maxDelayMs: 10, maxAttempts: 2 } });
    const gaveUp = new Promise<Error>((r) => client.on('error', r));
    await server.stop();
    expect((await gaveUp).message).toMatch(/gave up reconnecting to VPP at .* after 2 attempts/);
    expect(client.connected).toBe(false);
  });

  it('holds requests while the socket is full and sends them when VPP reads again', async () => {
    const { client, server } = await started({ maxInFlight: 100_000 });
    server.connections[0]!.socket.pause();
    const calls = Array.from({ length: 12_000 }, (_, i) => client.call(echo, { value: i + 10_000 }));
    await new Promise((r) => setTimeout(r, 100));
    expect(client.stats.writeStalls).toBeGreaterThan(0);
    server.connections[0]!.socket.resume();
    const results = await Promise.all(calls);
    expect(results.map((r) => r.value)).toEqual(results.map((_, i) => (i + 10_000) * 2));
  });

  it('reports a changed CRC at connect naming both CRCs, and never sends that message', async () => {
    const table = tableFor(testMessages);
    const id = table.get(echo.nameCrc)!;
    table.delete(echo.nameCrc);
    table.set('echo_deadbeef', id);
    const { client, server } = await started({}, { table });
    expect(client.compatibility.changed).toEqual([{ name: 'echo', ours: 'e0000001', theirs: 'deadbeef' }]);
    expect(client.has('echo')).toBe(false);
    const err = await client.call(echo, { value: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppIncompatibleError);
    expect((err as Error).message).toContain('echo has CRC deadbeef, ours e0000001');
    expect(server.received.some((f) => f.id === id)).toBe(false);
    // Other messages stay usable.
    expect(await client.dump(thing_dump, { count: 1 })).toEqual([{ context: expect.any(Number), n: 0 }]);
  });

  it('fails connect listing every required message that is missing or changed', async () => {
    const table = tableFor(testMessages.filter((d) => d !== thing_get));
    const id = table.get(echo.nameCrc)!;
    table.delete(echo.nameCrc);
    table.set('echo_0badc0de', id);
    const server = await ScriptedServer.start({ table, onRequest: fakeVpp });
    cleanups.push(() => server.stop());
    const err = await VppClient.connect({
      socketPath: server.socketPath,
      messages: testMessages,
      requireMessages: ['echo', 'thing_get', 'thing_dump', 'no_such_message'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppIncompatibleError);
    const names = (err as VppIncompatibleError).messages.map((m) => [m.name, m.ours, m.theirs]);
    expect(names).toEqual([
      ['echo', 'e0000001', '0badc0de'],
      ['thing_get', 'e0000006', undefined],
      ['no_such_message', 'none (no binding generated)', undefined],
    ]);
    expect((err as Error).message).toContain('echo has CRC 0badc0de, ours e0000001');
    expect((err as Error).message).toContain('thing_get (ours e0000006) is missing');
  });

  it('never uses context 0 and wraps past 2^32-1', async () => {
    const { client, server } = await started();
    (client as unknown as { book: { nextContext: number } }).book.nextContext = 0xfffffffe;
    await Promise.all([1, 2, 3].map((value) => client.call(echo, { value })));
    const contexts = server.received.filter((f) => f.nameCrc === echo.nameCrc).map((f) => f.context);
    expect(contexts).toEqual([0xfffffffe, 0xffffffff, 1]);
  });

  it('treats an oversized frame from VPP as a connection error, then reconnects', async () => {
    const { client, server } = await started({ maxFrameBytes: 1000 });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    const header = Buffer.alloc(16);
    header.writeUInt32BE(5000, 8);
    const pending = client.call(echo, { value: 404 }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    server.connections[0]!.sendRaw(header);
    expect(await pending).toBeInstanceOf(VppDisconnectedError);
    expect(errors[0]).toBeInstanceOf(VppProtocolError);
    expect((errors[0] as Error).message).toMatch(/5000 bytes, over maxFrameBytes 1000/);
    // (events.once rejects on 'error', so wait for 'connected' only after the error was seen.)
    if (!client.connected) await once(client, 'connected');
    expect((await client.call(echo, { value: 2 })).value).toBe(4);
  });

  it('close() sends sockclnt_delete with the handle and does not reconnect', async () => {
    const { client, server } = await setup();
    cleanups.push(() => server.stop());
    let reconnecting = false;
    client.on('reconnecting', () => (reconnecting = true));
    await client.close();
    const del = server.received.find((f) => f.nameCrc === bootstrap.sockclnt_delete.nameCrc)!;
    expect(del.body.readUInt32BE(10)).toBe(0x80000001);
    expect(client.connected).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(reconnecting).toBe(false);
    await expect(client.call(echo, { value: 1 })).rejects.toThrow(/echo: the client is closed/);
  });

  it('rejects a call whose value cannot be encoded, without disturbing the others', async () => {
    const { client } = await started();
    const bad = client.call(echo, { value: 'x' as unknown as number });
    const good = client.call(echo, { value: 5 });
    await expect(bad).rejects.toThrow(/echo: cannot encode the request: echo.value: not a number/);
    expect((await good).value).toBe(10);
  });

  it('rejects an unencodable call that waited for a window slot, and the queue behind it still goes out', async () => {
    // Beyond the window values wait unencoded; the bad one is found when a reply frees its slot.
    const { client, server } = await started({ maxInFlight: 2 });
    const values = [1, 2, 3, 'x' as unknown as number, 5, 6];
    const calls = values.map((value) => client.call(echo, { value }));
    const settled = await Promise.allSettled(calls);
    expect(settled[3]).toMatchObject({ status: 'rejected' });
    expect(String((settled[3] as PromiseRejectedResult).reason)).toMatch(/echo: cannot encode the request: echo.value/);
    const good = settled.filter((s) => s.status === 'fulfilled').map((s) => (s.value as { value: number }).value);
    expect(good).toEqual([2, 4, 6, 10, 12]);
    const sentValues = server.received.filter((f) => f.nameCrc === echo.nameCrc).map((f) => f.body.readUInt32BE(10));
    expect(sentValues).toEqual([1, 2, 3, 5, 6]);
    expect(client.pendingCount).toBe(0);
  });

  it('callMany returns every reply in order through a window smaller than the batch', async () => {
    const { client, server } = await started({ maxInFlight: 4 });
    const values = Array.from({ length: 50 }, (_, i) => ({ value: i + 10 }));
    const batch = client.callMany(echo, values);
    expect(client.pendingCount).toBe(50);
    const replies = await batch;
    expect(replies.map((r) => r.value)).toEqual(values.map((v) => v.value * 2));
    expect(new Set(replies.map((r) => r.context)).size).toBe(50);
    const sent = server.received.filter((f) => f.nameCrc === echo.nameCrc).map((f) => f.body.readUInt32BE(10));
    expect(sent).toEqual(values.map((v) => v.value));
    expect(client.pendingCount).toBe(0);
    expect(await client.callMany(echo, [])).toEqual([]);
  });

  it('callMany sends every request and rejects with the first failure in values order', async () => {
    const { client, server } = await started({ maxInFlight: 3 });
    const values = [1, 2, 'x' as unknown as number, 4, 999, 6].map((value) => ({ value }));
    const err = await client.callMany(echo, values).catch((e: unknown) => e);
    expect(String(err)).toMatch(/echo: cannot encode the request: echo.value/);
    const sent = server.received.filter((f) => f.nameCrc === echo.nameCrc).map((f) => f.body.readUInt32BE(10));
    expect(sent).toEqual([1, 2, 4, 999, 6]);
    const apiErr = await client.callMany(echo, [{ value: 3 }, { value: 999 }, { value: 5 }]).catch((e: unknown) => e);
    expect(apiErr).toBeInstanceOf(VppApiError);
    expect(apiErr).toMatchObject({ msgName: 'echo', retval: -116 });
    expect(client.pendingCount).toBe(0);
  });

  it('callMany rejects with VppDisconnectedError when VPP goes away mid-batch, sent or not', async () => {
    const { client } = await started(
      { maxInFlight: 2, reconnect: false },
      {
        onRequest: (f, conn, s) => {
          if (f.nameCrc === echo.nameCrc && f.body.readUInt32BE(10) === 3) conn.end();
          else fakeVpp(f, conn, s);
        },
      },
    );
    const values = Array.from({ length: 20 }, (_, i) => ({ value: i + 1 }));
    const err = await client.callMany(echo, values, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppDisconnectedError);
    expect((err as Error).message).toMatch(/^echo: connection to VPP at .* lost/);
    expect(client.pendingCount).toBe(0);
    await expect(client.callMany(echo, values)).rejects.toBeInstanceOf(VppDisconnectedError);
  });

  it('refuses bad options up front, naming the option', async () => {
    await expect(VppClient.connect({ timeoutMs: 0 })).rejects.toThrow(
      /option timeoutMs must be a positive number, got 0/,
    );
    await expect(VppClient.connect({ maxInFlight: 0 })).rejects.toThrow(/option maxInFlight must be an integer >= 1/);
    await expect(VppClient.connect({ clientName: 'x'.repeat(64) })).rejects.toThrow(
      /option clientName must be at most 63 bytes/,
    );
    await expect(VppClient.connect({ reconnect: { factor: 0.5 } })).rejects.toThrow(
      /option reconnect.factor must be a number >= 1/,
    );
  });

  it('fails to connect with a clear error when nothing listens', async () => {
    await expect(VppClient.connect({ socketPath: '/nonexistent/dir/api.sock' })).rejects.toThrow(
      /cannot connect to VPP at \/nonexistent\/dir\/api.sock: ENOENT \(no socket there: is VPP running, with this path as socksvr/,
    );
  });

  it('says what to check when the path is not VPP: a plain file, a silent listener, a CLI socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vppwg-notvpp-'));
    const file = join(dir, 'file');
    writeFileSync(file, '');
    await expect(VppClient.connect({ socketPath: file })).rejects.toThrow(
      /ECONNREFUSED \(nothing listens there: VPP is stopped, or the file is a stale socket or not a socket\)/,
    );
    // A listener that never answers (a wrong service), one that talks telnet and prints a banner as
    // VPP's cli-listen does, and one that hangs up at once.
    const banner = Buffer.from('\xff\xfb\x01\xff\xfb\x03\r\n    _______    _        _   _____  ___\r\n', 'latin1');
    const servers = [createServer(() => undefined), createServer((s) => s.write(banner)), createServer((s) => s.end())];
    const paths = [join(dir, 'silent.sock'), join(dir, 'cli.sock'), join(dir, 'closer.sock')];
    await Promise.all(servers.map((srv, i) => new Promise<void>((r) => srv.listen(paths[i], r))));
    try {
      const silent = VppClient.connect({ socketPath: paths[0], timeoutMs: 200, reconnect: false });
      await expect(silent).rejects.toThrow(
        /did not answer VPP's handshake \(sockclnt_create\) within 200 ms; is it VPP's binary API socket .* not its CLI socket \(cli-listen\)\?/,
      );
      const cli = VppClient.connect({ socketPath: paths[1], timeoutMs: 2000, reconnect: false });
      await expect(cli).rejects.toThrow(/: it sent bytes that are not VPP API frames \(frame 0 from VPP announces/);
      const closer = VppClient.connect({ socketPath: paths[2], timeoutMs: 2000, reconnect: false });
      await expect(closer).rejects.toThrow(
        /: it closed the connection during the handshake \(sockclnt_create\); is it VPP's/,
      );
    } finally {
      for (const srv of servers) srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
