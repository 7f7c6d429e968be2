/**
 * Every generated module by name, loaded only when asked for: the root import stays as cheap as the
 * module list, while a client that must know every message (a name -> definition table) can still
 * have one.
 */
import type { MessageDef, ModuleInfo } from './runtime/types';
import { moduleLoaders, moduleNames, type ModuleName } from './gen/index';

export { moduleNames, type ModuleName };

export function isModuleName(name: string): name is ModuleName {
  return Object.prototype.hasOwnProperty.call(moduleLoaders, name);
}

/** One module's definitions ('wireguard'), loading that module (and the type modules it references) only. */
export function loadModule(name: string): ModuleInfo {
  if (!isModuleName(name)) {
    const near = moduleNames.filter((m) => m.startsWith(name.slice(0, 2))).slice(0, 8);
    throw new Error(
      `vpp-api-ts: no VPP module '${name}'; give one of moduleNames (${moduleNames.length} modules` +
        (near.length ? `, e.g. ${near.join(', ')})` : ')'),
    );
  }
  return moduleLoaders[name]();
}

/** Every module, in name order (loads all of them on the first call). */
export function loadAllModules(): readonly ModuleInfo[] {
  return moduleNames.map((m) => moduleLoaders[m]());
}

let messageIndex: Map<string, MessageDef> | undefined;

/**
 * A message of any module by VPP name ('wireguard_peer_add') or as VPP's message table spells it
 * ('wireguard_peer_add_9b8aad61'); loads every module on the first call.
 */
export function findMessage(name: string): MessageDef | undefined {
  if (!messageIndex) {
    messageIndex = new Map();
    for (const m of loadAllModules()) {
      for (const d of m.messages) {
        if (!messageIndex.has(d.name)) messageIndex.set(d.name, d);
        messageIndex.set(d.nameCrc, d);
      }
    }
  }
  return messageIndex.get(name);
}
