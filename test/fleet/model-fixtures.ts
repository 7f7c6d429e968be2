/** Fleet key-value sets for model-level tests: networks, members and published keys as etcd would hold them. */
import { encodeKey, generatePrivateKey, publicKeyOf } from '../../src/config/keys';
import { FleetLayout } from '../../src/fleet/layout';

export const layout = new FleetLayout('/vppwg');

export interface FakeNode {
  name: string;
  privateKey: string;
  publicKey: string;
  underlay: string;
  tunnel: string;
}

export function fakeNodes(names: string[]): FakeNode[] {
  return names.map((name, i) => {
    const key = generatePrivateKey();
    return {
      name,
      privateKey: encodeKey(key),
      publicKey: encodeKey(publicKeyOf(key)),
      underlay: `192.0.2.${i + 10}`,
      tunnel: `10.99.0.${i + 1}`,
    };
  });
}

/** Every node's own desired document: one uplink holding its underlay address. */
export function desiredOf(n: FakeNode): string {
  return `uplinks:\n  - name: host-eth0\n    addresses: [${n.underlay}/24]\n`;
}

export function fleetKvs(
  nodes: FakeNode[],
  network: { name: string; text: string },
  opts: { sites?: Record<string, string[]>; unpublished?: string[] } = {},
): Map<string, string> {
  const kvs = new Map<string, string>();
  kvs.set(layout.network(network.name), network.text);
  for (const n of nodes) {
    kvs.set(layout.desired(n.name), desiredOf(n));
    const sites = opts.sites?.[n.name];
    kvs.set(
      layout.member(network.name, n.name),
      JSON.stringify({
        endpoint: { address: n.underlay },
        tunnel_address: n.tunnel,
        ...(sites ? { site_prefixes: sites } : {}),
      }),
    );
    if (!opts.unpublished?.includes(n.name)) kvs.set(layout.publicKey(n.name, network.name), n.publicKey);
  }
  return kvs;
}
