/**
 * Cuts VPP's socket byte stream into frames: a 16-byte header (only the BE u32 body length at
 * offset 8 means anything) followed by the body, which starts with the BE u16 message id.
 *
 * Complete frames inside a chunk are handed out in place (no copy). Only a frame split across
 * reads is copied, once, into a buffer sized from its announced length, so a large frame arriving
 * in many small reads costs linear time, never quadratic concatenation. A bad header is returned
 * as a VppProtocolError and the framer stays failed: corrupt input never throws and never makes
 * it buffer more than maxFrameBytes.
 */
import { VppProtocolError } from './errors';

export const HEADER_BYTES = 16;
/** A body shorter than this cannot even hold its message id. */
const MIN_BODY_BYTES = 2;
/** Keep the partial-frame buffer at least this big so small split frames never reallocate. */
const MIN_PARTIAL_CAPACITY = 4096;
/** A partial buffer grown beyond this for one huge frame is released afterwards. */
const MAX_RETAINED_CAPACITY = 1 << 20;

/** Receives one frame body: `buf[start..end)`, valid only during the call (the buffer is reused). */
export type FrameHandler = (buf: Buffer, start: number, end: number) => void;

export class Framer {
  private partial: Buffer = Buffer.allocUnsafe(MIN_PARTIAL_CAPACITY);
  /** Bytes of the one incomplete frame held in `partial` (always from offset 0). */
  private held = 0;
  /** Header + body length of the held frame once its header is complete, else 0. */
  private heldTotal = 0;
  private failure: VppProtocolError | undefined;
  /** Frames handed out so far (for diagnostics). */
  frames = 0;

  constructor(readonly maxFrameBytes: number = 64 * 1024 * 1024) {}

  /** Bytes waiting for the rest of their frame. */
  get buffered(): number {
    return this.held;
  }

  get failed(): VppProtocolError | undefined {
    return this.failure;
  }

  /**
   * Feed one chunk; `onFrame` is called for every frame it completes, in order. Returns the
   * protocol error that ends the stream (the same one on every later call), else undefined.
   */
  push(chunk: Buffer, onFrame: FrameHandler): VppProtocolError | undefined {
    if (this.failure) return this.failure;
    let pos = 0;
    const len = chunk.length;

    // Finish the frame left over from earlier reads first, copying only its missing bytes.
    while (this.held > 0 && pos < len) {
      if (this.heldTotal === 0) {
        const n = Math.min(HEADER_BYTES - this.held, len - pos);
        chunk.copy(this.partial, this.held, pos, pos + n);
        this.held += n;
        pos += n;
        if (this.held < HEADER_BYTES) return undefined;
        const bodyLen = this.partial.readUInt32BE(8);
        const err = this.check(bodyLen, this.frames);
        if (err) return err;
        this.heldTotal = HEADER_BYTES + bodyLen;
        this.reserve(this.heldTotal);
      }
      const n = Math.min(this.heldTotal - this.held, len - pos);
      chunk.copy(this.partial, this.held, pos, pos + n);
      this.held += n;
      pos += n;
      if (this.held === this.heldTotal) {
        const total = this.heldTotal;
        this.held = 0;
        this.heldTotal = 0;
        this.frames++;
        onFrame(this.partial, HEADER_BYTES, total);
        if (this.partial.length > MAX_RETAINED_CAPACITY) this.partial = Buffer.allocUnsafe(MIN_PARTIAL_CAPACITY);
      }
    }

    // Whole frames straight from the chunk.
    while (len - pos >= HEADER_BYTES) {
      const bodyLen = chunk.readUInt32BE(pos + 8);
      const err = this.check(bodyLen, this.frames);
      if (err) return err;
      const end = pos + HEADER_BYTES + bodyLen;
      if (end > len) break;
      this.frames++;
      onFrame(chunk, pos + HEADER_BYTES, end);
      pos = end;
    }

    // Keep the incomplete tail.
    if (pos < len) {
      const n = len - pos;
      if (n >= HEADER_BYTES) {
        this.heldTotal = HEADER_BYTES + chunk.readUInt32BE(pos + 8);
        this.reserve(this.heldTotal);
      } else {
        this.heldTotal = 0;
      }
      chunk.copy(this.partial, 0, pos, len);
      this.held = n;
    }
    return undefined;
  }

  /** Forget buffered bytes and any failure (a new connection). */
  reset(): void {
    this.held = 0;
    this.heldTotal = 0;
    this.failure = undefined;
    this.frames = 0;
    if (this.partial.length > MAX_RETAINED_CAPACITY) this.partial = Buffer.allocUnsafe(MIN_PARTIAL_CAPACITY);
  }

  private check(bodyLen: number, frameNo: number): VppProtocolError | undefined {
    if (bodyLen > this.maxFrameBytes) {
      this.failure = new VppProtocolError(
        `frame ${frameNo} from VPP announces a body of ${bodyLen} bytes, over maxFrameBytes ${this.maxFrameBytes}: ` +
          "the stream is corrupt or not VPP's API socket (raise maxFrameBytes if VPP really sends frames this large)",
      );
    } else if (bodyLen < MIN_BODY_BYTES) {
      this.failure = new VppProtocolError(
        `frame ${frameNo} from VPP announces a body of ${bodyLen} bytes, too short for a message id: the stream is corrupt`,
      );
    }
    return this.failure;
  }

  /** Make `partial` hold at least `total` bytes, keeping the `held` bytes already in it. */
  private reserve(total: number): void {
    if (total <= this.partial.length) return;
    const next = Buffer.allocUnsafe(Math.max(total, this.partial.length * 2));
    this.partial.copy(next, 0, 0, this.held);
    this.partial = next;
  }
}

/** One frame (header + body) as a new Buffer: for tests, the emulator's peers and the raw-socket floor. */
export function encodeFrame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.fill(0, 0, HEADER_BYTES);
  out.writeUInt32BE(body.length, 8);
  out.set(body, HEADER_BYTES);
  return out;
}
