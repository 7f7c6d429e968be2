/**
 * A scripted fake VPP on a unix socket for client tests: it frames like VPP, answers the
 * handshake with a message table we choose, answers control_ping and sockclnt_delete as VPP does,
 * and hands every other request to the test. `startReplay` replays the VPP side of a golden
 * recording instead and checks each client frame against the recorded one.
 */
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MessageDef } from 'vpp-api-ts';
import { Writer } from 'vpp-api-ts/runtime';
import { Framer, encodeFrame, HEADER_BYTES } from '../../src/client/framer';
import {
  control_ping,
  control_ping_reply,
  sockclnt_create,
  sockclnt_create_reply,
  sockclnt_delete,
  sockclnt_delete_reply,
} from '../../src/client/bootstrap';

export function tempSocketPath(tag = 'vpp'): string {
  return join(tmpdir(), `vppwg-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 10)}.sock`);
}

/** VPP's fixed memclnt ids for the bootstrap messages. */
const MEMCLNT_IDS: ReadonlyArray<[MessageDef, number]> = [
  [sockclnt_create, 15],
  [sockclnt_create_reply, 16],
  [sockclnt_delete, 17],
  [sockclnt_delete_reply, 18],
  [control_ping, 23],
  [control_ping_reply, 24],
];

/** A message table: the memclnt bootstrap ids, then `defs` numbered from `base` (VPP numbers plugins from 29). */
export function tableFor(defs: readonly MessageDef[], base = 29): Map<string, number> {
  const t = new Map<string, number>();
  for (const [def, id] of MEMCLNT_IDS) t.set(def.nameCrc, id);
  let next = base;
  for (const def of defs) if (!t.has(def.nameCrc)) t.set(def.nameCrc, next++);
  return t;
}

export interface ReceivedFrame {
  id: number;
  /** name_crc from the served table, or `unknown_<id>`. */
  nameCrc: string;
  /** Body (message id first), a private copy. */
  body: Buffer;
  /** Request layout: client_index at 2, context at 6 (sockclnt_create: context at 2). */
  context: number;
  clientIndex: number;
}

export class ServerConnection {
  closed = false;
  constructor(
    readonly socket: Socket,
    readonly handle: number,
  ) {
    socket.on('close', () => (this.closed = true));
  }
  /** Send frames (bodies) in one write, as VPP's output vector does. */
  send(...bodies: Buffer[]): void {
    if (this.closed) return;
    this.socket.write(Buffer.concat(bodies.map((b) => encodeFrame(b))));
  }
  /** Send raw bytes (possibly not even frames). */
  sendRaw(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }
  /** Close as VPP does when it exits. */
  end(): void {
    this.socket.destroy();
  }
}

export interface ScriptedServerOptions {
  socketPath?: string;
  table: ReadonlyMap<string, number>;
  /** Every request other than the handshake, control_ping and sockclnt_delete. Default: no answer (as VPP for unknown ids). */
  onRequest?: (frame: ReceivedFrame, conn: ServerConnection, server: ScriptedServer) => void;
  /** Let the test answer control_ping itself (e.g. to hold back a dump's end). */
  onControlPing?: (frame: ReceivedFrame, conn: ServerConnection, server: ScriptedServer) => void;
  vpePid?: number;
}

export class ScriptedServer {
  readonly socketPath: string;
  table: ReadonlyMap<string, number>;
  readonly received: ReceivedFrame[] = [];
  readonly connections: ServerConnection[] = [];
  private byId = new Map<number, string>();
  private server: Server | undefined;
  private nextHandle = 1;

  private constructor(private readonly opts: ScriptedServerOptions) {
    this.socketPath = opts.socketPath ?? tempSocketPath();
    this.table = opts.table;
    this.index();
  }

  static async start(opts: ScriptedServerOptions): Promise<ScriptedServer> {
    const s = new ScriptedServer(opts);
    await s.listen();
    return s;
  }

  idOf(def: MessageDef | string): number {
    const key = typeof def === 'string' ? def : def.nameCrc;
    const id = this.table.get(key);
    if (id === undefined) throw new Error(`the served table lacks ${key}`);
    return id;
  }

  /** Encode `v` as `def` with this table's id. */
  encode<T>(def: MessageDef<unknown, T>, v: T): Buffer {
    const w = new Writer(256);
    def.encode(w, this.idOf(def as MessageDef), v);
    return w.toBuffer();
  }

  /** A plain `{context, retval}` reply body (the `_reply_e8d4e804` shape) plus optional trailing bytes. */
  reply(def: MessageDef | string, context: number, retval = 0, tail: Buffer = Buffer.alloc(0)): Buffer {
    const b = Buffer.alloc(10 + tail.length);
    b.writeUInt16BE(this.idOf(def), 0);
    b.writeUInt32BE(context, 2);
    b.writeInt32BE(retval, 6);
    tail.copy(b, 10);
    return b;
  }

  /** Simulate a VPP restart: drop every connection, stop listening, come back with `table`. */
  async restart(table: ReadonlyMap<string, number>, downMs = 0): Promise<void> {
    await this.stop();
    this.table = table;
    this.index();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.listen();
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.end();
    const srv = this.server;
    this.server = undefined;
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
    rmSync(this.socketPath, { force: true });
  }

  private index(): void {
    this.byId = new Map([...this.table].map(([n, id]) => [id, n]));
  }

  private async listen(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    const srv = createServer((sock) => this.accept(sock));
    this.server = srv;
    srv.listen(this.socketPath);
    await once(srv, 'listening');
  }

  private accept(sock: Socket): void {
    const conn = new ServerConnection(sock, (0x80000000 | this.nextHandle++) >>> 0);
    this.connections.push(conn);
    const framer = new Framer();
    sock.on('error', () => undefined);
    sock.on('data', (chunk: Buffer) => {
      const err = framer.push(chunk, (buf, start, end) => {
        const body = Buffer.from(buf.subarray(start, end));
        const id = body.readUInt16BE(0);
        const nameCrc = this.byId.get(id) ?? `unknown_${id}`;
        const isCreate = id === 15;
        const frame: ReceivedFrame = {
          id,
          nameCrc,
          body,
          context: body.length >= (isCreate ? 6 : 10) ? body.readUInt32BE(isCreate ? 2 : 6) : 0,
          clientIndex: !isCreate && body.length >= 6 ? body.readUInt32BE(2) : 0,
        };
        this.received.push(frame);
        this.dispatch(frame, conn);
      });
      if (err) sock.destroy();
    });
  }

  private dispatch(f: ReceivedFrame, conn: ServerConnection): void {
    if (f.id === 15) {
      const message_table = [...this.table].map(([name, index]) => ({ index, name }));
      const w = new Writer(1024);
      sockclnt_create_reply.encode(w, 16, {
        client_index: 0,
        context: f.context,
        response: 0,
        index: conn.handle,
        count: message_table.length,
        message_table,
      });
      conn.send(w.toBuffer());
      return;
    }
    if (f.nameCrc === control_ping.nameCrc) {
      if (this.opts.onControlPing) return this.opts.onControlPing(f, conn, this);
      conn.send(this.pingReply(f));
      return;
    }
    if (f.nameCrc === sockclnt_delete.nameCrc) {
      conn.send(this.encode(sockclnt_delete_reply, { context: f.context, response: 1 }));
      conn.socket.end();
      return;
    }
    this.opts.onRequest?.(f, conn, this);
  }

  pingReply(f: ReceivedFrame): Buffer {
    return this.encode(control_ping_reply, {
      context: f.context,
      retval: 0,
      client_index: f.clientIndex,
      vpe_pid: this.opts.vpePid ?? 4242,
    });
  }
}

// ------------------------------------------------------------------ golden replay

export interface GoldenRecord {
  seq: number;
  dir: 'client->vpp' | 'vpp->client';
  msg_id: number;
  msg: string;
  hex: string;
  fields: Record<string, unknown>;
}

export function readGolden(path: string): GoldenRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as GoldenRecord);
}

/** Offset of `context` in a recorded body, from the field order vpp_papi decoded (u32 fields before it). */
function recordedContextOffset(rec: GoldenRecord): number {
  const keys = Object.keys(rec.fields).filter((k) => k !== '_0');
  const i = keys.indexOf('context');
  return i < 0 ? -1 : 2 + 4 * i;
}

/**
 * Replays the VPP side of a recording. Each client frame is compared with the next recorded client
 * frame, with `context` and `client_index` normalised (our contexts are mapped one-to-one onto the
 * recorded ones); then every VPP frame up to the next client frame is sent, its context mapped back.
 */
export class ReplayServer {
  readonly socketPath: string;
  /** One line per client frame that differs from the recording. */
  readonly mismatches: string[] = [];
  /** Client frames matched, by name. */
  readonly matched: string[] = [];
  private cursor = 0;
  private readonly ourToRec = new Map<number, number>();
  private readonly recToOur = new Map<number, number>();
  private server: Server | undefined;
  done = false;

  private constructor(
    readonly records: GoldenRecord[],
    socketPath: string,
  ) {
    this.socketPath = socketPath;
  }

  static async start(records: GoldenRecord[], socketPath = tempSocketPath('replay')): Promise<ReplayServer> {
    const r = new ReplayServer(records, socketPath);
    rmSync(socketPath, { force: true });
    const srv = createServer((sock) => r.accept(sock));
    r.server = srv;
    srv.listen(socketPath);
    await once(srv, 'listening');
    return r;
  }

  /** The recorded client frames not yet received. */
  get remaining(): GoldenRecord[] {
    return this.records.slice(this.cursor).filter((r) => r.dir === 'client->vpp');
  }

  async stop(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
    rmSync(this.socketPath, { force: true });
  }

  private accept(sock: Socket): void {
    const framer = new Framer();
    sock.on('error', () => undefined);
    sock.on('data', (chunk: Buffer) => {
      framer.push(chunk, (buf, start, end) =>
        this.onClientFrame(sock, Buffer.from(buf.subarray(start - HEADER_BYTES, end))),
      );
    });
  }

  private onClientFrame(sock: Socket, frame: Buffer): void {
    const rec = this.records[this.cursor];
    if (!rec || rec.dir !== 'client->vpp') {
      this.mismatches.push(
        `unexpected client frame (id ${frame.readUInt16BE(HEADER_BYTES)}) after the recording ended`,
      );
      return;
    }
    this.cursor++;
    const recorded = Buffer.from(rec.hex, 'hex');
    const body = HEADER_BYTES;
    const isCreate = rec.msg_id === 15;
    const ctxAt = body + (isCreate ? 2 : 6);
    const normalised = Buffer.from(frame);
    if (normalised.length >= ctxAt + 4 && recorded.length >= ctxAt + 4) {
      const ours = normalised.readUInt32BE(ctxAt);
      const theirs = recorded.readUInt32BE(ctxAt);
      const known = this.ourToRec.get(ours);
      if (known !== undefined && known !== theirs) {
        this.mismatches.push(
          `${rec.msg} (seq ${rec.seq}): our context ${ours} already stood for recorded ${known}, not ${theirs}`,
        );
      }
      this.ourToRec.set(ours, theirs);
      this.recToOur.set(theirs, ours);
      normalised.writeUInt32BE(theirs, ctxAt);
      if (!isCreate) normalised.writeUInt32BE(recorded.readUInt32BE(body + 2), body + 2);
    }
    if (normalised.equals(recorded)) {
      this.matched.push(rec.msg);
    } else {
      let at = 0;
      while (at < Math.min(normalised.length, recorded.length) && normalised[at] === recorded[at]) at++;
      this.mismatches.push(
        `${rec.msg} (seq ${rec.seq}): ${normalised.length} bytes vs recorded ${recorded.length}, first difference at byte ${at}` +
          ` (body offset ${at - HEADER_BYTES}): ours ${normalised.subarray(at, at + 8).toString('hex')} recorded ${recorded.subarray(at, at + 8).toString('hex')}`,
      );
    }
    const out: Buffer[] = [];
    let closeAfter = false;
    while (this.cursor < this.records.length && this.records[this.cursor]!.dir === 'vpp->client') {
      const r = this.records[this.cursor++]!;
      const f = Buffer.from(r.hex, 'hex');
      const off = recordedContextOffset(r);
      if (off >= 0) {
        const ctx = f.readUInt32BE(HEADER_BYTES + off);
        const ours = this.recToOur.get(ctx);
        if (ours !== undefined) f.writeUInt32BE(ours, HEADER_BYTES + off);
      }
      out.push(f);
      if (r.msg.startsWith('sockclnt_delete_reply_')) closeAfter = true;
    }
    if (out.length > 0) sock.write(Buffer.concat(out));
    if (this.cursor >= this.records.length) this.done = true;
    if (closeAfter) sock.end();
  }
}
