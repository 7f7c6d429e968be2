/** The example values in deploy/etcd are valid fleet values. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDesiredState } from '../../src/config';
import { memberFromData, parseNetwork, parseValue } from '../../src/fleet/model';
import { projectRoot } from '../../src/util/paths';

const dir = join(projectRoot(), 'deploy', 'etcd');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

test('deploy/etcd examples: networks, a member and a node document validate', () => {
  const mesh = parseNetwork('network-mesh.yaml', 'corp', read('network-mesh.yaml'));
  expect([mesh.topology, mesh.overlay, mesh.mtu]).toEqual(['mesh', '10.99.0.0/24', 1420]);
  expect(parseNetwork('network-hub-spoke.yaml', 'branches', read('network-hub-spoke.yaml')).hubs).toEqual([
    'hub-1',
    'hub-2',
  ]);
  const member = memberFromData('member.yaml', mesh, 'edge-1', parseValue('member.yaml', read('member.yaml')), false);
  expect(member.endpoint).toEqual({ address: '198.51.100.10', port: 51820 });
  const desired = parseDesiredState(read('node-desired.yaml'), 'node-desired.yaml', { env: {} });
  expect(desired.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
});
