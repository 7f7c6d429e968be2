/**
 * Uplinks matched by hardware (`match: {mac, pci}`): the file uses the uplink's logical name, the
 * plan resolves it to the one VPP interface whose MAC / PCI address agrees; none or several is a
 * plan error listing the candidates; a NIC VPP renames (same MAC) changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDesiredState } from '../../src/config';
import {
  buildActualState,
  formatShow,
  observe,
  pciOfInterface,
  planChanges,
  PlanError,
  reconcile,
  showState,
  type ActualState,
} from '../../src/reconcile';
import { routeKey } from '../../src/reconcile/actual';
import { StateDir } from '../../src/state';
import { RouteRecord } from '../../src/state/route-record';
import type { SimUplink } from '../../src/sim';
import { loadText, startRig, type Rig } from '../reconcile/helpers';

const WAN_MAC = '02:fe:00:00:00:01';
const NICS: SimUplink[] = [
  { name: 'GigabitEthernet0/8/0', mac: WAN_MAC, addresses: ['192.0.2.1/24'] },
  { name: 'TenGigabitEthernet3/0/0', mac: '02:fe:00:00:00:02', addresses: ['198.51.100.1/24'] },
];

function file(match: string): string {
  return `
uplinks:
  - name: wan
    match: ${match}
    admin_up: true
    addresses: [192.0.2.1/24]
routes:
  - { prefix: 0.0.0.0/0, via: 192.0.2.254, interface: wan }
wireguard:
  - name: wg-sites
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.9.0.1/24]
    peers:
      - name: far
        public_key: ${Buffer.alloc(32, 7).toString('base64')}
        endpoint: { address: 192.0.2.2, port: 51820 }
        allowed_ips: [10.9.0.2/32, 10.90.0.0/16]
        tunnel_next_hops: [10.9.0.2]
        routes: [{ prefix: 10.90.0.0/16 }]
`;
}
const BY_MAC = file(`{ mac: '${WAN_MAC.toUpperCase()}' }`);

/** `actual` with interface `from` renamed `to` (same index, same MAC): VPP naming a NIC afresh. */
function renamed(actual: ActualState, from: string, to: string): ActualState {
  return buildActualState({
    interfaces: [...actual.interfaces.values()].map((i) => (i.name === from ? { ...i, name: to } : i)),
    wireguard: [...actual.wireguard.values()],
    peers: [...actual.peers.values()],
    tables: [...actual.tables],
    routes: [...actual.routes.values()],
    teib: [...actual.teib],
    peerV2: actual.capabilities.peerV2,
    ...(actual.capabilities.version !== undefined ? { version: actual.capabilities.version } : {}),
    ...(actual.routeScope ? { routeScope: actual.routeScope } : {}),
  });
}

describe('uplinks matched by hardware', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.close();
  });

  test('by MAC: the logical name resolves to VPP interface, routes go through it, a second run is a no-op', async () => {
    rig = await startRig({ uplinks: NICS });
    const desired = loadText(BY_MAC);
    expect(desired.uplinks[0]).toMatchObject({ name: 'wan', match: { mac: WAN_MAC } });
    const first = await reconcile(rig.client, desired);
    expect(first.error).toBeUndefined();
    expect(first.ok).toBe(true);
    const actual = await observe(rig.client);
    const wan = actual.interfacesByName.get('GigabitEthernet0/8/0')!;
    expect(actual.routes.get(routeKey(0, '0.0.0.0/0'))?.paths).toEqual([
      { swIfIndex: wan.swIfIndex, nh: '192.0.2.254' },
    ]);
    const second = await reconcile(rig.client, desired);
    expect(second.plan.isEmpty).toBe(true);
    expect(second.applied).toBe(0);
    // show prints both names, and the hardware to match on.
    const text = formatShow(actual, { desired });
    expect(text).toContain(
      `GigabitEthernet0/8/0 [${wan.swIfIndex}] dpdk: up, mtu 1500, managed (uplink "wan"), mac ${WAN_MAC}, pci 0000:00:08.0`,
    );
    expect(text).toMatch(/TenGigabitEthernet3\/0\/0 \[\d+\] dpdk: up, .*not managed by vppwg, .*pci 0000:03:00\.0/);
    const shown = showState(actual, { desired }).interfaces.find((i) => i.name === 'GigabitEthernet0/8/0');
    expect(shown).toMatchObject({ uplink: true, uplinkName: 'wan', mac: WAN_MAC, pci: '0000:00:08.0' });
  });

  test('by PCI address, which VPP encodes in a DPDK interface name', async () => {
    rig = await startRig({
      uplinks: [
        { name: 'GigabitEthernet0/8/0', mac: '02:fe:00:00:00:09', addresses: ['198.51.100.1/24'] },
        { name: 'TenGigabitEthernet3/0/0', mac: WAN_MAC, addresses: ['192.0.2.1/24'] },
      ],
    });
    const r = await reconcile(rig.client, loadText(file(`{ pci: '03:00.0' }`)));
    expect(r.ok).toBe(true);
    const ten = r.actual!.interfacesByName.get('TenGigabitEthernet3/0/0')!;
    expect(r.actual!.routes.get(routeKey(0, '0.0.0.0/0'))?.paths).toEqual([
      { swIfIndex: ten.swIfIndex, nh: '192.0.2.254' },
    ]);
  });

  test('no interface matching is a plan error listing the candidates with names, MACs and PCI addresses', async () => {
    rig = await startRig({ uplinks: NICS });
    const r = await reconcile(rig.client, loadText(file(`{ mac: '02:fe:00:00:00:99' }`)));
    expect(r.ok).toBe(false);
    expect(r.applied).toBe(0);
    expect(r.error?.message).toContain('uplink "wan" matches no VPP interface (mac 02:fe:00:00:00:99): fix the match');
    expect(r.error?.message).toContain('GigabitEthernet0/8/0 (mac 02:fe:00:00:00:01, pci 0000:00:08.0)');
    expect(r.error?.message).toContain('TenGigabitEthernet3/0/0 (mac 02:fe:00:00:00:02, pci 0000:03:00.0)');
    // Nothing was sent: VPP still has no WireGuard interface.
    expect((await observe(rig.client)).wireguard.size).toBe(0);
  });

  test('two interfaces matching is a plan error naming both; adding the PCI address picks one', async () => {
    rig = await startRig({
      uplinks: [
        { name: 'GigabitEthernet0/8/0', mac: WAN_MAC, addresses: ['192.0.2.1/24'] },
        { name: 'GigabitEthernet0/9/0', mac: WAN_MAC },
      ],
    });
    const r = await reconcile(rig.client, loadText(BY_MAC));
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(
      /uplink "wan" matches 2 VPP interfaces \(mac 02:fe:00:00:00:01\): GigabitEthernet0\/8\/0 \(.*pci 0000:00:08\.0\); GigabitEthernet0\/9\/0 \(.*pci 0000:00:09\.0\); add a key/,
    );
    const both = await reconcile(rig.client, loadText(file(`{ mac: '${WAN_MAC}', pci: '0000:00:08.0' }`)));
    expect(both.ok).toBe(true);
  });

  test('a NIC renamed between runs (same MAC): the plan touches nothing', async () => {
    rig = await startRig({ uplinks: NICS });
    const dir = mkdtempSync(join(tmpdir(), 'vppwg-uplink-'));
    const stateDir = new StateDir(dir);
    const desired = loadText(BY_MAC);
    expect((await reconcile(rig.client, desired, { stateDir })).ok).toBe(true);
    const after = await observe(rig.client);
    const appliedRoutes = new RouteRecord(stateDir).read();
    rmSync(dir, { recursive: true, force: true });
    expect(appliedRoutes.map((r) => r.interface)).toEqual(['GigabitEthernet0/8/0']);
    const moved = renamed(after, 'GigabitEthernet0/8/0', 'GigabitEthernet0/a/0');
    const plan = planChanges(desired, moved, { appliedRoutes });
    expect(plan.operations.map((o) => o.id)).toEqual([]);
    expect(plan.notes).toEqual([]);
    // Matched by name instead, the same rename would be an error: the name no longer exists.
    const byName = loadText(
      BY_MAC.replace(/name: wan\n\s+match: .*\n/, 'name: GigabitEthernet0/8/0\n').replace(
        'interface: wan',
        'interface: GigabitEthernet0/8/0',
      ),
    );
    expect(() => planChanges(byName, moved)).toThrow(PlanError);
  });

  test('one interface matched by two uplinks (by name and by MAC) is a plan error', async () => {
    rig = await startRig({ uplinks: NICS });
    const text = BY_MAC.replace('routes:', '  - { name: GigabitEthernet0/8/0 }\nroutes:');
    const r = await reconcile(rig.client, loadText(text));
    expect(r.error?.message).toContain(
      'uplink "wan" matches GigabitEthernet0/8/0, which is already uplink "GigabitEthernet0/8/0": one interface is one uplink',
    );
  });
});

describe('the PCI address in a DPDK interface name', () => {
  test.each([
    ['TenGigabitEthernet3/0/0', '0000:03:00.0'],
    ['GigabitEthernet0/8/0', '0000:00:08.0'],
    ['HundredGigabitEthernet1b/0/1', '0000:1b:00.1'],
    ['VirtualFunctionEthernet0/6/3', '0000:00:06.3'],
    ['GigabitEthernet-1/2/0/1', '0001:02:00.1'],
    ['FortyGigabitEthernet5/0/0/2', '0000:05:00.0'],
  ])('%s is %s', (name, pci) => {
    expect(pciOfInterface({ name, devType: 'dpdk' })).toBe(pci);
  });

  test.each([
    ['GigabitEthernet0/8/0.100', 'dpdk'],
    ['tap0', 'dpdk'],
    ['GigabitEthernet0/8/0', 'af_packet'],
    ['host-eth0', 'af_packet'],
  ])('%s (%s) has none', (name, devType) => {
    expect(pciOfInterface({ name, devType })).toBeUndefined();
  });
});

describe('match in the file', () => {
  const errors = (text: string): string[] =>
    parseDesiredState(text, 'f.yaml', { env: {} })
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => `${d.path} ${d.message}`);

  test('a MAC or PCI address that is not one is refused at its place', () => {
    expect(errors(file(`{ mac: '02:fe:00:00:01' }`))).toEqual([
      expect.stringMatching(/^\/uplinks\/0\/match\/mac .*a MAC address 'aa:bb:cc:dd:ee:ff'/),
    ]);
    expect(errors(file(`{ pci: '0000:03:00' }`))).toEqual([
      expect.stringMatching(/^\/uplinks\/0\/match\/pci .*a PCI address 'dddd:bb:dd.f'/),
    ]);
    expect(errors(file(`{}`))).toEqual([expect.stringMatching(/^\/uplinks\/0\/match /)]);
  });

  test('two uplinks matching the same hardware are refused, naming the first', () => {
    const text = BY_MAC.replace('routes:', `  - { name: lan, match: { mac: '${WAN_MAC}' } }\nroutes:`);
    expect(errors(text)).toEqual([
      expect.stringMatching(
        /^\/uplinks\/1\/match uplink "lan" matches mac 02:fe:00:00:00:01, as the uplink at line 3 does/,
      ),
    ]);
  });
});
