/**
 * The last endpoint VPP learned for each peer the desired state gives none (remote-access
 * clients), as wg-quick's SaveConfig keeps them: after VPP restarts, such a peer is re-created with
 * it, so VPP can initiate and the client is back within seconds instead of when its own WireGuard
 * gives up on the old session. Kept in the state directory as `learned-endpoints.json` (written
 * only when it changed), so a restart of vppwg keeps them too. A roamed client simply handshakes
 * from its new address, which VPP then reports and this records.
 */
import type winston from 'winston';
import type { VppClient } from '../../client';
import type { DesiredState } from '../../config';
import type { ActualState } from '../../reconcile';
import type { StateDir } from '../../state';
import type { DaemonBus, DaemonPart } from '../bus';
import { readPeers } from '../../reconcile';

export const LEARNED_ENDPOINTS_FILE = 'learned-endpoints.json';

export interface LearnedEndpoint {
  address: string;
  port: number;
}

/** learned-endpoints.json: endpoints by the peer's public key (base64). */
interface LearnedEndpointsDocument {
  version: 1;
  peers: Record<string, LearnedEndpoint & { interface: string; name: string; learnedAtMs: number }>;
}

export class LearnedEndpoints implements DaemonPart {
  private doc: LearnedEndpointsDocument = { version: 1, peers: {} };
  private map = new Map<string, LearnedEndpoint>();
  private client?: VppClient;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly stateDir: StateDir | undefined,
    private readonly desired: () => DesiredState | undefined,
    private readonly bus: DaemonBus,
    private readonly log: winston.Logger,
  ) {}

  /** Loads what a previous run kept; a damaged file is reported and started afresh (it only speeds reconnects up). */
  start(): void {
    if (this.stateDir) {
      try {
        const kept = this.stateDir.readDocument<LearnedEndpointsDocument>(LEARNED_ENDPOINTS_FILE);
        if (kept) this.adoptDocument(kept);
      } catch (err) {
        this.log.warn(`${(err as Error).message}; learned peer endpoints start empty`);
      }
    }
    this.offs.push(
      this.bus.on('vpp-connected', ({ client }) => void (this.client = client)),
      this.bus.on('reconciled', ({ result }) => {
        if (result?.actual) this.record(result.actual);
      }),
      // A client that handshakes while no reconcile runs: read its endpoint now, not at the next drift check.
      this.bus.on('peer-transition', ({ transition, peerIndex, fromEvent }) =>
        fromEvent && transition.kind === 'up' && this.wanted().has(transition.peer.publicKey)
          ? this.readPeer(peerIndex, transition.peer.publicKey)
          : undefined,
      ),
    );
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  /** For ReconcileOptions.learnedEndpoints. */
  endpoints(): ReadonlyMap<string, LearnedEndpoint> {
    return this.map;
  }

  /** Records the endpoints VPP reports in `actual` for the peers the desired state gives none. */
  record(actual: ActualState): void {
    const wanted = this.wanted();
    let changed = false;
    for (const [key, who] of wanted) {
      const ep = actual.peers.get(key)?.endpoint;
      if (ep && this.set(key, who, ep)) changed = true;
    }
    // Peers that left the file, or now have an endpoint in it, are forgotten.
    for (const key of Object.keys(this.doc.peers)) {
      if (wanted.has(key)) continue;
      delete this.doc.peers[key];
      this.map.delete(key);
      changed = true;
    }
    if (changed) this.save();
  }

  /** Peers of the desired state without an endpoint, by public key. */
  private wanted(): Map<string, { interface: string; name: string }> {
    const out = new Map<string, { interface: string; name: string }>();
    for (const wg of this.desired()?.wireguard ?? [])
      for (const p of wg.peers) if (!p.endpoint) out.set(p.publicKey, { interface: wg.name, name: p.name });
    return out;
  }

  private set(key: string, who: { interface: string; name: string }, ep: LearnedEndpoint): boolean {
    const prior = this.doc.peers[key];
    if (prior && prior.address === ep.address && prior.port === ep.port) return false;
    this.doc.peers[key] = { address: ep.address, port: ep.port, ...who, learnedAtMs: Date.now() };
    this.map.set(key, { address: ep.address, port: ep.port });
    this.log.info(`peer ${who.name} (${who.interface}) is at ${ep.address}:${ep.port}; kept for when VPP restarts`, {
      interface: who.interface,
      peer: who.name,
      publicKey: key,
    });
    return true;
  }

  private async readPeer(peerIndex: number, key: string): Promise<void> {
    const client = this.client;
    if (!client?.connected) return;
    // readPeers leaves out an endpoint VPP does not know yet (0.0.0.0 / :: or port 0).
    const endpoint = (await readPeers(client, peerIndex)).find((p) => p.publicKey === key)?.endpoint;
    const who = this.wanted().get(key);
    if (!endpoint || !who) return;
    if (this.set(key, who, endpoint)) this.save();
  }

  private adoptDocument(kept: LearnedEndpointsDocument): void {
    const peers: LearnedEndpointsDocument['peers'] = {};
    for (const [key, v] of Object.entries(kept.peers ?? {})) {
      if (typeof v?.address !== 'string' || !Number.isInteger(v.port)) continue;
      peers[key] = v;
      this.map.set(key, { address: v.address, port: v.port });
    }
    this.doc = { version: 1, peers };
  }

  private save(): void {
    if (!this.stateDir) return;
    try {
      this.stateDir.writeDocument(LEARNED_ENDPOINTS_FILE, this.doc);
    } catch (err) {
      // Only the speed of reconnects after a restart depends on it: keep running.
      this.log.warn((err as Error).message);
    }
  }
}
