/**
 * A reconcile reads only the routes it can act on: routes through WireGuard interfaces and the
 * prefixes the file wants. A VPP carrying a large table via its uplink is passed over (show still
 * lists everything), a wanted prefix that VPP routes elsewhere is replaced and on rollback restored,
 * and a previous run's state is not trusted for a prefix it did not read.
 */
import { VppErrno } from '../../src/client';
import * as iface from 'vpp-api-ts/interface';
import * as ip from 'vpp-api-ts/ip';
import { observe, reconcile, showState } from '../../src/reconcile';
import { loadText, startRig, type Rig } from './helpers';

const PEER_KEY = Buffer.alloc(32, 7).toString('base64');

/** One wg interface with one peer; `extra` adds routes to the peer's list (each inside its allowed IPs). */
function desired(extraAllowed: string[] = [], extraRoutes: string[] = []): string {
  return `
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }
wireguard:
  - name: wg0
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.9.0.1/24]
    peers:
      - name: branch
        public_key: "${PEER_KEY}"
        endpoint: { address: 198.51.100.2, port: 51820 }
        allowed_ips: [10.9.0.2/32, 172.20.0.0/16${extraAllowed.map((a) => `, ${a}`).join('')}]
        tunnel_next_hops: [10.9.0.2]
        routes: [{ prefix: 172.20.0.0/16 }${extraRoutes.map((r) => `, { prefix: ${r} }`).join('')}]
`;
}

async function uplinkIndex(rig: Rig): Promise<number> {
  const rows = await rig.client.dump(iface.sw_interface_dump, {
    sw_if_index: 0xffffffff,
    name_filter_valid: false,
    name_filter: '',
  });
  return rows.find((r) => r.interface_name === 'host-eth0')!.sw_if_index;
}

/** `n` /24s in 20.0.0.0/8 and more, plus `also`, via the uplink's gateway: routes vppwg did not make. */
async function foreignRoutes(rig: Rig, n: number, also: string[] = []): Promise<void> {
  const uplink = await uplinkIndex(rig);
  const prefixes = [
    ...Array.from({ length: n }, (_, k) => `${20 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}.0/24`),
    ...also,
  ];
  await rig.client.callMany(
    ip.ip_route_add_del,
    prefixes.map((prefix) => ({
      is_add: true,
      is_multipath: false,
      route: {
        table_id: 0,
        prefix,
        paths: [{ sw_if_index: uplink, table_id: 0, weight: 1, proto: 0, nh: { address: { ip4: '192.0.2.254' } } }],
      },
    })),
  );
}

describe('routes a reconcile reads', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  test('foreign routes via the uplink stay out of the reconcile’s state, and stay in VPP and in show', async () => {
    await foreignRoutes(rig, 3000);
    const first = await reconcile(rig.client, loadText(desired()));
    expect(first.ok).toBe(true);
    const again = await reconcile(rig.client, loadText(desired()));
    expect(again.plan.isEmpty).toBe(true);
    const kept = [...again.actual!.routes.values()].map((r) => r.prefix);
    // Only the wg interface's route and next hop (the emulator's uplink routes are not wanted either).
    expect(kept.sort()).toEqual(['10.9.0.2/32', '172.20.0.0/16']);
    const shown = showState(await observe(rig.client)).routes.map((r) => r.prefix);
    expect(shown).toContain('20.11.183.0/24');
    expect(shown.length).toBeGreaterThan(3000);
  });

  test('a wanted prefix VPP routes via the uplink is replaced, and a rollback restores it rather than deleting it', async () => {
    await foreignRoutes(rig, 10, ['172.21.0.0/16']);
    const want = loadText(desired(['172.21.0.0/16'], ['172.21.0.0/16']));
    // A failure at each route add: whatever was applied is undone, the uplink route included.
    const before = rig.sim.snapshot();
    for (let n = 1; n <= 3; n++) {
      rig.sim.control.failNth('ip_route_add_del', n, VppErrno.INVALID_VALUE);
      const failed = await reconcile(rig.client, want);
      rig.sim.control.clearFaults();
      expect({ n, ok: failed.ok, rolledBack: failed.rolledBack }).toEqual({ n, ok: false, rolledBack: true });
      expect(failed.plan.operations.find((o) => o.key === 'table 0 172.21.0.0/16')?.action).toBe('modify');
      expect({ n, state: rig.sim.snapshot() }).toEqual({ n, state: before });
    }
    const r = await reconcile(rig.client, want);
    expect(r.ok).toBe(true);
    const op = r.plan.operations.find((o) => o.key === 'table 0 172.21.0.0/16')!;
    expect(op.action).toBe('modify');
    expect(op.reason).toMatch(/192\.0\.2\.254 host-eth0 → 10\.9\.0\.2 wg0/);
  });

  test('a previous run’s state is not trusted for a prefix it did not read', async () => {
    await foreignRoutes(rig, 10, ['172.22.0.0/16']);
    const first = await reconcile(rig.client, loadText(desired()));
    expect(first.ok).toBe(true);
    expect(first.actual!.routes.has('0|172.22.0.0/16')).toBe(false);
    // The next file wants 172.22.0.0/16, which the previous state passed over: VPP is read again.
    const r = await reconcile(rig.client, loadText(desired(['172.22.0.0/16'], ['172.22.0.0/16'])), {
      actual: first.actual!,
    });
    expect(r.ok).toBe(true);
    expect(r.plan.operations.find((o) => o.key === 'table 0 172.22.0.0/16')?.action).toBe('modify');
  });
});
