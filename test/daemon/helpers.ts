/**
 * Test scaffolding for the daemon: the emulator as a separate process (`vppwg sim`), a daemon in
 * this process with its log captured, fresh WireGuard keys per run (so every output can be
 * grepped for them), and polling.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { projectRoot } from '../../src/util/paths';
import { encodeKey, generatePrivateKey, publicKeyOf } from '../../src/config';
import { createLogger } from '../../src/daemon/logger';
import { Daemon, DaemonOptions } from '../../src/daemon/daemon';
import { sendControlRequest } from '../../src/sim/control';

export const CLI = join(projectRoot(), 'bin', 'vppwg.js');

export function requireBuiltCli(): void {
  if (!existsSync(join(projectRoot(), 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error(
      'dist/ is missing: run `npx tsc -b` first (npm test does it in pretest); the emulator and CLI run from dist/',
    );
  }
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface KeyPair {
  priv: string;
  pub: string;
}

export function keyPair(): KeyPair {
  const p = generatePrivateKey();
  return { priv: encodeKey(p), pub: encodeKey(publicKeyOf(p)) };
}

export function psk(): string {
  return randomBytes(32).toString('base64');
}

/** The emulator, run as `node bin/vppwg.js sim` in its own process. */
export class SimProcess {
  private child?: ChildProcess;
  output = '';

  constructor(
    readonly socketPath: string,
    readonly configFile: string,
    /** The emulator's control socket (JSON lines), when given. */
    readonly controlPath?: string,
  ) {}

  async start(): Promise<void> {
    requireBuiltCli();
    const args = [
      CLI,
      'sim',
      '--socket',
      this.socketPath,
      '--config',
      this.configFile,
      ...(this.controlPath ? ['--control', this.controlPath] : []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`the emulator exited with ${child.exitCode}: ${this.output}`);
        return existsSync(this.socketPath);
      },
      30_000,
      'the emulator socket to appear',
    );
  }

  /** One request on the control socket. */
  control(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    const path = this.controlPath;
    if (!path) return Promise.reject(new Error('the emulator was started without a control socket'));
    return sendControlRequest(path, req);
  }

  /** SIGTERM and wait: the emulator removes its socket and all its state is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  }
}

export function writeSimConfig(dir: string, opts: { reachableDelayMs?: number } = {}): string {
  const file = join(dir, 'sim.yaml');
  writeFileSync(
    file,
    [
      'uplinks:',
      '  - name: host-eth0',
      '    addresses: [192.0.2.1/24, "2001:db8:0:1::1/64"]',
      '    up: true',
      // New message ids at every start, so a restart also tests the rebuilt id table.
      'shuffleModules: true',
      opts.reachableDelayMs === undefined
        ? 'reachablePeers: false'
        : `reachablePeers: { delayMs: ${opts.reachableDelayMs} }`,
      '',
    ].join('\n'),
  );
  return file;
}

export interface CapturedLog {
  text(): string;
  lines(): Record<string, unknown>[];
}

export function captureLogger(): { logging: ReturnType<typeof createLogger>; log: CapturedLog } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const logging = createLogger({ stream, format: 'json', level: 'debug' });
  const text = (): string => Buffer.concat(chunks).toString('utf8');
  return {
    logging,
    log: {
      text,
      lines: () =>
        text()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
    },
  };
}

export function startDaemon(opts: Partial<DaemonOptions> & Pick<DaemonOptions, 'socketPath' | 'tokenFile'>): {
  daemon: Daemon;
  log: CapturedLog;
} {
  const { logging, log } = captureLogger();
  const daemon = new Daemon({
    listen: { host: '127.0.0.1', port: 0 },
    driftIntervalMs: 0,
    debounceMs: 50,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    vppTimeoutMs: 3000,
    notify: false,
    logger: logging,
    ...opts,
  });
  return { daemon, log };
}

export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      if (err instanceof Error && /exited/.test(err.message)) throw err;
      lastErr = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every secret of a run, to grep outputs for. */
export function assertNoSecrets(where: string, text: string, secrets: readonly string[]): void {
  for (const s of secrets) {
    if (text.includes(s)) throw new Error(`${where} contains key material (${s.slice(0, 6)}...)`);
    // Also the hex and base64url spellings of the same bytes.
    const bytes = Buffer.from(s, 'base64');
    if (text.includes(bytes.toString('hex')) || text.includes(bytes.toString('base64url')))
      throw new Error(`${where} contains key material in another encoding`);
  }
}

/** Waits for a successful first reconcile; on timeout the error carries what the daemon said. */
export async function firstReconcile(daemon: Daemon, log: CapturedLog, timeoutMs = 15_000): Promise<void> {
  try {
    await waitFor(() => daemon.status().lastReconcile?.ok, timeoutMs, 'the first reconcile');
  } catch (err) {
    const tail = log.text().split('\n').slice(-15).join('\n');
    throw new Error(
      `${(err as Error).message}\nlast reconcile: ${JSON.stringify(daemon.status().lastReconcile)}\nlog tail:\n${tail}`,
    );
  }
}

/** desired.yaml in `dir` with one interface and one peer (no endpoint), on the examples' uplink; returns its path. */
export function writeOnePeerConfig(dir: string, peerPublicKey: string): string {
  const path = join(dir, 'desired.yaml');
  writeFileSync(
    path,
    `version: 1
uplinks: [{ name: host-eth0, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }]
wireguard:
  - name: wg0
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.6.0.1/24]
    peers: [{ name: p, public_key: ${peerPublicKey}, allowed_ips: [10.6.0.2/32] }]
`,
  );
  return path;
}
