/**
 * `vppwg/sim`: the VPP emulator in-process, for tests and machines without VPP. It speaks VPP's
 * binary API on a unix socket with VPP 26.10's rules; `connect({ socket: sim.socket })` talks to it.
 *
 * ```ts
 * import { startSim } from 'vppwg/sim';
 * const sim = await startSim({ uplinks: [{ name: 'host-eth0', addresses: ['192.0.2.1/24'], up: true }] });
 * // ... connect({ socket: sim.socket }) ...
 * await sim.stop();
 * ```
 * @packageDocumentation
 */
import { startSim as startEmulator, type FaultSpec, type SimConfig, type SimControl, type SimUplink } from '../sim';

export type { FaultSpec, SimControl, SimUplink };

export interface SimOptions extends SimConfig {
  /** The socket to listen on; default a fresh path in the temporary directory. */
  socket?: string;
}

export interface RunningSim {
  /** The API socket to connect to. */
  readonly socket: string;
  /** Fault injection and peer handshakes (close connections, delay or fail calls, restart VPP, establish a peer). */
  readonly control: SimControl;
  /** Requests received by message name since start. */
  counters(): Record<string, number>;
  /** The emulated VPP's whole state as plain data (keys as digests, never in clear). */
  snapshot(): unknown;
  /** Closes the socket and every connection. */
  stop(): Promise<void>;
}

/** Starts the emulator; resolves once it listens. */
export async function startSim(opts: SimOptions = {}): Promise<RunningSim> {
  const { socket, ...config } = opts;
  const sim = await startEmulator({ config, ...(socket !== undefined ? { socketPath: socket } : {}) });
  return {
    socket: sim.socketPath,
    control: sim.control,
    counters: () => sim.counters(),
    snapshot: () => sim.snapshot(),
    stop: () => sim.stop(),
  };
}
