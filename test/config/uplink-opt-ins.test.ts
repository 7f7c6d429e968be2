/**
 * The uplink opt-ins: `remove_unlisted_addresses` and `allow_admin_down` are optional booleans,
 * false unless written, and reach the model as removeUnlistedAddresses / allowAdminDown.
 */
import { parseDesiredState } from '../../src/config';
import { lines } from './bad-cases';

const uplink = (...extra: string[]) =>
  lines('uplinks:', '  - name: host-eth0', '    addresses: [192.0.2.1/24]', ...extra);

test('both opt-ins are off unless the file writes them', () => {
  const { state, diagnostics } = parseDesiredState(uplink(), 'u.yaml', { env: {} });
  expect(diagnostics).toEqual([]);
  expect(state!.uplinks[0]!.removeUnlistedAddresses).toBeFalsy();
  expect(state!.uplinks[0]!.allowAdminDown).toBeFalsy();
});

test('true opts in, false stays off', () => {
  const on = parseDesiredState(
    uplink('    remove_unlisted_addresses: true', '    allow_admin_down: true', '    admin_up: false'),
    'u.yaml',
    { env: {} },
  );
  expect(on.diagnostics).toEqual([]);
  expect(on.state!.uplinks[0]).toEqual({
    name: 'host-eth0',
    adminUp: false,
    addresses: ['192.0.2.1/24'],
    removeUnlistedAddresses: true,
    allowAdminDown: true,
  });
  const off = parseDesiredState(
    uplink('    remove_unlisted_addresses: false', '    allow_admin_down: false'),
    'u.yaml',
    {
      env: {},
    },
  );
  expect(off.state!.uplinks[0]!.removeUnlistedAddresses).toBeFalsy();
  expect(off.state!.uplinks[0]!.allowAdminDown).toBeFalsy();
});

test('a non-boolean opt-in is refused at its place', () => {
  const { state, diagnostics } = parseDesiredState(uplink('    remove_unlisted_addresses: yes'), 'u.yaml', {
    env: {},
  });
  expect(state).toBeUndefined();
  expect(diagnostics).toHaveLength(1);
  expect(diagnostics[0]).toMatchObject({ line: 4, column: 32, path: '/uplinks/0/remove_unlisted_addresses' });
  expect(diagnostics[0]!.message).toMatch(/must be true or false.*exact set.*yes\/no\/on\/off/);
});
