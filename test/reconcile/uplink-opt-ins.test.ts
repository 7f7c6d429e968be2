/**
 * An uplink may be how the operator reaches the box: an address the file does not list, or an
 * uplink brought down, is a plan error unless the file opts in (remove_unlisted_addresses,
 * allow_admin_down).
 */
import type { DesiredUplink } from '../../src/config';
import { planChanges, PlanError } from '../../src/reconcile';
import { actualState, desiredState, uplinkIf } from './fixtures';

function planUplink(u: DesiredUplink) {
  return () => planChanges(desiredState([], { uplinks: [u] }), actualState([], [uplinkIf]));
}

describe('uplink opt-ins', () => {
  test('an address VPP has and the list lacks is an error naming the uplink, the address and the opt-in', () => {
    const run = planUplink({ name: 'host-eth0', addresses: ['192.0.2.1/24'] });
    expect(run).toThrow(PlanError);
    expect(run).toThrow(/uplink "host-eth0" has address 2001:db8:0:1::1\/64 .*remove_unlisted_addresses: true/);
  });

  test('with remove_unlisted_addresses the unlisted address is removed, the listed one kept', () => {
    const plan = planUplink({ name: 'host-eth0', addresses: ['192.0.2.1/24'], removeUnlistedAddresses: true })();
    expect(plan.operations.map((o) => o.id)).toEqual(['-address:host-eth0 2001:db8:0:1::1/64']);
  });

  test('listing every address VPP has plans nothing', () => {
    const plan = planUplink({ name: 'host-eth0', addresses: ['2001:db8:0:1::1/64', '192.0.2.1/24'] })();
    expect(plan.isEmpty).toBe(true);
  });

  test('admin_up: false on an uplink that is up is an error naming allow_admin_down, unless allowed', () => {
    const run = planUplink({ name: 'host-eth0', adminUp: false });
    expect(run).toThrow(/uplink "host-eth0" is up in VPP .*allow_admin_down: true/);
    const plan = planUplink({ name: 'host-eth0', adminUp: false, allowAdminDown: true })();
    expect(plan.operations.map((o) => `${o.id} ${o.reason}`)).toEqual(['~admin-state:host-eth0 up → down']);
  });
});
