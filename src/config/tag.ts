/** The ownership tag vppwg writes on the VPP interfaces it creates. */

/** VPP's tag field is string[64]: 63 characters and a NUL. */
export const MAX_TAG_LENGTH = 63;
export const TAG_PREFIX = 'vppwg:';
/** WireGuard instances above this are refused (wg<N> names stay in the range VPP's tests use). */
export const MAX_INSTANCE = 16383;

export function ownerTag(interfaceName: string): string {
  return TAG_PREFIX + interfaceName;
}
