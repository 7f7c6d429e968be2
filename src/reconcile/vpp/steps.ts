/** One function per plan step: performs it on VPP and returns how to undo it. */
import * as iface from 'vpp-api-ts/interface';
import * as ip from 'vpp-api-ts/ip';
import * as teib from 'vpp-api-ts/teib';
import * as wireguard from 'vpp-api-ts/wireguard';
import type * as fib_types from 'vpp-api-ts/fib_types';
import type { VppClient } from '../../client';
import type { AddressFamily } from '../../config/model';
import { makeSecretKey } from '../../util/secrets';
import { routeKey, OWNER_TAG_PREFIX, type ActualState } from '../actual';
import { familyOf } from '../ip';
import { executeLcpStep } from '../lcp-steps';
import type { IfRef } from '../if-ref';
import type { PathRef, PeerConfig, Step } from '../plan-model';
import { ADMIN_UP, NO_INDEX, PATH_PROTO_IP4, PATH_PROTO_IP6, PATH_TYPE_NORMAL } from './messages';
import type { Touched } from './observe';

export interface ExecContext {
  readonly client: VppClient;
  readonly actual: ActualState;
  /** Logical name → current sw_if_index of vppwg's interfaces; updated as interfaces are created and deleted. */
  readonly ifIndex: Map<string, number>;
  readonly peerV2: boolean;
  readonly touched: Touched;
}

/**
 * Puts one object back. Undos run in reverse order of completion: VPP's pools hand out the most
 * recently freed index first, so removed peers and interfaces get their old index back.
 */
export type Undo = () => Promise<void>;

function resolve(ctx: ExecContext, ref: IfRef): number {
  if (!('owner' in ref)) return ref.swIfIndex;
  const idx = ctx.ifIndex.get(ref.owner);
  if (idx === undefined) throw new Error(`interface "${ref.owner}" does not exist (yet)`);
  return idx;
}

function encodePaths(ctx: ExecContext, prefix: string, paths: readonly PathRef[]): fib_types.FibPathIn[] {
  const ip6 = familyOf(prefix) === 'ip6';
  return paths.map((p) => ({
    sw_if_index: resolve(ctx, p.iface),
    table_id: 0,
    rpf_id: 0,
    weight: 1,
    preference: 0,
    type: PATH_TYPE_NORMAL,
    flags: 0,
    proto: ip6 ? PATH_PROTO_IP6 : PATH_PROTO_IP4,
    nh: { address: ip6 ? { ip6: p.nh } : { ip4: p.nh }, via_label: 0, obj_id: 0, classify_table_index: 0 },
    n_labels: 0,
    label_stack: [],
  }));
}

async function setRoute(ctx: ExecContext, table: number, prefix: string, paths: readonly PathRef[]): Promise<void> {
  // Without multipath an add replaces the entry's paths and a delete removes the entry: both idempotent.
  await ctx.client.call(ip.ip_route_add_del, {
    is_add: paths.length > 0,
    is_multipath: false,
    route: { table_id: table, stats_index: 0, prefix, paths: encodePaths(ctx, prefix, paths) },
  });
}

async function addPeer(ctx: ExecContext, owner: string, peer: PeerConfig): Promise<number> {
  const swIfIndex = resolve(ctx, { owner });
  const common = {
    peer_index: 0,
    public_key: new Uint8Array(Buffer.from(peer.publicKey, 'base64')),
    port: peer.endpoint?.port ?? 0,
    persistent_keepalive: peer.persistentKeepalive,
    table_id: peer.underlayTable,
    endpoint: peer.endpoint?.address ?? '0.0.0.0',
    sw_if_index: swIfIndex,
    flags: 0,
    allowed_ips: [...peer.allowedIps],
  };
  if (!peer.presharedKey) return (await ctx.client.call(wireguard.wireguard_peer_add, { peer: common })).peer_index;
  if (!ctx.peerV2) throw new Error('this VPP lacks wireguard_peer_add_v2: a peer with a preshared key cannot be added');
  const reply = await ctx.client.call(wireguard.wireguard_peer_add_v2, {
    peer: { ...common, preshared_key: peer.presharedKey.bytes, preshared_key_set: true },
  });
  return reply.peer_index;
}

async function removePeer(ctx: ExecContext, peerIndex: number): Promise<void> {
  await ctx.client.call(wireguard.wireguard_peer_remove, { peer_index: peerIndex });
}

async function setFlags(ctx: ExecContext, swIfIndex: number, up: boolean): Promise<void> {
  await ctx.client.call(iface.sw_interface_set_flags, { sw_if_index: swIfIndex, flags: up ? ADMIN_UP : 0 });
}

async function setTable(ctx: ExecContext, swIfIndex: number, family: AddressFamily, table: number): Promise<void> {
  await ctx.client.call(iface.sw_interface_set_table, {
    sw_if_index: swIfIndex,
    is_ipv6: family === 'ip6',
    vrf_id: table,
  });
}

async function setMtu(ctx: ExecContext, swIfIndex: number, mtu: readonly number[]): Promise<void> {
  await ctx.client.call(iface.sw_interface_set_mtu, { sw_if_index: swIfIndex, mtu: [...mtu] });
}

async function setAddress(ctx: ExecContext, swIfIndex: number, add: boolean, address: string): Promise<void> {
  await ctx.client.call(iface.sw_interface_add_del_address, {
    sw_if_index: swIfIndex,
    is_add: add,
    del_all: false,
    prefix: address,
  });
}

async function addDelTable(
  ctx: ExecContext,
  add: boolean,
  id: number,
  family: AddressFamily,
  name: string,
): Promise<void> {
  await ctx.client.call(ip.ip_table_add_del, { is_add: add, table: { table_id: id, is_ip6: family === 'ip6', name } });
}

async function addDelTeib(ctx: ExecContext, add: boolean, entry: teib.TeibEntryIn): Promise<void> {
  await ctx.client.call(teib.teib_entry_add_del, { is_add: add ? 1 : 0, entry });
}

/** Creates a wg interface and tags it; a failure of the tag deletes the interface again, so the step is all or nothing. */
async function createInterface(
  ctx: ExecContext,
  owner: string,
  spec: { instance?: number; privateKey?: Uint8Array; listenPort: number; source: string },
): Promise<number> {
  const reply = await ctx.client.call(wireguard.wireguard_interface_create, {
    interface: {
      user_instance: spec.instance ?? NO_INDEX,
      sw_if_index: 0,
      private_key: spec.privateKey ?? new Uint8Array(32),
      public_key: new Uint8Array(32),
      port: spec.listenPort,
      src_ip: spec.source,
    },
    generate_key: spec.privateKey === undefined,
  });
  const swIfIndex = reply.sw_if_index;
  try {
    await ctx.client.call(iface.sw_interface_tag_add_del, {
      is_add: true,
      sw_if_index: swIfIndex,
      tag: OWNER_TAG_PREFIX + owner,
    });
  } catch (err) {
    await ctx.client.call(wireguard.wireguard_interface_delete, { sw_if_index: swIfIndex }).catch(() => undefined);
    throw err;
  }
  ctx.ifIndex.set(owner, swIfIndex);
  return swIfIndex;
}

async function deleteInterface(ctx: ExecContext, owner: string, swIfIndex: number): Promise<void> {
  await ctx.client.call(wireguard.wireguard_interface_delete, { sw_if_index: swIfIndex });
  if (ctx.ifIndex.get(owner) === swIfIndex) ctx.ifIndex.delete(owner);
}

/** Performs one step; resolves to the undo that puts the object back as it was. */
export async function executeStep(ctx: ExecContext, step: Step): Promise<Undo> {
  switch (step.t) {
    case 'table': {
      await addDelTable(ctx, step.add, step.id, step.family, step.name);
      ctx.touched.structural = true;
      ctx.touched.tables = true;
      return () => addDelTable(ctx, !step.add, step.id, step.family, step.name);
    }
    case 'interface-add': {
      ctx.touched.structural = true;
      ctx.touched.interfacesCreated = true;
      const swIfIndex = await createInterface(ctx, step.owner, {
        ...(step.instance !== undefined ? { instance: step.instance } : {}),
        ...(step.privateKey !== 'generate' ? { privateKey: step.privateKey.bytes } : {}),
        listenPort: step.listenPort,
        source: step.source,
      });
      return () => deleteInterface(ctx, step.owner, swIfIndex);
    }
    case 'interface-del': {
      ctx.touched.structural = true;
      const swIfIndex = resolve(ctx, { owner: step.owner });
      const before = ctx.actual.interfaces.get(swIfIndex);
      const wg = ctx.actual.wireguard.get(swIfIndex);
      // Read the private key only now, and keep it only in this undo: it is needed to put the interface back.
      const rows = await ctx.client.dump(wireguard.wireguard_interface_dump, {
        show_private_key: true,
        sw_if_index: swIfIndex,
      });
      const shown = rows[0]?.interface;
      const privateKey = shown ? makeSecretKey(shown.private_key, 'VPP (kept for rollback)') : undefined;
      shown?.private_key.fill(0);
      await deleteInterface(ctx, step.owner, swIfIndex);
      return async () => {
        if (!wg || !before || !privateKey)
          throw new Error(`cannot restore interface "${step.owner}": its settings were not readable`);
        const idx = await createInterface(ctx, step.owner, {
          instance: wg.instance,
          privateKey: privateKey.bytes,
          listenPort: wg.listenPort,
          source: wg.source,
        });
        if (before.mtu.some((m) => m !== 0)) await setMtu(ctx, idx, before.mtu);
        if (before.table.ip4 !== 0) await setTable(ctx, idx, 'ip4', before.table.ip4);
        if (before.table.ip6 !== 0) await setTable(ctx, idx, 'ip6', before.table.ip6);
        if (before.adminUp) await setFlags(ctx, idx, true);
      };
    }
    case 'set-table': {
      const idx = resolve(ctx, step.iface);
      await setTable(ctx, idx, step.family, step.table);
      ctx.touched.structural = true;
      return () => setTable(ctx, resolve(ctx, step.iface), step.family, step.previous);
    }
    case 'set-mtu': {
      await setMtu(ctx, resolve(ctx, step.iface), step.mtu);
      ctx.touched.structural = true;
      return () => setMtu(ctx, resolve(ctx, step.iface), step.previous);
    }
    case 'address': {
      await setAddress(ctx, resolve(ctx, step.iface), step.add, step.address);
      ctx.touched.structural = true;
      return () => setAddress(ctx, resolve(ctx, step.iface), !step.add, step.address);
    }
    case 'peer-add': {
      const index = await addPeer(ctx, step.owner, step.peer);
      ctx.touched.addedPeers.add(index);
      return () => removePeer(ctx, index);
    }
    case 'peer-remove': {
      await removePeer(ctx, step.peerIndex);
      ctx.touched.removedPeers.add(step.restore.publicKey);
      return async () => {
        await addPeer(ctx, step.owner, step.restore);
      };
    }
    case 'route': {
      await setRoute(ctx, step.table, step.prefix, step.paths);
      ctx.touched.routes.set(routeKey(step.table, step.prefix), { table: step.table, prefix: step.prefix });
      return () => setRoute(ctx, step.table, step.prefix, step.previous);
    }
    case 'teib-del': {
      const entry = { sw_if_index: resolve(ctx, step.iface), peer: step.peer, nh: step.nh, nh_table_id: step.nhTable };
      await addDelTeib(ctx, false, entry);
      ctx.touched.structural = true;
      return () => addDelTeib(ctx, true, { ...entry, sw_if_index: resolve(ctx, step.iface) });
    }
    case 'admin': {
      const idx = resolve(ctx, step.iface);
      await setFlags(ctx, idx, step.up);
      ctx.touched.structural = true;
      ctx.touched.adminSet.set(idx, step.up);
      return () => setFlags(ctx, resolve(ctx, step.iface), step.previous);
    }
    case 'lcp-netns':
    case 'lcp-pair': {
      // A pair brings its host-side interface into VPP: interfaces are read again.
      ctx.touched.structural = true;
      return executeLcpStep(ctx.client, step, (ref) => resolve(ctx, ref));
    }
  }
}
