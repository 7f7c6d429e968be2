/**
 * The reconcile bench against a server named by VPP_API_SOCKET, here a separately started
 * `vppwg sim` process standing in for a real VPP: it runs, leaves the server as it found it (also
 * after a failure), and refuses to touch objects vppwg already owns there unless --force. Quick
 * mode: a smoke run, not a speed check. Runs from dist/ (npm test builds it first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as iface from 'vpp-api-ts/interface';
import * as wireguard from 'vpp-api-ts/wireguard';
import { VppClient } from '../../src/client';
import { projectRoot } from '../../src/util/paths';
import { suite } from '../../bench/suites/reconcile';
import { sendControlRequest } from '../../src/sim/control';

const CLI = join(projectRoot(), 'bin', 'vppwg.js');
const BENCH = join(projectRoot(), 'dist', 'bench', 'main.js');
const built = existsSync(join(projectRoot(), 'dist', 'src', 'cli', 'main.js')) && existsSync(BENCH);
const maybe = built ? test : test.skip;
if (!built) test('reconcile bench against VPP_API_SOCKET skipped: dist/ is missing (run npx tsc -b)', () => undefined);

const control = sendControlRequest;

async function snapshot(ctl: string): Promise<unknown> {
  const r = await control(ctl, { op: 'snapshot' });
  expect(r.ok).toBe(true);
  return r.snapshot;
}

function runBenchProcess(socket: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [BENCH, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VPP_API_SOCKET: socket },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describe('reconcile bench with VPP_API_SOCKET (a vppwg sim process as the VPP)', () => {
  let dir: string;
  let sock: string;
  let ctl: string;
  let sim: ChildProcess | undefined;

  beforeEach(async () => {
    if (!built) return;
    dir = mkdtempSync(join(tmpdir(), 'vppwg-bench-vpp-'));
    sock = join(dir, 'api.sock');
    ctl = join(dir, 'control.sock');
    sim = spawn(process.execPath, [CLI, 'sim', '--socket', sock, '--control', ctl], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      sim!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('listening')) resolve();
      });
      sim!.once('exit', (code) => reject(new Error(`vppwg sim exited with ${code}: ${out}`)));
    });
  }, 30_000);

  afterEach(async () => {
    if (sim && sim.exitCode === null) {
      const exited = new Promise((resolve) => sim!.once('exit', resolve));
      sim.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  maybe(
    'runs the figures against that socket and leaves the server exactly as it found it',
    async () => {
      const before = await snapshot(ctl);
      const lines: string[] = [];
      const figures = await suite.run({ vppSocket: sock, force: false, quick: true, log: (l) => lines.push(l) });
      expect(figures.map((f) => f.name).slice(0, 5)).toEqual([
        'cold apply, 50 peers (1 route + 1 next hop each)',
        'cold apply, 300 peers (1 route + 1 next hop each)',
        'no-op apply, 300 peers, while VPP retransmits their handshakes',
        'one changed peer among 300 (observing everything first)',
        "one changed peer among 300 (from the previous run's state)",
      ]);
      for (const f of figures) {
        expect(f.server).toBe(`vpp ${sock}`);
        expect(f.median).toBeGreaterThan(0);
      }
      expect(figures[1]!.floor).toBeGreaterThan(0);
      // The scale curve: vppwg's run in a child beside the raw floor of each order, and where the time went.
      const point = figures.find((f) => f.name === 'curve: cold apply, 50 peers');
      expect(point?.floor).toBeGreaterThan(0);
      const detail = point!.detail as {
        phasesMs: number;
        cpuMs: number;
        rssMb: number;
        floors: Record<string, number>;
      };
      expect(Object.keys(detail.floors)).toEqual(['peers first', 'next hops first']);
      expect(detail.phasesMs).toBeGreaterThan(0);
      expect(detail.phasesMs).toBeLessThan(point!.median);
      expect(detail.cpuMs).toBeGreaterThan(0);
      expect(detail.rssMb).toBeGreaterThan(20);
      expect(lines.join('\n')).toMatch(/loop\d+ \(192\.0\.2\.1\/24\) standing in for the uplink/);
      expect(await snapshot(ctl)).toEqual(before);
    },
    90_000,
  );

  maybe(
    'cleans up after a run that fails half way (VPP rejects a peer add)',
    async () => {
      const before = await snapshot(ctl);
      // The 40th peer add of the first cold apply (50 peers) fails: the reconciler rolls back, the bench gives up.
      expect(await control(ctl, { op: 'failNth', msg: 'wireguard_peer_add', n: 40, retval: -2 })).toEqual({ ok: true });
      await expect(suite.run({ vppSocket: sock, force: false, quick: true, log: () => undefined })).rejects.toThrow(
        /cold apply of 50 peers failed/,
      );
      expect(await snapshot(ctl)).toEqual(before);
    },
    60_000,
  );

  maybe(
    'refuses (non-zero exit, names the objects and --force) when vppwg already owns an interface there; --force runs',
    async () => {
      const client = await VppClient.connect({ socketPath: sock, reconnect: false });
      try {
        // What another vppwg would have left: a WireGuard interface carrying its ownership tag.
        const wg = await client.call(wireguard.wireguard_interface_create, {
          interface: { user_instance: 0xffffffff, port: 51999, src_ip: '198.51.100.1' },
          generate_key: true,
        });
        await client.call(iface.sw_interface_tag_add_del, {
          is_add: true,
          sw_if_index: wg.sw_if_index,
          tag: 'vppwg:someone-elses',
        });
      } finally {
        await client.close();
      }
      const before = await snapshot(ctl);
      const refused = await runBenchProcess(sock, ['reconcile', '--quick']);
      expect(refused.code).not.toBe(0);
      expect(refused.out).toContain('suite reconcile refused: the VPP at');
      expect(refused.out).not.toMatch(/\n\s+at /); // a refusal is a message, not a crash with a stack
      expect(refused.out).toContain('already holds objects tagged by vppwg');
      expect(refused.out).toContain('vppwg:someone-elses');
      expect(refused.out).toContain('--force');
      // Refusing touched nothing.
      expect(await snapshot(ctl)).toEqual(before);

      const forced = await runBenchProcess(sock, ['reconcile', '--quick', '--force']);
      expect(forced.out).toContain('cold apply, 300 peers');
      expect(forced.code).toBe(0);
      // --force let the bench delete the owned interface; nothing the bench made is left behind either.
      const after = (await snapshot(ctl)) as {
        interfaces: { name: string }[];
        wireguardInterfaces: unknown[];
        peers: unknown[];
      };
      expect(after.wireguardInterfaces).toEqual([]);
      expect(after.peers).toEqual([]);
      const names = (s: { interfaces: { name: string }[] }): string[] => s.interfaces.map((i) => i.name);
      for (const n of names(after)) expect(names(before as { interfaces: { name: string }[] })).toContain(n);
    },
    90_000,
  );
});
