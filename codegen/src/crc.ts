/**
 * VPP's message CRC (vppapigen `foldup_crcs`): CRC-32 of the message's field list rendered as Python
 * `str()`, then each user type folded in depth-first. See docs/vpp-binapi.md §3.4.
 */
import type { ApiFile, FieldDef, EnumDef } from './model';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** zlib/binascii crc32 with a running value, as Python's `binascii.crc32(data, crc)`. */
export function crc32(data: string, crc = 0): number {
  const bytes = Buffer.from(data, 'utf8');
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Enum members marked `[backwards_compatible]` in VPP's .api sources: vppapigen leaves them out of the
 * enum's CRC input, and the JSON does not show the mark, so the project states them here (read from
 * the FD.io VPP sources of v24.10 and master). Members absent from a version's enum are simply unused.
 */
export const BACKWARDS_COMPATIBLE_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  af_packet_flags: ['AF_PACKET_API_FLAG_VERSION_2'],
  af_xdp_flag: ['AF_XDP_API_FLAGS_MAC_REUSE', 'AF_XDP_API_FLAGS_MULTI_BUFFER'],
  tap_flags: ['TAP_API_FLAG_PACKED', 'TAP_API_FLAG_IN_ORDER', 'TAP_API_FLAG_CONSISTENT_QP'],
  classify_action: ['CLASSIFY_API_ACTION_MARK_FLOW'],
  virtio_flags: ['VIRTIO_API_FLAG_BUFFERING', 'VIRTIO_API_FLAG_RSS'],
  ipsec_crypto_alg: [
    'IPSEC_API_CRYPTO_ALG_CHACHA20_POLY1305',
    'IPSEC_API_CRYPTO_ALG_AES_NULL_GMAC_128',
    'IPSEC_API_CRYPTO_ALG_AES_NULL_GMAC_192',
    'IPSEC_API_CRYPTO_ALG_AES_NULL_GMAC_256',
  ],
  ipsec_sad_flags: ['IPSEC_API_SAD_FLAG_ASYNC'],
  sr_behavior: ['SR_BEHAVIOR_API_END_UN_PERF', 'SR_BEHAVIOR_API_END_UN', 'SR_BEHAVIOR_API_UA'],
  tunnel_encap_decap_flags: [
    'TUNNEL_API_ENCAP_DECAP_FLAG_ENCAP_INNER_HASH',
    'TUNNEL_API_ENCAP_DECAP_FLAG_ENCAP_COPY_HOP_LIMIT',
    'TUNNEL_API_ENCAP_DECAP_FLAG_ENCAP_COPY_FLOW_LABEL',
  ],
};

/** Python `str()` of one field as vppapigen's Field/Array `__repr__` renders it. */
export function renderField(f: FieldDef): string {
  if (f.length === undefined) return `['${f.type}', '${f.name}']`;
  return `['${f.type}', '${f.name}', ${f.length}, ${f.lengthField === undefined ? 'None' : `'${f.lengthField}'`}]`;
}

export function renderBlock(fields: readonly FieldDef[]): string {
  return '[' + fields.map(renderField).join(', ') + ']';
}

export function renderEnum(
  e: EnumDef,
  bc: Readonly<Record<string, readonly string[]>> = BACKWARDS_COMPATIBLE_MEMBERS,
): string {
  const skip = bc[e.name] ?? [];
  return (
    '[' +
    e.members
      .filter(([n]) => !skip.includes(n))
      .map(([n, v]) => `['${n}', ${v}]`)
      .join(', ') +
    ']'
  );
}

/** A per-file lookup of user types by bare name, for CRC folding. */
export interface CrcTypes {
  struct(name: string): readonly FieldDef[] | undefined;
  enumDef(name: string): EnumDef | undefined;
  isAlias(name: string): boolean;
  /** Enum members left out of CRCs (defaults to BACKWARDS_COMPATIBLE_MEMBERS). */
  readonly bc: Readonly<Record<string, readonly string[]>>;
}

export function fileCrcTypes(
  f: ApiFile,
  bc: Readonly<Record<string, readonly string[]>> = BACKWARDS_COMPATIBLE_MEMBERS,
): CrcTypes {
  const structs = new Map<string, FieldDef[]>();
  for (const t of f.types) structs.set(t.name, t.fields);
  for (const t of f.unions) structs.set(t.name, t.fields);
  const enums = new Map<string, EnumDef>();
  for (const e of f.enums) enums.set(e.name, e);
  for (const e of f.enumflags) enums.set(e.name, e);
  const aliases = new Set(f.aliases.map((a) => a.name));
  return { struct: (n) => structs.get(n), enumDef: (n) => enums.get(n), isAlias: (n) => aliases.has(n), bc };
}

function bareName(type: string): string | undefined {
  return type.startsWith('vl_api_') && type.endsWith('_t') ? type.slice(7, -2) : undefined;
}

function foldBlock(fields: readonly FieldDef[], crc: number, types: CrcTypes, depth: number): number {
  if (depth > 64) throw new Error('type nesting deeper than 64 (cyclic types?)');
  for (const f of fields) {
    if (!f.type.startsWith('vl_api_')) continue;
    const name = bareName(f.type);
    if (name === undefined) continue;
    const s = types.struct(name);
    if (s) {
      crc = crc32(renderBlock(s), crc);
      crc = foldBlock(s, crc, types, depth + 1);
      continue;
    }
    const e = types.enumDef(name);
    if (e) {
      crc = crc32(renderEnum(e, types.bc), crc);
      continue;
    }
    if (types.isAlias(name)) crc = crc32('[]', crc);
  }
  return crc;
}

/** The CRC vppapigen computes for a message's field list (with `_vl_msg_id` as the JSON has it). */
export function messageCrc(fields: readonly FieldDef[], types: CrcTypes): number {
  const own = fields.filter((f) => f.name !== '_vl_msg_id');
  return foldBlock(fields, crc32(renderBlock(own)), types, 0);
}
