/**
 * Plan and show text: IPv6 endpoints in brackets everywhere, one summary sentence, the sign taken
 * from the action, and show naming peers and uplinks from the desired state.
 */
import {
  formatPlan,
  formatShow,
  planChanges,
  planSummaryText,
  planToJson,
  showState,
  signOf,
  type Plan,
} from '../../src/reconcile';
import { endpointText } from '../../src/reconcile/ip';
import { KEY_A, KEY_B, actualPeer, actualState, desiredState, desiredWg } from './fixtures';

const v6Peer = {
  name: 'v6-site',
  publicKey: KEY_B,
  endpoint: { address: '2001:db8:ffff::2', port: 51860 },
  allowedIps: ['10.0.0.3/32'],
  persistentKeepalive: 0,
  underlayTable: 0,
  tunnelNextHops: [],
  routes: [],
};

describe('endpoint text', () => {
  test('IPv6 in brackets, IPv4 plain', () => {
    expect(endpointText({ address: '2001:db8:ffff::2', port: 51860 })).toBe('[2001:db8:ffff::2]:51860');
    expect(endpointText({ address: '198.51.100.1', port: 51820 })).toBe('198.51.100.1:51820');
  });

  test('a new IPv6 peer and a changed IPv6 endpoint read with brackets in plan text and JSON', () => {
    const fresh = planChanges(desiredState([desiredWg({ peers: [v6Peer] })]), actualState([]));
    expect(formatPlan(fresh)).toContain('endpoint [2001:db8:ffff::2]:51860');
    expect(JSON.stringify(planToJson(fresh))).toContain('[2001:db8:ffff::2]:51860');
    const moved = planChanges(
      desiredState([desiredWg({ peers: [v6Peer] })]),
      actualState([
        actualPeer({ publicKey: KEY_B, allowedIps: ['10.0.0.3/32'], endpoint: { address: '2001:db8::9', port: 1 } }),
      ]),
    );
    expect(formatPlan(moved)).toContain('endpoint [2001:db8::9]:1 → [2001:db8:ffff::2]:51860');
    expect(formatPlan(moved)).not.toMatch(/2001:db8:ffff::2:51860/);
  });
});

describe('one sign, one summary', () => {
  test('operation ids and plan lines carry the sign of their action; the summary sentence comes from one function', () => {
    const plan = planChanges(desiredState([desiredWg({ peers: [v6Peer], mtu: 1380 })]), actualState([actualPeer({})]));
    const lines = formatPlan(plan).split('\n');
    for (const op of plan.operations) {
      expect(op.id.startsWith(signOf(op.action))).toBe(true);
      expect(lines).toContain(`  ${signOf(op.action)} ${op.kind} ${op.key}: ${op.reason}`);
    }
    expect(new Set(plan.operations.map((o) => o.action))).toEqual(new Set(['create', 'delete', 'modify']));
    const s = plan.summary;
    expect(planSummaryText(plan)).toBe(`${s.create} to create, ${s.modify} to change, ${s.delete} to delete`);
    expect(lines).toContain(`Plan: ${planSummaryText(plan)}.`);
  });

  test('an empty plan says no changes', () => {
    const empty: Plan = {
      operations: [],
      isEmpty: true,
      summary: { create: 0, modify: 0, delete: 0, adopt: 0 },
      warnings: [],
      notes: [],
    };
    expect(planSummaryText(empty)).toBe('no changes');
  });
});

describe('show with the desired state', () => {
  const { endpoint: _none, ...serverSide } = v6Peer;
  const desired = desiredState([desiredWg({ peers: [{ ...serverSide, name: 'alice', publicKey: KEY_A }] })], {
    uplinks: [{ name: 'host-eth0' }],
  });
  const actual = actualState([actualPeer({ endpoint: { address: '2001:db8::7', port: 40000 } })]);

  test('peers get their names from the file and the named uplink reads as managed', () => {
    const shown = showState(actual, { desired });
    expect(shown.wireguard[0]!.peers[0]!.name).toBe('alice');
    expect(shown.interfaces.find((i) => i.name === 'host-eth0')!.uplink).toBe(true);
    const text = formatShow(actual, { desired });
    expect(text).toContain(`peer [0] "alice" ${KEY_A}`);
    expect(text).toMatch(/host-eth0 \[1\] af_packet: .*managed \(uplink\)/);
    expect(text).toContain('endpoint [2001:db8::7]:40000');
  });

  test('without it, no names and the uplink is not managed', () => {
    const text = formatShow(actual);
    expect(text).toContain(`peer [0] ${KEY_A}`);
    expect(text).toMatch(/host-eth0 \[1\] af_packet: .*not managed by vppwg/);
    expect(showState(actual).wireguard[0]!.peers[0]!.name).toBeUndefined();
  });
});
