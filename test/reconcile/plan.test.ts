/**
 * The planner on in-memory states: drift rules for learned/roamed endpoints, phase order of
 * teardown and bring-up, the rebind sequence VPP needs, dependencies, and plans that never print keys.
 */
import { encodeKey, generatePresharedKey, generatePrivateKey, publicKeyOf } from '../../src/config';
import type { DesiredState, DesiredWireguardInterface } from '../../src/config';
import {
  buildActualState,
  formatPlan,
  planChanges,
  planToJson,
  PHASES,
  type ActualInterface,
  type ActualPeer,
  type ActualState,
} from '../../src/reconcile';
import { inspect } from 'node:util';
import { makeSecretKey } from '../../src/util/secrets';
import { hasStaleDelegates } from '../../src/reconcile/actual';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

const uplink: ActualInterface = {
  swIfIndex: 1,
  name: 'host-eth0',
  devType: 'af_packet',
  tag: '',
  adminUp: true,
  linkUp: true,
  mtu: [1500, 0, 0, 0],
  table: { ip4: 0, ip6: 0 },
  addresses: ['192.0.2.1/24'],
};
const wgIf: ActualInterface = {
  swIfIndex: 2,
  name: 'wg0',
  devType: 'Wireguard Tunnel',
  tag: 'vppwg:wg-x',
  owner: 'wg-x',
  adminUp: true,
  linkUp: true,
  mtu: [1420, 0, 0, 0],
  table: { ip4: 0, ip6: 0 },
  addresses: ['10.0.0.1/24'],
};

function desiredWg(over: Partial<DesiredWireguardInterface> = {}): DesiredWireguardInterface {
  return {
    name: 'wg-x',
    privateKey: 'generate',
    listenPort: 51820,
    source: '192.0.2.1',
    addresses: ['10.0.0.1/24'],
    mtu: 1420,
    table: 0,
    adminUp: true,
    peers: [
      {
        name: 'server-side-client',
        publicKey: KEY_A,
        allowedIps: ['10.0.0.2/32'],
        persistentKeepalive: 0,
        underlayTable: 0,
        tunnelNextHops: [],
        routes: [],
      },
      {
        name: 'site',
        publicKey: KEY_B,
        endpoint: { address: '198.51.100.1', port: 51820 },
        allowedIps: ['10.0.0.3/32'],
        persistentKeepalive: 25,
        underlayTable: 0,
        tunnelNextHops: [],
        routes: [],
      },
    ],
    ...over,
  };
}

function state(wg: DesiredWireguardInterface[], extra: Partial<DesiredState> = {}): DesiredState {
  return { tables: [], uplinks: [], routes: [], wireguard: wg, ...extra };
}

function actual(peers: ActualPeer[], ifs: ActualInterface[] = [uplink, wgIf]): ActualState {
  return buildActualState({
    interfaces: ifs,
    wireguard: ifs
      .filter((i) => i.owner)
      .map((i) => ({ swIfIndex: i.swIfIndex, instance: 0, publicKey: KEY_A, listenPort: 51820, source: '192.0.2.1' })),
    peers,
    tables: [
      { id: 0, family: 'ip4', name: 'ipv4-VRF:0' },
      { id: 0, family: 'ip6', name: 'ipv6-VRF:0' },
    ],
    routes: [],
    teib: [],
    peerV2: true,
  });
}

function peer(over: Partial<ActualPeer>): ActualPeer {
  return {
    peerIndex: 0,
    swIfIndex: 2,
    publicKey: KEY_A,
    allowedIps: ['10.0.0.2/32'],
    persistentKeepalive: 0,
    underlayTable: 0,
    flags: 0,
    established: false,
    presharedKeySet: false,
    ...over,
  };
}

describe('drift rules', () => {
  test('a server peer with a learned endpoint and a site peer that roamed with a live session plan nothing', () => {
    const plan = planChanges(
      state([desiredWg()]),
      actual([
        peer({ endpoint: { address: '203.0.113.50', port: 40123 }, established: true, flags: 2 }),
        peer({
          peerIndex: 1,
          publicKey: KEY_B,
          endpoint: { address: '203.0.113.99', port: 51820 },
          allowedIps: ['10.0.0.3/32'],
          persistentKeepalive: 25,
          established: true,
          flags: 2,
        }),
      ]),
    );
    expect(plan.operations).toEqual([]);
    expect(plan.isEmpty).toBe(true);
    expect(plan.notes.join('\n')).toContain('roamed, session established');
  });

  test('a site peer whose endpoint differs without a session is re-added', () => {
    const plan = planChanges(
      state([desiredWg()]),
      actual([
        peer({}),
        peer({
          peerIndex: 1,
          publicKey: KEY_B,
          endpoint: { address: '203.0.113.99', port: 51820 },
          allowedIps: ['10.0.0.3/32'],
          persistentKeepalive: 25,
        }),
      ]),
    );
    expect(plan.operations.map((o) => `${o.action} ${o.key}`)).toEqual(['delete wg-x/site', 'create wg-x/site']);
    expect(plan.operations[0]!.reason).toContain('endpoint 203.0.113.99:51820 → 198.51.100.1:51820');
    expect(plan.operations[1]!.dependsOn).toEqual([plan.operations[0]!.id]);
  });
});

describe('ordering', () => {
  test('moving an interface to another table: addresses out, table created, rebind, addresses back in', () => {
    const plan = planChanges(
      state([desiredWg({ table: 100, peers: [] })], { tables: [{ id: 100, name: 'blue', families: ['ip4', 'ip6'] }] }),
      actual([]),
    );
    expect(plan.operations.map((o) => `${o.action} ${o.kind} ${o.key}`)).toEqual([
      'delete address wg-x 10.0.0.1/24',
      'create table ip4 100',
      'create table ip6 100',
      'modify table-binding wg-x ip4',
      'modify table-binding wg-x ip6',
      'create address wg-x 10.0.0.1/24',
    ]);
    const bind4 = plan.operations.find((o) => o.key === 'wg-x ip4')!;
    expect(bind4.dependsOn).toEqual(['+table:ip4 100']);
    const readd = plan.operations.find((o) => o.action === 'create' && o.kind === 'address')!;
    expect(readd.dependsOn).toEqual(expect.arrayContaining(['~table-binding:wg-x ip4', '-address:wg-x 10.0.0.1/24']));
  });

  test('teardown runs in reverse dependency order before any bring-up', () => {
    const a = buildActualState({
      interfaces: [uplink, wgIf],
      wireguard: [{ swIfIndex: 2, instance: 0, publicKey: KEY_A, listenPort: 51820, source: '192.0.2.1' }],
      peers: [peer({ allowedIps: ['10.0.0.2/32', '10.5.0.0/16'] })],
      tables: [
        { id: 0, family: 'ip4', name: 'ipv4-VRF:0' },
        { id: 55, family: 'ip4', name: 'vppwg:old' },
      ],
      routes: [
        { table: 0, family: 'ip4', prefix: '10.5.0.0/16', paths: [{ swIfIndex: 2, nh: '10.0.0.2' }] },
        { table: 0, family: 'ip4', prefix: '10.0.0.2/32', paths: [{ swIfIndex: 2, nh: '10.0.0.2' }] },
        { table: 0, family: 'ip4', prefix: '198.18.0.0/15', paths: [{ swIfIndex: 1, nh: '192.0.2.254' }] },
      ],
      teib: [],
      peerV2: true,
    });
    const plan = planChanges(state([]), a);
    const kinds = plan.operations.map((o) => `${o.action} ${o.kind}`);
    expect(kinds).toEqual([
      // An up interface goes down first: VPP stops retrying its peers' handshakes before the deletes.
      'modify admin-state',
      'delete route',
      'delete next-hop',
      'delete peer',
      'delete address',
      'delete wireguard-interface',
      'delete table',
    ]);
    // The foreign underlay route via host-eth0 is not vppwg's: untouched.
    expect(plan.operations.some((o) => o.key.includes('198.18.0.0/15'))).toBe(false);
    const del = plan.operations.find((o) => o.kind === 'wireguard-interface')!;
    expect(del.dependsOn.length).toBeGreaterThanOrEqual(4);
    expect(PHASES.indexOf('route-del')).toBeLessThan(PHASES.indexOf('interface-del'));
  });
});

describe('routes wanted by several sources', () => {
  test('a prefix routed by two interfaces and the file merges its paths, and planning again without one drops its path', () => {
    const wgIf2: ActualInterface = { ...wgIf, swIfIndex: 3, name: 'wg1', tag: 'vppwg:wg-y', owner: 'wg-y' };
    const viaPeer = (name: string, key: string, nh: string) => ({
      name,
      publicKey: key,
      allowedIps: [`${nh}/32`, '10.9.0.0/16'],
      persistentKeepalive: 0,
      underlayTable: 0,
      tunnelNextHops: [],
      routes: [{ prefix: '10.9.0.0/16', via: nh }],
    });
    const x = desiredWg({ peers: [viaPeer('px', Buffer.alloc(32, 3).toString('base64'), '10.0.0.7')] });
    const y = desiredWg({
      name: 'wg-y',
      addresses: ['10.1.0.1/24'],
      peers: [viaPeer('py', Buffer.alloc(32, 4).toString('base64'), '10.1.0.7')],
    });
    const a = actual([], [uplink, wgIf, wgIf2]);
    const routeOp = (d: DesiredState) =>
      planChanges(d, a).operations.find((o) => o.kind === 'route' && o.key === 'table 0 10.9.0.0/16')!;
    const both = routeOp(
      state([x, y], { routes: [{ table: 0, prefix: '10.9.0.0/16', interface: 'wg-x', via: '10.0.0.8' }] }),
    );
    expect(both.reason).toBe('via 10.0.0.7 wg-x, 10.1.0.7 wg-y, 10.0.0.8 wg-x (peer wg-x/px)');
    // Each is planned again from the same desired objects: the merge above must not have changed them.
    expect(routeOp(state([x])).reason).toBe('via 10.0.0.7 wg-x (peer wg-x/px)');
    expect(routeOp(state([y])).reason).toBe('via 10.1.0.7 wg-y (peer wg-y/py)');
    expect(routeOp(state([x, y])).reason).toBe('via 10.0.0.7 wg-x, 10.1.0.7 wg-y (peer wg-x/px)');
  });
});

describe('plans never show keys', () => {
  test('text, JSON and inspected forms hold public keys only', () => {
    const priv = generatePrivateKey();
    const psk = generatePresharedKey();
    const d = desiredWg({ privateKey: makeSecretKey(priv, 'inline'), publicKey: encodeKey(publicKeyOf(priv)) });
    const withPsk = { ...d, peers: [{ ...d.peers[1]!, presharedKey: makeSecretKey(psk, 'inline') }] };
    const plan = planChanges(state([withPsk]), actual([], [uplink]));
    const text =
      formatPlan(plan) +
      JSON.stringify(planToJson(plan)) +
      JSON.stringify(plan) +
      inspect(plan, { depth: 12, showHidden: true });
    expect(plan.operations.length).toBeGreaterThan(3);
    // base64, hex, and the decimal byte list util.inspect prints for a Uint8Array.
    const forms = (k: Uint8Array) => [
      encodeKey(k),
      Buffer.from(k).toString('hex'),
      Array.from(k.subarray(0, 8)).join(', '),
    ];
    for (const secret of [...forms(priv), ...forms(psk)]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain(KEY_B.slice(0, 8));
    expect(text).toContain('preshared key');
  });
});

describe('VPP versions with stale midchain delegates (fixed in 26.02)', () => {
  test.each([
    ['24.10-release', true, true],
    ['25.10.0-rc1~12', true, true],
    ['26.02-release', false, false],
    ['26.10.0-rc0~374~gb575ec2c5', true, false],
    ['', false, true],
    ['', true, false],
  ])('version "%s" (v2 peers: %s) → %s', (version, peerV2, expected) => {
    expect(hasStaleDelegates(version || undefined, peerV2)).toBe(expected);
  });
});
