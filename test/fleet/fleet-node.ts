/**
 * One fleet node for tests and the bench: the real Daemon in this process, fed by the etcd source
 * (`desiredSource: await createFleetSource(...)`, as `vppwg serve --etcd` wires it), with its API
 * on 127.0.0.1:0, a temporary token file and state dir, and an in-process emulator as its VPP
 * (peers handshake: `reachablePeers`), or a real VPP's API socket. What the node did is read back
 * from VPP itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { VppClient } from '../../src/client';
import type { StatusMsg } from '../../src/daemon/api/proto';
import { Daemon } from '../../src/daemon/daemon';
import { createLogger } from '../../src/daemon/logger';
import { createFleetSource, type EtcdDesiredSource, type FleetSourceOptions } from '../../src/fleet/source';
import { observe, reconcileMessages, type ActualState } from '../../src/reconcile';
import { startSim, type Sim } from '../../src/sim';

export interface FleetNodeOptions extends Omit<FleetSourceOptions, 'node' | 'stateDir'> {
  /** Reuse a state dir (a restart); default: a new temporary one, removed on stop. */
  stateDir?: string;
  /** Reuse a running emulator (the same VPP across a restart of the agent). */
  sim?: Sim;
  /** A real VPP's API socket instead of an emulator (the real-VPP suite). */
  vppSocket?: string;
  /** The daemon's drift check period; default 1000 ms, 0: none. */
  driftMs?: number;
  /** Wait for the first successful reconcile before returning (default true). */
  waitReconciled?: boolean;
  /** The daemon's log level (default info; the bench keeps warn: N nodes × N peers log lines). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface PeerView {
  publicKey: string;
  endpoint?: string;
  allowedIps: readonly string[];
}

export class FleetNode {
  private observer?: VppClient;

  private constructor(
    readonly node: string,
    private readonly emulator: Sim | undefined,
    readonly socketPath: string,
    readonly daemon: Daemon,
    readonly source: EtcdDesiredSource,
    readonly stateDir: string,
    private readonly ownsStateDir: boolean,
    private readonly logText: () => string,
  ) {}

  /** An emulator with one uplink holding `underlay` (unless `opts.sim` or `opts.vppSocket`), and a daemon as node `node`. */
  static async start(node: string, underlay: string, opts: FleetNodeOptions): Promise<FleetNode> {
    const {
      stateDir: givenStateDir,
      sim: givenSim,
      vppSocket,
      driftMs = 1000,
      waitReconciled = true,
      logLevel = 'info',
      ...sourceOpts
    } = opts;
    const stateDir = givenStateDir ?? mkdtempSync(join(tmpdir(), `vppwg-fleet-${node}-`));
    const sim = vppSocket
      ? undefined
      : (givenSim ??
        (await startSim({
          config: {
            uplinks: [{ name: 'host-eth0', addresses: [`${underlay}/24`], up: true }],
            reachablePeers: { delayMs: 10 },
          },
        })));
    const socketPath = vppSocket ?? sim!.socketPath;
    const chunks: Buffer[] = [];
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => chunks.push(c));
    const logging = createLogger({ stream, format: 'json', level: logLevel });
    const logText = () => Buffer.concat(chunks).toString('utf8');
    let daemon: Daemon | undefined;
    try {
      const source = await createFleetSource({
        statusIntervalMs: 500,
        leaseTtlSeconds: 3,
        ...sourceOpts,
        node,
        stateDir,
      });
      daemon = new Daemon({
        desiredSource: source,
        stateDir,
        socketPath,
        listen: { host: '127.0.0.1', port: 0 },
        tokenFile: join(stateDir, 'api.token'),
        driftIntervalMs: driftMs,
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
        vppTimeoutMs: 5000,
        notify: false,
        logger: logging,
      });
      await daemon.start();
      const n = new FleetNode(node, sim, socketPath, daemon, source, stateDir, !givenStateDir, logText);
      if (waitReconciled) await n.reconciled();
      return n;
    } catch (err) {
      await daemon?.stop('start failed').catch(() => undefined);
      if (sim && !givenSim) await sim.stop();
      if (!givenStateDir) rmSync(stateDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The emulator this node's VPP is (not for a node on a real VPP). */
  get sim(): Sim {
    if (!this.emulator)
      throw new Error(`node ${this.node} runs on the real VPP at ${this.socketPath}, not an emulator`);
    return this.emulator;
  }

  status(): StatusMsg {
    return this.daemon.status();
  }

  /** Waits until the daemon's last reconcile succeeded (its log tail on failure). */
  async reconciled(ms = 15_000): Promise<void> {
    try {
      await eventually(() => expectTrue(this.daemon.lastReconcileSummary?.ok, 'a successful reconcile'), ms);
    } catch (err) {
      const tail = this.logText().split('\n').slice(-10).join('\n');
      throw new Error(`node ${this.node}: ${(err as Error).message}\nlog tail:\n${tail}`);
    }
  }

  /**
   * Waits until no reconcile has run for `quietMs` (what start-up set in motion has finished): longer
   * than the source keeps loads apart (1 s), so a reload waiting its turn is not missed.
   */
  async settled(quietMs = 1500, ms = 15_000): Promise<number> {
    const started = Date.now();
    let count = this.status().reconciles;
    let since = Date.now();
    while (Date.now() - since < quietMs) {
      if (Date.now() - started > ms) throw new Error(`node ${this.node}: still reconciling after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
      const now = this.status().reconciles;
      if (now !== count) [count, since] = [now, Date.now()];
    }
    return count;
  }

  /** A reconcile now (as `vppwg apply --api` would ask), resolved once it ran. */
  async trigger(): Promise<void> {
    await this.daemon.requestReconcile('api');
  }

  /** VPP's state, read afresh on a second connection (the daemon's own stays untouched). */
  async observe(): Promise<ActualState> {
    this.observer ??= await VppClient.connect({
      socketPath: this.socketPath,
      messages: reconcileMessages(),
      reconnect: false,
    });
    return observe(this.observer);
  }

  /**
   * The peers the daemon says it configured on the fleet interface `network` (by name), each as
   * VPP has it: public key, endpoint, allowed IPs.
   */
  async peersOn(network: string): Promise<Record<string, PeerView>> {
    const actual = await this.observe();
    const out: Record<string, PeerView> = {};
    for (const p of this.status().peers) {
      if (p.interface !== network) continue;
      const a = actual.peers.get(p.publicKey);
      if (a)
        out[p.name] = {
          publicKey: a.publicKey,
          ...(a.endpoint ? { endpoint: `${a.endpoint.address}:${a.endpoint.port}` } : {}),
          allowedIps: a.allowedIps,
        };
    }
    return out;
  }

  /** One binary-API call on the second connection: VPP changed behind the daemon's back. */
  async vppCall(message: string, value: unknown): Promise<unknown> {
    await this.observe();
    const def = reconcileMessages().find((d) => d.name === message);
    if (!def) throw new Error(`no message ${message} in reconcileMessages()`);
    return (this.observer!.call as (d: unknown, v: unknown) => Promise<unknown>)(def, value);
  }

  /** The public key of VPP's WireGuard interface `network` (undefined: no such interface). */
  async interfaceKey(network: string): Promise<string | undefined> {
    const actual = await this.observe();
    const idx = actual.owned.interfaces.get(network);
    return idx === undefined ? undefined : actual.wireguard.get(idx)?.publicKey;
  }

  /** Peer names in the daemon's status (cheap: no VPP round trip), for polling at scale. */
  peerKeys(network: string): Map<string, string> {
    return new Map(
      this.status()
        .peers.filter((p) => p.interface === network)
        .map((p) => [p.name, p.publicKey]),
    );
  }

  /**
   * Stops the daemon (its one shutdown path: VPP is left as it is, the node claim released).
   * The emulator stops too unless `keepSim` (a restart against the same VPP follows).
   */
  async stop(opts: { keepStateDir?: boolean; keepSim?: boolean } = {}): Promise<void> {
    await this.observer?.close().catch(() => undefined);
    this.observer = undefined;
    await this.daemon.stop('test done');
    if (!opts.keepSim) await this.emulator?.stop();
    if (this.ownsStateDir && !opts.keepStateDir) rmSync(this.stateDir, { recursive: true, force: true });
  }
}

function expectTrue(v: unknown, what: string): void {
  if (!v) throw new Error(`no ${what} yet`);
}

/** Polls `check` until it holds (or throws its last failure after `ms`). */
export async function eventually(check: () => void | Promise<void>, ms = 5000, stepMs = 50): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await check();
      return Date.now() - started;
    } catch (err) {
      if (Date.now() - started > ms) throw err;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}
