/** The client's one connection state and its typed events, through a scripted VPP. */
import { once } from 'node:events';
import { VppClient, VppDisconnectedError, type ConnectionState } from '../../src/client';
import { backoffDelay } from '../../src/util/backoff';
import { ScriptedServer, tableFor } from '../support/scripted-server';
import { echo, echo_reply, testMessages, thing_event } from './test-defs';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(
  opts: Partial<Parameters<typeof VppClient.connect>[0]> = {},
): Promise<{ server: ScriptedServer; client: VppClient }> {
  const server = await ScriptedServer.start({
    table: tableFor(testMessages),
    onRequest: (f, conn, s) => {
      if (f.nameCrc === echo.nameCrc) conn.send(s.reply(echo_reply, f.context, 0, Buffer.alloc(4)));
    },
  });
  const client = await VppClient.connect({ socketPath: server.socketPath, messages: testMessages, ...opts });
  cleanups.push(async () => {
    await client.close();
    await server.stop();
  });
  return { server, client };
}

describe('VppClient connection state', () => {
  it('goes connected → reconnecting → connected → closing → closed, with events at each step', async () => {
    const { client, server } = await started({ reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
    expect(client.state).toBe('connected');
    const seen: string[] = [];
    client.on('disconnected', (e) => seen.push(`disconnected ${e instanceof VppDisconnectedError} ${client.state}`));
    client.on('reconnecting', (info) => seen.push(`reconnecting ${info.attempt} ${info.delayMs} ${client.state}`));
    client.on('connected', (report) => seen.push(`connected ${report.missing.length} ${client.state}`));
    const reconnected = once(client, 'connected');
    await server.restart(tableFor(testMessages), 30);
    await reconnected;
    // How many attempts it takes depends on timing; each says so while the state is 'reconnecting'.
    expect(seen[0]).toBe('disconnected true reconnecting');
    expect(seen[1]).toBe('reconnecting 1 10 reconnecting');
    expect(seen.slice(1, -1).every((s) => /^reconnecting \d+ \d+ reconnecting$/.test(s))).toBe(true);
    expect(seen.at(-1)).toBe('connected 0 connected');

    const closing = client.close();
    expect(client.state).toBe('closing');
    expect(client.connected).toBe(false);
    await expect(client.call(echo, { value: 1 })).rejects.toThrow(/^echo: the client is closed/);
    await closing;
    expect(client.state).toBe('closed');
    // A connection that was up and is closed still says 'disconnected' (as it always did).
    expect(seen.at(-1)).toBe('disconnected true closed');
  });

  it('with reconnect off, a lost connection leaves the client disconnected, and calls say why', async () => {
    const { client, server } = await started({ reconnect: false });
    const reconnecting: unknown[] = [];
    client.on('reconnecting', (info) => reconnecting.push(info));
    const disconnected = once(client, 'disconnected');
    await server.stop();
    await disconnected;
    expect(client.state).toBe('disconnected');
    await expect(client.call(echo, { value: 1 })).rejects.toThrow(
      /^echo: not connected to VPP at .* \(disconnected; reconnect is off or gave up\)$/,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(reconnecting).toEqual([]);
  });

  it('spaces reconnect attempts by the project backoff, and is disconnected after giving up', async () => {
    const reconnect = { initialDelayMs: 5, maxDelayMs: 12, factor: 2, maxAttempts: 4 };
    const { client, server } = await started({ reconnect });
    const delays: number[] = [];
    client.on('reconnecting', (info) => delays.push(info.delayMs));
    const gaveUp = new Promise<Error>((r) => client.on('error', r));
    await server.stop();
    expect((await gaveUp).message).toMatch(/after 4 attempts/);
    const schedule = { initialMs: 5, maxMs: 12, factor: 2 };
    expect(delays).toEqual([1, 2, 3, 4].map((attempt) => backoffDelay(schedule, attempt)));
    expect(delays).toEqual([5, 10, 12, 12]);
    expect(client.state).toBe('disconnected' satisfies ConnectionState);
  });

  it('close() while reconnecting goes straight to closed and stops the attempts', async () => {
    const { client, server } = await started({ reconnect: { initialDelayMs: 20, maxDelayMs: 20 } });
    const attempts: number[] = [];
    client.on('reconnecting', (info) => attempts.push(info.attempt));
    const disconnected = once(client, 'disconnected');
    await server.stop();
    await disconnected;
    expect(client.state).toBe('reconnecting');
    await client.close();
    expect(client.state).toBe('closed');
    const before = attempts.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(attempts.length).toBe(before);
  });

  it("hands a listener's thrown non-Error to 'error' as an Error", async () => {
    const { client, server } = await started();
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    client.subscribe(thing_event, () => {
      throw 'listener broke';
    });
    server.connections[0]!.send(server.encode(thing_event, { client_index: 0, pid: 0, flags: 1 }));
    while (errors.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(errors[0]).toBeInstanceOf(Error);
    expect(errors[0]!.message).toBe('listener broke');
  });
});
