/**
 * One writer per VPP: a lock file beside VPP's API socket, naming its holder (a running
 * `vppwg serve`, or a CLI apply). A CLI apply refuses while another holder lives; a holder that
 * died leaves a lock that the next taker finds stale (its pid is gone) and replaces.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

export interface LockHolder {
  pid: number;
  /** Who holds it, for messages: 'vppwg serve --config /etc/vppwg/desired.yaml', 'vppwg apply site.yaml'. */
  holder: string;
  /** ISO time it was taken. */
  since: string;
}

export class VppLockedError extends Error {
  constructor(
    readonly socketPath: string,
    readonly current: LockHolder,
  ) {
    super(
      `VPP at ${socketPath} is managed by ${current.holder} (pid ${current.pid}, since ${current.since}); ` +
        `change it through that process, or stop it first (--force applies anyway)`,
    );
  }
}

/** The lock file for the VPP at `socketPath`: beside the socket, or in the temp folder when that is not writable. */
export function lockPathFor(socketPath: string, fallback = false): string {
  const abs = resolve(socketPath);
  if (!fallback) return join(dirname(abs), `.${basename(abs)}.vppwg.lock`);
  const digest = createHash('sha256').update(abs).digest('hex').slice(0, 16);
  return join(tmpdir(), `vppwg-${digest}.lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.holder === 'string' && typeof v.since === 'string')
      return v as LockHolder;
  } catch {
    // Unreadable or half-written: treated as stale below.
  }
  return undefined;
}

export class VppLock {
  private released = false;
  private constructor(
    readonly path: string,
    readonly socketPath: string,
    readonly info: LockHolder,
  ) {}

  /**
   * Takes the lock for the VPP at `socketPath`, or throws VppLockedError naming the live holder.
   * A lock left by a process that is gone is replaced.
   */
  static acquire(socketPath: string, holder: string): VppLock {
    const info: LockHolder = { pid: process.pid, holder, since: new Date().toISOString() };
    for (const fallback of [false, true]) {
      const path = lockPathFor(socketPath, fallback);
      for (let tries = 0; tries < 3; tries++) {
        let fd: number;
        try {
          fd = openSync(path, 'wx', 0o644);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') {
            const current = readHolder(path);
            if (current && alive(current.pid)) throw new VppLockedError(socketPath, current);
            try {
              unlinkSync(path);
            } catch {
              // Another taker removed it first; try again.
            }
            continue;
          }
          if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM' || code === 'ENOENT') break;
          throw err;
        }
        try {
          writeSync(fd, JSON.stringify(info));
        } finally {
          closeSync(fd);
        }
        return new VppLock(path, socketPath, info);
      }
    }
    throw new Error(`cannot take the lock for VPP at ${socketPath}: neither beside the socket nor in ${tmpdir()}`);
  }

  /** The live holder of the lock for `socketPath`, if any. */
  static holder(socketPath: string): LockHolder | undefined {
    for (const fallback of [false, true]) {
      const current = readHolder(lockPathFor(socketPath, fallback));
      if (current && alive(current.pid)) return current;
    }
    return undefined;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const current = readHolder(this.path);
    if (current && current.pid === this.info.pid && current.since === this.info.since) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
    }
  }
}
