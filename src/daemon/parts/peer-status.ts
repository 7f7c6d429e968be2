/**
 * Per-peer status from VPP's peer events: subscribes each managed peer on the current connection
 * after every reconcile (VPP registers only peers that exist at call time), reads their flags once,
 * and turns flag changes into PEER_UP / PEER_DOWN / PEER_REMOVED events.
 */
import type winston from 'winston';
import type { VppClient } from '../../client';
import type { PeerStatusMsg } from '../api/proto';
import type { DaemonBus, DaemonPart } from '../bus';
import type { DaemonMetrics } from '../metrics';
import { PeerTracker, type ManagedPeer } from '../peers';
import * as wireguard from 'vpp-api-ts/wireguard';
import { readPeers } from '../../reconcile';

const EVENT_KIND_BY_TRANSITION = { up: 'PEER_UP', down: 'PEER_DOWN', removed: 'PEER_REMOVED' } as const;

export class PeerStatus implements DaemonPart {
  private readonly tracker = new PeerTracker();
  private client?: VppClient;
  private unsubscribeEvents?: () => void;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly bus: DaemonBus,
    private readonly metrics: DaemonMetrics,
    private readonly log: winston.Logger,
  ) {}

  start(): void {
    this.offs.push(
      this.bus.on('vpp-connected', ({ client }) => this.onConnected(client)),
      this.bus.on('vpp-lost', () => this.onLost()),
      this.bus.on('reconciled', ({ result }) => (result ? this.track(result.peers) : undefined)),
    );
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.unsubscribeEvents?.();
    this.unsubscribeEvents = undefined;
  }

  list(): PeerStatusMsg[] {
    return this.tracker.list();
  }

  get establishedCount(): number {
    return this.tracker.establishedCount();
  }

  private onConnected(client: VppClient): void {
    // A new VPP connection: VPP kept no registration for us that we can rely on.
    this.tracker.connectionReset();
    this.unsubscribeEvents?.();
    this.client = client;
    this.unsubscribeEvents = client.subscribe(wireguard.wireguard_peer_event, (e) =>
      this.onFlags(e.peer_index, e.flags),
    );
  }

  private onLost(): void {
    // VPP is gone: no tunnel works without it. Quietly: one VPP_LOST says it all.
    const wereUp = this.tracker.markAllDown();
    if (wereUp > 0) this.log.info(`${wereUp} established peer(s) now count as down until VPP is back`);
    this.updateGauges();
  }

  /** Subscribe peers not yet subscribed on this connection, then read their flags once. */
  private async track(peers: readonly ManagedPeer[]): Promise<void> {
    const toSubscribe = this.tracker.setPeers(peers);
    const client = this.client;
    if (toSubscribe.length > 0 && client?.connected) {
      // VPP answers 0 even for a peer index that no longer exists (someone removed it since the
      // reconcile looked), so a subscription counts only once the dump below shows that peer.
      const results = await Promise.allSettled(
        toSubscribe.map((p) =>
          client.call(wireguard.want_wireguard_peer_events, {
            sw_if_index: p.swIfIndex,
            peer_index: p.peerIndex,
            enable_disable: 1,
            pid: process.pid,
          }),
        ),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      if (failed.length) {
        this.log.warn(
          `want_wireguard_peer_events failed for ${failed.length} peer(s): ${(failed[0] as PromiseRejectedResult).reason}`,
        );
      }
      try {
        const mark = this.tracker.eventMark;
        const peers = await readPeers(client);
        const keyAt = new Map(peers.map((p) => [p.peerIndex, p.publicKey]));
        this.tracker.confirmSubscriptions(
          toSubscribe,
          results.map((r) => r.status === 'fulfilled'),
          keyAt,
        );
        // The flags may have changed between the add and the subscription: read them once.
        for (const p of peers) this.onFlags(p.peerIndex, p.flags, mark);
      } catch (err) {
        this.log.warn(
          `wireguard_peers_dump failed: ${(err as Error).message}; peer status is re-read at the next reconcile`,
        );
      }
    }
    this.updateGauges();
  }

  /** From an event, or (with the mark taken before the dump was asked for) from a dump. */
  private onFlags(peerIndex: number, flags: number, dumpMark?: number): void {
    const fromEvent = dumpMark === undefined;
    const t = fromEvent ? this.tracker.onEvent(peerIndex, flags) : this.tracker.seed(peerIndex, flags, dumpMark);
    if (!t) return;
    const text = `peer ${t.peer.name} (${t.peer.interface}) ${t.kind === 'up' ? 'established' : t.kind === 'down' ? 'no longer established' : 'removed from VPP'}`;
    this.log.info(text, {
      interface: t.peer.interface,
      peer: t.peer.name,
      publicKey: t.peer.publicKey,
      peerIndex,
      flags,
    });
    this.bus.emit('publish', { kind: EVENT_KIND_BY_TRANSITION[t.kind], atMs: Date.now(), message: text, peer: t.peer });
    this.bus.emit('peer-transition', { transition: t, peerIndex, flags, fromEvent });
    this.updateGauges();
  }

  private updateGauges(): void {
    this.metrics.peersEstablished.set(this.tracker.establishedCount());
    this.metrics.peersManaged.set(this.tracker.size());
  }
}
