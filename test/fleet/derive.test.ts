/**
 * Deriving each node's desired state from the fleet (no etcd): a mesh gives every node all others
 * as peers, hub-and-spoke gives spokes the hubs only; bad values are refused naming their key.
 */
import type { DesiredState } from '../../src/config';
import { assembleDesired } from '../../src/fleet/assemble';
import { fakeNodes, fleetKvs, layout, type FakeNode } from './model-fixtures';

const MESH = {
  name: 'corp',
  text: 'topology: mesh\nlisten_port: 51820\noverlay: 10.99.0.0/24\npersistent_keepalive: 25\n',
};

function stateOf(node: FakeNode, kvs: Map<string, string>): DesiredState {
  const r = assembleDesired(node.name, layout, kvs, () => node.privateKey);
  if (!r.state) throw new Error(r.diagnostics.map((d) => `${d.file}: ${d.message}`).join('\n'));
  return r.state;
}

describe('fleet: mesh', () => {
  const nodes = fakeNodes(['a', 'b', 'c']);
  const kvs = fleetKvs(nodes, MESH, { sites: { b: ['192.168.20.0/24'] } });

  test.each(nodes.map((n) => [n.name, n] as const))(
    'node %s has the two others as peers with their keys, endpoints and routes',
    (_name, node) => {
      const state = stateOf(node, kvs);
      expect(state.wireguard).toHaveLength(1);
      const wg = state.wireguard[0]!;
      expect(wg.name).toBe('corp');
      expect(wg.source).toBe(node.underlay);
      expect(wg.listenPort).toBe(51820);
      expect(wg.addresses).toEqual([`${node.tunnel}/24`]);
      expect(wg.privateKey).not.toBe('generate');
      expect(wg.publicKey).toBe(node.publicKey);
      const others = nodes.filter((n) => n !== node);
      expect(wg.peers.map((p) => [p.name, p.publicKey, p.endpoint, p.tunnelNextHops, p.persistentKeepalive])).toEqual(
        others.map((o) => [o.name, o.publicKey, { address: o.underlay, port: 51820 }, [o.tunnel], 25]),
      );
      const b = wg.peers.find((p) => p.name === 'b');
      if (b) {
        expect(b.allowedIps).toEqual(['10.99.0.2/32', '192.168.20.0/24']);
        expect(b.routes).toEqual([{ prefix: '192.168.20.0/24', via: '10.99.0.2' }]);
      }
      expect(state.uplinks.map((u) => u.name)).toEqual(['host-eth0']);
    },
  );

  test('a member without a published key is waited for, not configured', () => {
    const r = assembleDesired('a', layout, fleetKvs(nodes, MESH, { unpublished: ['c'] }), () => nodes[0]!.privateKey);
    expect(r.state?.wireguard[0]!.peers.map((p) => p.name)).toEqual(['b']);
    expect(r.waiting).toEqual(['corp/c: no public key published yet']);
  });

  test('a node that is no member gets no interface', () => {
    const outsider = fakeNodes(['z'])[0]!;
    const k = fleetKvs(nodes, MESH);
    k.set(layout.desired('z'), `uplinks:\n  - name: host-eth0\n`);
    expect(stateOf(outsider, k).wireguard).toEqual([]);
  });
});

describe('fleet: hub-and-spoke with two hubs and five spokes', () => {
  const nodes = fakeNodes(['hub1', 'hub2', 's1', 's2', 's3', 's4', 's5']);
  const net = {
    name: 'hs',
    text: 'topology: hub-spoke\nhubs: [hub1, hub2]\nlisten_port: 51821\noverlay: 10.99.0.0/24\n',
  };
  const kvs = fleetKvs(nodes, net);

  test('spokes peer with the hubs only; hubs with everyone', () => {
    for (const n of nodes) {
      const peers = stateOf(n, kvs).wireguard[0]!.peers.map((p) => p.name);
      const expected = n.name.startsWith('hub') ? nodes.filter((o) => o !== n).map((o) => o.name) : ['hub1', 'hub2'];
      expect({ node: n.name, peers }).toEqual({ node: n.name, peers: expected });
    }
  });
});

describe('fleet: bad values are refused naming the key', () => {
  const nodes = fakeNodes(['a', 'b']);
  const errorsOf = (kvs: Map<string, string>, node = 'a') =>
    assembleDesired(node, layout, kvs, () => nodes[0]!.privateKey).diagnostics.map((d) => d.message);

  test('a network with an unknown topology', () => {
    const kvs = fleetKvs(nodes, { name: 'corp', text: 'topology: ring\nlisten_port: 1\noverlay: 10.0.0.0/24\n' });
    const [msg] = errorsOf(kvs);
    expect(msg).toMatch(/^\/vppwg\/networks\/corp: \/topology: must be one of mesh, hub-spoke/);
  });

  test('an overlay with host bits', () => {
    const kvs = fleetKvs(nodes, { name: 'corp', text: 'topology: mesh\nlisten_port: 1\noverlay: 10.99.0.1/24\n' });
    expect(errorsOf(kvs)).toEqual([
      '/vppwg/networks/corp: /overlay: 10.99.0.1/24 has host bits set: write 10.99.0.0/24',
    ]);
  });

  test('a member outside the overlay, and a member with an unknown key', () => {
    const kvs = fleetKvs(nodes, MESH);
    kvs.set(layout.member('corp', 'b'), '{"endpoint":{"address":"192.0.2.11"},"tunnel_address":"10.1.0.1"}');
    expect(errorsOf(kvs)).toEqual([
      "/vppwg/networks/corp/members/b: /tunnel_address: 10.1.0.1 is outside the network's overlay 10.99.0.0/24: pick one inside it",
    ]);
    kvs.set(layout.member('corp', 'b'), '{"endpoint":{"address":"192.0.2.11"},"tunnel_address":"10.99.0.2","color":1}');
    expect(errorsOf(kvs)).toEqual(['/vppwg/networks/corp/members/b: /: unknown key "color": remove it']);
  });

  test('two members with one tunnel address: the message names both keys', () => {
    const kvs = fleetKvs(nodes, MESH);
    kvs.set(layout.member('corp', 'b'), `{"endpoint":{"address":"192.0.2.11"},"tunnel_address":"${nodes[0]!.tunnel}"}`);
    expect(errorsOf(kvs)).toEqual([
      '/vppwg/networks/corp/members/b: tunnel address 10.99.0.1 is already held by /vppwg/networks/corp/members/a: give one of them another address',
    ]);
  });

  test('a broken published key, and broken values in a network the node is not in do not stop it', () => {
    const kvs = fleetKvs(nodes, MESH);
    kvs.set(layout.publicKey('b', 'corp'), 'not-a-key');
    expect(errorsOf(kvs)).toEqual([
      '/vppwg/nodes/b/public/corp: not a base64 WireGuard public key: delete it; node b publishes its key again',
    ]);
    const ok = fleetKvs(nodes, MESH);
    ok.set(layout.network('other'), 'topology: [');
    expect(errorsOf(ok)).toEqual([]);
  });

  test("the node's own desired document: its own findings, and a hand-written interface named like a network", () => {
    const kvs = fleetKvs(nodes, MESH);
    kvs.set(layout.desired('a'), 'uplinks:\n  - name: host-eth0\n    mtu: 5\n');
    const [d] = assembleDesired('a', layout, kvs, () => nodes[0]!.privateKey).diagnostics;
    expect([d!.file, d!.line, d!.message]).toEqual(['/vppwg/nodes/a/desired', 3, expect.stringMatching(/MTU/)]);
    kvs.set(
      layout.desired('a'),
      `uplinks:\n  - name: host-eth0\n    addresses: [192.0.2.10/24]\nwireguard:\n  - name: corp\n    private_key: generate\n    listen_port: 1\n    source: 192.0.2.10\n`,
    );
    expect(errorsOf(kvs)).toEqual([
      '/vppwg/nodes/a/desired defines a wireguard interface "corp" and so does the network /vppwg/networks/corp: rename the hand-written one',
    ]);
  });
});
