/**
 * One queue for everything that touches VPP (reconciles, API plan and state reads, the version
 * call after a connect), so reconciles never interleave and shutdown can wait for the one in flight.
 */
export class WorkQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private count = 0;

  /** Runs `fn` after everything queued before it (whether that succeeded or not). */
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    this.count++;
    const run = this.tail.then(fn, fn);
    const done = (): void => {
      this.count--;
    };
    this.tail = run.then(done, done);
    return run;
  }

  /** Jobs queued or running. */
  get size(): number {
    return this.count;
  }

  /** Resolves with true once the queue is empty, or false after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
      timer.unref();
    });
    const idle = this.tail.then(
      () => true,
      () => true,
    );
    const r = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return r;
  }
}
