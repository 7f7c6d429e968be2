/**
 * Hand-written helpers the generated codecs call: address/prefix/MAC text <-> bytes (no regex, no
 * allocation beyond the result string), strings, and error-path plumbing. Each `put*` writes into a
 * Buffer at `o` (the caller has already ensured room) and returns the next offset; each `get*` reads
 * at `o` (the caller has already bounds-checked). `field` names the field for a CodecError.
 */
import { CodecError, zeroRange } from './wire';

const HEX = '0123456789abcdef';

/** Zero b[from..to): a loop beats Buffer.fill's native call for the few bytes codecs clear. */
/** Zero bytes [from, to) (the generated codecs' name for it). */
export const zero = zeroRange;
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(HEX[i >> 4]! + HEX[i & 15]!);
const DEC: string[] = [];
for (let i = 0; i < 256; i++) DEC.push(String(i));

/** Prefix a CodecError's path with `seg` (a field name or `name[i]`); wraps any other error. */
export function at(e: unknown, seg: string): CodecError {
  if (e instanceof CodecError) {
    const bare = e.path ? e.message.slice(e.path.length + 2) : e.message;
    const path = e.path ? (e.path.charCodeAt(0) === 91 /* [ */ ? seg + e.path : seg + '.' + e.path) : seg;
    return new CodecError(bare, path);
  }
  return new CodecError(e instanceof Error ? e.message : String(e), seg);
}

export function bad(field: string, what: string, v: unknown): never {
  let shown: string;
  if (typeof v === 'string') shown = JSON.stringify(v.length > 64 ? v.slice(0, 64) + '…' : v);
  else if (typeof v === 'bigint') shown = v.toString() + 'n';
  else if (v instanceof Uint8Array) shown = `${v.length} bytes`;
  else if (Array.isArray(v)) shown = `array of ${v.length}`;
  else shown = typeof v === 'object' && v !== null ? 'an object' : String(v);
  throw new CodecError(`${what}, got ${shown}`, field);
}

/** A decode that ran past the body: find the first leaf of `layout` ([offset, size, name]...) that does not fit. */
export function truncated(buf: Buffer, start: number, end: number, layout: readonly (string | number)[]): never {
  for (let i = 0; i < layout.length; i += 3) {
    const off = layout[i] as number;
    const size = layout[i + 1] as number;
    if (start + off + size > end) {
      throw new CodecError(
        `truncated: needs ${size} byte(s) at offset ${start + off}, body has ${end}`,
        layout[i + 2] as string,
      );
    }
  }
  throw new CodecError(`truncated at offset ${start}, body has ${end} (buffer ${buf.length})`, '');
}

// ---------------------------------------------------------------------------------------------
// IPv4

/** Parse dotted-quad `s` from `i` to `end` into b[o..o+4]; false when malformed (leading zeros rejected, as Python's ipaddress does). */
function parseIp4(s: string, i: number, end: number, b: Buffer, o: number): boolean {
  let part = 0;
  let digits = 0;
  let acc = 0;
  let lead0 = false;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || part === 3) return false;
      b[o + part++] = acc;
      acc = 0;
      digits = 0;
      lead0 = false;
    } else if (c >= 48 && c <= 57) {
      if (lead0) return false;
      if (digits === 0 && c === 48) lead0 = true;
      acc = acc * 10 + (c - 48);
      if (++digits > 3 || acc > 255) return false;
    } else return false;
  }
  if (digits === 0 || part !== 3) return false;
  b[o + 3] = acc;
  return true;
}

export function fmtIp4(b: Uint8Array, o: number): string {
  return DEC[b[o]!]! + '.' + DEC[b[o + 1]!]! + '.' + DEC[b[o + 2]!]! + '.' + DEC[b[o + 3]!]!;
}

// ---------------------------------------------------------------------------------------------
// IPv6

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const GROUPS = new Uint16Array(10);

/** Parse RFC 4291 text (with `::` and an optional dotted IPv4 tail) into b[o..o+16]; false when malformed. */
function parseIp6(s: string, i: number, end: number, b: Buffer, o: number): boolean {
  // Groups are collected in GROUPS (n of them; `gap` = index of '::'), then laid out with the gap zero-filled.
  const g = GROUPS;
  let n = 0;
  let gap = -1;
  if (end - i < 2) return false;
  if (s.charCodeAt(i) === 58 /* : */) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      zero(b, o, o + 16);
      return true;
    }
  }
  for (;;) {
    // One group: 1-4 hex digits, or a dotted IPv4 tail.
    let v = 0;
    let j = i;
    for (; j < end; j++) {
      const c = s.charCodeAt(j);
      let h: number;
      if (c >= 48 && c <= 57) h = c - 48;
      else if (c >= 97 && c <= 102) h = c - 87;
      else if (c >= 65 && c <= 70) h = c - 55;
      else if (c === 58) break;
      else if (c === 46) {
        // IPv4 tail: must end the text and leave room for two groups.
        if (n > 6 || !parseIp4(s, i, end, b, o)) return false;
        g[n++] = (b[o]! << 8) | b[o + 1]!;
        g[n++] = (b[o + 2]! << 8) | b[o + 3]!;
        j = end;
        v = -1;
        break;
      } else return false;
      v = (v << 4) | h;
    }
    if (v >= 0) {
      if (j === i || j - i > 4 || n === 8) return false;
      g[n++] = v;
    }
    if (j >= end) break;
    // s[j] is ':'
    if (s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
      if (i === end) break;
    } else {
      i = j + 1;
      if (i === end) return false;
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const head = gap < 0 ? 8 : gap;
  let p = o;
  for (let k = 0; k < head; k++) {
    b[p++] = g[k]! >> 8;
    b[p++] = g[k]! & 0xff;
  }
  const zeros = 16 - 2 * n;
  for (let k = 0; k < zeros; k++) b[p++] = 0;
  for (let k = head; k < n; k++) {
    b[p++] = g[k]! >> 8;
    b[p++] = g[k]! & 0xff;
  }
  return true;
}

/** RFC 5952 text, as Python's ipaddress prints it: lowercase, longest zero run (>= 2 groups) as `::`. */
export function fmtIp6(b: Uint8Array, o: number): string {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let k = 0; k < 8; k++) {
    const zero = b[o + 2 * k] === 0 && b[o + 2 * k + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = k;
      const len = k - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    const hi = b[o + 2 * k]!;
    const lo = b[o + 2 * k + 1]!;
    out += (hi === 0 ? (lo >> 4 ? HEX2[lo] : HEX[lo]) : (hi >> 4 ? HEX2[hi] : HEX[hi]) + HEX2[lo]) + (k < 7 ? ':' : '');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Field-level put/get used by generated code

function isStr(v: unknown): v is string {
  return typeof v === 'string';
}

export function putIp4(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) {
    b[o] = b[o + 1] = b[o + 2] = b[o + 3] = 0;
  } else if (!isStr(v) || !parseIp4(v, 0, v.length, b, o)) bad(field, 'expected an IPv4 address like "192.0.2.1"', v);
  return o + 4;
}

export function putIp6(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) zero(b, o, o + 16);
  else if (!isStr(v) || !parseIp6(v, 0, v.length, b, o)) bad(field, 'expected an IPv6 address like "2001:db8::1"', v);
  return o + 16;
}

/** vl_api_address_t: u8 af, then a 16-byte union (IPv4 in the first 4 bytes, the rest zero). */
export function putAddress(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) {
    zero(b, o, o + 17);
    return o + 17;
  }
  if (isStr(v)) {
    if (v.indexOf(':') < 0) {
      if (parseIp4(v, 0, v.length, b, o + 1)) {
        b[o] = 0;
        zero(b, o + 5, o + 17);
        return o + 17;
      }
    } else if (parseIp6(v, 0, v.length, b, o + 1)) {
      b[o] = 1;
      return o + 17;
    }
  }
  return bad(field, 'expected an IP address like "192.0.2.1" or "2001:db8::1"', v);
}

export function getAddress(b: Buffer, o: number, field: string): string {
  const af = b[o];
  if (af === 0) return fmtIp4(b, o + 1);
  if (af === 1) return fmtIp6(b, o + 1);
  throw new CodecError(`unknown address family ${af} (expected 0 = IPv4 or 1 = IPv6)`, field);
}

/** Position of '/' in `s`, or -1. */
function slash(s: string): number {
  return s.indexOf('/');
}

/** Parse a decimal prefix length in s[i..end) of at most `max`; -1 when malformed. */
function parseLen(s: string, i: number, end: number, max: number): number {
  if (i >= end || end - i > 3) return -1;
  let n = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n > max ? -1 : n;
}

/** vl_api_prefix_t: address (17) + u8 len. A bare address means a host prefix. */
export function putPrefix(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) {
    zero(b, o, o + 18);
    return o + 18;
  }
  if (isStr(v)) {
    // One pass finds the '/' and whether the text is IPv6.
    let sl = -1;
    let v6 = false;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c === 47) {
        sl = i;
        break;
      }
      if (c === 58) v6 = true;
    }
    const aend = sl < 0 ? v.length : sl;
    if (!v6) {
      const len = sl < 0 ? 32 : parseLen(v, sl + 1, v.length, 32);
      if (len >= 0 && parseIp4(v, 0, aend, b, o + 1)) {
        b[o] = 0;
        zero(b, o + 5, o + 17);
        b[o + 17] = len;
        return o + 18;
      }
    } else {
      const len = sl < 0 ? 128 : parseLen(v, sl + 1, v.length, 128);
      if (len >= 0 && parseIp6(v, 0, aend, b, o + 1)) {
        b[o] = 1;
        b[o + 17] = len;
        return o + 18;
      }
    }
  }
  return bad(field, 'expected a prefix like "10.0.0.0/24" or "2001:db8::/64"', v);
}

export function getPrefix(b: Buffer, o: number, field: string): string {
  return getAddress(b, o, field) + '/' + DEC[b[o + 17]!]!;
}

export function putIp4Prefix(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) {
    zero(b, o, o + 5);
    return o + 5;
  }
  if (isStr(v)) {
    const sl = slash(v);
    const len = sl < 0 ? 32 : parseLen(v, sl + 1, v.length, 32);
    if (len >= 0 && parseIp4(v, 0, sl < 0 ? v.length : sl, b, o)) {
      b[o + 4] = len;
      return o + 5;
    }
  }
  return bad(field, 'expected an IPv4 prefix like "10.0.0.0/24"', v);
}

export function getIp4Prefix(b: Buffer, o: number): string {
  return fmtIp4(b, o) + '/' + DEC[b[o + 4]!]!;
}

export function putIp6Prefix(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) {
    zero(b, o, o + 17);
    return o + 17;
  }
  if (isStr(v)) {
    const sl = slash(v);
    const len = sl < 0 ? 128 : parseLen(v, sl + 1, v.length, 128);
    if (len >= 0 && parseIp6(v, 0, sl < 0 ? v.length : sl, b, o)) {
      b[o + 16] = len;
      return o + 17;
    }
  }
  return bad(field, 'expected an IPv6 prefix like "2001:db8::/64"', v);
}

export function getIp6Prefix(b: Buffer, o: number): string {
  return fmtIp6(b, o) + '/' + DEC[b[o + 16]!]!;
}

export function putMac(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) {
    zero(b, o, o + 6);
    return o + 6;
  }
  if (isStr(v) && v.length === 17) {
    let ok = true;
    for (let k = 0; k < 6 && ok; k++) {
      const hi = hexVal(v.charCodeAt(3 * k));
      const lo = hexVal(v.charCodeAt(3 * k + 1));
      if (hi < 0 || lo < 0) ok = false;
      else if (k < 5) {
        const sep = v.charCodeAt(3 * k + 2);
        if (sep !== 58 && sep !== 45) ok = false;
      }
      b[o + k] = (hi << 4) | lo;
    }
    if (ok) return o + 6;
  }
  return bad(field, 'expected a MAC address like "aa:bb:cc:dd:ee:ff"', v);
}

export function getMac(b: Uint8Array, o: number): string {
  return (
    HEX2[b[o]!]! +
    ':' +
    HEX2[b[o + 1]!]! +
    ':' +
    HEX2[b[o + 2]!]! +
    ':' +
    HEX2[b[o + 3]!]! +
    ':' +
    HEX2[b[o + 4]!]! +
    ':' +
    HEX2[b[o + 5]!]!
  );
}

// ---------------------------------------------------------------------------------------------
// Bytes and strings

/** u8[N]: copy and zero-pad; longer input is an error. */
export function putBytes(b: Buffer, o: number, v: unknown, n: number, field: string): number {
  if (v === undefined) {
    zero(b, o, o + n);
    return o + n;
  }
  if (!(v instanceof Uint8Array)) return bad(field, `expected a Uint8Array of at most ${n} bytes`, v);
  const len = v.length;
  if (len > n) return bad(field, `at most ${n} bytes allowed`, v);
  // TypedArray#set beats a JS loop from about 16 bytes (keys are 32).
  if (len >= 16) b.set(v, o);
  else for (let i = 0; i < len; i++) b[o + i] = v[i]!;
  if (len < n) zero(b, o + len, o + n);
  return o + n;
}

export function getBytes(b: Buffer, o: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  if (n > 64) out.set(b.subarray(o, o + n));
  else for (let i = 0; i < n; i++) out[i] = b[o + i]!;
  return out;
}

/** Encoded UTF-8 length of a string field value (validating its type). */
export function strLen(v: unknown, field: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'string') return bad(field, 'expected a string', v);
  // ASCII fast path: one byte per char.
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 127) return Buffer.byteLength(v, 'utf8');
  return v.length;
}

/** `string x[N]`: at most N-1 bytes then NUL padding (never truncated silently). */
export function putFixedString(b: Buffer, o: number, v: unknown, n: number, field: string): number {
  const len = strLen(v, field);
  if (len > n - 1) return bad(field, `string too long: at most ${n - 1} bytes (string[${n}] keeps a NUL)`, v);
  if (len > 0) writeStr(b, o, v as string, len);
  zero(b, o + len, o + n);
  return o + n;
}

function writeStr(b: Buffer, o: number, s: string, len: number): void {
  if (len === s.length) {
    for (let i = 0; i < len; i++) b[o + i] = s.charCodeAt(i);
  } else b.write(s, o, len, 'utf8');
}

/** Decode up to the first NUL or N bytes. */
export function getFixedString(b: Buffer, o: number, n: number): string {
  let end = o;
  const lim = o + n;
  while (end < lim && b[end] !== 0) end++;
  return readStr(b, o, end);
}

function readStr(b: Buffer, o: number, end: number): string {
  if (end - o < 32) {
    let ascii = true;
    let s = '';
    for (let i = o; i < end; i++) {
      const c = b[i]!;
      if (c > 127) {
        ascii = false;
        break;
      }
      s += String.fromCharCode(c);
    }
    if (ascii) return s;
  }
  return b.toString('utf8', o, end);
}

/** `string x[]`: u32 length BE then the bytes, no NUL. `len` from strLen. */
export function putVarString(b: Buffer, o: number, v: unknown, len: number): number {
  b.writeUInt32BE(len, o);
  if (len > 0) writeStr(b, o + 4, v as string, len);
  return o + 4 + len;
}

export function getVarString(b: Buffer, o: number, len: number): string {
  return readStr(b, o, o + len);
}

// ---------------------------------------------------------------------------------------------
// 64-bit and enums

export function putU64(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) v = 0n;
  if (typeof v !== 'bigint' || BigInt.asUintN(64, v) !== v) bad(field, 'expected a bigint in 0..2^64-1', v);
  b.writeBigUInt64BE(v as bigint, o);
  return o + 8;
}

export function putI64(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) v = 0n;
  if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) bad(field, 'expected a bigint in -2^63..2^63-1', v);
  b.writeBigInt64BE(v as bigint, o);
  return o + 8;
}

export function putF64(b: Buffer, o: number, v: unknown, field: string): number {
  if (v === undefined) v = 0;
  if (typeof v !== 'number') bad(field, 'expected a number', v);
  b.writeDoubleLE(v as number, o);
  return o + 8;
}

/** An enum given by member name: its number, or a CodecError listing the fix. */
export function enumValue(
  members: Readonly<Record<string, number>>,
  enumName: string,
  v: string,
  field: string,
): number {
  const n = Object.prototype.hasOwnProperty.call(members, v) ? members[v] : undefined;
  if (n === undefined) {
    const names = Object.keys(members);
    bad(
      field,
      `unknown ${enumName} member (one of ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})`,
      v,
    );
  }
  return n;
}

export function badInt(field: string, type: string, v: unknown): never {
  return bad(field, `expected ${type === 'bool' ? 'a boolean' : 'an integer fitting ' + type}`, v);
}

/** Total encoded size of a variable-length array of variable-size elements. */
export function sumSizes<T>(a: readonly T[] | undefined, size: (v: T) => number): number {
  if (a === undefined) return 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) n += size(a[i]!);
  return n;
}

let scratch = Buffer.alloc(256);

/** Whether `put` (re-encoding a decoded union arm) reproduces b[o..o+size] exactly. */
export function armExact(b: Buffer, o: number, size: number, put: (s: Buffer) => void): boolean {
  if (scratch.length < size) scratch = Buffer.alloc(size * 2);
  try {
    put(scratch);
  } catch {
    return false;
  }
  return scratch.compare(b, o, o + size, 0, size) === 0;
}

/** The value of an omitted struct: every field takes its default (shared, never written). */
export const EMPTY: Readonly<Record<string, never>> = Object.freeze({});
