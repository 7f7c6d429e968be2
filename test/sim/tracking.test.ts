/**
 * Endpoint tracking in the emulator, as a real VPP 26.10-rc0 showed it (test/real-vpp/differential.ts
 * checks the same against a VPP): once a WireGuard interface is up and a route goes via a next hop
 * inside a peer's allowed IPs, VPP tracks that peer's endpoint with a host route in the peer's table
 * (recursive-resolution source) that forwards as its cover does: the cover's paths, or an attached
 * path to the endpoint itself when the cover is a connected prefix, or a drop under the default route.
 * It goes when the interface goes down, the peer goes or the last such route goes (24.10 keeps
 * it through the first two).
 */
import * as ip from 'vpp-api-ts/ip';
import { formatShow, observe, reconcile, showState } from '../../src/reconcile';
import { loadText, startRig, type Rig } from '../reconcile/helpers';

const KEY = 'GeCIdnYT7TtlipAkVb/Q5+ay7kbsk0ve+f9aRTU5flg=';

function file(o: {
  endpoint: string;
  source?: string;
  adminUp?: boolean;
  nextHop?: boolean;
  routes?: string[];
  underlayTable?: number;
}): string {
  return `version: 1
tables: [{ id: 10, name: ul, families: [ipv4, ipv6] }]
uplinks:
  - { name: host-eth0, admin_up: true, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }
routes: [${(o.routes ?? []).join(', ')}]
wireguard:
  - name: wgt
    private_key: generate
    listen_port: 51820
    source: '${o.source ?? '192.0.2.1'}'
    addresses: [10.9.0.1/24]
    admin_up: ${o.adminUp ?? true}
    peers:
      - name: p
        public_key: ${KEY}
        endpoint: { address: '${o.endpoint}', port: 51820 }
        allowed_ips: [10.9.0.2/32]
        ${o.nextHop === false ? '' : 'tunnel_next_hops: [10.9.0.2]'}
        ${o.underlayTable ? `underlay_table: ${o.underlayTable}` : ''}
`;
}

const DEFAULT4 = '{ prefix: 0.0.0.0/0, via: 192.0.2.254, interface: host-eth0 }';

async function routesVia(rig: Rig): Promise<string[]> {
  return showState(await observe(rig.client)).routes.map(
    (r) => `${r.table} ${r.prefix} ${r.paths.map((p) => `via ${p.via} ${p.interface}`).join(', ')}`,
  );
}

async function apply(rig: Rig, text: string): Promise<void> {
  const r = await reconcile(rig.client, loadText(text, 'tracking.yaml'));
  expect(r.error?.message).toBeUndefined();
}

describe('endpoint tracking (recursive-resolution host routes)', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  test('an up interface with a next hop tracks the endpoint through the underlay route', async () => {
    await apply(rig, file({ endpoint: '198.51.100.2', routes: [DEFAULT4] }));
    expect(await routesVia(rig)).toEqual([
      '0 0.0.0.0/0 via 192.0.2.254 host-eth0',
      '0 10.9.0.2/32 via 10.9.0.2 wg0',
      '0 198.51.100.2/32 via 192.0.2.254 host-eth0',
    ]);
  });

  test('`show` says the tracking route is VPP’s own', async () => {
    await apply(rig, file({ endpoint: '198.51.100.2', routes: [DEFAULT4] }));
    const text = formatShow(await observe(rig.client));
    expect(text).toContain(
      "table 0 198.51.100.2/32 via 192.0.2.254 host-eth0 (VPP's own: it tracks a WireGuard peer's endpoint here)",
    );
    // Routes vppwg made carry no such note.
    expect(text).toMatch(/table 0 0\.0\.0\.0\/0 via 192\.0\.2\.254 host-eth0\n/);
  });

  test('no tracking while the interface is down, or without a next hop through the peer', async () => {
    await apply(rig, file({ endpoint: '198.51.100.2', routes: [DEFAULT4], adminUp: false }));
    expect(await routesVia(rig)).not.toContainEqual(expect.stringMatching(/^0 198\.51\.100\.2\/32/));
    await apply(rig, file({ endpoint: '198.51.100.2', routes: [DEFAULT4], nextHop: false }));
    expect(await routesVia(rig)).not.toContainEqual(expect.stringMatching(/^0 198\.51\.100\.2\/32/));
    // Both conditions met again: tracked.
    await apply(rig, file({ endpoint: '198.51.100.2', routes: [DEFAULT4] }));
    expect(await routesVia(rig)).toContain('0 198.51.100.2/32 via 192.0.2.254 host-eth0');
  });

  test('an endpoint on a connected prefix gets an attached path to itself', async () => {
    await apply(rig, file({ endpoint: '192.0.2.50', routes: [DEFAULT4] }));
    expect(await routesVia(rig)).toContain('0 192.0.2.50/32 via 192.0.2.50 host-eth0');
  });

  test('without a covering route the entry drops (and `show`, which lists routes with a next hop, omits it)', async () => {
    await apply(rig, file({ endpoint: '198.51.100.2' }));
    const dump = (await rig.client.dump(ip.ip_route_dump, { table: { table_id: 0, is_ip6: false } })) as {
      route: { prefix: string; paths: { type: number }[] };
    }[];
    const tracked = dump.find((d) => d.route.prefix === '198.51.100.2/32');
    expect(tracked?.route.paths.map((p) => p.type)).toEqual([2]); // FIB_API_PATH_TYPE_DROP
    expect(await routesVia(rig)).not.toContainEqual(expect.stringMatching(/198\.51\.100\.2/));
  });

  test('an IPv6 endpoint, and an endpoint in the peer’s underlay table', async () => {
    await apply(
      rig,
      file({
        endpoint: '2001:db8:0:2::2',
        source: '2001:db8:0:1::1',
        routes: ["{ prefix: '::/0', via: '2001:db8:0:1::fe', interface: host-eth0 }"],
      }),
    );
    expect(await routesVia(rig)).toContain('0 2001:db8:0:2::2/128 via 2001:db8:0:1::fe host-eth0');
    await apply(rig, 'version: 1\n');
    await apply(
      rig,
      file({
        endpoint: '198.51.100.3',
        underlayTable: 10,
        routes: ['{ prefix: 0.0.0.0/0, via: 192.0.2.254, interface: host-eth0, table: 10 }'],
      }),
    );
    const routes = await routesVia(rig);
    expect(routes).toContain('10 198.51.100.3/32 via 192.0.2.254 host-eth0');
    expect(routes).not.toContainEqual(expect.stringMatching(/^0 198\.51\.100\.3/));
  });

  test('24.10 keeps the entry when the interface goes down (it unstacks only); 26.10 drops it', async () => {
    const old = await startRig({ profile: '24.10' });
    try {
      for (const [r, kept] of [
        [old, true],
        [rig, false],
      ] as const) {
        await apply(r, file({ endpoint: '198.51.100.2', routes: [DEFAULT4] }));
        await apply(r, file({ endpoint: '198.51.100.2', routes: [DEFAULT4], adminUp: false }));
        const tracked = (await routesVia(r)).includes('0 198.51.100.2/32 via 192.0.2.254 host-eth0');
        expect({ profile: r === old ? '24.10' : '26.10', tracked }).toEqual({
          profile: r === old ? '24.10' : '26.10',
          tracked: kept,
        });
      }
    } finally {
      await old.close();
    }
  });

  test('the tracking goes with the last route through the peer, and with the peer', async () => {
    await apply(rig, file({ endpoint: '198.51.100.2', routes: [DEFAULT4] }));
    expect(await routesVia(rig)).toContain('0 198.51.100.2/32 via 192.0.2.254 host-eth0');
    await apply(rig, file({ endpoint: '198.51.100.2', routes: [DEFAULT4], nextHop: false }));
    expect(await routesVia(rig)).not.toContainEqual(expect.stringMatching(/^0 198\.51\.100\.2\/32/));
    await apply(rig, file({ endpoint: '198.51.100.2', routes: [DEFAULT4] }));
    expect(await routesVia(rig)).toContain('0 198.51.100.2/32 via 192.0.2.254 host-eth0');
    // An empty file removes the interface and its peer; the underlay route stays (vppwg leaves those).
    await apply(rig, 'version: 1\n');
    expect(await routesVia(rig)).toEqual(['0 0.0.0.0/0 via 192.0.2.254 host-eth0']);
  });
});
