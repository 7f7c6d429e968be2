/** Performing linux-cp's plan steps on VPP, each with its undo (see ./vpp/steps.ts). */
import * as lcp from 'vpp-api-ts/lcp';
import type { VppClient } from '../client';
import type { IfRef } from './if-ref';
import type { HostType } from './lcp-actual';
import { hasPairV3 } from './lcp-messages';
import type { LcpStep } from './lcp-plan';

const HOST_TYPE: Readonly<Record<HostType, number>> = { tap: 0, tun: 1 };

async function pairAddDel(
  client: VppClient,
  add: boolean,
  swIfIndex: number,
  p: { hostName: string; hostType: HostType; netns: string },
): Promise<void> {
  const request = {
    is_add: add,
    sw_if_index: swIfIndex,
    host_if_name: p.hostName,
    host_if_type: HOST_TYPE[p.hostType],
    netns: p.netns,
  };
  if (hasPairV3(client)) await client.call(lcp.lcp_itf_pair_add_del_v3, request);
  else await client.call(lcp.lcp_itf_pair_add_del_v2, request);
}

async function setDefaultNetns(client: VppClient, netns: string): Promise<void> {
  await client.call(lcp.lcp_default_ns_set, { netns });
}

/** Performs one linux-cp step; resolves to the undo. `resolve` finds an interface's sw_if_index now. */
export async function executeLcpStep(
  client: VppClient,
  step: LcpStep,
  resolve: (ref: IfRef) => number,
): Promise<() => Promise<void>> {
  switch (step.t) {
    case 'lcp-netns':
      await setDefaultNetns(client, step.netns);
      return () => setDefaultNetns(client, step.previous);
    case 'lcp-pair':
      await pairAddDel(client, step.add, resolve(step.iface), step);
      return () => pairAddDel(client, !step.add, resolve(step.iface), step);
  }
}
