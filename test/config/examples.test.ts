/**
 * The shipped examples validate clean (no errors, no warnings), express the designs they claim,
 * and the emulator config provides exactly the uplinks they name.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  encodeKey,
  generatePresharedKey,
  loadDesiredState,
  parseDesiredState,
  type DesiredState,
} from '../../src/config';
import { loadSimConfig } from '../../src/sim/config';
import { projectRoot } from '../../src/util/paths';

const dir = join(projectRoot(), 'deploy', 'examples');
const SIM_CONFIG = 'sim-uplinks.yaml';
const stateFiles = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f) && f !== SIM_CONFIG)
  .sort();

function load(name: string): DesiredState {
  const { state, diagnostics } = loadDesiredState(join(dir, name), { env: {} });
  expect(diagnostics).toEqual([]);
  if (!state) throw new Error(`${name} gave no state`);
  return state;
}

describe('deploy/examples', () => {
  test('all the documented examples are there', () => {
    expect(stateFiles).toEqual(
      expect.arrayContaining([
        'site-to-site.yaml',
        'remote-access-client.yaml',
        'remote-access-server.yaml',
        'bgp-tunnel-per-peer.yaml',
        'site-to-site-ipv6-underlay.yaml',
        'site-to-site-ipv6-overlay.yaml',
      ]),
    );
  });

  test.each(stateFiles)('%s validates with no diagnostics and opens with a comment header', (name) => {
    const state = load(name);
    expect(state.wireguard.length).toBeGreaterThan(0);
    const text = readFileSync(join(dir, name), 'utf8');
    expect(
      text
        .split('\n')
        .slice(0, 3)
        .every((l) => l.startsWith('#')),
    ).toBe(true);
  });

  test.each(stateFiles)('%s gives the same state read as JSON', (name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    const json = JSON.stringify(parse(text), null, 2);
    const fromJson = parseDesiredState(json, name.replace(/\.yaml$/, '.json'), { env: {} });
    expect(fromJson.diagnostics).toEqual([]);
    expect(fromJson.state).toEqual(load(name));
  });

  test('the emulator config provides every uplink the examples name, with the same addresses', () => {
    const sim = parse(readFileSync(join(dir, SIM_CONFIG), 'utf8')) as {
      uplinks: { name: string; addresses: string[]; up: boolean }[];
    };
    const simByName = new Map(sim.uplinks.map((u) => [u.name, u]));
    for (const name of stateFiles) {
      for (const up of load(name).uplinks) {
        const s = simByName.get(up.name);
        expect({ file: name, uplink: up.name, inSim: s !== undefined }).toEqual({
          file: name,
          uplink: up.name,
          inSim: true,
        });
        if (up.addresses) expect(s!.addresses).toEqual(up.addresses);
        if (up.adminUp !== undefined) expect(s!.up).toBe(up.adminUp);
      }
    }
  });

  test('the format reference in README.md is itself a valid file', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const tmp = mkdtempSync(join(tmpdir(), 'vppwg-readme-'));
    try {
      const psk = join(tmp, 'branch-b.psk');
      writeFileSync(psk, encodeKey(generatePresharedKey()) + '\n', { mode: 0o600 });
      chmodSync(psk, 0o600);
      const { state, diagnostics } = parseDesiredState(block!.replace('/etc/vppwg/branch-b.psk', psk), 'README.md', {
        env: {},
      });
      expect(diagnostics).toEqual([]);
      expect(state!.wireguard[0]!.peers[0]!.routes).toEqual([
        { prefix: '10.20.0.0/16', via: '10.2.111.2' },
        { prefix: '10.21.0.0/16', via: '10.2.111.2' },
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('the emulator accepts sim-uplinks.yaml as its config', () => {
    const config = loadSimConfig(join(dir, SIM_CONFIG));
    expect(config.uplinks?.map((u) => u.name)).toEqual(['host-eth0']);
  });

  test('site-to-site: one tunnel, two peers, routes via their tunnel next hops', () => {
    const [wg] = load('site-to-site.yaml').wireguard;
    expect(wg!.privateKey).toBe('generate');
    expect(wg!.peers.map((p) => [p.name, p.tunnelNextHops, p.routes])).toEqual([
      ['branch-b', ['10.2.111.2'], [{ prefix: '10.20.0.0/16', via: '10.2.111.2' }]],
      [
        'branch-c',
        ['10.2.111.3'],
        [
          { prefix: '10.30.0.0/16', via: '10.2.111.3' },
          { prefix: '10.31.0.0/16', via: '10.2.111.3' },
        ],
      ],
    ]);
  });

  test('remote-access client: full tunnel via the server tunnel addresses, endpoint pinned on the uplink', () => {
    const state = load('remote-access-client.yaml');
    const [peer] = state.wireguard[0]!.peers;
    expect(peer!.allowedIps).toEqual(['0.0.0.0/0', '::/0']);
    expect(peer!.routes).toEqual([
      { prefix: '0.0.0.0/0', via: '10.100.0.1' },
      { prefix: '::/0', via: 'fd00:100::1' },
    ]);
    expect(state.routes).toEqual([
      { prefix: `${peer!.endpoint!.address}/32`, table: 0, via: '192.0.2.254', interface: 'host-eth0' },
    ]);
  });

  test('the pinned route is what makes the full tunnel valid', () => {
    const original = readFileSync(join(dir, 'remote-access-client.yaml'), 'utf8');
    const text = original.replace(/^routes:\n(?: {2}#.*\n)? {2}- \{ prefix: 203\.0\.113\.1\/32.*\n/m, 'routes: []\n');
    expect(text).not.toEqual(original);
    const { state, diagnostics } = parseDesiredState(text, 'client.yaml', { env: {} });
    expect(state).toBeUndefined();
    expect(diagnostics.map((d) => d.message)).toEqual([
      expect.stringMatching(
        /^endpoint 203\.0\.113\.1 of peer "vpn-server" would be reached through "wg-vpn" itself \(route 0\.0\.0\.0\/0 of peer/,
      ),
    ]);
  });

  test('remote-access server: many clients, none with an endpoint, in their own VRF', () => {
    const state = load('remote-access-server.yaml');
    const [wg] = state.wireguard;
    expect(wg!.peers.length).toBeGreaterThanOrEqual(5);
    expect(wg!.peers.every((p) => p.endpoint === undefined && p.persistentKeepalive === 0)).toBe(true);
    expect(wg!.table).toBe(100);
    expect(state.tables).toEqual([{ id: 100, name: 'remote-access', families: ['ip4', 'ip6'] }]);
  });

  test('BGP: one interface per peer, 0/0 and ::/0 allowed, next hops, no routes, endpoints pinned', () => {
    const state = load('bgp-tunnel-per-peer.yaml');
    expect(state.wireguard.length).toBeGreaterThanOrEqual(2);
    for (const wg of state.wireguard) {
      expect(wg.peers).toHaveLength(1);
      const [p] = wg.peers;
      expect(p!.allowedIps).toEqual(['0.0.0.0/0', '::/0']);
      expect(p!.routes).toEqual([]);
      expect(p!.tunnelNextHops.length).toBe(2);
      expect(state.routes.map((r) => r.prefix)).toContain(`${p!.endpoint!.address}/32`);
    }
  });

  test('IPv6 variants: an IPv6 underlay and an IPv6 overlay', () => {
    const under = load('site-to-site-ipv6-underlay.yaml').wireguard[0]!;
    expect(under.source).toContain(':');
    expect(under.peers.every((p) => p.endpoint!.address.includes(':'))).toBe(true);
    const over = load('site-to-site-ipv6-overlay.yaml').wireguard[0]!;
    expect(over.source).not.toContain(':');
    expect(over.addresses.every((a) => a.includes(':'))).toBe(true);
    expect(over.peers.flatMap((p) => p.routes).every((r) => r.prefix.includes(':') && r.via.includes(':'))).toBe(true);
  });

  test('public keys are distinct across all examples (they can be applied side by side)', () => {
    const keys = stateFiles.flatMap((n) => load(n).wireguard.flatMap((w) => w.peers.map((p) => p.publicKey)));
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('a state written back as YAML in the file format loads to the same state', () => {
    // Guards the mapping file → model: every model field has a file key that carries it.
    const state = load('site-to-site.yaml');
    const back = {
      uplinks: state.uplinks.map((u) => ({ name: u.name, admin_up: u.adminUp, addresses: u.addresses })),
      routes: state.routes.map((r) => ({ prefix: r.prefix, via: r.via, interface: r.interface, table: r.table })),
      wireguard: state.wireguard.map((w) => ({
        name: w.name,
        private_key: 'generate',
        listen_port: w.listenPort,
        source: w.source,
        addresses: w.addresses,
        mtu: w.mtu,
        table: w.table,
        admin_up: w.adminUp,
        peers: w.peers.map((p) => ({
          name: p.name,
          public_key: p.publicKey,
          endpoint: p.endpoint,
          allowed_ips: p.allowedIps,
          persistent_keepalive: p.persistentKeepalive,
          underlay_table: p.underlayTable,
          tunnel_next_hops: p.tunnelNextHops,
          routes: p.routes,
        })),
      })),
    };
    const again = parseDesiredState(stringify(back), 'back.yaml', { env: {} });
    expect(again.diagnostics).toEqual([]);
    expect(again.state).toEqual(state);
  });
});
