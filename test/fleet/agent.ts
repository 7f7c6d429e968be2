/**
 * A small stand-in for the daemon while it does not take a DesiredSource yet: load the source's
 * snapshot, reconcile an emulator against it, report status and events as DaemonView does.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VppClient } from '../../src/client';
import type { DesiredState } from '../../src/config';
import type { EventMsg, StatusMsg } from '../../src/daemon/api/proto';
import type { DaemonView } from '../../src/daemon/desired-source';
import { createFleetSource, type EtcdDesiredSource, type FleetSourceOptions } from '../../src/fleet/source';
import { reconcile, reconcileMessages, type ReconcileResult } from '../../src/reconcile';
import { startSim, type Sim } from '../../src/sim';
import { StateDir } from '../../src/state';

export class TestAgent extends EventEmitter implements DaemonView {
  lastResult?: ReconcileResult;
  lastState?: DesiredState;
  reconciles = 0;
  lastError?: Error;
  private stopped = false;
  private fresh = false;
  private retryTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private driftTimer?: NodeJS.Timeout;

  private constructor(
    readonly node: string,
    readonly sim: Sim,
    readonly client: VppClient,
    readonly source: EtcdDesiredSource,
    readonly stateDir: string,
    private readonly ownsStateDir: boolean,
  ) {
    super();
  }

  /** An emulator with one uplink holding `underlay`, and the fleet source for `node`. */
  static async start(
    node: string,
    underlay: string,
    opts: Omit<FleetSourceOptions, 'node' | 'stateDir'> & {
      stateDir?: string;
      /** Period of the fresh (drift-checking) run; 0: none. Default 1000 ms. */
      driftMs?: number;
    },
  ): Promise<TestAgent> {
    const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), `vppwg-fleet-${node}-`));
    const sim = await startSim({
      config: {
        uplinks: [{ name: 'host-eth0', addresses: [`${underlay}/24`], up: true }],
        reachablePeers: { delayMs: 10 },
      },
    });
    const client = await VppClient.connect({
      socketPath: sim.socketPath,
      messages: reconcileMessages(),
      reconnect: false,
    });
    const source = await createFleetSource({ statusIntervalMs: 500, leaseTtlSeconds: 3, ...opts, node, stateDir });
    const agent = new TestAgent(node, sim, client, source, stateDir, !opts.stateDir);
    try {
      await source.start(() => agent.trigger(), agent);
    } catch (err) {
      await client.close();
      await sim.stop();
      throw err;
    }
    await agent.trigger();
    // As the daemon's drift check: now and then a run that observes VPP afresh (peers' handshakes too).
    const driftMs = opts.driftMs ?? 1000;
    if (driftMs) agent.driftTimer = setInterval(() => void agent.trigger(true), driftMs);
    return agent;
  }

  /** Reconciles now (or once more after the run in progress); `fresh`: observe VPP rather than plan from the last run. */
  trigger(fresh = false): Promise<void> {
    if (fresh) this.fresh = true;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const snap = await this.source.load({ presharedKeys: true });
        if (snap.state) this.lastState = snap.state;
        // As the daemon does: a rejected snapshot leaves the last good state applied (and repaired).
        if (!this.lastState) continue;
        try {
          // As the daemon does: plan from the state the previous run verified (this loop is VPP's only writer).
          const actual = this.lastResult?.ok && !this.fresh ? this.lastResult.actual : undefined;
          this.fresh = false;
          this.lastResult = await reconcile(this.client, this.lastState, {
            stateDir: new StateDir(this.stateDir),
            ...(actual ? { actual } : {}),
          });
        } catch (err) {
          // A VPP too slow to answer: the next trigger tries again, as the daemon's retry would.
          this.lastError = err as Error;
          this.lastResult = undefined;
          if (!this.stopped) this.retryTimer = setTimeout(() => void this.trigger(), 500);
          continue;
        }
        this.reconciles++;
        this.emit('event', { kind: 'RECONCILE_DONE', atMs: Date.now(), message: '' } satisfies EventMsg);
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  status(): StatusMsg {
    const r = this.lastResult;
    return {
      vpp: { connected: true, version: 'sim', socketPath: this.sim.socketPath, sinceMs: 0, connects: 1 },
      ...(r
        ? {
            lastReconcile: {
              trigger: 'fleet',
              ok: r.ok,
              finishedAtMs: Date.now(),
              durationMs: r.durationMs,
              summary: `${r.plan.summary.create} create, ${r.plan.summary.modify} modify, ${r.plan.summary.delete} delete`,
              operations: r.plan.operations.length,
              applied: r.applied,
              rolledBack: r.rolledBack,
              verified: r.verified,
              error: r.error?.message ?? '',
            },
          }
        : {}),
      peers: (r?.peers ?? []).map((p) => ({
        ...p,
        established: r?.actual?.peers.get(p.publicKey)?.established ?? false,
        sinceMs: 0,
        lastEventFlags: 0,
        lastEventAtMs: 0,
        lastHandshakeAtMs: 0,
      })),
      ready: true,
      desiredSource: this.source.description,
      driftRepairs: 0,
      reconciles: this.reconciles,
      startedAtMs: 0,
      daemonVersion: 'test',
    };
  }

  /** The peers VPP has on the fleet interface `network`: name -> public key, endpoint, allowed IPs. */
  peersOn(network: string): Record<string, { publicKey: string; endpoint?: string; allowedIps: readonly string[] }> {
    const out: Record<string, { publicKey: string; endpoint?: string; allowedIps: readonly string[] }> = {};
    const actual = this.lastResult?.actual;
    const wg = this.lastState?.wireguard.find((w) => w.name === network);
    if (!actual || !wg) return out;
    for (const p of wg.peers) {
      const a = actual.peers.get(p.publicKey);
      if (a)
        out[p.name] = {
          publicKey: a.publicKey,
          endpoint: a.endpoint && `${a.endpoint.address}:${a.endpoint.port}`,
          allowedIps: a.allowedIps,
        };
    }
    return out;
  }

  /** Stops the agent as a crash would leave VPP: tunnels stay in the emulator until `close`. */
  async stop(opts: { keepStateDir?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearInterval(this.driftTimer);
    clearTimeout(this.retryTimer);
    await this.running;
    await this.source.stop();
    await this.client.close();
    await this.sim.stop();
    if (this.ownsStateDir && !opts.keepStateDir) rmSync(this.stateDir, { recursive: true, force: true });
  }
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
