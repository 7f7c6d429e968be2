/**
 * linux-cp in the emulator, through the real client: pairs with VPP's rules and error codes, the
 * default namespace, and routes of the routing daemon (lcp-rt-dynamic) injected and withdrawn
 * through the control socket, as ip_route_v2_dump reports and filters them.
 */
import * as ip from 'vpp-api-ts/ip';
import * as wireguard from 'vpp-api-ts/wireguard';
import * as fib from 'vpp-api-ts/fib';
import * as lcp from 'vpp-api-ts/lcp';
import { VppApiError, VppClient, VppErrno } from '../../src/client';
import { lcpMessages } from '../../src/reconcile/lcp-messages';
import { reconcileMessages } from '../../src/reconcile/vpp/messages';
import { handleControlRequest } from '../../src/sim/control';
import { startSim, type Sim } from '../../src/sim/index';

const ALL = 0xffffffff;
let sim: Sim;
let c: VppClient;

beforeEach(async () => {
  sim = await startSim({ config: { linuxCp: true, uplinks: [{ name: 'host-eth0', addresses: ['192.0.2.1/24'] }] } });
  c = await VppClient.connect({
    socketPath: sim.socketPath,
    reconnect: false,
    timeoutMs: 3000,
    messages: [...reconcileMessages(), ...lcpMessages()],
  });
});
afterEach(async () => {
  await c?.close();
  await sim?.stop();
});

const rv = (p: Promise<unknown>): Promise<number> =>
  p.then(
    () => 0,
    (e: unknown) => {
      if (e instanceof VppApiError) return e.retval;
      throw e;
    },
  );

async function wg(): Promise<number> {
  const r = await c.call(wireguard.wireguard_interface_create, {
    interface: { user_instance: ALL, private_key: new Uint8Array(32).fill(3), port: 51820, src_ip: '192.0.2.1' },
    generate_key: false,
  });
  return r.sw_if_index;
}

const pair = (sw: number, name: string, type: 'tun' | 'tap', isAdd = true) =>
  c.call(lcp.lcp_itf_pair_add_del_v3, {
    is_add: isAdd,
    sw_if_index: sw,
    host_if_name: name,
    host_if_type: type === 'tun' ? 1 : 0,
    netns: '',
  });

const names = async (): Promise<string[]> =>
  (await c.stream(lcp.lcp_itf_pair_get, { cursor: 0 })).map(
    (d) => `${d.phy_sw_if_index}:${d.host_if_name}:${d.host_if_type}:${d.netns}`,
  );

describe('linux-cp pairs in the emulator', () => {
  test('a TUN pair on a WireGuard interface is made, read back in the default netns, and deleted', async () => {
    await c.call(lcp.lcp_default_ns_set, { netns: 'dataplane' });
    expect((await c.call(lcp.lcp_default_ns_get, {})).netns).toBe('dataplane');
    const sw = await wg();
    const r = await pair(sw, 'wg-dc1', 'tun');
    expect(r.host_sw_if_index).not.toBe(ALL);
    expect(await names()).toEqual([`${sw}:wg-dc1:1:dataplane`]);
    await pair(sw, 'wg-dc1', 'tun', false);
    expect(await names()).toEqual([]);
  });

  test("VPP's error codes: a duplicate pair, a missing interface, a TAP on a tunnel, a bad name", async () => {
    const sw = await wg();
    expect(await rv(pair(sw, 'wg-dc1', 'tap'))).toBe(VppErrno.INVALID_ARGUMENT);
    await pair(sw, 'wg-dc1', 'tun');
    expect(await rv(pair(sw, 'wg-dc2', 'tun'))).toBe(VppErrno.VALUE_EXIST);
    expect(await rv(pair(77, 'x', 'tun'))).toBe(VppErrno.INVALID_SW_IF_INDEX);
    expect(await rv(pair(1, 'bad/name', 'tap'))).toBe(VppErrno.INVALID_ARGUMENT);
    expect(await rv(pair(77, 'x', 'tun', false))).toBe(VppErrno.INVALID_SW_IF_INDEX);
    // An uplink (Ethernet) takes a TAP.
    expect(await rv(pair(1, 'e0', 'tap'))).toBe(0);
  });

  test('a deleted interface takes its pair with it', async () => {
    const sw = await wg();
    await pair(sw, 'wg-dc1', 'tun');
    await c.call(wireguard.wireguard_interface_delete, { sw_if_index: sw });
    expect(await names()).toEqual([]);
  });

  test('routes of the routing daemon: injected, reported with their source, filtered, withdrawn', async () => {
    const sw = await wg();
    await pair(sw, 'wg-dc1', 'tun');
    const sources = await c.dump(fib.fib_source_dump, {});
    const dynamic = sources.find((s) => s.src.name === 'lcp-rt-dynamic')!.src;
    expect(dynamic.priority).toBeLessThan(sources.find((s) => s.src.name === 'API')!.src.priority);

    const ok = await handleControlRequest(
      sim,
      JSON.stringify({ op: 'injectRoute', prefix: '203.0.113.0/24', via: '169.254.10.1', swIfIndex: sw }),
    );
    expect(ok).toEqual({ ok: true });
    const table = { table_id: 0, is_ip6: false, name: '' };
    const all = await c.dump(ip.ip_route_v2_dump, { src: 0, table });
    const learned = all.find((d) => d.route.prefix === '203.0.113.0/24')!;
    expect(learned.route.src).toBe(dynamic.id);
    expect(learned.route.paths[0]!.sw_if_index).toBe(sw);
    const api = await c.dump(ip.ip_route_v2_dump, { src: 8, table });
    expect(api.some((d) => d.route.prefix === '203.0.113.0/24')).toBe(false);
    const onlyLearned = await c.dump(ip.ip_route_v2_dump, { src: dynamic.id, table });
    expect(onlyLearned.map((d) => d.route.prefix)).toEqual(['203.0.113.0/24']);
    // An API route for the same prefix is outranked: VPP's filter compares each entry's best
    // source, so the API-filtered dump still leaves the entry out, and the learned one keeps it.
    await c.call(ip.ip_route_add_del, {
      is_add: true,
      is_multipath: false,
      route: {
        table_id: 0,
        prefix: '203.0.113.0/24',
        paths: [{ sw_if_index: sw, table_id: 0, weight: 1, proto: 0, nh: { address: { ip4: '169.254.10.1' } } }],
      },
    });
    expect((await c.dump(ip.ip_route_v2_dump, { src: 8, table })).map((d) => d.route.prefix)).not.toContain(
      '203.0.113.0/24',
    );
    expect((await c.dump(ip.ip_route_v2_dump, { src: dynamic.id, table })).map((d) => d.route.prefix)).toEqual([
      '203.0.113.0/24',
    ]);
    await c.call(ip.ip_route_add_del, {
      is_add: false,
      is_multipath: false,
      route: { table_id: 0, prefix: '203.0.113.0/24', paths: [] },
    });

    sim.control.withdrawRoute({ prefix: '203.0.113.0/24' });
    const after = await c.dump(ip.ip_route_v2_dump, { src: 0, table });
    expect(after.some((d) => d.route.prefix === '203.0.113.0/24')).toBe(false);
  });

  test('the control socket refuses a route through an unpaired interface, naming why', async () => {
    const sw = await wg();
    const r = await handleControlRequest(
      sim,
      JSON.stringify({ op: 'injectRoute', prefix: '203.0.113.0/24', via: '169.254.10.1', swIfIndex: sw }),
    );
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/has no linux-cp pair/) });
    const bad = await handleControlRequest(sim, JSON.stringify({ op: 'injectRoute', via: '1.2.3.4', swIfIndex: sw }));
    expect(bad).toEqual({ ok: false, error: expect.stringMatching(/injectRoute needs a prefix/) });
  });
});
