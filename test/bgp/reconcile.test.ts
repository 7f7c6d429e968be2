/**
 * The BGP layout reconciled on the emulator: vppwg creates the linux-cp pairs of its interfaces
 * (default namespace first), a second run is a no-op, pairs go with their interface, VPP's refusal
 * rolls back; a route of the routing daemon (lcp-rt-dynamic) is never touched, never drift, shown
 * as learned through linux-cp, and named in the notes when it outranks a route the file asks for.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ip from 'vpp-api-ts/ip';
import * as lcp from 'vpp-api-ts/lcp';
import { VppErrno } from '../../src/client';
import { loadDesiredState, type DesiredState } from '../../src/config';
import { formatShow, observe, reconcile } from '../../src/reconcile';
import { StateDir } from '../../src/state';
import { projectRoot } from '../../src/util/paths';
import { loadText, mutatingCalls, startRig, type Rig } from '../reconcile/helpers';

function loadBgp(): DesiredState {
  const { state, diagnostics } = loadDesiredState(join(projectRoot(), 'deploy', 'bgp', 'vppwg.yaml'), { env: {} });
  if (!state) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return state;
}

/** A path via `nh` on interface `sw`, as ip_route_add_del takes it. */
function uplinkPath(sw: number, nh: string) {
  return {
    sw_if_index: sw,
    table_id: 0,
    rpf_id: 0,
    weight: 1,
    preference: 0,
    type: 0,
    flags: 0,
    proto: 0,
    nh: { address: { ip4: nh }, via_label: 0, obj_id: 0, classify_table_index: 0 },
    n_labels: 0,
    label_stack: [],
  };
}

let rig: Rig;
afterEach(async () => rig?.close());

async function pairs(): Promise<string[]> {
  const rows = await rig.client.stream(lcp.lcp_itf_pair_get, { cursor: 0 });
  const names = new Map([...(await observe(rig.client)).interfaces.values()].map((i) => [i.swIfIndex, i.tag]));
  return rows.map((r) => `${names.get(r.phy_sw_if_index)} ${r.host_if_name} ${r.host_if_type} ${r.netns}`).sort();
}

describe('linux-cp pairs reconciled', () => {
  test('created after their interface in the file namespace, then a no-op, then removed with the interface', async () => {
    rig = await startRig({ linuxCp: true });
    const desired = loadBgp();
    const first = await reconcile(rig.client, desired);
    expect(first.ok).toBe(true);
    const ids = first.plan.operations.map((o) => o.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        '~linux-cp-netns:default',
        '+linux-cp-pair:to-dc1 wg-dc1',
        '+linux-cp-pair:to-dc2 wg-dc2',
      ]),
    );
    const pairOp = first.plan.operations.find((o) => o.id === '+linux-cp-pair:to-dc1 wg-dc1')!;
    expect(pairOp.dependsOn).toEqual(
      expect.arrayContaining(['+wireguard-interface:to-dc1', '~linux-cp-netns:default']),
    );
    expect(await pairs()).toEqual(['vppwg:to-dc1 wg-dc1 1 dataplane', 'vppwg:to-dc2 wg-dc2 1 dataplane']);
    expect((await rig.client.call(lcp.lcp_default_ns_get, {})).netns).toBe('dataplane');

    rig.sim.resetCounters();
    const again = await reconcile(rig.client, desired);
    expect(again.plan.operations.map((o) => o.id)).toEqual([]);
    expect(mutatingCalls(rig.sim)).toEqual({});

    // to-dc2 leaves the file: its pair is deleted before it.
    const fewer = { ...desired, wireguard: desired.wireguard.filter((w) => w.name === 'to-dc1') };
    const third = await reconcile(rig.client, fewer);
    expect(third.ok).toBe(true);
    const del = third.plan.operations.find((o) => o.id === '-wireguard-interface:to-dc2 (wg1)');
    expect(del?.dependsOn).toEqual(expect.arrayContaining(['-linux-cp-pair:to-dc2 wg-dc2']));
    expect(await pairs()).toEqual(['vppwg:to-dc1 wg-dc1 1 dataplane']);
  });

  test("VPP's refusal of a pair (no /dev/vhost-net: -11) is named and rolled back", async () => {
    rig = await startRig({ linuxCp: true });
    rig.sim.control.failNth('lcp_itf_pair_add_del_v3', 1, VppErrno.SYSCALL_ERROR_1);
    const before = rig.sim.snapshot();
    const r = await reconcile(rig.client, loadBgp());
    expect(r.ok).toBe(false);
    expect(r.rolledBack).toBe(true);
    expect(r.error?.retval).toBe(VppErrno.SYSCALL_ERROR_1);
    expect(r.error?.operation).toMatch(/^\+linux-cp-pair:/);
    expect(rig.sim.snapshot()).toEqual(before);
    expect(await pairs()).toEqual([]);
  });

  test('a VPP without linux-cp: refused before any change, naming the plugin and the startup.conf lines', async () => {
    rig = await startRig();
    const r = await reconcile(rig.client, loadBgp());
    expect(r.ok).toBe(false);
    expect(r.error?.message).toMatch(/no linux-cp API: its linux_cp plugin is not loaded/);
    expect(r.error?.message).toMatch(/plugin linux_cp_plugin\.so \{ enable \}.*linux-cp \{ default netns dataplane \}/);
    expect(mutatingCalls(rig.sim)).toEqual({});
  });

  test('an uplink the file pairs gets a TAP; changing its host interface replaces the pair', async () => {
    rig = await startRig({ linuxCp: true });
    const base = loadBgp();
    const withUplink = (host: string): DesiredState => ({
      ...base,
      uplinks: base.uplinks.map((u) => ({ ...u, hostInterface: host })),
    });
    expect((await reconcile(rig.client, withUplink('e0'))).ok).toBe(true);
    expect(await pairs()).toContain(' e0 0 dataplane');
    rig.sim.resetCounters();
    expect((await reconcile(rig.client, withUplink('e0'))).plan.operations).toEqual([]);
    expect(mutatingCalls(rig.sim)).toEqual({});
    const moved = await reconcile(rig.client, withUplink('e1'));
    expect(moved.plan.operations.map((o) => o.id)).toEqual([
      '-linux-cp-pair:host-eth0 e0',
      '+linux-cp-pair:host-eth0 e1',
    ]);
    expect(await pairs()).toContain(' e1 0 dataplane');
    expect(formatShow(await observe(rig.client), { desired: withUplink('e1') })).toMatch(
      /host-eth0 ↔ e1 \(TAP\) in netns dataplane: managed \(uplink\)/,
    );
  });

  test('a pair on an interface vppwg does not manage is shown and left alone', async () => {
    rig = await startRig({ linuxCp: true });
    const up = (await observe(rig.client)).interfacesByName.get('host-eth0')!;
    await rig.client.call(lcp.lcp_itf_pair_add_del_v3, {
      is_add: true,
      sw_if_index: up.swIfIndex,
      host_if_name: 'e0',
      host_if_type: 0,
      netns: 'other',
    });
    const r = await reconcile(rig.client, loadBgp());
    expect(r.ok).toBe(true);
    expect(r.plan.operations.filter((o) => o.key.includes('host-eth0'))).toEqual([]);
    expect(await pairs()).toContain(' e0 0 other');
    expect(formatShow(await observe(rig.client))).toMatch(
      /host-eth0 ↔ e0 \(TAP\) in netns other: not managed by vppwg/,
    );
  });
});

describe('routes of the routing daemon', () => {
  test('never touched, never drift, shown as learned through linux-cp; one outranking a file route is noted', async () => {
    rig = await startRig({ linuxCp: true });
    const desired = loadBgp();
    expect((await reconcile(rig.client, desired)).ok).toBe(true);
    const wg = (await observe(rig.client)).owned.interfaces.get('to-dc1')!;
    // BIRD learns a prefix from dc1 and the file's own endpoint route for dc2.
    rig.sim.control.injectRoute({ prefix: '203.0.113.0/24', via: '169.254.10.1', swIfIndex: wg });
    rig.sim.control.injectRoute({ prefix: '198.51.100.20/32', via: '169.254.10.1', swIfIndex: wg });
    rig.sim.resetCounters();
    const r = await reconcile(rig.client, desired);
    expect(r.ok).toBe(true);
    expect(r.plan.operations.map((o) => o.id)).toEqual([]);
    expect(mutatingCalls(rig.sim)).toEqual({});
    expect(r.plan.notes.join('\n')).toMatch(
      /table 0 198\.51\.100\.20\/32: VPP forwards by the routing daemon's route \(lcp-rt-dynamic, learned by the routing daemon through linux-cp\)/,
    );
    const shown = formatShow(await observe(rig.client));
    expect(shown).toMatch(
      /table 0 203\.0\.113\.0\/24 via 169\.254\.10\.1 wg0 \(learned by the routing daemon through linux-cp\)/,
    );

    rig.sim.control.withdrawRoute({ prefix: '203.0.113.0/24' });
    rig.sim.control.withdrawRoute({ prefix: '198.51.100.20/32' });
    const after = await reconcile(rig.client, desired);
    expect(after.plan.operations.map((o) => o.id)).toEqual([]);
    expect(after.plan.notes.join('\n')).not.toMatch(/routing daemon/);
  });

  test("a no-op reconcile beside the daemon's full table reads only what vppwg owns", async () => {
    rig = await startRig({ linuxCp: true });
    const desired = loadBgp();
    expect((await reconcile(rig.client, desired)).ok).toBe(true);
    const wg = (await observe(rig.client)).owned.interfaces.get('to-dc1')!;
    const learned = 5_000;
    for (let k = 0; k < learned; k++)
      rig.sim.control.injectRoute({ prefix: `10.${k >> 8}.${k & 255}.0/24`, via: '169.254.10.1', swIfIndex: wg });
    const r = await reconcile(rig.client, desired);
    expect(r.plan.operations).toEqual([]);
    // The file's own routes (next hops, endpoint routes), not the routing daemon's.
    expect(r.actual!.routes.size).toBeLessThan(20);
    expect([...r.actual!.routes.keys()].some((k) => k.startsWith('0|10.'))).toBe(false);
    // `show` (no scope) still lists them all.
    expect((await observe(rig.client)).routes.size).toBeGreaterThan(learned);
  });

  test("routeReads 'owned': no table walked beside the daemon's table; the file's routes and recorded ones still repaired", async () => {
    rig = await startRig({ linuxCp: true });
    const desired = loadBgp();
    const stateDir = new StateDir(join(mkdtempSync(join(tmpdir(), 'vppwg-owned-')), 'state'));
    expect((await reconcile(rig.client, desired, { stateDir })).ok).toBe(true);
    const wg = (await observe(rig.client)).owned.interfaces.get('to-dc1')!;
    for (let k = 0; k < 2_000; k++)
      rig.sim.control.injectRoute({ prefix: `10.${k >> 8}.${k & 255}.0/24`, via: '169.254.10.1', swIfIndex: wg });
    rig.sim.resetCounters();
    const noop = await reconcile(rig.client, desired, { routeReads: 'owned', stateDir });
    expect(noop.plan.operations).toEqual([]);
    const counters = rig.sim.counters();
    expect(counters.ip_route_v2_dump ?? 0).toBe(0);
    expect(counters.ip_route_dump ?? 0).toBe(0);
    // One exact lookup per route the file wants (its routes, tunnel next hops), nothing else read.
    expect(counters.ip_route_lookup_v2).toBe(noop.actual!.routeScope!.size);

    // A file route deleted behind vppwg's back is drift, found by its lookup.
    const gone = desired.routes[0]!;
    const uplink = (await observe(rig.client)).interfacesByName.get(gone.interface!)!;
    await rig.client.call(ip.ip_route_add_del, {
      is_add: false,
      is_multipath: false,
      route: { table_id: gone.table, prefix: gone.prefix, paths: [uplinkPath(uplink.swIfIndex, gone.via!)] },
    });
    const repaired = await reconcile(rig.client, desired, { routeReads: 'owned', stateDir });
    expect(repaired.ok).toBe(true);
    expect(repaired.plan.operations.map((o) => o.id)).toEqual([`+underlay-route:table ${gone.table} ${gone.prefix}`]);

    // A route vppwg recorded applying and the file dropped is read too (by lookup) and pruned.
    const fewer = { ...desired, routes: desired.routes.filter((r) => r !== gone) };
    const pruned = await reconcile(rig.client, fewer, { routeReads: 'owned', stateDir, pruneRoutes: true });
    expect(pruned.ok).toBe(true);
    expect(pruned.plan.operations.map((o) => o.id)).toEqual([`-route:table ${gone.table} ${gone.prefix}`]);
    expect((await observe(rig.client)).routes.has(`${gone.table}|${gone.prefix}`)).toBe(false);
  });

  test('a file without linux_cp is untouched by the new keys (loadText stays as before)', () => {
    const s = loadText('version: 1\n');
    expect(s.linuxCp).toBeUndefined();
  });
});
