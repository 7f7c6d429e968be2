/**
 * `vppwg apply` as a process against one VPP (the emulator, slowed down with its delay fault):
 * one writer at a time through the VPP lock (issue 14.14), and Ctrl-C / SIGTERM rolling back the
 * run instead of stranding half of it (issue 14.6).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type Sim } from '../../src/sim';
import { lockPathFor, VppLock } from '../../src/state';
import { projectRoot } from '../../src/util/paths';
import { examplesDir, exampleUplinks, mutatingCalls, totalOf } from '../reconcile/helpers';
import { CLI, runCli, startCli, until } from './helpers';

// Each test starts several node processes: on a loaded machine (the whole suite, 2 workers) that takes a while.
jest.setTimeout(120_000);

const site = join(examplesDir, 'site-to-site.yaml');
/** script(1) gives the CLI a real terminal (a pseudo-terminal) as stdin. */
const withTerminal = existsSync('/usr/bin/script') ? test : test.skip;

/** Runs `args` under script(1); `answer` is typed once the question shows. Resolves with the exit code and output. */
async function onTerminal(args: string[], answer: string): Promise<{ code: number; out: string }> {
  const t = spawn('/usr/bin/script', ['-eqfc', [process.execPath, CLI, ...args].join(' '), '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  t.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  t.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number>((resolve) => t.once('close', (code) => resolve(code ?? -1)));
  await until(() => out.includes('Apply?') || t.exitCode !== null, 'the question');
  t.stdin!.write(answer);
  return { code: await exit, out };
}

describe('vppwg apply as a process', () => {
  let dir: string;
  let sim: Sim;
  let socket: string;
  const apply = (...extra: string[]) => [
    'apply',
    site,
    '--socket',
    socket,
    '--state-dir',
    join(dir, 'state'),
    ...extra,
  ];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vppwg-apply-process-'));
    socket = join(dir, 'api.sock');
    sim = await startSim({ socketPath: socket, config: { uplinks: exampleUplinks() } });
  });
  afterEach(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('two applies at once: the second refuses naming the first, which completes; nothing half done', async () => {
    // The first stays slow until the second has been refused (node takes a while to start), then goes on at full speed.
    sim.control.delayReplies(500);
    const first = startCli(apply());
    await until(() => existsSync(lockPathFor(socket)) || first.child.exitCode !== null, 'the first apply to lock');
    const second = await runCli(apply());
    expect(second.code).toBe(1);
    expect(second.err).toMatch(new RegExp(`VPP at ${socket} is managed by vppwg apply ${site} \\(pid \\d+, since `));
    expect(second.out + second.err).not.toContain('rollback');
    sim.control.clearFaults();
    expect(await first.exit).toBe(0);
    expect(first.out()).toContain('verified: VPP matches the desired state');
    expect(existsSync(lockPathFor(socket))).toBe(false);
    expect((await runCli(['plan', site, '--socket', socket, '--state-dir', join(dir, 'state')])).code).toBe(0);
  });

  test('a lock held by another process (a running daemon) refuses naming it; --force goes through', async () => {
    const holder = 'vppwg serve --config /etc/vppwg/desired.yaml';
    const script =
      `const { VppLock } = require(${JSON.stringify(join(projectRoot(), 'dist', 'src', 'state'))});` +
      `VppLock.acquire(process.argv[1], process.argv[2]); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
    const daemon: ChildProcess = spawn(process.execPath, ['-e', script, socket, holder], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let said = '';
      daemon.stdout!.on('data', (d: Buffer) => (said += d.toString()));
      await until(() => said.includes('locked'), 'the other process to take the lock');
      sim.resetCounters();
      const refused = await runCli(apply());
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(`VPP at ${socket} is managed by ${holder} (pid ${daemon.pid}, since `);
      expect(refused.err).toContain('--force applies anyway');
      expect(sim.counters()).toEqual({});
      expect(VppLock.holder(socket)?.pid).toBe(daemon.pid);

      const forced = await runCli(apply('--force'));
      expect(forced.code).toBe(0);
      expect(totalOf(mutatingCalls(sim))).toBeGreaterThan(0);
      // --force leaves the other holder's lock alone.
      expect(VppLock.holder(socket)?.pid).toBe(daemon.pid);
    } finally {
      daemon.kill('SIGTERM');
    }
  });

  withTerminal(
    'on a real terminal apply asks before deleting: Ctrl-C at the question exits 130, "yes" applies',
    async () => {
      expect((await runCli(apply())).code).toBe(0);
      const text = readFileSync(site, 'utf8');
      const smaller = join(dir, 'smaller.yaml');
      writeFileSync(smaller, text.slice(0, text.indexOf('      - name: branch-c')));
      const args = ['apply', smaller, '--socket', socket, '--state-dir', join(dir, 'state')];
      const before = sim.snapshot();
      const stopped = await onTerminal(args, '\x03');
      expect(stopped.out).toContain("Only 'yes' goes ahead");
      expect(stopped.out).toContain('Apply cancelled: nothing was changed in VPP.');
      expect(stopped.code).toBe(130);
      expect(sim.snapshot()).toEqual(before);
      expect(existsSync(lockPathFor(socket))).toBe(false);
      const approved = await onTerminal(args, 'yes\r');
      expect(approved.out).toContain('verified: VPP matches the desired state');
      expect(approved.code).toBe(0);
      expect(sim.snapshot()).not.toEqual(before);
    },
  );

  // Needs the reconciler's side of ReconcileOptions.signal / abandon (branch "reconcile", issue
  // 14.6): until that is merged, the apply runs to its end and VPP is not as before.
  test('Ctrl-C during apply rolls the run back: exit 130, VPP as before, the lock released, plan works', async () => {
    const before = sim.snapshot();
    sim.control.delayReplies(50);
    const run = startCli(apply());
    await until(() => totalOf(mutatingCalls(sim)) >= 2 || run.child.exitCode !== null, 'the apply to change VPP');
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
    expect(run.err()).toContain('interrupted: rolling back what this run applied (Ctrl-C again to abandon)');
    sim.control.clearFaults();
    expect(sim.snapshot()).toEqual(before);
    expect(existsSync(lockPathFor(socket))).toBe(false);
    const plan = await runCli(['plan', site, '--socket', socket, '--state-dir', join(dir, 'state')]);
    expect(plan.code).toBe(2);
  });

  // Needs the reconciler's side too (see above).
  test('SIGTERM then Ctrl-C abandons the rollback: exit 143, what is left is listed, apply completes it', async () => {
    sim.control.delayReplies(80);
    const run = startCli(apply());
    await until(() => totalOf(mutatingCalls(sim)) >= 3 || run.child.exitCode !== null, 'the apply to change VPP');
    run.child.kill('SIGTERM');
    await until(() => run.err().includes('interrupted: rolling back'), 'the rollback to start');
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(143);
    expect(run.err()).toContain('abandoning the rollback');
    expect(run.err()).toMatch(/Abandoned the rollback: \d+ operation\(s\) this run applied stay in VPP:\n {2}\S/);
    sim.control.clearFaults();
    expect(existsSync(lockPathFor(socket))).toBe(false);
    const again = await runCli(apply());
    expect(again.code).toBe(0);
    expect(again.out).toContain('verified: VPP matches the desired state');
  });
});
