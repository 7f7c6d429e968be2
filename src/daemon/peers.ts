/**
 * Per-peer status from wireguard_peer_event. Keyed by public key, because VPP's peer indexes are
 * pool slots that get reused; events carry only peer_index, so an index → key map is kept current
 * from each reconcile's result.
 */
import type { PeerStatusMsg } from './api/proto';
import { compareText } from '../util/compare';

export const PEER_FLAG_DEAD = 1;
export const PEER_FLAG_ESTABLISHED = 2;

export interface ManagedPeer {
  interface: string;
  name: string;
  publicKey: string;
  peerIndex: number;
  swIfIndex: number;
}

export type PeerTransition = { kind: 'up' | 'down'; peer: PeerStatusMsg } | { kind: 'removed'; peer: PeerStatusMsg };

export class PeerTracker {
  private readonly byKey = new Map<string, PeerStatusMsg>();
  private readonly keyByIndex = new Map<number, string>();
  /** peer_index → public key subscribed on the current VPP connection. */
  private readonly subscribed = new Map<number, string>();
  /** Counts events; a dump read is older than any event counted after it was asked for. */
  private events = 0;
  private readonly lastEventNo = new Map<string, number>();
  /** Kept as peers change, so a burst of 10,000 events does not recount 10,000 peers each time. */
  private upCount = 0;
  /** list()'s answer until a peer changes: a fleet node builds its status (every peer, sorted) often. */
  private listed?: readonly PeerStatusMsg[];

  /** Replace the managed set after a reconcile; returns the peers that need a subscription. */
  setPeers(peers: readonly ManagedPeer[], now = Date.now()): ManagedPeer[] {
    this.listed = undefined;
    const keep = new Set(peers.map((p) => p.publicKey));
    for (const [key, p] of [...this.byKey]) {
      if (keep.has(key)) continue;
      if (p.established) this.upCount--;
      this.byKey.delete(key);
      this.lastEventNo.delete(key);
    }
    this.keyByIndex.clear();
    const toSubscribe: ManagedPeer[] = [];
    for (const p of peers) {
      const prior = this.byKey.get(p.publicKey);
      if (prior) {
        prior.interface = p.interface;
        prior.name = p.name;
        prior.peerIndex = p.peerIndex;
        prior.swIfIndex = p.swIfIndex;
      } else {
        this.byKey.set(p.publicKey, {
          ...p,
          established: false,
          sinceMs: now,
          lastEventFlags: 0,
          lastEventAtMs: 0,
          lastHandshakeAtMs: 0,
        });
      }
      this.keyByIndex.set(p.peerIndex, p.publicKey);
      if (this.subscribed.get(p.peerIndex) !== p.publicKey) toSubscribe.push(p);
    }
    return toSubscribe;
  }

  markSubscribed(p: ManagedPeer): void {
    this.subscribed.set(p.peerIndex, p.publicKey);
  }

  /**
   * After want_wireguard_peer_events for `candidates`: VPP answers 0 even for an index that no
   * longer exists, so a subscription counts only where a dump taken afterwards shows that peer
   * (its key at its index). The others are asked for again after the next reconcile.
   */
  confirmSubscriptions(
    candidates: readonly ManagedPeer[],
    accepted: readonly boolean[],
    keyAtIndex: ReadonlyMap<number, string>,
  ): number {
    let n = 0;
    candidates.forEach((p, i) => {
      if (accepted[i] && keyAtIndex.get(p.peerIndex) === p.publicKey) {
        this.markSubscribed(p);
        n++;
      }
    });
    return n;
  }

  /** VPP is gone: no tunnel works without it. Quietly (one VPP_LOST says it all); returns how many were up. */
  markAllDown(now = Date.now()): number {
    this.listed = undefined;
    let n = 0;
    for (const p of this.byKey.values()) {
      if (!p.established) continue;
      p.established = false;
      p.sinceMs = now;
      n++;
    }
    this.upCount = 0;
    return n;
  }

  /** A new VPP connection: VPP kept no registration for us that we can rely on. */
  connectionReset(): void {
    this.subscribed.clear();
  }

  /** Mark taken before asking for a dump, to pass to seed(). */
  get eventMark(): number {
    return this.events;
  }

  /**
   * Flags read from a dump (after subscribing), so state set before the subscription is not
   * missed. An event that arrived after the dump was asked for is newer than the dump (the dump's
   * promise resolves after events already handled): then the dump's flags are ignored.
   */
  seed(peerIndex: number, flags: number, askedAtMark: number, now = Date.now()): PeerTransition | undefined {
    const key = this.keyByIndex.get(peerIndex);
    if (key !== undefined && (this.lastEventNo.get(key) ?? -1) >= askedAtMark) return undefined;
    return this.apply(peerIndex, flags, now, false);
  }

  /** A wireguard_peer_event. */
  onEvent(peerIndex: number, flags: number, now = Date.now()): PeerTransition | undefined {
    return this.apply(peerIndex, flags, now, true);
  }

  private apply(peerIndex: number, flags: number, now: number, isEvent: boolean): PeerTransition | undefined {
    const key = this.keyByIndex.get(peerIndex);
    const peer = key === undefined ? undefined : this.byKey.get(key);
    if (!peer) return undefined;
    this.listed = undefined;
    if (isEvent) {
      peer.lastEventFlags = flags;
      peer.lastEventAtMs = now;
      this.lastEventNo.set(peer.publicKey, this.events++);
    }
    if (flags & PEER_FLAG_DEAD) {
      // The slot is gone (removed by us or by someone else): its registration went with it.
      this.subscribed.delete(peerIndex);
      this.keyByIndex.delete(peerIndex);
      if (peer.established) this.upCount--;
      peer.established = false;
      peer.sinceMs = now;
      return { kind: 'removed', peer: { ...peer } };
    }
    const established = (flags & PEER_FLAG_ESTABLISHED) !== 0;
    if (established === peer.established) return undefined;
    this.upCount += established ? 1 : -1;
    peer.established = established;
    peer.sinceMs = now;
    // Only an event is a handshake seen now; a dump's flag says it happened at some time before.
    if (established && isEvent) peer.lastHandshakeAtMs = now;
    return { kind: established ? 'up' : 'down', peer: { ...peer } };
  }

  /** Every peer by interface and name: snapshots, frozen (they are shared until a peer changes). */
  list(): PeerStatusMsg[] {
    this.listed ??= [...this.byKey.values()]
      .map((p) => Object.freeze({ ...p }))
      .sort((a, b) => compareText(a.interface, b.interface) || compareText(a.name, b.name));
    return [...this.listed];
  }

  establishedCount(): number {
    return this.upCount;
  }

  size(): number {
    return this.byKey.size;
  }
}
