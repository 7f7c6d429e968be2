/**
 * A node follows only what concerns it: the networks, its own keys, and the public keys of the
 * members of its networks. Other nodes' statuses (each grows with the fleet and changes with every
 * handshake) never reach it, and the set of followed keys grows and shrinks with membership.
 */
import type { Etcd3 } from 'etcd3';
import { followedPrefixes } from '../../src/fleet/followed';
import { FleetLayout } from '../../src/fleet/layout';
import { PrefixSetMirror } from '../../src/fleet/mirror';
import { connectStore } from '../../src/fleet/store';
import { describeWithEtcd, TestEtcd } from './etcd';
import { eventually } from './fleet-node';

const layout = new FleetLayout('/f');

test('followed: the networks, its own keys, and the public keys of its networks members only', () => {
  const kvs = new Map<string, string>([
    [layout.network('a'), ''],
    [layout.network('b'), ''],
    [layout.member('a', 'me'), ''],
    [layout.member('a', 'x'), ''],
    [layout.member('a', 'y'), ''],
    [layout.member('b', 'z'), ''],
    [layout.status('x'), '{}'],
  ]);
  expect(followedPrefixes(layout, 'me', kvs).sort()).toEqual(
    ['/f/networks/', '/f/nodes/me/', '/f/nodes/x/public/', '/f/nodes/y/public/'].sort(),
  );
  // A node of no network follows the networks (to see itself added) and its own keys.
  expect(followedPrefixes(layout, 'z2', kvs).sort()).toEqual(['/f/networks/', '/f/nodes/z2/']);
});

describeWithEtcd('fleet: what a node follows in the store', () => {
  let etcd: TestEtcd;
  let admin: Etcd3;
  beforeAll(async () => {
    etcd = await TestEtcd.start();
    admin = connectStore({ endpoints: [etcd.endpoint] });
  });
  afterAll(async () => {
    admin?.close();
    await etcd?.stop();
  });

  test('another node’s status never arrives; a member’s key is followed while it is a member', async () => {
    await admin.put(layout.network('a')).value('n');
    await admin.put(layout.member('a', 'me')).value('m');
    await admin.put(layout.member('a', 'x')).value('m');
    await admin.put(layout.publicKey('x', 'a')).value('kx1');
    await admin.put(layout.publicKey('y', 'a')).value('ky1');
    await admin.put(layout.status('x')).value('s1');
    const client = connectStore({ endpoints: [etcd.endpoint] });
    const mirror = new PrefixSetMirror(client, {
      prefixes: (kvs) => followedPrefixes(layout, 'me', kvs),
      setDependsOn: [layout.networks()],
    });
    const seen: string[] = [];
    mirror.on('changed', (keys) => seen.push(...keys));
    try {
      await mirror.start();
      // Listed at one revision, including the key of a member found in the same listing.
      expect(mirror.kvs.get(layout.publicKey('x', 'a'))).toBe('kx1');
      expect(mirror.kvs.has(layout.publicKey('y', 'a'))).toBe(false);
      expect(mirror.kvs.has(layout.status('x'))).toBe(false);

      await admin.put(layout.status('x')).value('s2');
      await admin.put(layout.publicKey('x', 'a')).value('kx2');
      await eventually(() => expect(mirror.kvs.get(layout.publicKey('x', 'a'))).toBe('kx2'));
      expect(seen).not.toContain(layout.status('x'));

      // y joins: its key, written before, is listed and then followed.
      await admin.put(layout.member('a', 'y')).value('m');
      await eventually(() => expect(mirror.kvs.get(layout.publicKey('y', 'a'))).toBe('ky1'));
      expect(mirror.prefixes).toContain(layout.publicKeys('y'));
      await admin.put(layout.publicKey('y', 'a')).value('ky2');
      await eventually(() => expect(mirror.kvs.get(layout.publicKey('y', 'a'))).toBe('ky2'));

      // x leaves: its key goes from the copy (a change the node sees), and is no longer followed.
      await admin.delete().key(layout.member('a', 'x'));
      await eventually(() => expect(mirror.kvs.has(layout.publicKey('x', 'a'))).toBe(false));
      expect(seen).toContain(layout.publicKey('x', 'a'));
      expect(mirror.prefixes).not.toContain(layout.publicKeys('x'));
      await admin.put(layout.publicKey('x', 'a')).value('kx3');
      await admin.put(layout.publicKey('y', 'a')).value('ky3');
      await eventually(() => expect(mirror.kvs.get(layout.publicKey('y', 'a'))).toBe('ky3'));
      expect(mirror.kvs.has(layout.publicKey('x', 'a'))).toBe(false);

      // The node itself leaves: it follows no one's key any more.
      await admin.delete().key(layout.member('a', 'me'));
      await eventually(() => expect(mirror.kvs.has(layout.publicKey('y', 'a'))).toBe(false));
      expect(mirror.prefixes.sort()).toEqual([layout.networks(), layout.node('me')].sort());
      expect(mirror.listings).toBe(1);
    } finally {
      await mirror.stop();
      client.close();
    }
  });

  test('a node of a 250-member network lists every member’s key at one revision (listings are batched)', async () => {
    const net = 'big';
    await admin.put(layout.network(net)).value('n');
    const names = Array.from({ length: 250 }, (_, i) => `m${i}`);
    for (const name of names) {
      await admin.put(layout.member(net, name)).value('m');
      await admin.put(layout.publicKey(name, net)).value(`k-${name}`);
    }
    const client = connectStore({ endpoints: [etcd.endpoint] });
    const mirror = new PrefixSetMirror(client, {
      prefixes: (kvs) => followedPrefixes(layout, 'm0', kvs),
      setDependsOn: [layout.networks()],
    });
    try {
      await mirror.start();
      for (const name of names.slice(1)) expect(mirror.kvs.get(layout.publicKey(name, net))).toBe(`k-${name}`);
      // Its own key is under its own prefix, listed too; 249 others plus the networks and itself.
      expect(mirror.kvs.get(layout.publicKey('m0', net))).toBe('k-m0');
      expect(mirror.prefixes).toHaveLength(251);
    } finally {
      await mirror.stop();
      client.close();
    }
  });
});
