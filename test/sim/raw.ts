/** A raw VPP API socket for emulator tests: frames in and out, nothing interpreted. */
import { type Socket, connect } from 'node:net';

export class RawConn {
  private buf: Buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  ended = false;
  readonly sock: Socket;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      while (this.buf.length >= 16) {
        const len = this.buf.readUInt32BE(8);
        if (this.buf.length < 16 + len) break;
        this.frames.push(Buffer.from(this.buf.subarray(16, 16 + len)));
        this.buf = this.buf.subarray(16 + len);
      }
      this.wake();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  static open(path: string): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new RawConn(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Writes one frame around `body` (msg id first). */
  send(body: Buffer): void {
    this.sock.write(frame(body));
  }

  /** The next body, or undefined when none arrives within `ms` (or the socket closed). */
  async next(ms = 2000): Promise<Buffer | undefined> {
    const deadline = Date.now() + ms;
    while (this.frames.length === 0) {
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames.shift();
  }

  get queued(): number {
    return this.frames.length;
  }

  close(): void {
    this.sock.destroy();
  }
}

export function frame(body: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(body.length, 8);
  return Buffer.concat([h, body]);
}

/** sockclnt_create body: id 15, context, 64-byte name. */
export function sockclntCreate(context: number, name = 'test'): Buffer {
  const b = Buffer.alloc(70);
  b.writeUInt16BE(15, 0);
  b.writeUInt32BE(context, 2);
  b.write(name, 6, 'latin1');
  return b;
}

/** Parses a sockclnt_create_reply body: handle and name_crc -> id. */
export function parseCreateReply(b: Buffer): { handle: number; ids: Map<string, number> } {
  const handle = b.readUInt32BE(14);
  const count = b.readUInt16BE(18);
  const ids = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const off = 20 + 66 * i;
    const nameBytes = b.subarray(off + 2, off + 66);
    const nul = nameBytes.indexOf(0);
    ids.set(nameBytes.subarray(0, nul < 0 ? 64 : nul).toString('latin1'), b.readUInt16BE(off));
  }
  return { handle, ids };
}

/** Connects and does the handshake. */
export async function rawSession(path: string): Promise<{ conn: RawConn; handle: number; ids: Map<string, number> }> {
  const conn = await RawConn.open(path);
  conn.send(sockclntCreate(1));
  const reply = await conn.next();
  if (!reply || reply.readUInt16BE(0) !== 16) throw new Error('no sockclnt_create_reply');
  return { conn, ...parseCreateReply(reply) };
}

/** control_ping body. */
export function controlPing(id: number, handle: number, context: number): Buffer {
  const b = Buffer.alloc(10);
  b.writeUInt16BE(id, 0);
  b.writeUInt32BE(handle, 2);
  b.writeUInt32BE(context, 6);
  return b;
}
