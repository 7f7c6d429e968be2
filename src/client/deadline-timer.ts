/**
 * One timer for all calls' deadlines (a timer per call would cost more than the call): armed for
 * the earliest deadline, unref'd so waiting calls never keep the process alive.
 */
import { performance } from 'node:perf_hooks';

export class DeadlineTimer {
  /** performance.now() time the timer fires at; Infinity when not armed. */
  at = Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onExpire: () => void) {}

  arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(this.fire, Math.max(0, at - performance.now()) + 1);
    this.timer.unref();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.at = Infinity;
    this.onExpire();
  };
}
