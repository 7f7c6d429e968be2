/** Setting and removing vppwg's ownership tag on an interface that exists (one an interrupted run left untagged). */
import * as iface from 'vpp-api-ts/interface';
import type { VppClient } from '../client';
import { ownerTag } from '../config/tag';

export async function setOwnerTag(client: VppClient, swIfIndex: number, owner: string, add: boolean): Promise<void> {
  await client.call(iface.sw_interface_tag_add_del, { is_add: add, sw_if_index: swIfIndex, tag: ownerTag(owner) });
}
