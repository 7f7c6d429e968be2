/**
 * Throw-away etcd members for tests: 127.0.0.1, random free ports, a temporary data dir. Tests
 * that need one skip (by name) when the etcd binary is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const etcdInstalled = spawnSync('etcd', ['--version']).status === 0;

/** `describe` when etcd is installed, else a skipped one saying why (a function: bench code loads this file without jest). */
export function describeWithEtcd(name: string, fn: () => void): void {
  if (etcdInstalled) describe(name, fn);
  else describe.skip(`${name} (etcd not installed)`, fn);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface EtcdTls {
  ca: string;
  cert: string;
  key: string;
}

export class TestEtcd {
  private proc?: ChildProcess;
  // In memory where there is /dev/shm: etcd syncs every write to disk, slow on a busy machine's disk.
  readonly dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'vppwg-etcd-'));

  private constructor(
    readonly clientPort: number,
    readonly peerPort: number,
    private readonly tls?: EtcdTls,
  ) {}

  static async start(opts: { tls?: EtcdTls } = {}): Promise<TestEtcd> {
    const e = new TestEtcd(await freePort(), await freePort(), opts.tls);
    await e.resume();
    return e;
  }

  get endpoint(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`;
  }

  /** Whether the member answers its /health endpoint. */
  private healthy(): Promise<boolean> {
    const tls = this.tls;
    return new Promise((resolve) => {
      const url = `${this.endpoint}/health`;
      const done = (res: IncomingMessage) => {
        res.resume();
        resolve(res.statusCode === 200);
      };
      const req = tls
        ? httpsGet(
            url,
            { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key), servername: '' },
            done,
          )
        : httpGet(url, done);
      req.on('error', () => resolve(false));
    });
  }

  /** Starts (again, same ports and data) and waits until it serves. */
  async resume(): Promise<void> {
    const tlsArgs = this.tls
      ? [
          '--cert-file',
          this.tls.cert,
          '--key-file',
          this.tls.key,
          '--trusted-ca-file',
          this.tls.ca,
          '--client-cert-auth',
        ]
      : [];
    this.proc = spawn(
      'etcd',
      [
        '--name',
        'test',
        '--data-dir',
        this.dataDir,
        '--listen-client-urls',
        this.endpoint,
        '--advertise-client-urls',
        this.endpoint,
        '--listen-peer-urls',
        `http://127.0.0.1:${this.peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${this.peerPort}`,
        '--initial-cluster',
        `test=http://127.0.0.1:${this.peerPort}`,
        ...tlsArgs,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 15000;
    while (!(await this.healthy())) {
      if (Date.now() > deadline) throw new Error(`etcd on ${this.endpoint} did not become healthy within 15 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kills the member (SIGKILL): the store goes away as in a crash. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A TCP relay in front of etcd that a test can cut and restore: the store looks gone to clients behind it, not to others. */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const p = new TcpProxy(await freePort(), targetPort);
    await p.restore();
    return p;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async restore(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
