/**
 * The client against the emulator (src/sim): VPP's real semantics and message tables, with faults
 * injected the way VPP fails (dropped replies, connection loss, restart with new ids, other CRCs).
 */
import { once } from 'node:events';
import * as ip from 'vpp-api-ts/ip';
import * as vpe from 'vpp-api-ts/vpe';
import * as wireguard from 'vpp-api-ts/wireguard';
import * as iface from 'vpp-api-ts/interface';
import { VppApiError, VppClient, VppDisconnectedError, VppIncompatibleError, VppTimeoutError } from '../../src/client';
import { startSim, type Sim, type SimConfig } from '../../src/sim';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function withSim(
  config: SimConfig = {},
  opts: Parameters<typeof VppClient.connect>[0] = {},
): Promise<{ sim: Sim; client: VppClient }> {
  const sim = await startSim({
    config: { uplinks: [{ name: 'eth0', addresses: ['192.0.2.1/24'], up: true }], ...config },
  });
  cleanups.push(() => sim.stop());
  const client = await VppClient.connect({
    socketPath: sim.socketPath,
    reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
    ...opts,
  });
  cleanups.push(() => client.close());
  return { sim, client };
}

function route(i: number, table = 0) {
  return {
    is_add: true,
    route: {
      table_id: table,
      prefix: `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`,
      paths: [{ sw_if_index: 1, table_id: 0, weight: 1, proto: 0, nh: { address: { ip4: '192.0.2.2' } } }],
    },
  };
}

describe('VppClient against the emulator', () => {
  it('keeps every pipelined reply (and error) matched to its caller under load', async () => {
    const { client } = await withSim({}, { maxInFlight: 128 });
    // Even calls succeed, odd ones go to a missing table and fail with -3: each caller must get its own outcome.
    const calls = Array.from({ length: 2000 }, (_, i) =>
      client.call(ip.ip_route_add_del, route(i, i % 2 === 0 ? 0 : 55)).then(
        () => 'ok',
        (e: unknown) => (e instanceof VppApiError ? e.retval : String(e)),
      ),
    );
    const loopbacks = Array.from({ length: 200 }, () => client.call(iface.create_loopback_instance, {}));
    const outcomes = await Promise.all(calls);
    expect(outcomes).toEqual(outcomes.map((_, i) => (i % 2 === 0 ? 'ok' : -3)));
    const indexes = (await Promise.all(loopbacks)).map((r) => r.sw_if_index);
    expect(new Set(indexes).size).toBe(200);
    const dumped = await client.dump(iface.sw_interface_dump, { sw_if_index: 0xffffffff });
    expect(indexes.every((i) => dumped.some((d) => d.sw_if_index === i))).toBe(true);
    const routes = await client.dump(ip.ip_route_dump, { table: { table_id: 0, is_ip6: false } });
    expect(routes.filter((r) => r.route.prefix.startsWith('10.')).length).toBe(1000);
  });

  it('times out a call whose reply VPP never sends, and the connection stays usable', async () => {
    const { sim, client } = await withSim();
    sim.control.dropReply('show_version');
    const err = await client.call(vpe.show_version, {}, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppTimeoutError);
    expect((err as Error).message).toMatch(/^show_version \(context \d+\) got no reply within 100 ms/);
    expect((await client.call(vpe.show_version, {})).program).toBe('vpe');
  });

  it('rejects a dump when VPP closes the connection mid-dump, then reconnects', async () => {
    const { sim, client } = await withSim();
    const reconnected = once(client, 'connected');
    // The dump request is the next one handled: the connection closes right after its details,
    // before the control_ping that would end the dump.
    sim.control.closeAfter(1);
    const err = await client.dump(iface.sw_interface_dump, { sw_if_index: 0xffffffff }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppDisconnectedError);
    expect((err as Error).message).toMatch(/^sw_interface_dump: /);
    await reconnected;
    sim.control.clearFaults();
    expect((await client.dump(iface.sw_interface_dump, { sw_if_index: 0xffffffff })).length).toBeGreaterThanOrEqual(2);
  });

  it('after a VPP restart with new message ids, reconnects and uses the new ids', async () => {
    const { sim, client } = await withSim({ shuffleModules: true });
    const tableBefore = sim.messageIds();
    const before = tableBefore[wireguard.wireguard_interface_create.nameCrc];
    expect(client.messageId(wireguard.wireguard_interface_create)).toBe(before);
    const pending = client.call(vpe.show_version, {}, { timeoutMs: 60_000 });
    sim.control.delayReplies(200);
    const reconnected = once(client, 'connected');
    await sim.control.restart({ downMs: 50 });
    await expect(pending).rejects.toBeInstanceOf(VppDisconnectedError);
    await reconnected;
    sim.control.clearFaults();
    const after = sim.messageIds()[wireguard.wireguard_interface_create.nameCrc];
    expect(client.messageId(wireguard.wireguard_interface_create)).toBe(after);
    const ids = sim.messageIds();
    const moved = Object.keys(ids).filter((k) => ids[k] !== tableBefore[k]);
    expect(moved.length).toBeGreaterThan(0);
    for (const k of Object.keys(ids)) expect([k, client.messageId(k)]).toEqual([k, ids[k]]);
    const created = await client.call(wireguard.wireguard_interface_create, {
      interface: { user_instance: 0xffffffff, port: 51820, src_ip: '192.0.2.1' },
      generate_key: true,
    });
    expect(created.sw_if_index).toBeGreaterThan(0);
  });

  it('reports a changed CRC at connect, naming the message and both CRCs, and never sends it', async () => {
    const { sim, client } = await withSim({ crcOverrides: { wireguard_peer_add: 'deadbeef' } });
    expect(client.compatibility.changed).toContainEqual({
      name: 'wireguard_peer_add',
      ours: '9b8aad61',
      theirs: 'deadbeef',
    });
    expect(client.has('wireguard_peer_add')).toBe(false);
    sim.resetCounters();
    const err = await client
      .call(wireguard.wireguard_peer_add, { peer: { allowed_ips: ['10.0.0.0/24'] } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppIncompatibleError);
    expect((err as Error).message).toContain('wireguard_peer_add has CRC deadbeef, ours 9b8aad61');
    expect(sim.counters().wireguard_peer_add ?? 0).toBe(0);
  });

  it('against the 24.10 profile, requireMessages fails listing every missing message', async () => {
    const sim = await startSim({ config: { profile: '24.10' } });
    cleanups.push(() => sim.stop());
    const err = await VppClient.connect({
      socketPath: sim.socketPath,
      requireMessages: ['wireguard_peer_add', 'wireguard_peer_add_v2', 'wireguard_peers_v2_dump'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppIncompatibleError);
    expect((err as VppIncompatibleError).messages.map((m) => m.name)).toEqual([
      'wireguard_peer_add_v2',
      'wireguard_peers_v2_dump',
    ]);
    const ok = await VppClient.connect({ socketPath: sim.socketPath, reconnect: false });
    cleanups.push(() => ok.close());
    expect(ok.compatibility.missing).toEqual(
      expect.arrayContaining(['wireguard_peer_add_v2', 'wireguard_peers_v2_dump']),
    );
    expect(ok.has('wireguard_peer_add')).toBe(true);
  });

  it('never puts a key into an encode error, even when the key is given in the wrong form', async () => {
    const { client } = await withSim();
    const key = 'yLPy0oXiFow/ZVqJnt+CZ2Fb0L0RCVK3omr5EPdv2FQ=';
    const err = await client
      .call(wireguard.wireguard_interface_create, {
        interface: { user_instance: 0xffffffff, port: 51820, src_ip: '192.0.2.1', private_key: key as never },
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^wireguard_interface_create: cannot encode the request: .*private_key/);
    expect((err as Error).message).toContain('[redacted]');
    expect(`${(err as Error).message} ${(err as Error).stack}`).not.toContain(key.slice(0, 20));
  });

  it('never puts a key into an encode error from callMany, when the bad value waited for a window slot', async () => {
    const { client } = await withSim({}, { maxInFlight: 1 });
    const key = 'yLPy0oXiFow/ZVqJnt+CZ2Fb0L0RCVK3omr5EPdv2FQ=';
    const good = { interface: { user_instance: 0xffffffff, port: 51820, src_ip: '192.0.2.1' } };
    const bad = { interface: { ...good.interface, port: 51821, private_key: key as never } };
    const err = await client.callMany(wireguard.wireguard_interface_create, [good, bad]).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^wireguard_interface_create: cannot encode the request: .*private_key/);
    expect((err as Error).message).toContain('[redacted]');
    expect(`${(err as Error).message} ${(err as Error).stack}`).not.toContain(key.slice(0, 20));
  });

  it('delivers wireguard_peer_event in order, before the reply of the removal that caused them', async () => {
    const { sim, client } = await withSim();
    const wg = await client.call(wireguard.wireguard_interface_create, {
      interface: { user_instance: 0xffffffff, port: 51820, src_ip: '192.0.2.1' },
      generate_key: true,
    });
    const add = await client.call(wireguard.wireguard_peer_add, {
      peer: {
        public_key: new Uint8Array(32).fill(9),
        endpoint: '192.0.2.2',
        port: 51820,
        sw_if_index: wg.sw_if_index,
        allowed_ips: ['198.51.100.2/32'],
      },
    });
    await client.call(wireguard.want_wireguard_peer_events, {
      sw_if_index: wg.sw_if_index,
      peer_index: add.peer_index,
      enable_disable: 1,
      pid: process.pid,
    });
    const seen: string[] = [];
    client.subscribe(wireguard.wireguard_peer_event, (e) => seen.push(`event ${e.peer_index} ${e.flags}`));
    expect(sim.control.establishPeer(add.peer_index)).toBe(true);
    await client.call(vpe.show_version, {});
    expect(seen).toEqual([`event ${add.peer_index} 2`]);
    await client.call(wireguard.wireguard_peer_remove, { peer_index: add.peer_index });
    seen.push('remove reply');
    expect(seen.slice(1)).toEqual([`event ${add.peer_index} 0`, `event ${add.peer_index} 1`, 'remove reply']);
  });
});
