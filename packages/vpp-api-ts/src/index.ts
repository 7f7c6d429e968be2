export * from './runtime/wire';
export * from './runtime/types';
