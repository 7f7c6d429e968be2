/** Counters for diagnostics, shared by the parts of the client that count. */
export interface ClientStats {
  sent: number;
  received: number;
  events: number;
  lateReplies: number;
  unknownMessages: number;
  timeouts: number;
  reconnects: number;
  /** Writes the socket could not take at once (back-pressure from VPP). */
  writeStalls: number;
}

export function newClientStats(): ClientStats {
  return {
    sent: 0,
    received: 0,
    events: 0,
    lateReplies: 0,
    unknownMessages: 0,
    timeouts: 0,
    reconnects: 0,
    writeStalls: 0,
  };
}
