/**
 * The connection to VPP: connects in the background (retrying with backoff until VPP is there),
 * then the client itself reconnects after VPP restarts. Tells the bus when VPP is connected (after
 * reading its version, in the work queue) and when it is lost.
 */
import type winston from 'winston';
import { VppClient } from '../../client';
import { reconcileMessages } from '../../reconcile';
import { Backoff } from '../../util/backoff';
import type { VppStatusMsg } from '../api/proto';
import type { DaemonBus, DaemonPart } from '../bus';
import type { DaemonMetrics } from '../metrics';
import { timedClient } from '../timed-client';
import * as vpe from 'vpp-api-ts/vpe';
import { DAEMON_MESSAGES } from '../vpp-messages';
import { linkStateMessages } from './link-state';
import type { WorkQueue } from '../work-queue';

export interface VppConnectionOptions {
  socketPath: string;
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Per-call timeout for VPP calls. */
  vppTimeoutMs?: number;
}

export class VppConnection implements DaemonPart {
  readonly status: VppStatusMsg;
  private client?: VppClient;
  /** The client with call/dump timed into metrics; what the reconciler and the parts get. */
  private timed?: VppClient;
  private connectTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly backoff: Backoff;
  private readonly maxDelayMs: number;

  constructor(
    private readonly opts: VppConnectionOptions,
    private readonly bus: DaemonBus,
    private readonly queue: WorkQueue,
    private readonly metrics: DaemonMetrics,
    private readonly log: winston.Logger,
  ) {
    this.status = { connected: false, version: '', socketPath: opts.socketPath, sinceMs: Date.now(), connects: 0 };
    const r = opts.reconnect ?? {};
    this.maxDelayMs = r.maxDelayMs ?? 2000;
    this.backoff = new Backoff({ initialMs: r.initialDelayMs ?? 100, maxMs: this.maxDelayMs });
  }

  start(): void {
    this.connect();
  }

  /** Stops connecting (a timer or an attempt under way), without closing a connected client. */
  stopConnecting(): void {
    this.stopped = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
  }

  /** Says goodbye to VPP (sockclnt_delete). */
  async stop(): Promise<void> {
    this.stopConnecting();
    const client = this.client;
    if (client) {
      client.removeAllListeners('disconnected');
      await Promise.race([client.close(), new Promise((r) => setTimeout(r, 1500).unref())]);
    }
    this.metrics.vppConnected.set(0);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** The timed client while connected. */
  connectedClient(): VppClient | undefined {
    return this.connected ? this.timed : undefined;
  }

  /** What the connected VPP supports that the desired state may ask for; undefined while disconnected. */
  capabilities(): { presharedKeys: boolean } | undefined {
    return this.connected ? { presharedKeys: this.client!.has('wireguard_peer_add_v2') } : undefined;
  }

  private connect(): void {
    if (this.stopped) return;
    VppClient.connect({
      socketPath: this.opts.socketPath,
      clientName: 'vppwg-daemon',
      timeoutMs: this.opts.vppTimeoutMs,
      reconnect: { initialDelayMs: this.opts.reconnect?.initialDelayMs ?? 100, maxDelayMs: this.maxDelayMs },
      messages: [...reconcileMessages(), ...DAEMON_MESSAGES, ...linkStateMessages()],
    }).then(
      (client) => {
        if (this.stopped) {
          void client.close();
          return;
        }
        this.backoff.reset();
        this.client = client;
        this.timed = timedClient(client, this.metrics);
        client.on('connected', () => this.onConnected(false));
        client.on('disconnected', (err: Error) => this.onDisconnected(err));
        client.on('reconnecting', (info: { attempt: number; delayMs: number }) =>
          this.log.debug(`reconnecting to VPP (attempt ${info.attempt}, next in ${info.delayMs} ms)`),
        );
        client.on('error', (err: Error) => this.log.error(`VPP client: ${err.message}`));
        this.onConnected(true);
      },
      (err: Error) => {
        // Stopped while this attempt was under way: no retry timer may outlive the daemon.
        if (this.stopped) return;
        const delay = this.backoff.next();
        if ((this.backoff.attempts - 1) % 10 === 0) {
          this.log.warn(`VPP not reachable: ${err.message}; retrying every ≤${this.maxDelayMs} ms`, {
            socket: this.opts.socketPath,
          });
        }
        this.connectTimer = setTimeout(() => this.connect(), delay);
      },
    );
  }

  private onConnected(first: boolean): void {
    const s = this.status;
    s.connected = true;
    s.connects++;
    s.sinceMs = Date.now();
    this.metrics.vppConnected.set(1);
    this.metrics.vppConnects.inc();
    const client = this.timed!;
    this.bus.emit('vpp-connected', { client, first });
    void this.queue
      .enqueue(async () => {
        try {
          s.version = (await client.call(vpe.show_version, {})).version;
        } catch (err) {
          this.log.warn(`show_version failed: ${(err as Error).message}`);
        }
      })
      .then(() => {
        this.log.info(`connected to VPP ${s.version} at ${this.opts.socketPath}`, {
          vppVersion: s.version,
          connects: s.connects,
        });
        this.bus.emit('publish', {
          kind: 'VPP_CONNECTED',
          atMs: Date.now(),
          message: `connected to VPP ${s.version}`,
          vpp: { ...s },
        });
        this.bus.emit('vpp-ready', { first });
      });
  }

  private onDisconnected(err: Error): void {
    const s = this.status;
    s.connected = false;
    s.sinceMs = Date.now();
    this.metrics.vppConnected.set(0);
    this.log.warn(`lost VPP: ${err.message}; reconnecting (no attempt limit)`, { socket: this.opts.socketPath });
    this.bus.emit('vpp-lost', { error: err });
    this.bus.emit('publish', {
      kind: 'VPP_LOST',
      atMs: Date.now(),
      message: `lost VPP: ${err.message}`,
      vpp: { ...s },
    });
  }
}
