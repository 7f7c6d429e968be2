/**
 * The daemon end to end against the emulator run as its own process (`vppwg sim`, reachable
 * peers): from start to VPP in sync, until every peer is reported established (event tracking),
 * a no-op drift check (what the drift timer costs), and the resync after the emulator restarts
 * (all state lost, new message ids) measured from the new socket to the daemon's verified
 * reconcile. Also a file edit that changes one peer: from the write to the change applied and
 * verified (50 ms debounce included), and the reconcile's own time; that reconcile plans from the
 * previous run's state instead of observing every peer again. No targets in the issue: these figures size --drift-interval and restart recovery.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Daemon } from '../../src/daemon/daemon';
import { createLogger } from '../../src/daemon/logger';
import type { ReconcileSummaryMsg } from '../../src/daemon/api/proto';
import { encodeKey, generatePrivateKey, publicKeyOf } from '../../src/config';
import { projectRoot } from '../../src/util/paths';
import { type BenchContext, type BenchSuite, type Figure, measure, summarize } from '../harness';

interface Run {
  startToSyncMs: number;
  allEstablishedMs: number;
  noopDriftMs: number;
  editToAppliedMs: number;
  editReconcileMs: number;
  resyncMs: number;
}

function desiredFile(dir: string, peers: number): string {
  const lines: string[] = [];
  for (let i = 0; i < peers; i++) {
    const pub = encodeKey(publicKeyOf(generatePrivateKey()));
    const host = i + 2;
    const ip = `10.${(host >> 16) & 255}.${(host >> 8) & 255}.${host & 255}`;
    lines.push(
      `      - { name: p${i}, public_key: ${pub}, endpoint: { address: 198.51.100.${(i % 250) + 1}, port: ${20000 + (i % 40000)} }, allowed_ips: [${ip}/32], tunnel_next_hops: [${ip}] }`,
    );
  }
  const file = join(dir, 'desired.yaml');
  writeFileSync(
    file,
    `version: 1
uplinks: [{ name: host-eth0, addresses: [192.0.2.1/24] }]
routes: [{ prefix: 0.0.0.0/0, via: 192.0.2.254, interface: host-eth0 }]
wireguard:
  - name: wg0
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.0.0.1/8]
    admin_up: true
    peers:
${lines.join('\n')}
`,
  );
  return file;
}

async function startSim(socket: string, config: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(projectRoot(), 'bin', 'vppwg.js'), 'sim', '--socket', socket, '--config', config],
    {
      stdio: 'ignore',
    },
  );
  while (!existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`the emulator exited with ${child.exitCode}`);
    await sleep(5);
  }
  return child;
}

async function stopSim(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise((r) => {
    child.once('exit', r);
    child.kill('SIGTERM');
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function scenario(peers: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'vppwg-daemon-bench-'));
  const socket = join(dir, 'api.sock');
  const simConfig = join(dir, 'sim.yaml');
  writeFileSync(
    simConfig,
    'uplinks: [{ name: host-eth0, addresses: [192.0.2.1/24], up: true }]\nreachablePeers: { delayMs: 10 }\n',
  );
  const config = desiredFile(dir, peers);
  let sim = await startSim(socket, simConfig);
  const daemon = new Daemon({
    configPath: config,
    socketPath: socket,
    listen: { host: '127.0.0.1', port: 0 },
    tokenFile: join(dir, 'token'),
    driftIntervalMs: 0,
    debounceMs: 50,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    vppTimeoutMs: 60_000,
    notify: false,
    logger: createLogger({ stream: new PassThrough().resume(), format: 'json' }),
  });
  try {
    let t0 = performance.now();
    await daemon.start();
    await until(() => daemon.lastReconcileSummary !== undefined, 120_000, 'the first reconcile');
    if (!daemon.lastReconcileSummary!.ok)
      throw new Error(`first reconcile failed: ${daemon.lastReconcileSummary!.error}`);
    const startToSyncMs = performance.now() - t0;
    await until(() => daemon.establishedPeerCount === peers, 120_000, 'every peer established');
    const allEstablishedMs = performance.now() - t0;

    t0 = performance.now();
    const drift = await daemon.requestReconcile('drift');
    const noopDriftMs = performance.now() - t0;
    if (!drift?.ok || drift.operations !== 0) throw new Error('the drift check was expected to find nothing');

    // One peer of the file gets one more allowed IP (and so one peer change in VPP).
    const k = Math.floor(peers / 2);
    const text = readFileSync(config, 'utf8');
    const edited = text.replace(new RegExp(`(\\{ name: p${k}, .*allowed_ips: \\[)`), (m) => `${m}172.16.0.0/24, `);
    if (edited === text) throw new Error(`peer p${k} not found in the bench file`);
    const editDone = new Promise<ReconcileSummaryMsg>((resolve) => {
      const on = (r: ReconcileSummaryMsg): void => {
        if (r.trigger !== 'config') return;
        daemon.off('reconciled', on);
        resolve(r);
      };
      daemon.on('reconciled', on);
    });
    t0 = performance.now();
    writeFileSync(config, edited);
    const edit = await Promise.race([
      editDone,
      sleep(120_000).then(() => {
        throw new Error('timed out waiting for the reconcile of the edit');
      }),
    ]);
    const editToAppliedMs = performance.now() - t0;
    if (!edit.ok || !edit.verified || edit.operations < 1)
      throw new Error(`the edit's reconcile was expected to change one peer: ${JSON.stringify(edit)}`);

    await stopSim(sim);
    await until(() => !daemon.vppConnected, 10_000, 'VPP_LOST');
    sim = await startSim(socket, simConfig);
    t0 = performance.now();
    await until(() => daemon.lastReconcileSummary?.trigger === 'reconnect', 120_000, 'the resync');
    if (!daemon.lastReconcileSummary!.verified)
      throw new Error(`resync not verified: ${daemon.lastReconcileSummary!.error}`);
    const resyncMs = performance.now() - t0;
    return {
      startToSyncMs,
      allEstablishedMs,
      noopDriftMs,
      editToAppliedMs,
      editReconcileMs: edit.durationMs,
      resyncMs,
    };
  } finally {
    await daemon.stop('bench done');
    await stopSim(sim);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const suite: BenchSuite = {
  name: 'daemon',
  async run(ctx: BenchContext): Promise<Figure[]> {
    if (ctx.vppSocket) ctx.log('daemon: always runs against its own emulator process (it restarts it)');
    const sizes = ctx.quick
      ? [{ peers: 100, runs: 1 }]
      : [
          { peers: 1000, runs: 3 },
          { peers: 10_000, runs: 1 },
        ];
    const figures: Figure[] = [];
    for (const { peers, runs } of sizes) {
      const results: Run[] = [];
      await measure(
        async () => {
          const r = await scenario(peers);
          results.push(r);
          return 0;
        },
        { runs, warmup: 0 },
      );
      const fig = (name: string, pick: (r: Run) => number): Figure => {
        return {
          suite: 'daemon',
          name: `${name}, ${peers} peers`,
          unit: 'ms',
          ...summarize(results.map(pick)),
          server: 'emulator process',
        };
      };
      figures.push(
        fig('start to VPP in sync (load file, connect, reconcile)', (r) => r.startToSyncMs),
        fig('start to every peer established (events)', (r) => r.allEstablishedMs),
        fig('no-op drift check', (r) => r.noopDriftMs),
        fig('file edit changing one peer → applied and verified (50 ms debounce included)', (r) => r.editToAppliedMs),
        fig('file edit changing one peer: its reconcile (planned from the previous run)', (r) => r.editReconcileMs),
        fig('resync after emulator restart (socket up to verified)', (r) => r.resyncMs),
      );
      ctx.log(`daemon: ${peers} peers done`);
    }
    return figures;
  },
};
