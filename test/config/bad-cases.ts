/**
 * The table of bad desired-state files (text, the expected message and its exact place), shared by
 * the validation tests here and by anyone who wants to show that a bad file makes no VPP call.
 * The texts are small on purpose: line numbers can be checked by eye against the `lines(...)` blocks.
 */
import { join } from 'node:path';
import { encodeKey, generatePrivateKey, publicKeyOf, type LoadOptions } from '../../src/config';

export const PUB = [
  'g3Wu5HUYCVOs7VVfyUC8vC9/Jl94Pmr/Wc2SSHUsMXA=',
  'lqiS4Cb7zjvWdR/N2iKqodBqPC6Q4/YbrYc+KRVqE30=',
  'WE051VeyYrZdvzo7gRmtNiVRmT1l6rTE8oe44WAqKFg=',
  'mgupvggqvTS8e5cFTwDdA6nlZfCX0hqayhPSEcVB0wo=',
];

export const lines = (...parts: (string | string[])[]): string => parts.flat().join('\n') + '\n';

// Lines 1-3.
export const UPLINK = ['uplinks:', '  - name: host-eth0', '    addresses: [192.0.2.1/24, "2001:db8::1/64"]'];
// Lines 4-9 (with the default fields); `wg(...)` inserts extra interface keys after line 8.
export const wg = (...extra: string[]): string[] => [
  'wireguard:',
  '  - name: wg0',
  '    private_key: generate',
  '    listen_port: 51820',
  '    source: 192.0.2.1',
  ...extra,
  '    peers:',
];
// Three lines per peer, indented for wg0's peer list.
export const peer = (name: string, key: string, allowed: string, ...extra: string[]): string[] => [
  `      - name: ${name}`,
  `        public_key: ${key}`,
  `        allowed_ips: ${allowed}`,
  ...extra,
];

export interface BadCase {
  name: string;
  text: string;
  file?: string;
  opts?: LoadOptions;
  line: number;
  column: number;
  message: string | RegExp;
  /** Other errors expected besides the one under test (default 0: the message must be specific). */
  otherErrors?: number;
}

/** The cases; `tmp` is a scratch directory for key files (relative key paths resolve there). */
export function badCases(tmp: string): BadCase[] {
  const ownPriv = generatePrivateKey();
  const ownPub = encodeKey(publicKeyOf(ownPriv));
  const cases: BadCase[] = [
    {
      name: 'YAML syntax: unclosed flow sequence',
      text: lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.0/24')),
      line: 13,
      column: 1,
      message: /^YAML syntax error: /,
    },
    {
      name: 'JSON syntax: missing comma',
      file: 'state.json',
      text: '{\n  "wireguard": []\n  "tables": []\n}\n',
      line: 3,
      column: 3,
      message: /^JSON syntax error: /,
    },
    {
      name: 'duplicate key in one mapping',
      text: lines(UPLINK, wg('    listen_port: 51821'), peer('a', PUB[0]!, '[10.0.1.0/24]')),
      line: 9,
      column: 5,
      message: /syntax error: Map keys must be unique/,
    },
    {
      name: 'JSON object with a repeated key',
      file: 'state.json',
      text: '{\n  "tables": [],\n  "tables": []\n}\n',
      line: 3,
      column: 3,
      message: /^JSON syntax error: Map keys must be unique/,
    },
    {
      name: 'a top-level route through a wireguard interface, outside every peer',
      text: lines(
        UPLINK,
        wg(),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
        'routes:',
        '  - { prefix: 10.8.0.0/16, via: 10.0.9.1, interface: wg0 }',
      ),
      line: 14,
      column: 33,
      message:
        'via 10.0.9.1 is not inside the allowed IPs of any peer of "wg0": VPP picks the peer by next hop and would drop this route; list it under that peer\'s routes instead',
    },
    {
      name: 'empty file',
      text: '# nothing here\n',
      line: 1,
      column: 1,
      message: 'the file is empty: write a mapping with at least `wireguard:` (see deploy/examples/)',
    },
    {
      name: 'misspelt top-level key',
      text: lines(UPLINK, 'wireguards: []'),
      line: 4,
      column: 1,
      message:
        'unknown key "wireguards" in the document: did you mean "wireguard"? allowed keys are version, tables, uplinks, routes, wireguard, linux_cp, bgp',
    },
    {
      name: 'admin_up written as yes',
      text: lines(UPLINK, wg('    admin_up: yes'), peer('a', PUB[0]!, '[10.0.1.0/24]')),
      line: 9,
      column: 15,
      message:
        'wireguard.0.admin_up must be true or false, not a string (write true or false; yes/no/on/off are strings in YAML 1.2)',
    },
    {
      name: 'peers written as a mapping',
      text: lines(UPLINK, wg(), '      name: a'),
      line: 10,
      column: 7,
      message: "wireguard.0.peers must be a list, not a mapping (start each entry with '- ', or write [a, b])",
    },
    {
      name: 'peer without public_key',
      text: lines(UPLINK, wg(), '      - name: a', '        allowed_ips: [10.0.1.0/24]'),
      line: 10,
      column: 9,
      message: 'wireguard.0.peers.0 lacks "public_key" (a base64 public key): add it',
    },
    {
      name: 'listen_port 0',
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('51820', '0')),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 7,
      column: 18,
      message:
        'wireguard.0.listen_port is 0, out of range: it must be a UDP port (1..65535; VPP has no ephemeral ports)',
    },
    {
      name: 'listen_port as a string',
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('51820', '"51820"')),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 7,
      column: 18,
      message:
        'wireguard.0.listen_port must be a UDP port (1..65535; VPP has no ephemeral ports), not a string (remove the quotes)',
    },
    {
      name: 'endpoint port 70000',
      text: lines(
        UPLINK,
        wg(),
        peer('a', PUB[0]!, '[10.0.1.0/24]', '        endpoint: { address: 198.51.100.1, port: 70000 }'),
      ),
      line: 13,
      column: 50,
      message: 'wireguard.0.peers.0.endpoint.port is 70000, out of range: it must be a UDP port (1..65535)',
    },
    {
      name: "private_key misspelt 'generated'",
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('generate', 'generated')),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 6,
      column: 18,
      message:
        /private_key is "…": it must be 'generate' or a key source \{file: PATH\}, \{env: VARIABLE\}, \{inline: BASE64\}/,
    },
    {
      name: 'private_key with two sources',
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('generate', '{ file: /etc/k, env: K }')),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 6,
      column: 18,
      message:
        'wireguard.0.private_key must be a key source: {file: PATH}, {env: VARIABLE} or {inline: BASE64}: give exactly one of its keys',
    },
    {
      name: 'inline private key too short',
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('generate', '{ inline: "c2hvcnQ=" }')),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 6,
      column: 28,
      message:
        "inline private key is not a WireGuard key: expected 32 bytes in base64 (44 characters ending in '='), as `vppwg genkey` or `wg genkey` prints",
    },
    {
      name: 'public key of 31 bytes',
      text: lines(UPLINK, wg(), peer('a', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==', '[10.0.1.0/24]')),
      line: 11,
      column: 21,
      message: /^public_key of peer "a" of "wg0" is not a WireGuard key: expected 32 bytes in base64/,
    },
    {
      name: 'no allowed IPs',
      text: lines(UPLINK, wg(), peer('a', PUB[0]!, '[]')),
      line: 12,
      column: 22,
      message:
        'wireguard.0.peers.0.allowed_ips has 0 entries: it must be the allowed IPs (1..255 prefixes, as VPP takes at most 255)',
    },
    {
      name: '256 allowed IPs',
      text: lines(
        UPLINK,
        wg(),
        peer('a', PUB[0]!, '[' + Array.from({ length: 256 }, (_, i) => `10.${i}.0.0/16`).join(', ') + ']'),
      ),
      line: 12,
      column: 22,
      message:
        'wireguard.0.peers.0.allowed_ips has 256 entries: it must be the allowed IPs (1..255 prefixes, as VPP takes at most 255)',
    },
    {
      name: 'allowed IP with a prefix length of 33',
      text: lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.0/24, 10.0.2.0/33]')),
      line: 12,
      column: 36,
      message: `allowed IP "10.0.2.0/33" is not a prefix: write 'address/length', e.g. 10.0.0.0/24 or 2001:db8::/64`,
    },
    {
      name: 'allowed IP with host bits set',
      text: lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.7/24]')),
      line: 12,
      column: 23,
      message: 'allowed IP 10.0.1.7/24 has host bits set: write 10.0.1.0/24',
    },
    {
      name: 'public key used on two interfaces',
      text: lines(
        UPLINK,
        wg(),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
        '  - name: wg1',
        '    private_key: generate',
        '    listen_port: 51821',
        '    source: 192.0.2.1',
        '    peers:',
        peer('b', PUB[0]!, '[10.0.2.0/24]'),
      ),
      line: 19,
      column: 21,
      message: `public key ${PUB[0]} is already used by peer "a" of "wg0" (line 11): VPP allows each public key once across all interfaces; remove one`,
    },
    {
      name: "peer key equal to the interface's own public key",
      opts: { env: { OWN_KEY: encodeKey(ownPriv) } },
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('generate', '{ env: OWN_KEY }')),
        peer('a', ownPub, '[10.0.1.0/24]'),
      ),
      line: 11,
      column: 21,
      message: `public_key of peer "a" of "wg0" is the interface's own public key: give the remote side's public key`,
    },
    {
      name: 'allowed IPs overlapping between two peers',
      text: lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.0.0/16]'), peer('b', PUB[1]!, '[10.1.0.0/16, 10.0.5.0/24]')),
      line: 15,
      column: 36,
      message:
        'allowed IP 10.0.5.0/24 of peer "b" overlaps 10.0.0.0/16 of peer "a" (line 12) on "wg0": allowed IPs of peers on one interface must not overlap; split the range or use one interface per peer',
    },
    {
      name: "route via outside the peer's allowed IPs",
      text: lines(
        UPLINK,
        wg(),
        peer(
          'a',
          PUB[0]!,
          '[10.0.1.0/24, 10.9.0.0/16]',
          '        routes:',
          '          - { prefix: 10.9.0.0/16, via: 10.0.2.1 }',
        ),
      ),
      line: 14,
      column: 41,
      message:
        'via 10.0.2.1 is not inside the allowed IPs of peer "a" of "wg0" (10.0.1.0/24, 10.9.0.0/16): VPP picks the peer by next hop and would drop this route; use the peer\'s tunnel address or add a prefix covering 10.0.2.1 to allowed_ips',
    },
    {
      name: "route prefix outside the peer's allowed IPs",
      text: lines(
        UPLINK,
        wg(),
        peer(
          'a',
          PUB[0]!,
          '[10.0.1.0/24]',
          '        tunnel_next_hops: [10.0.1.2]',
          '        routes:',
          '          - prefix: 10.20.0.0/16',
        ),
      ),
      line: 15,
      column: 21,
      message:
        'route 10.20.0.0/16 is not inside the allowed IPs of peer "a" of "wg0" (10.0.1.0/24): VPP would send to it but drop what comes back from it; add 10.20.0.0/16 to allowed_ips',
    },
    {
      name: "tunnel next hop outside the peer's allowed IPs",
      text: lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.0/24]', '        tunnel_next_hops: [10.0.1.2, 10.0.3.2]')),
      line: 13,
      column: 38,
      message:
        'tunnel next hop 10.0.3.2 is not inside the allowed IPs of peer "a" of "wg0" (10.0.1.0/24): VPP picks the peer by next hop, so add 10.0.3.2/32 (or a covering prefix) to allowed_ips',
    },
    {
      name: 'route with no via and no tunnel next hop of its family',
      text: lines(
        UPLINK,
        wg(),
        peer(
          'a',
          PUB[0]!,
          '[10.0.1.0/24, "fd00::/64", "fd00:9::/48"]',
          '        tunnel_next_hops: [10.0.1.2]',
          '        routes:',
          '          - prefix: "fd00:9::/48"',
        ),
      ),
      line: 15,
      column: 13,
      message: /^route fd00:9::\/48 of peer "a" of "wg0" has no via and the peer has no IPv6 tunnel next hop: add via/,
    },
    {
      name: 'IPv6 endpoint on an interface with an IPv4 source',
      text: lines(
        UPLINK,
        wg(),
        peer('a', PUB[0]!, '[10.0.1.0/24]', '        endpoint: { address: "2001:db8:9::1", port: 51820 }'),
      ),
      line: 13,
      column: 30,
      message:
        'endpoint 2001:db8:9::1 is IPv6 but the source of "wg0" is IPv4: VPP uses one underlay family per interface; put this peer on a wireguard interface with an IPv6 source',
    },
    {
      name: 'endpoint given as a host name',
      text: lines(
        UPLINK,
        wg(),
        peer('a', PUB[0]!, '[10.0.1.0/24]', '        endpoint: { address: vpn.example.com, port: 51820 }'),
      ),
      line: 13,
      column: 30,
      message: `endpoint address "vpn.example.com" is not an IP address: write the peer's public address (names are not resolved)`,
    },
    {
      name: 'source address no uplink holds',
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('source: 192.0.2.1', 'source: 192.0.2.9')),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 8,
      column: 13,
      message:
        'source 192.0.2.9 is not an address of any uplink: add it to the addresses of the uplink that holds it (VPP sends from it and must receive on it)',
    },
    {
      name: 'undeclared overlay table',
      text: lines(UPLINK, wg('    table: 5'), peer('a', PUB[0]!, '[10.0.1.0/24]')),
      line: 9,
      column: 12,
      message: 'table 5 (wireguard "wg0") is not declared: add {id: 5, name: ...} under tables, or use table 0',
    },
    {
      name: 'undeclared uplink table',
      text: lines(UPLINK, '    table: 4'),
      line: 4,
      column: 12,
      message: 'table 4 (uplink "host-eth0") is not declared: add {id: 4, name: ...} under tables, or use table 0',
    },
    {
      name: 'undeclared underlay table of a peer',
      text: lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.0/24]', '        underlay_table: 7')),
      line: 13,
      column: 25,
      message:
        'table 7 (underlay of peer "a" of "wg0") is not declared: add {id: 7, name: ...} under tables, or use table 0',
    },
    {
      name: 'IPv6 route in an IPv4-only table',
      text: lines(
        'tables:',
        '  - { id: 9, name: v4only, families: [ipv4] }',
        UPLINK,
        'routes:',
        '  - { prefix: "::/0", via: "2001:db8::fe", interface: host-eth0, table: 9 }',
      ),
      line: 7,
      column: 73,
      message: 'table 9 (route ::/0) has no ipv6 family: add ipv6 to its families',
    },
    {
      name: 'table 0 declared',
      text: lines('tables:', '  - { id: 0, name: main }'),
      line: 2,
      column: 11,
      message: 'tables.0.id is 0, out of range: it must be a FIB table id (1..4294967294; table 0 always exists)',
    },
    {
      name: 'route through an interface the file does not name',
      text: lines(UPLINK, 'routes:', '  - { prefix: 0.0.0.0/0, via: 192.0.2.254, interface: host-eth9 }'),
      line: 5,
      column: 55,
      message:
        'interface "host-eth9" is neither an uplink nor a wireguard interface of this file: add {name: host-eth9} under uplinks (only what you list is managed)',
    },
    {
      name: 'the same route twice',
      text: lines(
        UPLINK,
        'routes:',
        '  - { prefix: 0.0.0.0/0, via: 192.0.2.254, interface: host-eth0 }',
        '  - { prefix: 0.0.0.0/0, via: 192.0.2.253, interface: host-eth0 }',
      ),
      line: 6,
      column: 15,
      message: '0.0.0.0/0 in table 0 is already route 0.0.0.0/0 (routes) (line 5): keep one route per prefix and table',
    },
    {
      name: 'full tunnel without the pinned endpoint route',
      text: lines(
        UPLINK,
        wg(),
        peer(
          'server',
          PUB[0]!,
          '[0.0.0.0/0]',
          '        endpoint: { address: 203.0.113.1, port: 51820 }',
          '        tunnel_next_hops: [10.100.0.1]',
          '        routes:',
          '          - prefix: 0.0.0.0/0',
        ),
      ),
      line: 13,
      column: 30,
      message:
        'endpoint 203.0.113.1 of peer "server" would be reached through "wg0" itself (route 0.0.0.0/0 of peer "server" of "wg0", line 16): VPP drops such a recursive path; pin the endpoint with {prefix: 203.0.113.1/32, via: <underlay gateway>, interface: <uplink>} under routes',
    },
    {
      name: 'two interfaces with the same name',
      text: lines(
        UPLINK,
        wg(),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
        '  - name: wg0',
        '    private_key: generate',
        '    listen_port: 51821',
        '    source: 192.0.2.1',
      ),
      line: 13,
      column: 11,
      message: 'wireguard interface "wg0" is declared twice (first at line 5): give each a distinct name',
    },
    {
      name: 'two peers with the same name',
      text: lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.0/24]'), peer('a', PUB[1]!, '[10.0.2.0/24]')),
      line: 13,
      column: 15,
      message: 'peer "a" appears twice in "wg0" (first at line 10): give each peer its own name',
    },
    {
      name: 'the same uplink twice',
      text: lines(UPLINK, '  - name: host-eth0', '    mtu: 9000'),
      line: 4,
      column: 11,
      message: 'uplink "host-eth0" is listed twice (first at line 2): merge the two entries',
    },
    {
      name: 'instance 16384',
      text: lines(UPLINK, wg('    instance: 16384'), peer('a', PUB[0]!, '[10.0.1.0/24]')),
      line: 9,
      column: 15,
      message: 'instance 16384 is too large: use 0..16383, or omit it to let VPP choose',
    },
    {
      name: 'name too long for the ownership tag',
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('name: wg0', 'name: ' + 'w'.repeat(58))),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 5,
      column: 11,
      message: `name "${'w'.repeat(58)}" is too long: VPP keeps the ownership tag "vppwg:<name>" in 63 characters, so use at most 57`,
    },
    {
      name: 'an address on two interfaces',
      text: lines(UPLINK, wg('    addresses: [192.0.2.1/32]'), peer('a', PUB[0]!, '[10.0.1.0/24]')),
      line: 9,
      column: 17,
      message: 'address 192.0.2.1 is already on uplink "host-eth0" (line 3): an address can be on one interface only',
    },
    {
      name: "a tunnel next hop that is the interface's own address",
      text: lines(
        UPLINK,
        wg('    addresses: [10.0.0.1/24]'),
        peer('a', PUB[0]!, '[10.0.0.0/24]', '        tunnel_next_hops: [10.0.0.1]'),
      ),
      line: 14,
      column: 28,
      message:
        'tunnel next hop 10.0.0.1 is an address of "wg0" itself: VPP keeps a local route for it, so no host route to the peer can take its place; give the peer\'s own tunnel address',
    },
    {
      name: "a route via the interface's own address",
      text: lines(
        UPLINK,
        wg('    addresses: [10.0.0.1/24]'),
        peer('a', PUB[0]!, '[10.0.0.0/24, 10.7.0.0/16]', '        routes: [{ prefix: 10.7.0.0/16, via: 10.0.0.1 }]'),
      ),
      line: 14,
      column: 46,
      message:
        'via 10.0.0.1 is an address of "wg0" itself: VPP delivers to itself what is routed there; use the peer\'s tunnel address',
    },
    {
      name: 'an IPv6 link-local interface address',
      text: lines(UPLINK, wg("    addresses: [10.0.0.1/24, 'fe80::1/64']"), peer('a', PUB[0]!, '[10.9.1.0/24]')),
      line: 9,
      column: 30,
      message:
        "address fe80::1/64 is IPv6 link-local (fe80::/10): VPP makes one per IPv6-enabled interface itself and does not list it among the interface's addresses; remove it (vppwg does not manage link-local addresses)",
    },
    {
      name: 'overlapping subnets on two interfaces of one table',
      text: lines(UPLINK, wg('    addresses: [10.0.0.1/24, 192.0.2.129/25]'), peer('a', PUB[0]!, '[10.9.1.0/24]')),
      line: 9,
      column: 30,
      message:
        'address 192.0.2.129/25 of wireguard "wg0" overlaps 192.0.2.1/24 of uplink "host-eth0" (line 3) in table 0: VPP refuses overlapping subnets on two interfaces of one table; pick another subnet or put one interface in another table',
    },
    {
      name: 'missing private key file',
      opts: { baseDir: tmp },
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('generate', '{ file: missing.key }')),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 6,
      column: 26,
      message: `cannot read private key file \`${join(tmp, 'missing.key')}' (no such file): create it with \`(umask 077; vppwg genkey > ${join(tmp, 'missing.key')})\` or fix the path`,
    },
    {
      name: 'unset environment variable',
      opts: { env: {} },
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('generate', '{ env: WG0_PRIVATE_KEY }')),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 6,
      column: 25,
      message:
        'environment variable WG0_PRIVATE_KEY (private key) is not set: export it with the base64 key before running vppwg',
    },
    {
      name: 'preshared key when VPP lacks wireguard_peer_add_v2',
      opts: { env: { PSK_A: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, capabilities: { presharedKeys: false } },
      text: lines(UPLINK, wg(), peer('a', PUB[0]!, '[10.0.1.0/24]', '        preshared_key: { env: PSK_A }')),
      line: 13,
      column: 24,
      message:
        'peer "a" of "wg0" has a preshared_key, but the connected VPP lacks wireguard_peer_add_v2 (preshared keys need VPP 26.06 or later; 24.10 has none): remove preshared_key or upgrade VPP',
    },
    {
      name: 'an interface and an uplink with the same name',
      text: lines(
        UPLINK,
        wg().map((l) => l.replace('name: wg0', 'name: host-eth0')),
        peer('a', PUB[0]!, '[10.0.1.0/24]'),
      ),
      line: 5,
      column: 11,
      message:
        '"host-eth0" names both an uplink and a wireguard interface: rename the wireguard interface so routes are unambiguous',
    },
  ];
  return cases;
}
