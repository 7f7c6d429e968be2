/**
 * The VPP messages the daemon uses besides the reconciler's (version, peer events), as typed
 * definitions: a field VPP renames fails to compile here, not at run time.
 */
import type { MessageDef } from 'vpp-api-ts';
import * as vpe from 'vpp-api-ts/vpe';
import * as wireguard from 'vpp-api-ts/wireguard';

/** The daemon's own requests with their replies and events (peers are read through reconcile's readPeers). */
export const DAEMON_MESSAGES: readonly MessageDef[] = [
  vpe.show_version,
  vpe.show_version_reply,
  wireguard.want_wireguard_peer_events,
  wireguard.want_wireguard_peer_events_reply,
  wireguard.wireguard_peer_event,
];
