/**
 * DesiredStateDocument (the file format as a TypeScript type) and the JSON Schema the loader checks
 * (src/config/schema.ts) name the same keys: `complete` must set every key of the type (Complete
 * makes each one required) and no other (object literals refuse unknown keys), and its key paths
 * must be the schema's.
 */
import { desiredStateSchema } from '../../src/config/schema';
import { encodeKey, generatePrivateKey, publicKeyOf, validateDesiredState } from '../../src';
import type { DesiredStateDocument, KeySourceDocument } from '../../src';

type Complete<T> = T extends (infer U)[] ? Complete<U>[] : T extends object ? { [K in keyof T]-?: Complete<T[K]> } : T;
type KeysOfUnion<T> = T extends unknown ? keyof T : never;

const key = (): string => encodeKey(generatePrivateKey());
const peerKey = encodeKey(publicKeyOf(generatePrivateKey()));

const complete: Complete<DesiredStateDocument> = {
  version: 1,
  tables: [{ id: 10, name: 'overlay', families: ['ipv4', 'ipv6'] }],
  uplinks: [
    {
      name: 'wan',
      match: { mac: '02:fe:00:00:00:01', pci: '0000:03:00.0' },
      admin_up: true,
      mtu: 1500,
      table: 0,
      addresses: ['192.0.2.1/24'],
      remove_unlisted_addresses: true,
      allow_admin_down: true,
      host_interface: 'e0',
    },
  ],
  routes: [{ prefix: '0.0.0.0/0', via: '192.0.2.254', interface: 'wan', table: 0 }],
  wireguard: [
    {
      name: 'wg0',
      instance: 0,
      private_key: { inline: key() },
      listen_port: 51820,
      source: '192.0.2.1',
      addresses: ['10.0.0.1/24'],
      mtu: 1420,
      table: 10,
      admin_up: true,
      host_interface: 'wg-b',
      peers: [
        {
          name: 'b',
          public_key: peerKey,
          preshared_key: { inline: key() },
          endpoint: { address: '198.51.100.2', port: 51820 },
          allowed_ips: ['10.0.0.2/32', '10.20.0.0/16'],
          persistent_keepalive: 25,
          underlay_table: 0,
          tunnel_next_hops: ['10.0.0.2'],
          routes: [{ prefix: '10.20.0.0/16', via: '10.0.0.2' }],
          bgp: { peer_as: 65010 },
        },
      ],
    },
  ],
  linux_cp: { netns: 'dataplane' },
  bgp: { local_as: 65000, router_id: '192.0.2.1' },
};

/** Every key of a key source, and only those (Record refuses a missing or an extra one). */
const keySourceKeys: Record<KeysOfUnion<KeySourceDocument>, true> = { file: true, env: true, inline: true };

const KEY_SOURCES = new Set(['private_key', 'preshared_key']);

function documentPaths(value: unknown, at: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) return documentPaths(value[0], `${at}[]`, out);
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) {
    const path = at ? `${at}.${k}` : k;
    out.add(path);
    if (!KEY_SOURCES.has(k)) documentPaths(v, path, out);
  }
  return out;
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

function schemaPaths(node: SchemaNode, at: string, out: Set<string>): Set<string> {
  if (node.items) return schemaPaths(node.items, `${at}[]`, out);
  for (const [k, v] of Object.entries(node.properties ?? {})) {
    const path = at ? `${at}.${k}` : k;
    out.add(path);
    if (!KEY_SOURCES.has(k)) schemaPaths(v, path, out);
  }
  return out;
}

test('the document type names exactly the keys of the JSON Schema', () => {
  const schema = desiredStateSchema as unknown as SchemaNode;
  expect([...documentPaths(complete, '', new Set())].sort()).toEqual([...schemaPaths(schema, '', new Set())].sort());
  const presharedKey = (
    desiredStateSchema.properties.wireguard.items.properties.peers.items.properties
      .preshared_key as unknown as SchemaNode
  ).properties!;
  expect(Object.keys(keySourceKeys).sort()).toEqual(Object.keys(presharedKey).sort());
});

test('a document using every key validates into a desired state', () => {
  const { state, diagnostics } = validateDesiredState(complete);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(state?.wireguard[0]?.peers[0]?.name).toBe('b');
  expect(state?.tables.map((t) => t.id)).toEqual([10]);
});
