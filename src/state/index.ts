export { DEFAULT_STATE_DIR, StateDir, StateDirError } from './state-dir';
export { VppLock, VppLockedError, lockPathFor, type LockHolder } from './vpp-lock';
