/**
 * Which VPP messages the reconciler uses, named by their generated definitions (so a renamed
 * message or field fails to compile), which of their newer versions the connected VPP has, and the
 * check that refuses a VPP lacking any of them before anything is read or changed.
 */
import { type MessageDef } from 'vpp-api-ts';
import * as iface from 'vpp-api-ts/interface';
import * as ip from 'vpp-api-ts/ip';
import * as teib from 'vpp-api-ts/teib';
import * as vpe from 'vpp-api-ts/vpe';
import * as wireguard from 'vpp-api-ts/wireguard';
import { agentMessagesByName } from '../../client/agent-modules';
import { VppIncompatibleError, type IncompatibleMessage, type VppClient } from '../../client';
import { LCP_MUTATING, lcpMessages } from '../lcp-messages';

/** "Any" / "none" for a u32 index (sw_if_index, peer_index, user_instance). */
export const NO_INDEX = 0xffffffff;
/** if_status_flags. */
export const ADMIN_UP = 1;
export const LINK_UP = 2;
/** fib_path_type FIB_API_PATH_TYPE_NORMAL; fib_path_nh_proto IP4 / IP6. */
export const PATH_TYPE_NORMAL = 0;
export const PATH_PROTO_IP4 = 0;
export const PATH_PROTO_IP6 = 1;
/** wireguard_peer_flags WIREGUARD_PEER_ESTABLISHED. */
export const PEER_ESTABLISHED = 2;

/** The requests every observe sends. The peer dump is chosen apart (v2 or v1). */
const READ_REQUESTS: readonly MessageDef[] = [
  iface.sw_interface_dump,
  wireguard.wireguard_interface_dump,
  ip.ip_address_dump,
  iface.sw_interface_get_table,
  ip.ip_table_dump,
  ip.ip_route_dump,
  ip.ip_route_lookup,
  teib.teib_dump,
];

/** The requests that change VPP, in the order a plan may use them. */
const MUTATING_REQUESTS: readonly MessageDef[] = [
  ip.ip_table_add_del,
  wireguard.wireguard_interface_create,
  wireguard.wireguard_interface_delete,
  iface.sw_interface_tag_add_del,
  iface.sw_interface_set_table,
  iface.sw_interface_set_mtu,
  iface.sw_interface_add_del_address,
  wireguard.wireguard_peer_add,
  wireguard.wireguard_peer_add_v2,
  wireguard.wireguard_peer_remove,
  ip.ip_route_add_del,
  teib.teib_entry_add_del,
  iface.sw_interface_set_flags,
];

/** Read when VPP has them (newer layouts carrying more), or only to name VPP's version. */
const OPTIONAL_REQUESTS: readonly MessageDef[] = [
  wireguard.wireguard_peers_dump,
  wireguard.wireguard_peers_v2_dump,
  ip.ip_route_v2_dump,
  ip.ip_route_lookup_v2,
  vpe.show_version,
];

/** Each request followed by its reply or details: what VPP must have for the exchange. */
function withAnswers(requests: readonly MessageDef[]): MessageDef[] {
  return requests.flatMap((d) => [d, ...(d.replyDef ? [d.replyDef] : []), ...(d.detailsDef ? [d.detailsDef] : [])]);
}

/** Names of the messages that change VPP (for counting "mutating calls" in tests and benches). */
export const MUTATING_MESSAGES: readonly string[] = [...MUTATING_REQUESTS, ...LCP_MUTATING].map((d) => d.name);

/** The message definitions the reconciler uses (requests with their replies and details), for VppClient.connect({ messages }). */
export function reconcileMessages(): MessageDef[] {
  return [
    ...new Set([...withAnswers([...READ_REQUESTS, ...MUTATING_REQUESTS, ...OPTIONAL_REQUESTS]), ...lcpMessages()]),
  ];
}

/** A generated definition by VPP name, for tools and tests that choose a message at run time. */
export function messageDef(name: string): MessageDef {
  const d = agentMessagesByName.get(name);
  if (!d) throw new Error(`the vpp-api-ts bindings lack ${name}: regenerate them (npm run codegen)`);
  return d;
}

/** VPP has the peer messages with preshared keys (wireguard_peer_add_v2 and its dump, 26.06 on). */
export function hasPeerV2(client: VppClient): boolean {
  return client.has(wireguard.wireguard_peer_add_v2) && client.has(wireguard.wireguard_peers_v2_dump);
}

/** VPP reports each route's best source (ip_route_v2_dump and ip_route_lookup_v2, 24.10 on). */
export function hasRouteSources(client: VppClient): boolean {
  return (
    client.has(ip.ip_route_v2_dump) &&
    client.has(ip.ip_route_v2_details) &&
    client.has(ip.ip_route_lookup_v2) &&
    client.has(ip.ip_route_lookup_v2_reply)
  );
}

/**
 * Refuses, before anything is read or changed, a VPP that lacks (or has another layout of) a message
 * the reconciler needs to read (`write`: also to apply), naming every such message at once instead of
 * failing on the first call that needs one. A VPP without the WireGuard plugin gets that said plainly.
 */
export function checkReconcileApi(client: VppClient, write: boolean): void {
  // Disconnected: the calls themselves say so.
  if (!client.connected) return;
  const peerV2 = hasPeerV2(client);
  const needed = withAnswers([...READ_REQUESTS, ...(peerV2 ? [] : [wireguard.wireguard_peers_dump])]);
  if (write) {
    // What an apply sends; the peer add as v2 when VPP has it, else v1.
    const unusedPeerAdd = peerV2 ? wireguard.wireguard_peer_add : wireguard.wireguard_peer_add_v2;
    needed.push(...withAnswers(MUTATING_REQUESTS.filter((d) => d !== unusedPeerAdd)));
  }
  const problems = client.incompatible(needed);
  if (problems.length === 0) return;
  throw new VppIncompatibleError(problems, apiHint(client, problems));
}

function apiHint(client: VppClient, problems: readonly IncompatibleMessage[]): string | undefined {
  const wg = problems.filter((m) => m.name.startsWith('wireguard_'));
  const noPlugin =
    wg.length > 0 &&
    wg.every((m) => m.theirs === undefined) &&
    client.incompatible([wireguard.wireguard_interface_dump]).some((m) => m.theirs === undefined);
  if (noPlugin && wg.length === problems.length) {
    return (
      `VPP at ${client.socketPath} has no WireGuard API: its wireguard plugin is not loaded ` +
      '(startup.conf: plugins { plugin wireguard_plugin.so { enable } }; then restart VPP)'
    );
  }
  return undefined;
}
