/**
 * Before it reads or changes anything, a reconcile checks that VPP takes every message it needs,
 * and names them all at once: a VPP without the WireGuard plugin is told so plainly, and an apply
 * that would need a message VPP lacks sends nothing (never half-applied).
 */
import { VppIncompatibleError } from '../../src/client';
import { observe, reconcile } from '../../src/reconcile';
import { loadExample, mutatingCalls, startRig, totalOf, type Rig } from './helpers';

const WIREGUARD_MESSAGES = [
  'wireguard_interface_create',
  'wireguard_interface_create_reply',
  'wireguard_interface_delete',
  'wireguard_interface_delete_reply',
  'wireguard_interface_dump',
  'wireguard_interface_details',
  'wireguard_peer_add',
  'wireguard_peer_add_reply',
  'wireguard_peer_add_v2',
  'wireguard_peer_add_v2_reply',
  'wireguard_peer_remove',
  'wireguard_peer_remove_reply',
  'wireguard_peers_dump',
  'wireguard_peers_details',
  'wireguard_peers_v2_dump',
  'wireguard_peers_v2_details',
];

describe('the API a reconcile needs', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  test('a VPP without the WireGuard plugin: observe names the plugin and every missing message', async () => {
    rig = await startRig({ omitMessages: WIREGUARD_MESSAGES });
    rig.sim.resetCounters();
    const err: unknown = await observe(rig.client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppIncompatibleError);
    const e = err as VppIncompatibleError;
    expect(e.message).toContain('has no WireGuard API: its wireguard plugin is not loaded');
    expect(e.message).toContain('wireguard_plugin.so');
    // v2 is absent too, so the v1 peer dump is what is needed; every missing one is named, not only the first.
    expect(e.messages.map((m) => m.name).sort()).toEqual([
      'wireguard_interface_details',
      'wireguard_interface_dump',
      'wireguard_peers_details',
      'wireguard_peers_dump',
    ]);
    // Refused before the first dump.
    expect(rig.sim.counters()).toEqual({});
  });

  test('a message an apply needs is missing: nothing is sent, the error names it', async () => {
    rig = await startRig({ omitMessages: ['teib_entry_add_del', 'sw_interface_set_mtu_reply'] });
    const err: unknown = await reconcile(rig.client, loadExample('site-to-site.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppIncompatibleError);
    const e = err as VppIncompatibleError;
    expect(e.message).toMatch(/^VPP API mismatch/);
    expect(e.messages.map((m) => m.name).sort()).toEqual(['sw_interface_set_mtu_reply', 'teib_entry_add_del']);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });

  test('a changed CRC is reported with both CRCs; reading still works when only a write message differs', async () => {
    rig = await startRig({ crcOverrides: { ip_route_add_del: 'deadbeef' } });
    const actual = await observe(rig.client);
    expect(actual.interfaces.size).toBeGreaterThan(0);
    const err: unknown = await reconcile(rig.client, loadExample('site-to-site.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VppIncompatibleError);
    expect((err as VppIncompatibleError).messages).toEqual([
      { name: 'ip_route_add_del', ours: expect.stringMatching(/^[0-9a-f]{8}$/), theirs: 'deadbeef' },
    ]);
    expect((err as Error).message).toContain('ip_route_add_del has CRC deadbeef, ours');
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });
});
