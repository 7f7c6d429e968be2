/** systemd (Type=notify): READY=1 after the first reconcile, whatever its outcome; STOPPING=1 at shutdown. */
import type winston from 'winston';
import type { DaemonBus, DaemonPart } from '../bus';
import { sdNotify } from '../notify';

export class SystemdNotifier implements DaemonPart {
  private off?: () => void;

  constructor(
    private readonly enabled: boolean,
    private readonly bus: DaemonBus,
    private readonly log: winston.Logger,
  ) {}

  start(): void {
    if (!this.enabled) return;
    this.off = this.bus.on('reconciled', ({ summary }) => {
      this.off?.();
      this.off = undefined;
      void sdNotify([
        '--ready',
        `--status=${summary.ok ? 'in sync with the desired state' : 'first reconcile failed: ' + summary.error}`,
      ]).then((r) => {
        if (r !== 'not under systemd') this.log.info(`systemd notify READY=1: ${r}`);
      });
    });
  }

  /** Called first on shutdown, so systemd knows at once. */
  stop(): void {
    this.off?.();
    this.off = undefined;
    if (this.enabled) void sdNotify(['STOPPING=1']);
  }
}
