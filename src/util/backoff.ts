/**
 * Capped exponential backoff, the one schedule every retry loop in vppwg uses (client reconnect,
 * daemon connect loop, failed-reconcile retry): initial, initial·factor, … up to max.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

/** Delay before attempt `attempt` (1-based): initialMs for the first, growing by factor, capped at maxMs. */
export function backoffDelay(o: BackoffOptions, attempt: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 32);
  return Math.min(o.maxMs, o.initialMs * (o.factor ?? 2) ** exponent);
}

/** A backoff with its own attempt counter: next() gives the next delay, reset() starts over after a success. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly options: BackoffOptions) {}

  next(): number {
    this.attempt++;
    return backoffDelay(this.options, this.attempt);
  }

  reset(): void {
    this.attempt = 0;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }
}
