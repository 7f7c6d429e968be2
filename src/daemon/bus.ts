/**
 * The daemon's typed event bus: how its parts (VPP connection, desired state, reconcile runner,
 * peer status, learned endpoints, API, systemd) hear of each other without holding each other.
 */
import type { VppClient } from '../client';
import type { DesiredState } from '../config';
import type { ReconcileResult } from '../reconcile';
import type { EventMsg, ReconcileSummaryMsg } from './api/proto';
import type { PeerTransition } from './peers';

export type Trigger = 'start' | 'config' | 'sighup' | 'drift' | 'reconnect' | 'api' | 'retry';

export interface BusEvents {
  /** A VPP connection is up (`first`: the first of this daemon); `client` is the timed one. */
  'vpp-connected': { client: VppClient; first: boolean };
  /** After a connect, once VPP's version is read (in the work queue): time to resync. */
  'vpp-ready': { first: boolean };
  'vpp-lost': { error: Error };
  /** The desired state was (re)loaded and adopted; a reconcile is wanted. */
  'desired-changed': { state: DesiredState; trigger: Trigger };
  /** A reconcile finished (result undefined when it could not run). Listeners may return a promise: it is awaited in the queue. */
  reconciled: { trigger: Trigger; summary: ReconcileSummaryMsg; result?: ReconcileResult };
  /** A peer went up, down or was removed (from a VPP event or a dump). */
  'peer-transition': { transition: PeerTransition; peerIndex: number; flags: number; fromEvent: boolean };
  /** For API subscribers and `daemon.on('event')`. */
  publish: EventMsg;
}

type Listener<K extends keyof BusEvents> = (payload: BusEvents[K]) => void | Promise<void>;

export class DaemonBus {
  private readonly listeners = new Map<keyof BusEvents, Set<Listener<never>>>();

  /** `onError` hears what a listener threw or rejected with: a part's bug must not stop the others. */
  constructor(private readonly onError: (event: keyof BusEvents, err: Error) => void = () => undefined) {}

  on<K extends keyof BusEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Calls every listener now; a promise one returns is not waited for (its rejection goes to onError). */
  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        const r = (l as Listener<K>)(payload);
        if (r) r.catch((err: Error) => this.onError(event, err));
      } catch (err) {
        this.onError(event, err as Error);
      }
    }
  }

  /** Calls every listener in order and waits for each. */
  async emitAndWait<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): Promise<void> {
    for (const l of [...(this.listeners.get(event) ?? [])]) await (l as Listener<K>)(payload);
  }
}

/** A part of the daemon: started in order, stopped in reverse order by the controller. */
export interface DaemonPart {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}
