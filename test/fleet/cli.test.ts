/**
 * `vppwg fleet ...` through the built CLI against a throw-away etcd: values are validated before
 * they are written (a bad one writes nothing and names the fix), tunnel addresses are allocated
 * collision-free, and a write based on a stale revision is refused instead of overwriting.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { runPutDesired, runPutMember } from '../../src/cli/commands/fleet';
import { FleetLayout } from '../../src/fleet/layout';
import { connectStore } from '../../src/fleet/store';
import { projectRoot } from '../../src/util/paths';
import { describeWithEtcd, freePort, TestEtcd } from './etcd';

const layout = new FleetLayout('/vppwg');

describeWithEtcd('vppwg fleet commands', () => {
  let etcd: TestEtcd;
  let admin: Etcd3;
  let dir: string;

  beforeAll(async () => {
    etcd = await TestEtcd.start();
    admin = connectStore({ endpoints: [etcd.endpoint] });
    dir = mkdtempSync(join(tmpdir(), 'vppwg-fleet-cli-'));
  });
  afterAll(async () => {
    admin?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function vppwg(...args: string[]): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [join(projectRoot(), 'bin', 'vppwg.js'), ...args, '--etcd', etcd.endpoint], {
      encoding: 'utf8',
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
  function file(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  test('put-network validates before writing: a bad network writes nothing and names the fix', async () => {
    const bad = vppwg(
      'fleet',
      'put-network',
      file('bad.yaml', 'name: corp\ntopology: mesh\nlisten_port: 51820\noverlay: 10.99.0.1/24\n'),
    );
    expect(bad).toEqual({
      code: 1,
      stdout: '',
      stderr: 'vppwg fleet: /vppwg/networks/corp: /overlay: 10.99.0.1/24 has host bits set: write 10.99.0.0/24\n',
    });
    expect(await admin.get(layout.network('corp')).string()).toBeNull();
    const ok = vppwg(
      'fleet',
      'put-network',
      file('net.yaml', 'name: corp\ntopology: mesh\nlisten_port: 51820\noverlay: 10.99.0.0/29\n'),
    );
    expect(ok.stdout).toMatch(/^wrote \/vppwg\/networks\/corp at revision \d+\n$/);
    expect(ok.code).toBe(0);
  });

  test('put-member allocates the lowest free tunnel addresses, and says when the overlay is full', async () => {
    const out: string[] = [];
    // In-process (the same run function the command calls), to spare the CPU six CLI starts.
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const io = { stdout: '', stderr: '', out: (t: string) => (io.stdout += t), err: (t: string) => (io.stderr += t) };
      await runPutMember('corp', n, file(`${n}.yaml`, `endpoint: {address: 192.0.2.1}\n`), { etcd: etcd.endpoint }, io);
      expect(io.stderr).toBe('');
      out.push(/tunnel address (\S+)\)/.exec(io.stdout)![1]!);
    }
    expect(out).toEqual(['10.99.0.1', '10.99.0.2', '10.99.0.3', '10.99.0.4', '10.99.0.5', '10.99.0.6']);
    const full = vppwg('fleet', 'put-member', 'corp', 'g', file('g.yaml', `endpoint: {address: 192.0.2.1}\n`));
    expect([full.code, full.stderr]).toEqual([
      1,
      'vppwg fleet: network corp: no free tunnel address left in 10.99.0.0/29: give a larger overlay\n',
    ]);
    const taken = vppwg(
      'fleet',
      'put-member',
      'corp',
      'g',
      file('g2.yaml', `endpoint: {address: 192.0.2.1}\ntunnel_address: 10.99.0.2\n`),
    );
    expect(taken.stderr).toBe(
      'vppwg fleet: /vppwg/networks/corp/members/g: tunnel address 10.99.0.2 is already held by /vppwg/networks/corp/members/b: pick another or leave it out to have one allocated\n',
    );
    // Removing a member frees its address for the next one.
    expect(vppwg('fleet', 'remove-member', 'corp', 'c').code).toBe(0);
    expect(
      vppwg('fleet', 'put-member', 'corp', 'g', file('g.yaml', `endpoint: {address: 192.0.2.1}\n`)).stdout,
    ).toMatch(/tunnel address 10\.99\.0\.3\)/);
  });

  test('a write based on a stale revision is refused: no silent overwrite', async () => {
    const res = await admin.get(layout.network('corp')).exec();
    const rev = res.kvs[0]!.mod_revision;
    const text = 'name: corp\ntopology: mesh\nlisten_port: 51821\noverlay: 10.99.0.0/29\n';
    expect(vppwg('fleet', 'put-network', file('n2.yaml', text), '--if-revision', rev).code).toBe(0);
    const stale = vppwg('fleet', 'put-network', file('n3.yaml', text.replace('51821', '51822')), '--if-revision', rev);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(
      /^vppwg fleet: \/vppwg\/networks\/corp is at revision \d+, not \d+ as given with --if-revision: someone changed it; look at it again\n$/,
    );
    expect(await admin.get(layout.network('corp')).string()).toBe(text);
    const created = vppwg('fleet', 'put-network', file('n4.yaml', text), '--if-revision', '0');
    expect(created.code).toBe(1);
  });

  test('put-desired checks the document as the file would be checked', async () => {
    const bad = vppwg('fleet', 'put-desired', 'a', file('d.yaml', 'uplinks:\n  - name: host-eth0\n    mtu: 5\n'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\/vppwg\/nodes\/a\/desired:3:\d+: .*MTU/);
    expect(await admin.get(layout.desired('a')).string()).toBeNull();
    expect(vppwg('fleet', 'put-desired', 'a', file('d2.yaml', 'uplinks:\n  - name: host-eth0\n')).code).toBe(0);
    // Key sources name the node's own files and variables: not checkable here, so accepted.
    const io = { stdout: '', stderr: '', out: (t: string) => (io.stdout += t), err: (t: string) => (io.stderr += t) };
    const withKeys =
      'uplinks:\n  - name: host-eth0\n    addresses: [192.0.2.1/24]\nwireguard:\n  - name: wg0\n    private_key: {file: /nonexistent/wg0.key}\n    listen_port: 51000\n    source: 192.0.2.1\n  - name: wg1\n    private_key: {env: WG1_KEY}\n    listen_port: 51001\n    source: 192.0.2.1\n';
    expect(await runPutDesired('b', file('d3.yaml', withKeys), { etcd: etcd.endpoint }, io)).toBe(0);
    expect(io.stderr).toBe('');
  });

  test('rotate-key for a non-member, and status --json', async () => {
    const r = vppwg('fleet', 'rotate-key', '--node', 'zz', '--network', 'corp');
    expect(r.stderr).toBe(
      'vppwg fleet: node zz is no member of network corp (/vppwg/networks/corp/members/zz): check the names\n',
    );
    const s = vppwg('fleet', 'status', '--json');
    const report = JSON.parse(s.stdout) as {
      nodes: { name: string; up: boolean; healthy: boolean }[];
      networks: { members: string[] }[];
    };
    expect(report.networks[0]!.members).toEqual(['a', 'b', 'd', 'e', 'f', 'g']);
    expect(report.nodes.find((n) => n.name === 'a')).toMatchObject({ up: false, healthy: false });
    expect(s.code).toBe(2);
  });

  test('an unreachable store is a clear error', async () => {
    const port = await freePort();
    const r = spawnSync(
      process.execPath,
      [join(projectRoot(), 'bin', 'vppwg.js'), 'fleet', 'status', '--etcd', `http://127.0.0.1:${port}`],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^vppwg fleet: etcd is unreachable \(.*\): check --etcd and that the store is running\n$/);
  });
});
