/**
 * The daemon's commands through the built CLI: log levels checked by name, and `vppwg events`
 * following the daemon across a restart of the daemon.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, keyPair, requireBuiltCli, startDaemon, tempDir, waitFor, writeOnePeerConfig } from './helpers';

jest.setTimeout(120_000);

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: 60_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('vppwg serve log levels', () => {
  const tmp = tempDir('vppwg-cli-');
  beforeAll(() => requireBuiltCli());
  afterAll(() => tmp.cleanup());

  const serveArgs = (): string[] => [
    'serve',
    '--config',
    writeOnePeerConfig(tmp.dir, keyPair().pub),
    '--socket',
    join(tmp.dir, 'none.sock'),
    '--listen',
    '127.0.0.1:0',
    '--token-file',
    join(tmp.dir, 'token'),
    '--state-dir',
    join(tmp.dir, 'state'),
  ];

  it('rejects an unknown --log-level by name, listing the valid ones (exit 1)', async () => {
    const r = await runCli([...serveArgs(), '--log-level', 'foo']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--log-level "foo" is not a log level: use one of error, warn, info, debug/);
  });

  it('rejects an unknown VPPWG_LOG_LEVEL, naming the variable', async () => {
    const r = await runCli(serveArgs(), { VPPWG_LOG_LEVEL: 'warning' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/VPPWG_LOG_LEVEL "warning" is not a log level: use one of error, warn, info, debug/);
  });

  it('takes a valid level in any case, and --log-level over the variable', async () => {
    // warn: the daemon starts (VPP absent: it warns that VPP is not reachable), then is stopped.
    const child = spawn(process.execPath, [CLI, ...serveArgs(), '--log-level', 'WARN', '--log-format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, VPPWG_LOG_LEVEL: 'nonsense' },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /VPP not reachable/.test(out), 30_000, 'the not-reachable warning');
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Nothing below warn was written.
    expect(out).not.toMatch(/"level":"info"/);
  });
});

describe('vppwg events across a daemon restart', () => {
  const tmp = tempDir('vppwg-events-');
  afterAll(() => tmp.cleanup());

  it('says the daemon went away, reconnects, and streams the new daemon’s events', async () => {
    requireBuiltCli();
    const configPath = writeOnePeerConfig(tmp.dir, keyPair().pub);
    const base = {
      configPath,
      socketPath: join(tmp.dir, 'none.sock'),
      tokenFile: join(tmp.dir, 'token'),
    };
    let { daemon } = startDaemon(base);
    await daemon.start();
    const port = daemon.apiAddress().port;
    const ev = spawn(
      process.execPath,
      [CLI, 'events', '--api', `127.0.0.1:${port}`, '--token-file', base.tokenFile, '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    ev.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    ev.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor(() => stderr.includes('subscribed to all events'), 30_000, '`vppwg events` to subscribe');
      await daemon.stop('test: restart the daemon');
      await waitFor(
        () => /the daemon closed the connection \(1001 .*\); reconnecting/.test(stderr),
        30_000,
        'the went-away line',
      );
      // Away for a while: it keeps trying.
      await new Promise((r) => setTimeout(r, 700));
      expect(ev.exitCode).toBeNull();
      ({ daemon } = startDaemon({ ...base, listen: { host: '127.0.0.1', port } }));
      await daemon.start();
      await waitFor(() => stderr.includes(`reconnected to the daemon at 127.0.0.1:${port}`), 30_000, 'the reconnect');
      await waitFor(
        () => (stderr.match(/subscribed to all events/g) ?? []).length === 2,
        30_000,
        'the new subscription',
      );
      writeFileSync(configPath, 'version: 1\nwireguard: [{ name: wg0, listen_port: 99999 }]\n');
      await waitFor(() => stdout.includes('"CONFIG_REJECTED"'), 30_000, 'CONFIG_REJECTED from the new daemon');
      const code = await new Promise<number | null>((resolve) => {
        ev.once('exit', (c) => resolve(c));
        ev.kill('SIGINT');
      });
      expect(code).toBe(0);
    } finally {
      if (ev.exitCode === null) ev.kill('SIGKILL');
      await daemon.stop('test done');
    }
  });
});
