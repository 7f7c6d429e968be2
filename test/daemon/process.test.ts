/**
 * `vppwg serve` as a real process next to the emulator process: systemd readiness after the
 * first reconcile, `vppwg status` and `vppwg events` over the API, SIGHUP, and the one shutdown
 * path (SIGTERM during a reconcile: exit 0 within 10 s, sockclnt_delete sent). Also: an invalid
 * file at start exits 2 (systemd's RestartPreventExitStatus).
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiUrl, DaemonApiClient } from '../../src/daemon/apiClient';
import {
  assertNoSecrets,
  CLI,
  keyPair,
  requireBuiltCli,
  SimProcess,
  tempDir,
  waitFor,
  writeSimConfig,
} from './helpers';

const wgKey = keyPair();
const peer = keyPair();

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// The deadlines inside only bound a failure: on a loaded 2-core CI machine running two suites at once, a
// process start or a handshake can take many seconds, and a jest timeout would hide which wait it was.
jest.setTimeout(120_000);

describe('vppwg serve as a process', () => {
  const tmp = tempDir('vppwg-serve-');
  const socketPath = join(tmp.dir, 'api.sock');
  const controlPath = join(tmp.dir, 'control.sock');
  const configPath = join(tmp.dir, 'desired.yaml');
  const tokenFile = join(tmp.dir, 'state', 'api.token');
  const notifyLog = join(tmp.dir, 'notify.log');
  const notifyScript = join(tmp.dir, 'systemd-notify');
  let sim: SimProcess;
  let serve: ChildProcess;
  let output = '';
  let port = 0;

  beforeAll(async () => {
    requireBuiltCli();
    writeFileSync(join(tmp.dir, 'wg.key'), wgKey.priv + '\n', { mode: 0o600 });
    writeFileSync(
      configPath,
      `version: 1
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }
wireguard:
  - name: wg0
    private_key: { file: wg.key }
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.7.0.1/24]
    admin_up: true
    peers:
      - name: far
        public_key: ${peer.pub}
        endpoint: { address: 192.0.2.77, port: 51820 }
        allowed_ips: [10.7.0.2/32]
        tunnel_next_hops: [10.7.0.2]
`,
    );
    // Stands in for systemd-notify: records what the daemon asked systemd to hear.
    writeFileSync(notifyScript, `#!/bin/sh\necho "$@" >> ${notifyLog}\n`);
    chmodSync(notifyScript, 0o755);
    sim = new SimProcess(socketPath, writeSimConfig(tmp.dir, { reachableDelayMs: 30 }), controlPath);
    await sim.start();
    serve = spawn(
      process.execPath,
      [
        CLI,
        'serve',
        '--config',
        configPath,
        '--socket',
        socketPath,
        '--listen',
        '127.0.0.1:0',
        '--token-file',
        tokenFile,
        '--state-dir',
        join(tmp.dir, 'state'),
        '--drift-interval',
        '0.3',
        '--debounce-ms',
        '50',
        '--log-format',
        'json',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NOTIFY_SOCKET: join(tmp.dir, 'notify.sock'), VPPWG_SYSTEMD_NOTIFY: notifyScript },
      },
    );
    serve.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    serve.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    port = await waitFor(
      () => Number(/API listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1] ?? 0),
      30_000,
      'the API listen line',
    );
  });

  afterAll(async () => {
    if (serve && serve.exitCode === null) serve.kill('SIGKILL');
    await sim?.stop();
    tmp.cleanup();
  });

  it('names the port it really listens on (for :0) in its first log line', () => {
    const first = JSON.parse(output.split('\n')[0]!) as { message: string };
    expect(first.message).toMatch(new RegExp(`^API listening on ws://127\\.0\\.0\\.1:${port}/v1`));
    expect(port).toBeGreaterThan(0);
  });

  it('tells systemd READY=1 after the first reconcile, and generates a 0600 token file', async () => {
    const line = await waitFor(
      () => existsSync(notifyLog) && readFileSync(notifyLog, 'utf8'),
      30_000,
      'systemd-notify to be called',
    );
    expect(line).toContain(`--pid=${serve.pid}`);
    expect(line).toContain('--ready');
    expect(line).toContain('--status=in sync');
    expect(output).toMatch(/"message":"reconcile \(start\) applied/);
    expect(readFileSync(tokenFile).length).toBeGreaterThan(16);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(output).toContain(`generated an API token into ${tokenFile}`);
  });

  it('`vppwg status` reports the daemon, VPP and the peer; refuses without the right token', async () => {
    const listen = `127.0.0.1:${port}`;
    const api = await DaemonApiClient.connect(
      apiUrl({ host: '127.0.0.1', port }),
      readFileSync(tokenFile, 'utf8').trim(),
    );
    await waitFor(
      async () => (await api.call({ getStatus: {} })).status?.peers[0]?.established,
      30_000,
      'the peer to be established',
    );
    await api.close();
    const text = await runCli(['status', '--api', listen, '--token-file', tokenFile]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^daemon {4}ready/m);
    expect(text.stdout).toMatch(/^vpp {7}connected to 26\./m);
    expect(text.stdout).toContain(`far`);
    const json = await runCli(['status', '--api', listen, '--token-file', tokenFile, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ready: true,
      vpp: { connected: true },
      peers: [{ name: 'far', established: true }],
    });
    const wrongToken = join(tmp.dir, 'wrong.token');
    writeFileSync(wrongToken, 'w'.repeat(43));
    const refused = await runCli(['status', '--listen', listen, '--token-file', wrongToken]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/HTTP 401/);
  });

  it('`vppwg events` streams what the daemon does (a SIGHUP reload here)', async () => {
    const ev = spawn(
      process.execPath,
      [CLI, 'events', '--listen', `127.0.0.1:${port}`, '--token-file', tokenFile, '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let evOut = '';
    ev.stdout!.on('data', (d: Buffer) => (evOut += d.toString()));
    ev.stderr!.on('data', (d: Buffer) => (evOut += d.toString()));
    await waitFor(
      () => evOut.includes('vppwg events: subscribed to all events'),
      30_000,
      '`vppwg events` to subscribe',
    );
    serve.kill('SIGHUP');
    await waitFor(() => evOut.includes('"RECONCILE_DONE"'), 30_000, 'a RECONCILE_DONE event on `vppwg events`');
    const first = JSON.parse(evOut.split('\n').find((l) => l.includes('RECONCILE_DONE'))!) as {
      reconcile: { trigger: string; ok: boolean };
    };
    expect(first.reconcile).toMatchObject({ trigger: 'sighup', ok: true });
    const code = await new Promise<number | null>((resolve) => {
      ev.once('exit', (c) => resolve(c));
      ev.kill('SIGINT');
    });
    expect(code).toBe(0);
  });

  it('SIGTERM during a reconcile: finishes it, sends sockclnt_delete, exits 0 within 10 s', async () => {
    // Slow VPP down so the reconcile of the edit below is surely in flight when SIGTERM comes.
    expect(await sim.control({ op: 'delayReplies', ms: 60 })).toMatchObject({ ok: true });
    await sim.control({ op: 'resetCounters' });
    const second = keyPair();
    const edited =
      readFileSync(configPath, 'utf8') +
      `      - name: second
        public_key: ${second.pub}
        allowed_ips: [10.7.0.3/32]
        tunnel_next_hops: [10.7.0.3]
`;
    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      serve.once('exit', (code) => resolve({ code, ms: Date.now() - sigtermAt }));
    });
    let sigtermAt = 0;
    const mark = output.length;
    writeFileSync(configPath, edited);
    // The reconcile of the edit has sent its peer add: it is in flight (its verify dumps follow, slowly).
    await waitFor(
      async () => ((await sim.control({ op: 'counters' })).counters as Record<string, number>).wireguard_peer_add === 1,
      30_000,
      'the peer add',
    );
    sigtermAt = Date.now();
    serve.kill('SIGTERM');
    const { code, ms } = await exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    // The reconcile was finished (applied and verified), not cut off: its line comes before the end.
    const tail = output.slice(mark);
    const appliedAt = tail.indexOf('"message":"reconcile (config) applied');
    expect(tail).toContain('"message":"shutting down: SIGTERM"');
    expect(appliedAt).toBeGreaterThanOrEqual(0);
    expect(tail.indexOf('"message":"stopped"')).toBeGreaterThan(appliedAt);
    expect(tail).not.toMatch(/reconcile \(config\) failed/);
    await waitFor(() => readFileSync(notifyLog, 'utf8').includes('STOPPING=1'), 30_000, 'systemd to hear STOPPING=1');
    const counters = (await sim.control({ op: 'counters' })).counters as Record<string, number>;
    expect(counters.wireguard_peer_add).toBe(1);
    expect(counters.sockclnt_delete).toBe(1);
    // Every line the process wrote is JSON, and none carries the private key.
    for (const line of output.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    assertNoSecrets('serve output', output, [wgKey.priv]);
    await sim.control({ op: 'delayReplies', ms: 0 });
  });

  it('exits 2 with the located errors when the file is invalid at start', async () => {
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nwireguard:\n  - name: wg0\n    listen_port: 99999\n');
    const r = await runCli([
      'serve',
      '--config',
      bad,
      '--socket',
      socketPath,
      '--listen',
      '127.0.0.1:0',
      '--token-file',
      tokenFile,
      '--log-format',
      'text',
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/bad\.yaml:4:\d+: error: .*listen_port/);
  });
});
