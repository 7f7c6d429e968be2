/**
 * The desired-state API: load and validate a file, check it against what the connected VPP can
 * do, and format findings. The reconciler, the CLI and the daemon use only this module.
 */
export type { LoadOptions, LoadResult } from './load';
export {
  parseDesiredState,
  loadDesiredState,
  checkAgainstCapabilities,
  formatDiagnostic,
  ownerTag,
  TAG_PREFIX,
  MAX_TAG_LENGTH,
} from './load';
export {
  canonicalAddress,
  canonicalAddressOrThrow,
  canonicalPrefix,
  canonicalPrefixOrThrow,
  canonicalInterfaceAddress,
  isZeroAddress,
} from './addr';
export { decodeKey, encodeKey, generatePrivateKey, generatePresharedKey, publicKeyOf } from './keys';
export type * from './model';
