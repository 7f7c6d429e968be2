/**
 * VPP's VNET_API_ERROR_* numbers (vnet/error.h) that a WireGuard agent meets, by name. The
 * emulator answers with these and the client turns them into readable errors.
 */
export const VppErrno = {
  UNSPECIFIED: -1,
  INVALID_SW_IF_INDEX: -2,
  NO_SUCH_FIB: -3,
  NO_SUCH_INNER_FIB: -4,
  NO_SUCH_LABEL: -5,
  NO_SUCH_ENTRY: -6,
  INVALID_VALUE: -7,
  INVALID_VALUE_2: -8,
  UNIMPLEMENTED: -9,
  INVALID_SW_IF_INDEX_2: -10,
  SYSCALL_ERROR_1: -11,
  SYSCALL_ERROR_2: -12,
  SYSCALL_ERROR_3: -13,
  SYSCALL_ERROR_4: -14,
  SYSCALL_ERROR_5: -15,
  SYSCALL_ERROR_6: -16,
  SYSCALL_ERROR_7: -17,
  SYSCALL_ERROR_8: -18,
  SYSCALL_ERROR_9: -19,
  SYSCALL_ERROR_10: -20,
  FEATURE_DISABLED: -30,
  INVALID_REGISTRATION: -31,
  NO_PATHS_IN_ROUTE: -52,
  NO_MATCHING_INTERFACE: -54,
  ADDRESS_LENGTH_MISMATCH: -59,
  ADDRESS_NOT_FOUND_FOR_INTERFACE: -60,
  INVALID_INTERFACE: -71,
  INVALID_ARGUMENT: -73,
  VALUE_EXIST: -81,
  INVALID_ADDRESS_FAMILY: -97,
  ADDRESS_IN_USE: -105,
  ADDRESS_FOUND_FOR_INTERFACE: -114,
  ENTRY_ALREADY_EXISTS: -116,
  UNSUPPORTED: -126,
  DUPLICATE_IF_ADDRESS: -127,
  API_ENDIAN_FAILED: -159,
  LIMIT_EXCEEDED: -162,
  EAGAIN: -165,
  INVALID_PREFIX_LENGTH: -171,
} as const;

export type VppErrnoName = keyof typeof VppErrno;

const namesByValue = new Map<number, string>(Object.entries(VppErrno).map(([k, v]) => [v, k]));

/** 'ENTRY_ALREADY_EXISTS' for -116; 'UNKNOWN' for a number this table lacks. */
export function vppErrorName(retval: number): string {
  return namesByValue.get(retval) ?? 'UNKNOWN';
}

/** Base of every error the client raises, so callers can tell client failures from their own bugs. */
export class VppClientError extends Error {
  override name = 'VppClientError';
}

/** A reply with a non-zero retval: carries the message, VPP's number and its name. */
export class VppApiError extends VppClientError {
  override name = 'VppApiError';
  readonly errorName: string;
  constructor(
    readonly msgName: string,
    readonly retval: number,
  ) {
    const errorName = vppErrorName(retval);
    super(`${msgName}: VPP returned ${retval} ${errorName}`);
    this.errorName = errorName;
  }
}

/** No reply within the call's timeout. VPP drops unknown, truncated or mis-addressed messages silently. */
export class VppTimeoutError extends VppClientError {
  override name = 'VppTimeoutError';
  constructor(
    readonly msgName: string,
    readonly timeoutMs: number,
    readonly context: number,
  ) {
    super(
      `${msgName} (context ${context}) got no reply within ${timeoutMs} ms: VPP drops messages it cannot handle ` +
        `without answering; check that the message exists on this VPP, or raise timeoutMs`,
    );
  }
}

/** The connection is gone (or was never up): the call was not answered and may or may not have run. */
export class VppDisconnectedError extends VppClientError {
  override name = 'VppDisconnectedError';
  constructor(
    message: string,
    readonly msgName?: string,
    override readonly cause?: unknown,
  ) {
    super(msgName ? `${msgName}: ${message}` : message);
  }
}

export interface IncompatibleMessage {
  readonly name: string;
  /** Our CRC as 8 hex digits, e.g. '9b8aad61'. */
  readonly ours: string;
  /** VPP's CRC, or undefined when VPP does not have the message at all. */
  readonly theirs?: string;
}

/** A message that the connected VPP lacks, or has with another CRC (another layout): it is never sent. */
export class VppIncompatibleError extends VppClientError {
  override name = 'VppIncompatibleError';
  constructor(
    readonly messages: readonly IncompatibleMessage[],
    /** What the operator should do, when the caller knows better than the generic advice. */
    summary = "VPP API mismatch (regenerate the bindings from this VPP's .api.json, or run a VPP with these plugins)",
  ) {
    super(
      `${summary}: ` +
        messages
          .map((m) =>
            m.theirs === undefined
              ? `${m.name} (ours ${m.ours}) is missing`
              : `${m.name} has CRC ${m.theirs}, ours ${m.ours}`,
          )
          .join('; '),
    );
  }
}

/** The byte stream from VPP is corrupt (bad length, undecodable frame): the connection is dropped. */
export class VppProtocolError extends VppClientError {
  override name = 'VppProtocolError';
}
