/**
 * Requests awaiting their reply: registered by context, contexts handed out, and every outcome
 * settled in one place (the caller's promise or batch slot, and the trace).
 */
import { performance } from 'node:perf_hooks';
import type { PendingRequest } from './pending';
import { PendingTable } from './pending-table';
import type { TraceOutcome, TraceRing } from './trace';

export class RequestBook {
  readonly pending = new PendingTable<PendingRequest>();
  /** The next context to try; never 0. */
  nextContext = 1;

  /** Tracing is on: requests are timed from registration. */
  private readonly timed: boolean;

  constructor(readonly trace: TraceRing) {
    this.timed = trace.size > 0;
  }

  get size(): number {
    return this.pending.size;
  }

  /** A context no waiting request has: never 0 (VPP clients treat it as "no context"), wrapping past 2^32-1. */
  allocContext(): number {
    let c = this.nextContext;
    while (this.pending.has(c)) c = c === 0xffffffff ? 1 : c + 1;
    this.nextContext = c === 0xffffffff ? 1 : c + 1;
    return c;
  }

  /** `p` now waits for its reply (its context from allocContext()). */
  register(p: PendingRequest): void {
    if (this.timed) p.started = performance.now();
    this.pending.set(p);
  }

  forget(p: PendingRequest): void {
    this.pending.delete(p);
  }

  succeed(p: PendingRequest, value: unknown, retval: number | undefined): void {
    p.ok(value);
    this.trace.record(p, retval, 'ok');
  }

  fail(p: PendingRequest, error: unknown, retval: number | undefined, outcome: Exclude<TraceOutcome, 'ok'>): void {
    p.fail(error);
    this.trace.record(p, retval, outcome);
  }

  /** Every waiting request, taken out of the book. */
  takeAll(): PendingRequest[] {
    const all = this.pending.values();
    this.pending.clear();
    return all;
  }
}
