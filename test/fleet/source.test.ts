/**
 * The etcd source's own behaviours beside the topology: a bad value written while running is
 * refused naming its key (the node keeps its last good state, its status says why), and the
 * --config file's objects are merged with the fleet's, a conflict naming both sources. A stream of
 * changes is loaded while it lasts, many changes a load; status changes are written a second apart.
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { parseDesiredState } from '../../src/config';
import type { StatusMsg } from '../../src/daemon/api/proto';
import type { DesiredSource } from '../../src/daemon/desired-source';
import { putDesired, putMember, putNetwork } from '../../src/fleet/admin';
import { FleetLayout } from '../../src/fleet/layout';
import type { FleetNodeStatus } from '../../src/fleet/model';
import { createFleetSource, reloadGapMs } from '../../src/fleet/source';
import { connectStore } from '../../src/fleet/store';
import { eventually, FleetNode } from './fleet-node';
import { describeWithEtcd, freePort, TestEtcd } from './etcd';

const layout = new FleetLayout('/vppwg');

/** A --config file as a source: fixed text. */
function fileSource(text: string): DesiredSource {
  return {
    description: 'file local.yaml',
    start: () => Promise.resolve(),
    load: () => Promise.resolve(parseDesiredState(text, 'local.yaml', { env: {} })),
    stop: () => Promise.resolve(),
  };
}

describe('fleet: the gap between two loads', () => {
  test('ten times the last load and reconcile, at most 1 s, or 15 ms a peer in a larger fleet up to 3 s', () => {
    // Quick loads in a small fleet barely wait.
    expect(reloadGapMs(3, 2, 10)).toBe(50);
    // A busy node of 50 backs off to the second; one of 200 to 3 s; never more.
    expect(reloadGapMs(400, 100, 49)).toBe(1000);
    expect(reloadGapMs(400, 100, 199)).toBe(2985);
    expect(reloadGapMs(4000, 1000, 1000)).toBe(3000);
    // Between the two: 120 peers, 1.8 s.
    expect(reloadGapMs(150, 50, 120)).toBe(1800);
  });
});

describeWithEtcd('fleet: the etcd source', () => {
  let etcd: TestEtcd;
  let admin: Etcd3;

  beforeAll(async () => {
    etcd = await TestEtcd.start();
    admin = connectStore({ endpoints: [etcd.endpoint] });
    await putNetwork(admin, layout, 'name: s\ntopology: mesh\nlisten_port: 51820\noverlay: 10.96.0.0/24\n');
    for (const [node, ip] of [
      ['s1', '192.0.2.41'],
      ['s2', '192.0.2.42'],
    ] as const) {
      await putDesired(admin, layout, node, `uplinks:\n  - name: host-eth0\n    addresses: [${ip}/24]\n`);
      await putMember(admin, layout, 's', node, `endpoint: {address: ${ip}}\n`);
    }
  });
  afterAll(async () => {
    admin?.close();
    await etcd?.stop();
  });

  test('a bad value written while running: refused naming the key, the last good state stays', async () => {
    const s1 = await FleetNode.start('s1', '192.0.2.41', { endpoints: [etcd.endpoint] });
    const s2 = await FleetNode.start('s2', '192.0.2.42', { endpoints: [etcd.endpoint] });
    try {
      await eventually(async () => expect(Object.keys(await s1.peersOn('s'))).toEqual(['s2']));
      // Written around the CLI's validation, as a hand-edit with etcdctl would be.
      await admin.put(layout.member('s', 's2')).value('endpoint: {address: nowhere}\ntunnel_address: 10.96.0.2\n');
      await eventually(async () => {
        const status = JSON.parse((await admin.get(layout.status('s1')).string()) ?? '{}') as { rejected?: string };
        expect(status.rejected).toBe(
          '/vppwg/networks/s/members/s2: /endpoint/address: "nowhere" is not an IP address: names are not resolved',
        );
      });
      await s1.trigger();
      expect(Object.keys(await s1.peersOn('s'))).toEqual(['s2']);
      expect((await s1.peersOn('s'))['s2']?.endpoint).toBe('192.0.2.42:51820');
      await putMember(admin, layout, 's', 's2', 'endpoint: {address: 192.0.2.42}\n');
      await eventually(async () => {
        const status = JSON.parse((await admin.get(layout.status('s1')).string()) ?? '{}') as { rejected?: string };
        expect(status.rejected).toBeUndefined();
      });
    } finally {
      await s1.stop();
      await s2.stop();
    }
  });

  test("another node's own document costs this node no reload", async () => {
    const s1 = await FleetNode.start('s1', '192.0.2.41', { endpoints: [etcd.endpoint], driftMs: 0 });
    const s2 = await FleetNode.start('s2', '192.0.2.42', { endpoints: [etcd.endpoint], driftMs: 0 });
    try {
      await eventually(async () => expect(Object.keys(await s1.peersOn('s'))).toEqual(['s2']));
      await eventually(async () => expect(Object.keys(await s2.peersOn('s'))).toEqual(['s1']));
      const quiet = await s1.settled();
      const s2Before = await s2.settled();
      await putDesired(
        admin,
        layout,
        's2',
        'uplinks:\n  - name: host-eth0\n    addresses: [192.0.2.42/24]\n    mtu: 1400\n',
      );
      await eventually(() => expect(s2.status().reconciles).toBeGreaterThan(s2Before));
      await new Promise((r) => setTimeout(r, 300));
      expect(s1.status().reconciles).toBe(quiet);
      // A value written again unchanged is no change.
      const s2Key = layout.publicKey('s2', 's');
      await admin.put(s2Key).value((await admin.get(s2Key).string())!);
      await new Promise((r) => setTimeout(r, 300));
      expect(s1.status().reconciles).toBe(quiet);
      // Its own public key removed by hand: published again from the kept private key, no reconcile.
      const ownKey = layout.publicKey('s1', 's');
      const published = await admin.get(ownKey).string();
      expect(published).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      await admin.delete().key(ownKey);
      await eventually(async () => expect(await admin.get(ownKey).string()).toBe(published));
      expect(s1.status().reconciles).toBe(quiet);
      // A change s1 derives from (s2's member) does reach it.
      await putMember(admin, layout, 's', 's2', 'endpoint: {address: 192.0.2.42, port: 51899}\n');
      await eventually(async () => expect((await s1.peersOn('s'))['s2']?.endpoint).toBe('192.0.2.42:51899'));
      expect(s1.status().reconciles).toBeGreaterThan(quiet);
    } finally {
      await s1.stop();
      await s2.stop();
      await putMember(admin, layout, 's', 's2', 'endpoint: {address: 192.0.2.42}\n');
    }
  });

  test('a steady stream of changes: loaded while it lasts, many changes a load, the last one applied', async () => {
    const s1 = await FleetNode.start('s1', '192.0.2.41', { endpoints: [etcd.endpoint], driftMs: 0 });
    const s2 = await FleetNode.start('s2', '192.0.2.42', { endpoints: [etcd.endpoint], driftMs: 0 });
    try {
      await eventually(async () => expect(Object.keys(await s1.peersOn('s'))).toEqual(['s2']));
      const before = await s1.settled();
      // s2's site prefix changed every 20 ms for two seconds: less than the 50 ms debounce apart all
      // along. Written as is (putMember's transaction would slow the stream), keeping its tunnel address.
      const member = JSON.parse((await admin.get(layout.member('s', 's2')).string())!) as Record<string, unknown>;
      let changes = 0;
      let during = 0;
      const streamStarted = Date.now();
      while (Date.now() - streamStarted < 2000) {
        changes++;
        const sites = { site_prefixes: [`172.16.${changes}.0/24`] };
        await admin.put(layout.member('s', 's2')).value(JSON.stringify({ ...member, ...sites }));
        if (Date.now() - streamStarted > 1500 && !during) during = s1.status().reconciles - before;
        await new Promise((r) => setTimeout(r, 20));
      }
      await eventually(async () =>
        expect((await s1.peersOn('s'))['s2']?.allowedIps).toEqual(['10.96.0.2/32', `172.16.${changes}.0/24`]),
      );
      expect(during).toBeGreaterThanOrEqual(1);
      expect(s1.status().reconciles - before).toBeLessThan(changes);
    } finally {
      await s1.stop();
      await s2.stop();
      await putMember(admin, layout, 's', 's2', 'endpoint: {address: 192.0.2.42}\n');
    }
  });

  test('status changes in a burst: written at least a second apart, the last one too', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'vppwg-fleet-s7-'));
    const source = await createFleetSource({ endpoints: [etcd.endpoint], node: 's7', stateDir });
    // Only what the status is built from: the last reconcile's summary changes at each event.
    const daemon = Object.assign(new EventEmitter(), {
      step: 0,
      lastReconcileSummary: undefined,
      status(): StatusMsg {
        const lastReconcile = { finishedAtMs: Date.now(), ok: true, summary: `step ${this.step}` };
        return { vpp: { connected: true }, peers: [], lastReconcile } as unknown as StatusMsg;
      },
    });
    const writes: { atMs: number; summary?: string }[] = [];
    const watcher = await admin.watch().key(layout.status('s7')).create();
    watcher.on('put', (kv) => {
      const status = JSON.parse(kv.value.toString()) as FleetNodeStatus;
      writes.push({ atMs: Date.now(), ...(status.lastReconcile ? { summary: status.lastReconcile.summary } : {}) });
    });
    try {
      await source.start(() => undefined, daemon);
      for (let i = 1; i <= 20; i++) {
        daemon.step = i;
        daemon.emit('event', {});
        await new Promise((r) => setTimeout(r, 50));
      }
      await eventually(() => expect(writes.at(-1)?.summary).toBe('step 20'), 3000);
      const gaps = writes.slice(1).map((w, i) => w.atMs - writes[i]!.atMs);
      expect(gaps.filter((g) => g < 900)).toEqual([]);
    } finally {
      await watcher.cancel();
      await source.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('--config merged with the fleet; an object both define names both sources', async () => {
    const merged = await FleetNode.start('s1', '192.0.2.41', {
      endpoints: [etcd.endpoint],
      fileSource: fileSource('tables:\n  - id: 7\n    name: local\n'),
    });
    try {
      expect(merged.source.description).toBe('etcd node s1 at /vppwg and file local.yaml');
      expect(merged.status().desiredSource).toBe('etcd node s1 at /vppwg and file local.yaml');
      const actual = await merged.observe();
      expect(actual.tables.filter((t) => t.id !== 0).map((t) => [t.id, t.name])).toEqual([
        [7, 'vppwg:local'],
        [7, 'vppwg:local'],
      ]); // IPv4 and IPv6
      expect([...actual.owned.interfaces.keys()]).toEqual(['s']);
    } finally {
      await merged.stop();
    }
    // At start there is no last good state to keep: the daemon refuses to start, naming both sources.
    await expect(
      FleetNode.start('s1', '192.0.2.41', {
        endpoints: [etcd.endpoint],
        fileSource: fileSource('uplinks:\n  - name: host-eth0\n'),
      }),
    ).rejects.toThrow(
      'uplink "host-eth0" is defined both by file local.yaml and by etcd node s1 at /vppwg: keep it in one of them',
    );
    // ...and gave its node name up again.
    expect(await admin.get(layout.claim('s1')).string()).toBeNull();
  });

  test("a claim left by a crashed agent of this host is taken over at once; another host's is refused", async () => {
    const lease = admin.lease(30);
    lease.on('lost', () => undefined);
    try {
      const leaseId = await lease.grant();
      const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
      const crashed = { host: hostname(), pid: deadPid, sinceMs: Date.now() - 1000 };
      await admin.put(layout.claim('s1')).value(JSON.stringify(crashed)).lease(leaseId);
      const s1 = await FleetNode.start('s1', '192.0.2.41', { endpoints: [etcd.endpoint] });
      try {
        expect(JSON.parse((await admin.get(layout.claim('s1')).string())!)).toMatchObject({
          host: hostname(),
          pid: process.pid,
        });
      } finally {
        await s1.stop();
      }
      const elsewhere = { host: 'other-host.example', pid: deadPid, sinceMs: 0 };
      await admin.put(layout.claim('s1')).value(JSON.stringify(elsewhere)).lease(leaseId);
      await expect(FleetNode.start('s1', '192.0.2.41', { endpoints: [etcd.endpoint] })).rejects.toThrow(
        `node name "s1" is already in use by the agent on host other-host.example (pid ${deadPid}, since 1970-01-01T00:00:00.000Z) (/vppwg/nodes/s1/claim): stop that agent, or give this one another --node (a crashed agent's claim expires within 3 s)`,
      );
    } finally {
      await lease.revoke();
    }
  });

  test('a store that does not answer at start: a clear error, nothing started', async () => {
    const port = await freePort();
    await expect(FleetNode.start('s9', '192.0.2.49', { endpoints: [`http://127.0.0.1:${port}`] })).rejects.toThrow(
      new RegExp(
        `^cannot start fleet node s9: etcd at http://127\\.0\\.0\\.1:${port} did not answer \\(.*\\): check --etcd, the TLS files and that the store runs$`,
      ),
    );
  });
});
