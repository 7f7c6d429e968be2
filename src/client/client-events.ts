/** The client's connection state and the events it emits, typed: names and payloads as listeners get them. */
import type { VppDisconnectedError } from './errors';
import type { CompatibilityReport } from './message-table';

/**
 * Where the connection is: 'connecting' (first connect), 'connected' (handshake done, calls go
 * out), 'reconnecting' (lost, retrying with backoff), 'disconnected' (lost, reconnect off or given
 * up), 'closing' (close() is saying goodbye on a connection that was up), 'closed' (close() called).
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'closing' | 'closed';

export interface ReconnectingInfo {
  attempt: number;
  delayMs: number;
}

/** Event name → listener arguments. */
export interface VppClientEvents {
  /** After the handshake and checks, on the first connect and every reconnect. */
  connected: [report: CompatibilityReport];
  /** A connection that was up is gone (also on close()); pending calls have been rejected. */
  disconnected: [error: VppDisconnectedError];
  /** The next attempt is scheduled. */
  reconnecting: [info: ReconnectingInfo];
  /**
   * Only emitted while someone listens: protocol errors, event listener exceptions (a thrown
   * non-Error arrives wrapped in an Error), giving up reconnecting.
   */
  error: [error: Error];
}
