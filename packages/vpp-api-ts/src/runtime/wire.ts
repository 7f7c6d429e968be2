/**
 * Cursor-style Writer and Reader over Node Buffers, the only byte-level primitives the generated
 * codecs use. VPP's wire format is packed big-endian (f64 excepted: host order, little-endian on
 * every platform VPP ships for), so each method is one fixed-width access with no alignment.
 */

const fillBytes = Uint8Array.prototype.fill;

/**
 * Zero bytes [from, to): a loop for short runs (a frame header), the typed array's own fill beyond
 * (Buffer's fill validates its arguments first and costs about twice as much per call).
 */
export function zeroRange(b: Uint8Array, from: number, to: number): void {
  if (to - from > 32) {
    fillBytes.call(b, 0, from, to);
    return;
  }
  for (let i = from; i < to; i++) b[i] = 0;
}

/** A decode or encode failure, naming the message/type path and the field. Never thrown mid-stream by the framer. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    message: string,
    /** Dotted path of the field, e.g. `wireguard_peer_add.peer.allowed_ips[3]`. */
    readonly path: string = '',
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}

export class Writer {
  buf: Buffer;
  off = 0;

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Make room for `n` more bytes, growing geometrically. */
  ensure(n: number): void {
    const need = this.off + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  reset(): this {
    this.off = 0;
    return this;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.off++] = v & 0xff;
  }
  i8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.off);
    this.off += 1;
  }
  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.off++] = v ? 1 : 0;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.off);
    this.off += 2;
  }
  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.off);
    this.off += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.off);
    this.off += 4;
  }
  u64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.off);
    this.off += 8;
  }
  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.off);
    this.off += 8;
  }
  /** f64 travels in host order (VPP never swaps it): little-endian. */
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.off);
    this.off += 8;
  }
  /** Copy `src` and zero-fill up to `len` bytes (fixed arrays). `src` longer than `len` is the caller's error to report. */
  bytes(src: Uint8Array, len: number = src.length): void {
    this.ensure(len);
    const n = Math.min(src.length, len);
    this.buf.set(n === src.length ? src : src.subarray(0, n), this.off);
    if (n < len) zeroRange(this.buf, this.off + n, this.off + len);
    this.off += len;
  }
  zeros(len: number): void {
    this.ensure(len);
    zeroRange(this.buf, this.off, this.off + len);
    this.off += len;
  }

  /** A copy of the bytes written so far (safe to keep after the writer is reused). */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.off));
  }
}

export class Reader {
  off: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end: number = buf.length,
  ) {
    this.off = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.off;
  }

  /** Throws a CodecError when fewer than `n` bytes remain; `what` names the field being read. */
  need(n: number, what: string): void {
    if (this.off + n > this.end) {
      throw new CodecError(`truncated: needs ${n} byte(s) at offset ${this.off}, body has ${this.end}`, what);
    }
  }

  u8(): number {
    return this.buf[this.off++]!;
  }
  i8(): number {
    const v = this.buf.readInt8(this.off);
    this.off += 1;
    return v;
  }
  bool(): boolean {
    return this.buf[this.off++] !== 0;
  }
  u16(): number {
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.off);
    this.off += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64BE(this.off);
    this.off += 8;
    return v;
  }
  i64(): bigint {
    const v = this.buf.readBigInt64BE(this.off);
    this.off += 8;
    return v;
  }
  f64(): number {
    const v = this.buf.readDoubleLE(this.off);
    this.off += 8;
    return v;
  }
  /** A copy of the next `len` bytes (decoded values never alias the receive buffer). */
  bytes(len: number): Uint8Array {
    const out = new Uint8Array(len);
    out.set(this.buf.subarray(this.off, this.off + len));
    this.off += len;
    return out;
  }
  skip(len: number): void {
    this.off += len;
  }
}
