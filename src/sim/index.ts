/**
 * The VPP emulator: speaks VPP's binary API on a unix socket with VPP 26.10's rules, for tests,
 * CI and machines without VPP. `startSim()` runs it in-process; `vppwg sim` runs it as a process.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModuleInfo } from 'vpp-api-ts';
import { agentModules } from '../client/agent-modules';
import { moduleInfo as fibModule } from 'vpp-api-ts/fib';
import { moduleInfo as lcpModule } from 'vpp-api-ts/lcp';
import type { FaultSpec, SimConfig } from './config';
import { SimServer } from './server';

export type { SimConfig, SimUplink, FaultSpec } from './config';

export interface SimControl {
  /** Counting requests on all connections from now, the connection that carries the nth is closed right after answering it. */
  closeAfter(n: number): void;
  /** Drops every client connection now (in-flight requests get no reply). */
  closeNow(): void;
  /** Holds every reply back for `ms` (0 = off). */
  delayReplies(ms: number): void;
  /** The nth call of `msgName` from now fails with `retval` and changes nothing. */
  failNth(msgName: string, n: number, retval: number): void;
  /** The nth call (default: the next) of `msgName` is carried out but its reply never sent. */
  dropReply(msgName: string, n?: number): void;
  /** A new VPP: connections dropped, all state lost, new message ids. `downMs` keeps the socket away that long. */
  restart(opts?: { downMs?: number }): Promise<void>;
  /** Stops reading every connection for `ms`. */
  pauseReading(ms: number): void;
  /** Marks a peer ESTABLISHED now (a completed handshake), with its events. */
  establishPeer(peerIndex: number): boolean;
  /** An uplink's carrier lost (`up` false) or back, by VPP name: its link flag and sw_interface_event follow. */
  setCarrier(interfaceName: string, up: boolean): void;
  /**
   * What linux-nl does for a route the routing daemon put in the kernel: an entry of source
   * lcp-rt-dynamic via `via` on the paired interface `swIfIndex` (see ./lcp.ts). Throws when refused.
   */
  injectRoute(route: LcpRoute): void;
  /** The routing daemon withdrew the route: its lcp-rt-dynamic source leaves the entry. */
  withdrawRoute(route: Pick<LcpRoute, 'table' | 'prefix'>): void;
  clearFaults(): void;
  apply(fault: FaultSpec): Promise<void>;
}

export interface LcpRoute {
  readonly table?: number;
  readonly prefix: string;
  readonly via: string;
  readonly swIfIndex: number;
}

export interface Sim {
  readonly socketPath: string;
  readonly control: SimControl;
  /** Requests received by message name since start/reset. */
  counters(): Record<string, number>;
  resetCounters(): void;
  /** Full VPP state as plain JSON-able data (keys as digests, never in clear). */
  snapshot(): unknown;
  /** The current name_crc -> id table. */
  messageIds(): Record<string, number>;
  stop(): Promise<void>;
}

function refused(reason: string | undefined): void {
  if (reason !== undefined) throw new Error(reason);
}

export { loadSimConfig, checkSimConfig, SimConfigError } from './config';

export async function startSim(
  opts: { socketPath?: string; config?: SimConfig; modules?: readonly ModuleInfo[] } = {},
): Promise<Sim> {
  const config = opts.config ?? {};
  const socketPath =
    opts.socketPath ?? join(tmpdir(), `vppwg-sim-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  const server = new SimServer(socketPath, {
    // linux-cp and the FIB source list beside the agent's modules when the config loads it (see ./lcp.ts).
    modules: opts.modules ?? (config.linuxCp ? [...agentModules, fibModule, lcpModule] : agentModules),
    uplinks: config.uplinks,
    reachablePeers: config.reachablePeers,
    shuffleModules: config.shuffleModules,
    profile: config.profile,
    omitMessages: config.omitMessages,
    crcOverrides: config.crcOverrides,
    version: config.version,
  });
  await server.listen();
  const control: SimControl = {
    closeAfter: (n) => {
      server.faults.closeAfter = n;
    },
    closeNow: () => server.closeNow(),
    delayReplies: (ms) => {
      server.faults.delayMs = ms;
    },
    failNth: (msg, n, retval) => {
      server.faults.failNth.push({ msg, n, retval, seen: 0 });
    },
    dropReply: (msg, n = 1) => {
      server.faults.dropReply.push({ msg, n, seen: 0 });
    },
    restart: (o) => server.restart(o?.downMs ?? 0),
    pauseReading: (ms) => server.pauseReading(ms),
    establishPeer: (i) => server.establishPeer(i),
    setCarrier: (name, up) => server.setCarrier(name, up),
    injectRoute: (r) => refused(server.model.lcp.injectRoute(r)),
    withdrawRoute: (r) => refused(server.model.lcp.withdrawRoute(r)),
    clearFaults: () => {
      server.faults.closeAfter = undefined;
      server.faults.delayMs = 0;
      server.faults.failNth.length = 0;
      server.faults.dropReply.length = 0;
    },
    apply: async (f) => {
      switch (f.op) {
        case 'closeAfter':
          return control.closeAfter(f.n);
        case 'closeNow':
          return control.closeNow();
        case 'delayReplies':
          return control.delayReplies(f.ms);
        case 'failNth':
          return control.failNth(f.msg, f.n, f.retval);
        case 'dropReply':
          return control.dropReply(f.msg, f.n);
        case 'pauseReading':
          return control.pauseReading(f.ms);
        case 'restart':
          return control.restart({ downMs: f.downMs });
      }
    },
  };
  for (const f of config.faults ?? []) await control.apply(f);
  return {
    socketPath,
    control,
    counters: () => server.counters(),
    resetCounters: () => server.resetCounters(),
    snapshot: () => server.model.snapshot(),
    messageIds: () => Object.fromEntries([...server.table.byName.values()].map((e) => [e.nameCrc, e.id])),
    stop: () => server.close(),
  };
}
