/**
 * The VPP messages the daemon sends besides the reconciler's (version, peer events and dumps),
 * found by VPP name in the generated bindings.
 */
import * as bindings from 'vpp-api-ts';
import type { MessageDef, RequestDef, DumpDef } from 'vpp-api-ts';

export interface PeerDetails {
  peer: { peer_index: number; flags: number; public_key: Uint8Array; endpoint: string; port: number };
}

export interface DaemonMessages {
  showVersion: RequestDef<Record<string, never>, { version: string }>;
  wantPeerEvents: RequestDef<{ sw_if_index: number; peer_index: number; enable_disable: number; pid: number }, unknown>;
  peerEvent: MessageDef<{ peer_index: number; flags: number }>;
  peersDump: DumpDef<{ peer_index: number }, PeerDetails>;
  peersV2Dump: DumpDef<{ peer_index: number }, PeerDetails>;
}

let messagesCache: DaemonMessages | undefined;

/** The messages the daemon sends besides the reconciler's, found by VPP name in the bindings. */
export function daemonMessages(): DaemonMessages {
  if (messagesCache) return messagesCache;
  const byName = new Map<string, MessageDef>();
  const visit = (v: unknown, depth: number): void => {
    if (typeof v !== 'object' || v === null) return;
    const d = v as MessageDef;
    if (typeof d.nameCrc === 'string' && typeof d.encode === 'function') {
      if (!byName.has(d.name)) byName.set(d.name, d);
      return;
    }
    if (depth > 2) return;
    for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key], depth + 1);
  };
  visit(bindings, 0);
  const get = <T>(name: string): T => {
    const d = byName.get(name);
    if (!d) throw new Error(`the vpp-api-ts bindings lack ${name}: regenerate them (npm run codegen)`);
    return d as unknown as T;
  };
  messagesCache = {
    showVersion: get('show_version'),
    wantPeerEvents: get('want_wireguard_peer_events'),
    peerEvent: get('wireguard_peer_event'),
    peersDump: get('wireguard_peers_dump'),
    peersV2Dump: get('wireguard_peers_v2_dump'),
  };
  return messagesCache;
}
