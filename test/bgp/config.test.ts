/**
 * The desired-state keys of the BGP layout (linux_cp, host_interface, bgp): a good file comes out
 * with them, and each rule rejects a bad file at the exact place with a message saying the fix.
 */
import { parseDesiredState, type Diagnostic } from '../../src/config';
import { PUB, UPLINK, lines, peer, wg } from '../config/bad-cases';

const errorsOf = (d: Diagnostic[]): Diagnostic[] => d.filter((x) => x.severity === 'error');
const parse = (text: string) => parseDesiredState(text, 'bgp.yaml', { env: {} });

// Lines 1-2 when prepended.
const LCP = ['linux_cp:', '  netns: dataplane'];
const BGP = ['bgp:', '  local_as: 65000', '  router_id: 192.0.2.1'];
const bgpPeer = (...extra: string[]): string[] =>
  peer('dc1', PUB[0]!, '[0.0.0.0/0]', '        tunnel_next_hops: [169.254.10.1]', ...extra);

describe('linux_cp, host_interface and bgp in the file', () => {
  test('a good file carries the namespace, the host interfaces and the sessions', () => {
    const text = lines(
      LCP,
      BGP,
      UPLINK,
      '    host_interface: e0',
      wg('    addresses: [169.254.10.0/31]', '    host_interface: wg-dc1'),
      bgpPeer('        bgp: { peer_as: 65010 }'),
    );
    const { state, diagnostics } = parse(text);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(state!.linuxCp).toEqual({ netns: 'dataplane' });
    expect(state!.bgp).toEqual({ localAs: 65000, routerId: '192.0.2.1' });
    expect(state!.uplinks[0]!.hostInterface).toBe('e0');
    expect(state!.wireguard[0]!.hostInterface).toBe('wg-dc1');
    expect(state!.wireguard[0]!.peers[0]!.bgp).toEqual({ peerAs: 65010 });
  });

  test('a file without the new keys has none of them', () => {
    const { state } = parse(lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.0/24]')));
    expect(state!.linuxCp).toBeUndefined();
    expect(state!.bgp).toBeUndefined();
    expect(state!.wireguard[0]!.hostInterface).toBeUndefined();
  });

  const bad: { name: string; text: string; line: number; column: number; message: RegExp }[] = [
    {
      name: 'host interface longer than 15 bytes',
      text: lines(LCP, UPLINK, wg('    host_interface: wg-far-too-long-x'), peer('a', PUB[0]!, '[10.0.1.0/24]')),
      line: 11,
      column: 21,
      message: /host interface "wg-far-too-long-x" of wireguard "wg0" is 17 bytes long: .* at most 15 bytes/,
    },
    {
      name: 'host interface with a character Linux refuses',
      text: lines(LCP, UPLINK, wg('    host_interface: "wg:1"'), peer('a', PUB[0]!, '[10.0.1.0/24]')),
      line: 11,
      column: 21,
      message: /has a character Linux or linux-cp refuses/,
    },
    {
      name: 'host interface used twice',
      text: lines(
        LCP,
        UPLINK,
        '    host_interface: wg1',
        wg('    host_interface: wg1'),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 12,
      column: 21,
      message: /host interface "wg1" of wireguard "wg0" is already used at line 6/,
    },
    {
      name: 'host interface without linux_cp',
      text: lines(UPLINK, wg('    host_interface: wg1'), peer('a', PUB[0]!, '[10.0.1.0/24]')),
      line: 9,
      column: 21,
      message: /needs linux_cp: add "linux_cp: \{netns: dataplane\}"/,
    },
    {
      name: 'bgp peer without a tunnel next hop',
      text: lines(
        LCP,
        UPLINK,
        wg('    host_interface: wg1'),
        peer('a', PUB[0]!, '[0.0.0.0/0]', '        bgp: { peer_as: 65010 }'),
      ),
      line: 16,
      column: 9,
      message: /peer "a" has a BGP session but no tunnel_next_hops/,
    },
    {
      name: 'bgp peer on an interface without host_interface',
      text: lines(LCP, UPLINK, wg('    addresses: [169.254.10.0/31]'), bgpPeer('        bgp: { peer_as: 65010 }')),
      line: 17,
      column: 9,
      message: /wireguard "wg0" has no host_interface: add one/,
    },
    {
      name: 'router_id that is not IPv4',
      text: lines(
        ['bgp:', '  local_as: 65000', '  router_id: "2001:db8::1"'],
        UPLINK,
        wg(),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 3,
      column: 14,
      message: /router_id "2001:db8::1" is not an IPv4 address/,
    },
    {
      name: 'AS number 0',
      text: lines(
        ['bgp:', '  local_as: 0', '  router_id: 192.0.2.1'],
        UPLINK,
        wg(),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 2,
      column: 13,
      message: /an AS number \(1\.\.4294967294\)/,
    },
    {
      name: 'netns with a slash',
      text: lines(['linux_cp:', '  netns: a/b'], UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.0/24]')),
      line: 2,
      column: 10,
      message: /a network namespace name/,
    },
  ];

  test.each(bad.map((c) => [c.name, c] as const))('rejects: %s', (_n, c) => {
    const { state, diagnostics } = parse(c.text);
    expect(state).toBeUndefined();
    const errors = errorsOf(diagnostics);
    const hit = errors.find((d) => c.message.test(d.message));
    if (!hit)
      throw new Error(
        `expected ${String(c.message)}\ngot:\n${errors.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n')}`,
      );
    expect({ line: hit.line, column: hit.column }).toEqual({ line: c.line, column: c.column });
    expect(errors).toHaveLength(1);
  });
});
