/**
 * One writer per VPP: the daemon holds the VPP lock (src/state/vpp-lock.ts) from start to stop, so a
 * CLI `apply` against the VPP it manages refuses and names it. A lock held by a CLI apply in progress
 * is waited for (it ends on its own); one held by another daemon refuses the start.
 */
import type winston from 'winston';
import { VppLock, VppLockedError } from '../../state';
import { Backoff } from '../../util/backoff';
import type { DaemonPart } from '../bus';

/** How the daemon names itself in the lock; what tells a daemon's lock from a CLI apply's. */
export const DAEMON_HOLDER_PREFIX = 'vppwg serve';

/** Another daemon manages this VPP: the start is refused (exit 1). */
export class DaemonLockedError extends Error {
  override readonly name = 'DaemonLockedError';
}

export class VppWriterLock implements DaemonPart {
  private lock?: VppLock;
  private stopped = false;
  private wake?: () => void;

  constructor(
    private readonly socketPath: string,
    /** e.g. 'vppwg serve --config /etc/vppwg/desired.yaml' */
    private readonly holder: string,
    private readonly log: winston.Logger,
    private readonly wait = new Backoff({ initialMs: 200, maxMs: 5000 }),
  ) {}

  /** Resolves once the lock is held (or the daemon is stopping); throws DaemonLockedError when another daemon holds it. */
  async start(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      try {
        this.lock = VppLock.acquire(this.socketPath, `${this.holder} (pid ${process.pid})`);
        if (this.wait.attempts > 0) this.log.info(`took the VPP lock after ${this.wait.attempts} wait(s)`);
        return;
      } catch (err) {
        if (!(err instanceof VppLockedError)) throw err;
        const other = err.current;
        if (other.holder.startsWith(DAEMON_HOLDER_PREFIX)) {
          throw new DaemonLockedError(
            `VPP at ${this.socketPath} is already managed by ${other.holder} (pid ${other.pid}, since ${other.since}); stop that daemon first, or point this one at another VPP with --socket`,
          );
        }
        const delay = this.wait.next();
        if ((this.wait.attempts - 1) % 10 === 0)
          this.log.warn(
            `VPP at ${this.socketPath} is being changed by ${other.holder} (pid ${other.pid}); waiting for it to finish before managing VPP`,
            { holder: other.holder, pid: other.pid },
          );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  get held(): boolean {
    return this.lock !== undefined;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.lock?.release();
    this.lock = undefined;
  }
}
