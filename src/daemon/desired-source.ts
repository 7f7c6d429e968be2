/**
 * Where the daemon's desired state comes from: the file given with --config, the fleet in etcd
 * (--etcd), or both merged. The daemon asks a source for a snapshot whenever the source says it
 * may have changed; a snapshot with errors is rejected and the last good state stays applied.
 */
import type { DesiredState, Diagnostic } from '../config/model';
import type { EventMsg, ReconcileSummaryMsg, StatusMsg } from './api/proto';

export interface DesiredSnapshot {
  /** Undefined when the diagnostics hold an error. */
  readonly state?: DesiredState;
  readonly diagnostics: readonly Diagnostic[];
}

/** What a source may watch of the daemon it feeds (the fleet publishes each node's status from it). */
export interface DaemonView {
  /** The whole status (every peer, sorted): for what is published, not for a quick look. */
  status(): StatusMsg;
  /** How the last reconcile went, without building the status. */
  readonly lastReconcileSummary: ReconcileSummaryMsg | undefined;
  on(event: 'event', listener: (e: EventMsg) => void): unknown;
  off(event: 'event', listener: (e: EventMsg) => void): unknown;
}

export interface DesiredSource {
  /** For logs and status: 'file /etc/vppwg/desired.yaml', 'etcd node edge-1 at /vppwg'. */
  readonly description: string;
  /**
   * Starts watching; `changed` is called (debounced by the source) whenever a new snapshot may
   * differ. Resolves once the first snapshot can be loaded. `capabilities` are the connected VPP's.
   */
  start(changed: () => void, daemon: DaemonView): Promise<void>;
  /** The current desired state, validated (against `capabilities` when VPP is connected). */
  load(capabilities?: { presharedKeys: boolean }): Promise<DesiredSnapshot>;
  stop(): Promise<void>;
  /** A source backed by a store (the fleet's etcd): whether it answers; status, /healthz and /metrics show it. */
  health?(): { storeReachable: boolean };
}
