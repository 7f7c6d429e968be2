/** Reconnecting after VPP went away: attempts spaced by the project's backoff, up to maxAttempts. */
import { Backoff } from '../util/backoff';
import type { ReconnectingInfo } from './client-events';
import type { ReconnectSettings } from './options';

export interface ReconnectHooks {
  /** One attempt; a rejection schedules the next one. */
  attempt: () => Promise<void>;
  /** The next attempt is scheduled. */
  scheduled: (info: ReconnectingInfo) => void;
  /** An attempt failed (before the next is scheduled). */
  failed: (e: unknown) => void;
  /** maxAttempts attempts failed in a row: no more are made. */
  gaveUp: (attempts: number) => void;
}

export class Reconnector {
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly settings: ReconnectSettings,
    private readonly hooks: ReconnectHooks,
  ) {
    this.backoff = new Backoff(settings.backoff);
  }

  /** Schedule the next attempt (or give up). */
  schedule(): void {
    if (this.stopped) return;
    if (this.backoff.attempts >= this.settings.maxAttempts) {
      this.hooks.gaveUp(this.backoff.attempts);
      return;
    }
    const delayMs = this.backoff.next();
    this.hooks.scheduled({ attempt: this.backoff.attempts, delayMs });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.hooks.attempt().catch((e: unknown) => {
        this.hooks.failed(e);
        this.schedule();
      });
    }, delayMs);
  }

  /** Connected: the next loss starts again at the initial delay. */
  succeeded(): void {
    this.backoff.reset();
  }

  /** No more attempts (the client is closing). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
