/**
 * The VPP API modules vppwg's agent speaks (client default bindings, emulator): the one list, so a
 * module the reconciler or daemon starts using is added here and nowhere else.
 */
import type { MessageDef, ModuleInfo } from 'vpp-api-ts';
import * as ethernet_types from 'vpp-api-ts/ethernet_types';
import * as fib_types from 'vpp-api-ts/fib_types';
import * as iface from 'vpp-api-ts/interface';
import * as interface_types from 'vpp-api-ts/interface_types';
import * as ip from 'vpp-api-ts/ip';
import * as ip_types from 'vpp-api-ts/ip_types';
import * as memclnt from 'vpp-api-ts/memclnt';
import * as mfib_types from 'vpp-api-ts/mfib_types';
import * as teib from 'vpp-api-ts/teib';
import * as vlib from 'vpp-api-ts/vlib';
import * as vpe from 'vpp-api-ts/vpe';
import * as vpe_types from 'vpp-api-ts/vpe_types';
import * as wireguard from 'vpp-api-ts/wireguard';

export const agentModules: readonly ModuleInfo[] = [
  ethernet_types.moduleInfo,
  fib_types.moduleInfo,
  iface.moduleInfo,
  interface_types.moduleInfo,
  ip.moduleInfo,
  ip_types.moduleInfo,
  memclnt.moduleInfo,
  mfib_types.moduleInfo,
  teib.moduleInfo,
  vlib.moduleInfo,
  vpe.moduleInfo,
  vpe_types.moduleInfo,
  wireguard.moduleInfo,
];

/** Every message of agentModules. */
export const agentMessages: readonly MessageDef[] = agentModules.flatMap((m) => m.messages);

/** agentMessages by VPP name ('wireguard_peer_add'). */
export const agentMessagesByName: ReadonlyMap<string, MessageDef> = new Map(agentMessages.map((d) => [d.name, d]));

/** agentMessages as VPP's message table names them ('wireguard_peer_add_9b8aad61'). */
export const agentMessagesByNameCrc: ReadonlyMap<string, MessageDef> = new Map(
  agentMessages.map((d) => [d.nameCrc, d]),
);
