/**
 * `vpp-api-ts/runtime`: what the generated modules are built on: the Reader and Writer over wire
 * bytes, the codec helpers and the definition types. A client or an emulator that frames messages
 * itself needs it; a program that sends messages through a client needs only the modules.
 */
export * from './wire';
export * from './types';
export * from './codec';
