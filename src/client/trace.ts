/** The ring of recent calls behind trace(): names, contexts, durations and retvals, never values. */
import { performance } from 'node:perf_hooks';

export interface TraceEntry {
  message: string;
  context: number;
  durationMs: number;
  /** VPP's retval when a reply came; undefined for timeouts, disconnects and replies without one. */
  retval?: number;
  outcome: 'ok' | 'error' | 'timeout' | 'disconnected';
}

export type TraceOutcome = TraceEntry['outcome'];

/** What the ring reads of a request. */
export interface Traced {
  readonly context: number;
  /** performance.now() when the request was registered (set only while tracing). */
  readonly started: number;
  readonly plan: { readonly def: { readonly name: string } };
}

export class TraceRing {
  private readonly ring: TraceEntry[] = [];
  private next = 0;

  /** `size` 0 = off: nothing is timed or kept. */
  constructor(readonly size: number) {}

  record(p: Traced, retval: number | undefined, outcome: TraceOutcome): void {
    if (this.size === 0) return;
    const entry: TraceEntry = {
      message: p.plan.def.name,
      context: p.context,
      durationMs: performance.now() - p.started,
      outcome,
    };
    if (retval !== undefined) entry.retval = retval;
    if (this.ring.length < this.size) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.size;
  }

  /** Oldest first. */
  entries(): readonly TraceEntry[] {
    if (this.ring.length < this.size) return this.ring.slice();
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
