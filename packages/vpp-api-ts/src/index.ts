export * from './runtime/wire';
export * from './runtime/types';
export * from './runtime/codec';
export * from './gen';
