/**
 * The contract between generated code and everything that uses it (client, emulator, reconciler,
 * tests). Generated modules under `gen/` export one `MessageDef` per VPP message.
 *
 * Value conventions (identical for encode input and decode output):
 * - u8/u16/u32/i8/i16/i32 and f64: number; u64/i64: bigint; bool: boolean.
 * - enums and enumflags: number on decode (unknown values are kept, never rejected); on input a
 *   number or the member name ('ADDRESS_IP6', 'IF_STATUS_API_FLAG_ADMIN_UP').
 * - vl_api_address_t, ip4_address, ip6_address, address_with_prefix aliases: strings
 *   ('192.0.2.1', '2001:db8::1'); vl_api_prefix_t, ip4_prefix, ip6_prefix and
 *   address_with_prefix: 'a.b.c.d/len' or 'x::/len' (host bits kept as given, never masked).
 * - mac_address: 'aa:bb:cc:dd:ee:ff'.
 * - other u8[N] fixed arrays (keys...): Uint8Array; shorter input is zero-padded, longer is a CodecError.
 * - fixed arrays of other types: arrays of exactly N on decode; shorter input is zero-filled, longer is an error.
 * - `string x[N]`: string, at most N-1 bytes on input (else CodecError), decoded up to the first NUL.
 *   `string x[]`: string of any length.
 * - variable-length arrays: plain arrays; their count field does not appear in the TS types:
 *   the encoder writes it from the array length (and rejects more than the count type holds).
 * - unions (other than inside vl_api_address_t): an object with one optional key per arm; encode
 *   writes the arm present (when several are, the largest: a decoded value carries every arm and
 *   its largest reproduces the bytes) and zero-fills the rest; decode returns every arm decoded from
 *   the same bytes (as vpp_papi does), e.g. fib_path_nh.address = { ip4: '10.0.0.2', ip6: 'a00:2::' }
 *   (an arm whose bytes are not a valid value, e.g. an address arm with family byte 7, is left out).
 * - omitted input fields take the JSON `[default=...]` when the definition has one, else zero.
 * - `_vl_msg_id` is never part of a value: it is the `msgId` argument of `encode`.
 *   `client_index` and `context` are ordinary optional input fields (default 0): a client writes
 *   them afterwards at `clientIndexOffset`/`contextOffset`.
 */
import type { Reader, Writer } from './wire';

export type MessageKind = 'request' | 'reply' | 'details' | 'event' | 'other';

export interface FieldInfo {
  /** Field name as in the .api.json. */
  readonly name: string;
  /** Type as in the .api.json: 'u32', 'vl_api_prefix_t', 'string'. */
  readonly type: string;
  /** Fixed length (> 0), 0 for a variable-length array or `string x[]`, undefined for a scalar. */
  readonly length?: number;
  /** For a VLA: the name of its count field. */
  readonly lengthField?: string;
}

export interface MessageDef<T = unknown, TIn = T> {
  /** 'wireguard_peer_add' */
  readonly name: string;
  /** Module (file) the message belongs to: 'wireguard'. */
  readonly module: string;
  /** CRC as an unsigned number, from the definition (verified by the generator). */
  readonly crc: number;
  /** As VPP's message table spells it: 'wireguard_peer_add_9b8aad61'. */
  readonly nameCrc: string;
  readonly kind: MessageKind;
  /** Top-level fields in wire order, `_vl_msg_id` included. */
  readonly fields: readonly FieldInfo[];
  /** Byte offset of `context` in the body (msg id at 0), or -1 when the message has none (events). */
  readonly contextOffset: number;
  /** Byte offset of `client_index` in the body, or -1. */
  readonly clientIndexOffset: number;
  /** Byte offset of `retval` (i32) in the body, or -1. */
  readonly retvalOffset: number;
  readonly deprecated: boolean;
  readonly inProgress: boolean;
  /** Services: the reply of a request (`X_reply`, or `X_get_reply` of a cursor stream). */
  readonly replyDef?: MessageDef;
  /** Services: the details of a dump (`X_details`), or the `stream_msg` of a cursor stream. */
  readonly detailsDef?: MessageDef;
  /** Services: `true` for an old-style `_dump` that needs a `control_ping` terminator. */
  readonly needsPing: boolean;
  /** Services: a `_get` stream with a cursor (`stream_msg` in the JSON). */
  readonly cursorStream: boolean;
  /** Services: events this request subscribes to. */
  readonly eventDefs?: readonly MessageDef[];
  /** Body size (msg id included) with every variable-length part empty. */
  readonly minSize: number;
  /** Encoded body size (msg id included) of `v`. */
  size(v: TIn): number;
  /** Append the body (`msgId` first) to `w`. Throws CodecError naming the field on a bad value. */
  encode(w: Writer, msgId: number, v: TIn): void;
  /** Decode a body starting at `r.off` (which points at the msg id). Throws CodecError when truncated. */
  decode(r: Reader): T;
}

/** A request whose reply type is known (generated for every `X` → `X_reply` service). `T`: the request decoded (emulator side). */
export interface RequestDef<TIn, TReply, T = unknown> extends MessageDef<T, TIn> {
  readonly replyDef: MessageDef<TReply>;
}

/** An old-style dump: `X_dump` → `X_details*`, terminated by control_ping. */
export interface DumpDef<TIn, TDetails, T = unknown> extends MessageDef<T, TIn> {
  readonly detailsDef: MessageDef<TDetails>;
}

/** A cursor stream: `X_get` → `X_details*` then `X_get_reply` with a cursor. */
export interface StreamDef<TIn, TReply, TDetails, T = unknown> extends MessageDef<T, TIn> {
  readonly replyDef: MessageDef<TReply>;
  readonly detailsDef: MessageDef<TDetails>;
}

/** What a generated module exports besides its typed definitions. */
export interface ModuleInfo {
  readonly name: string;
  /** `vl_api_version` from the source file. */
  readonly version: string;
  /** `options.version`, e.g. '1.4.0'. */
  readonly apiVersion?: string;
  /** Messages in JSON order: the order of VPP's message-id block for this module. */
  readonly messages: readonly MessageDef[];
}
