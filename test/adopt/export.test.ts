/** `vppwg export`: a VPP state made by hand becomes a desired-state file that validates, keys only in files. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseDesiredState } from '../../src/config';
import { encodeKey } from '../../src/config/keys';
import { runExport } from '../../src/cli/commands/adopt';
import { startRig, type Rig } from '../reconcile/helpers';
import { KEYS, PEERS, buildByHand } from './vpp-by-hand';

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
  await buildByHand(rig.client);
});
afterEach(() => rig.close());

function capture(): { io: { out(t: string): void; err(t: string): void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, out, err };
}

test('exports every WireGuard interface, peer, next hop, route, table and the uplink and route they need', async () => {
  const keysDir = join(mkdtempSync(join(tmpdir(), 'vppwg-export-')), 'keys');
  const c = capture();
  expect(await runExport({ socket: rig.sim.socketPath, keysDir }, c.io)).toBe(0);
  const text = c.out.join('\n');
  // Keys only in files of mode 0600, never in what is printed.
  for (const k of Object.values(KEYS)) expect(text + c.err.join('\n')).not.toContain(encodeKey(k));
  for (const [name, key] of Object.entries(KEYS)) {
    const path = join(keysDir, `${name}.key`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(encodeKey(key));
  }
  const { state, diagnostics } = parseDesiredState(text, 'exported.yaml', { env: {} });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(state).toBeDefined();
  const doc = parse(text);
  expect(doc.uplinks).toEqual([{ name: 'host-eth0', addresses: ['192.0.2.1/24', '2001:db8:0:1::1/64'] }]);
  expect(doc.tables).toEqual([{ id: 10, name: 'overlay', families: ['ipv4', 'ipv6'] }]);
  expect(doc.routes).toEqual(
    expect.arrayContaining([
      { prefix: '198.51.100.0/24', via: '192.0.2.254', interface: 'host-eth0' },
      { prefix: '2001:db8:ffff::/64', via: '2001:db8:0:1::fe', interface: 'host-eth0' },
    ]),
  );
  expect(doc.routes).toHaveLength(2);
  const [wg0, wg1] = doc.wireguard;
  expect(wg0).toMatchObject({
    name: 'wg0',
    instance: 0,
    private_key: { file: join(keysDir, 'wg0.key') },
    listen_port: 51820,
    source: '192.0.2.1',
    addresses: ['10.9.0.1/24', 'fd00:9::1/64'],
    mtu: 1420,
    table: 10,
    admin_up: true,
  });
  expect(wg0.peers).toEqual([
    {
      name: 'peer-198.51.100.2',
      public_key: PEERS.a,
      endpoint: { address: '198.51.100.2', port: 51820 },
      allowed_ips: ['10.9.0.2/32', '10.20.0.0/16'],
      persistent_keepalive: 25,
      tunnel_next_hops: ['10.9.0.2'],
      routes: [{ prefix: '10.20.0.0/16', via: '10.9.0.2' }],
    },
    {
      name: 'peer-2',
      public_key: PEERS.b,
      allowed_ips: ['10.9.0.3/32', 'fd00:9::3/128'],
      tunnel_next_hops: ['fd00:9::3'],
    },
  ]);
  expect(wg1).toMatchObject({ name: 'wg1', instance: 1, source: '2001:db8:0:1::1', listen_port: 51821 });
  expect(wg1.peers).toEqual([
    {
      name: 'peer-2001-db8-ffff-2',
      public_key: PEERS.c,
      endpoint: { address: '2001:db8:ffff::2', port: 51860 },
      allowed_ips: ['10.10.0.0/31', '10.30.0.0/16'],
      routes: [{ prefix: '10.30.0.0/16', via: '10.10.0.0' }],
    },
  ]);
});

test('--interfaces narrows the export, and an unknown name is an error naming what VPP has', async () => {
  const c = capture();
  expect(await runExport({ socket: rig.sim.socketPath, interfaces: 'wg1', json: true }, c.io)).toBe(0);
  const doc = JSON.parse(c.out.join('\n'));
  expect(doc.wireguard.map((w: { name: string }) => w.name)).toEqual(['wg1']);
  // Without --keys-dir the document names a file to write the key to, and says how.
  expect(doc.wireguard[0].private_key).toEqual({ file: '/etc/vppwg/wg1.key' });
  const bad = capture();
  expect(await runExport({ socket: rig.sim.socketPath, interfaces: 'wg7' }, bad.io)).toBe(1);
  expect(bad.err.join('\n')).toMatch(/no WireGuard interface wg7 \(it has: wg0, wg1\)/);
});

test('a key file holding another key is never overwritten', async () => {
  const keysDir = mkdtempSync(join(tmpdir(), 'vppwg-export-'));
  writeFileSync(join(keysDir, 'wg0.key'), encodeKey(KEYS.wg1) + '\n');
  const c = capture();
  expect(await runExport({ socket: rig.sim.socketPath, keysDir }, c.io)).toBe(1);
  expect(c.err.join('\n')).toMatch(/wg0\.key exists and holds another key/);
  expect(readFileSync(join(keysDir, 'wg0.key'), 'utf8').trim()).toBe(encodeKey(KEYS.wg1));
});
