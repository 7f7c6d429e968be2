/**
 * The linux-cp messages vppwg uses (pairs, the default namespace) and the FIB source list it reads
 * linux-nl's source numbers from, with the check that names the plugin when a file needs it and
 * VPP lacks it.
 */
import type { MessageDef } from 'vpp-api-ts';
import * as fib from 'vpp-api-ts/fib';
import * as lcp from 'vpp-api-ts/lcp';
import type { VppClient } from '../client';

/** What the startup.conf of a VPP with linux-cp holds (deploy/bgp/startup.conf has the whole fragment). */
export const LCP_STARTUP_LINES =
  'plugins { plugin linux_cp_plugin.so { enable } plugin linux_nl_plugin.so { enable } plugin tap_plugin.so { enable } } ' +
  'linux-cp { default netns dataplane }';

/** Read when VPP has them; a file with host interfaces needs them (see checkLcpApi). */
export const LCP_READ: readonly MessageDef[] = [lcp.lcp_itf_pair_get, lcp.lcp_default_ns_get, fib.fib_source_dump];
/** Sent by an apply that changes pairs: the pair add/delete as v3 where VPP has it, else v2. */
export const LCP_MUTATING: readonly MessageDef[] = [
  lcp.lcp_itf_pair_add_del_v2,
  lcp.lcp_itf_pair_add_del_v3,
  lcp.lcp_default_ns_set,
];

function withAnswers(defs: readonly MessageDef[]): MessageDef[] {
  return defs.flatMap((d) => [d, ...(d.replyDef ? [d.replyDef] : []), ...(d.detailsDef ? [d.detailsDef] : [])]);
}

/** Every linux-cp definition vppwg may use, with replies and details (for VppClient.connect({ messages })). */
export function lcpMessages(): MessageDef[] {
  return withAnswers([...LCP_READ, ...LCP_MUTATING]);
}

/** VPP has linux-cp's pair messages (the plugin is loaded). */
export function hasLinuxCp(client: VppClient): boolean {
  return (
    client.has(lcp.lcp_itf_pair_get) && client.has(lcp.lcp_itf_pair_get_reply) && client.has(lcp.lcp_itf_pair_details)
  );
}

/** VPP has the v3 pair add (24.06 on), whose reply adds vif_index. */
export function hasPairV3(client: VppClient): boolean {
  return client.has(lcp.lcp_itf_pair_add_del_v3) && client.has(lcp.lcp_itf_pair_add_del_v3_reply);
}

/** Why a file that pairs interfaces cannot be applied to a VPP without linux-cp, and how to load it. */
export function linuxCpMissing(): string {
  return (
    'the file pairs interfaces with Linux (linux_cp, host_interface), but the connected VPP has no linux-cp API: ' +
    `its linux_cp plugin is not loaded. Add to startup.conf: ${LCP_STARTUP_LINES} (see deploy/bgp/startup.conf), ` +
    'create the namespace (ip netns add dataplane), and restart VPP'
  );
}
