/**
 * vpp-api-ts: typed bindings and exact codecs for every module of the VPP binary API.
 *
 * Each module is its own import (`vpp-api-ts/wireguard`, `vpp-api-ts/ip`, ...) and loads only itself
 * and the type modules it references. The root holds what every user needs: the definition types,
 * CodecError, and a registry that loads modules by name on demand. What generated code is built
 * on (Reader, Writer, codec helpers) is `vpp-api-ts/runtime`.
 */
export type { DumpDef, FieldInfo, MessageDef, MessageKind, ModuleInfo, RequestDef, StreamDef } from './runtime/types';
export { CodecError } from './runtime/wire';
export { findMessage, isModuleName, loadAllModules, loadModule, moduleNames, type ModuleName } from './registry';
