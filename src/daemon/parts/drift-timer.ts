/** Drift checks: every interval, when idle and connected, a reconcile that observes VPP fully and repairs what others changed. */
import type { DaemonPart } from '../bus';
import type { WorkQueue } from '../work-queue';
import type { ReconcileRunner } from './reconcile-runner';
import type { VppConnection } from './vpp-connection';

export class DriftTimer implements DaemonPart {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly intervalMs: number,
    private readonly runner: ReconcileRunner,
    private readonly vpp: VppConnection,
    private readonly queue: WorkQueue,
  ) {}

  start(): void {
    if (this.intervalMs > 0) this.timer = setInterval(() => this.check(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    // Only when idle: a queued reconcile checks everything anyway.
    if (!this.timer || !this.vpp.connected || this.queue.size > 0) return;
    void this.runner.requestReconcile('drift');
  }
}
