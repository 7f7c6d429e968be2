/**
 * Transition only: what vppwg's src/ imported from the package root before the root became the
 * user surface. Each name here is deprecated; this file goes once src/ imports `vpp-api-ts/runtime`
 * and `vpp-api-ts/<module>` (see packages/vpp-api-ts/README.md).
 */
import * as runtime from './runtime/index';
import type { MessageDef, ModuleInfo } from './runtime/types';
import * as ethernet_types from './gen/ethernet_types';
import * as fib_types from './gen/fib_types';
import * as iface from './gen/interface';
import * as interface_types from './gen/interface_types';
import * as ip from './gen/ip';
import * as ip_types from './gen/ip_types';
import * as memclnt from './gen/memclnt';
import * as mfib_types from './gen/mfib_types';
import * as teib from './gen/teib';
import * as vlib from './gen/vlib';
import * as vpe from './gen/vpe';
import * as vpe_types from './gen/vpe_types';
import * as wireguard from './gen/wireguard';

/** @deprecated import from 'vpp-api-ts/runtime'. */
export const Reader = runtime.Reader;
/** @deprecated import from 'vpp-api-ts/runtime'. */
export type Reader = runtime.Reader;
/** @deprecated import from 'vpp-api-ts/runtime'. */
export const Writer = runtime.Writer;
/** @deprecated import from 'vpp-api-ts/runtime'. */
export type Writer = runtime.Writer;
/** @deprecated import from 'vpp-api-ts/runtime'. */
export const getAddress = runtime.getAddress;
/** @deprecated import from 'vpp-api-ts/runtime'. */
export const getPrefix = runtime.getPrefix;
/** @deprecated import from 'vpp-api-ts/runtime'. */
export const putPrefix = runtime.putPrefix;

/**
 * The modules vppwg's agent uses, as the package root exported them.
 * @deprecated import 'vpp-api-ts/<module>' (e.g. `import * as wireguard from 'vpp-api-ts/wireguard'`).
 */
export {
  ethernet_types,
  fib_types,
  iface as interface,
  interface_types,
  ip,
  ip_types,
  memclnt,
  mfib_types,
  teib,
  vlib,
  vpe,
  vpe_types,
  wireguard,
};

/**
 * The agent's modules (above), not every module: see `loadAllModules` for those.
 * @deprecated the agent states its own module list and imports 'vpp-api-ts/<module>'.
 */
export const allModules: readonly ModuleInfo[] = [
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
/** @deprecated the agent's messages by VPP name; see `findMessage` for every module's. */
export const messagesByName: ReadonlyMap<string, MessageDef> = new Map(
  allModules.flatMap((m) => m.messages.map((d) => [d.name, d] as const)),
);
/** @deprecated the agent's messages by name_crc; see `findMessage` for every module's. */
export const messagesByNameCrc: ReadonlyMap<string, MessageDef> = new Map(
  allModules.flatMap((m) => m.messages.map((d) => [d.nameCrc, d] as const)),
);
