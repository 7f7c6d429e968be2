/**
 * Each fault of the control API, shown by its effect on the real client (src/client) and, for
 * the process form, through the control socket of `vppwg sim`.
 */
import * as itf from 'vpp-api-ts/interface';
import * as memclnt from 'vpp-api-ts/memclnt';
import * as vpe from 'vpp-api-ts/vpe';
import * as wireguard from 'vpp-api-ts/wireguard';
import { VppApiError, VppClient, VppDisconnectedError, VppTimeoutError } from '../../src/client';
import { startSim, type Sim } from '../../src/sim/index';

type Snap = { interfaces: { name: string; adminUp: boolean }[]; wireguardInterfaces: unknown[] };

const KEY = new Uint8Array(32).fill(7);

describe('emulator faults, as a client sees them', () => {
  let sim: Sim;
  let client: VppClient | undefined;

  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await sim.stop();
  });

  const connect = async (
    opts: { reconnect?: false | { initialDelayMs: number; maxDelayMs: number }; timeoutMs?: number } = {},
  ) => {
    client = await VppClient.connect({
      socketPath: sim.socketPath,
      reconnect: opts.reconnect ?? false,
      timeoutMs: opts.timeoutMs ?? 2000,
    });
    client.on('error', () => undefined);
    return client;
  };
  const ping = (c: VppClient, timeoutMs?: number) =>
    c.call(memclnt.control_ping, {}, timeoutMs ? { timeoutMs } : undefined);

  test('closeAfter(n): n calls are answered, then the connection drops and later calls fail as disconnected', async () => {
    const c = await connect();
    sim.control.closeAfter(2);
    await ping(c);
    await c.call(vpe.show_version, {});
    await expect(ping(c)).rejects.toBeInstanceOf(VppDisconnectedError);
    expect(c.connected).toBe(false);
  });

  test('closeNow(): a call in flight is rejected as disconnected', async () => {
    const c = await connect();
    sim.control.delayReplies(500);
    const pending = ping(c);
    await new Promise((r) => setTimeout(r, 50));
    sim.control.closeNow();
    await expect(pending).rejects.toBeInstanceOf(VppDisconnectedError);
  });

  test('delayReplies(ms): replies come no sooner than the delay; a shorter timeout expires', async () => {
    const c = await connect();
    sim.control.delayReplies(300);
    const t0 = Date.now();
    await ping(c);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    await expect(ping(c, 100)).rejects.toBeInstanceOf(VppTimeoutError);
    sim.control.delayReplies(0);
    await new Promise((r) => setTimeout(r, 300)); // let the late reply of the timed-out call drain
    await ping(c);
  });

  test('failNth(msg, n, retval): exactly the nth call fails with that retval and changes nothing', async () => {
    const c = await connect();
    sim.control.failNth('wireguard_interface_create', 2, -31);
    const create = (port: number) =>
      c.call(wireguard.wireguard_interface_create, {
        interface: {
          user_instance: 0xffffffff,
          sw_if_index: 0,
          private_key: KEY,
          public_key: new Uint8Array(32),
          port,
          src_ip: '192.0.2.1',
        },
        generate_key: false,
      } as never);
    const first = (await create(51820)) as { sw_if_index: number };
    expect(first.sw_if_index).toBe(1);
    const err = await create(51821).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppApiError);
    expect((err as VppApiError).retval).toBe(-31);
    expect((sim.snapshot() as Snap).wireguardInterfaces).toHaveLength(1);
    const third = (await create(51822)) as { sw_if_index: number };
    expect(third.sw_if_index).toBe(2);
  });

  test('dropReply(msg): the call takes effect but its reply never comes; the next call is answered', async () => {
    const c = await connect();
    const loop = (await c.call(itf.create_loopback_instance, {
      mac_address: '00:00:00:00:00:00',
      is_specified: false,
      user_instance: 0,
    } as never)) as {
      sw_if_index: number;
    };
    sim.control.dropReply('sw_interface_set_flags');
    await expect(
      c.call(itf.sw_interface_set_flags, { sw_if_index: loop.sw_if_index, flags: 1 } as never, { timeoutMs: 200 }),
    ).rejects.toBeInstanceOf(VppTimeoutError);
    expect((sim.snapshot() as Snap).interfaces.find((i) => i.name === 'loop0')!.adminUp).toBe(true);
    await c.call(itf.sw_interface_set_flags, { sw_if_index: loop.sw_if_index, flags: 0 } as never);
    expect((sim.snapshot() as Snap).interfaces.find((i) => i.name === 'loop0')!.adminUp).toBe(false);
  });

  test('pauseReading(ms): requests sit unread for that long, then are answered', async () => {
    const c = await connect();
    sim.control.pauseReading(300);
    const t0 = Date.now();
    await ping(c);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await expect(
      (async () => {
        sim.control.pauseReading(300);
        return ping(c, 100);
      })(),
    ).rejects.toBeInstanceOf(VppTimeoutError);
  });

  test('restart(): connections drop, state is gone, message ids change; a reconnecting client carries on', async () => {
    const c = await connect({ reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
    await c.call(itf.create_loopback_instance, {
      mac_address: '00:00:00:00:00:00',
      is_specified: false,
      user_instance: 0,
    } as never);
    const idsBefore = sim.messageIds();
    const pingIdBefore = c.messageId(vpe.show_version);
    const reconnected = new Promise<void>((resolve) => c.once('connected', () => resolve()));
    await sim.control.restart();
    await reconnected;
    const idsAfter = sim.messageIds();
    expect(idsAfter).not.toEqual(idsBefore);
    expect(idsAfter['control_ping_51077d14']).toBe(23); // memclnt keeps its fixed ids
    expect(c.messageId(vpe.show_version)).not.toBe(pingIdBefore);
    expect((sim.snapshot() as Snap).interfaces.map((i) => i.name)).toEqual(['local0']);
    const v = (await c.call(vpe.show_version, {})) as { version: string };
    expect(v.version).toMatch(/^26\.10/);
  });

  test('restart({downMs}): the socket is away for that long, then a fresh VPP answers', async () => {
    const c = await connect();
    const t0 = Date.now();
    const restarting = sim.control.restart({ downMs: 300 });
    await new Promise((r) => setTimeout(r, 50));
    await expect(VppClient.connect({ socketPath: sim.socketPath, reconnect: false })).rejects.toThrow();
    await restarting;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(c.connected).toBe(false);
    const fresh = await VppClient.connect({ socketPath: sim.socketPath, reconnect: false });
    await ping(fresh);
    await fresh.close();
  });

  test('faults from the config apply from the start', async () => {
    await sim.stop();
    sim = await startSim({ config: { faults: [{ op: 'failNth', msg: 'control_ping', n: 1, retval: -1 }] } });
    const c = await connect();
    await expect(ping(c)).rejects.toMatchObject({ retval: -1 });
    await ping(c);
  });
});
