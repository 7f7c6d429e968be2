/**
 * The emulator's socket side: VPP's framing (16-byte header, BE data_len at 8), the
 * sockclnt_create handshake, registrations addressed by client_index, dispatch to ./api handlers,
 * output batched per read burst, and the fault injection of the control API.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { type MessageDef, type ModuleInfo } from 'vpp-api-ts';
import { Reader, Writer } from 'vpp-api-ts/runtime';
import * as iface from 'vpp-api-ts/interface';
import * as memclnt from 'vpp-api-ts/memclnt';
import * as wireguard from 'vpp-api-ts/wireguard';
import { type Ctx, type Fill, type MessageOf, handlers } from './api';
import type { VppModel as Model } from './model';
import { VppModel, type UplinkSpec } from './model';
import { MISSING_IN_24_10, MessageTable } from './table';

const HEADER = 16;
const SOCKCLNT_CREATE = 15;
const HANDLE_BIT = 0x80000000;
/** Not VPP's (it has none): a frame announcing more than this closes the connection instead of buffering forever. */
const MAX_FRAME = 64 * 1024 * 1024;

export interface ServerOptions {
  modules: readonly ModuleInfo[];
  uplinks?: UplinkSpec[];
  reachablePeers?: boolean | { delayMs?: number };
  shuffleModules?: boolean;
  profile?: '26.10' | '24.10';
  omitMessages?: string[];
  crcOverrides?: Record<string, string>;
  version?: string;
}

export interface FaultState {
  closeAfter?: number;
  delayMs: number;
  failNth: { msg: string; n: number; retval: number; seen: number }[];
  dropReply: { msg: string; n: number; seen: number }[];
}

export class Conn {
  readonly out = new Writer(64 * 1024);
  chunks: Buffer[] = [];
  pendingBytes = 0;
  /** Size of the frame being assembled (header included) once its header is in, else 0. */
  needBytes = 0;
  closing = false;
  /** Replies and details of the message being handled are swallowed (dropReply fault). */
  suppress = false;
  constructor(
    readonly socket: Socket,
    readonly handle: number,
  ) {}
}

export class SimServer {
  table!: MessageTable;
  model!: VppModel;
  private generation = 0;
  private server?: Server;
  private readonly conns = new Set<Conn>();
  readonly regs = new Map<number, Conn>();
  private readonly dirty = new Set<Conn>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly counts = new Map<string, number>();
  private pausedUntil = 0;
  private stopped = false;
  /**
   * sw_interface_events wait for the next run of VPP's link-state process, after the API process has
   * handled (and answered) everything it read: one event per interface per run, its flag bits OR-ed
   * over the changes (an up then down in one run still says ADMIN_UP), deleted if any was a delete.
   */
  private readonly ifEventBatch = new Map<number, { flags: number; deleted: boolean }>();
  private ifEventRun: NodeJS.Immediate | undefined;
  /** One handler context, re-aimed at each frame: no per-frame closures on the hot path. */
  private readonly ctx: FrameCtx;
  readonly faults: FaultState = { delayMs: 0, failNth: [], dropReply: [] };
  private readonly versionInfo: Ctx['version'];

  constructor(
    readonly socketPath: string,
    private readonly opts: ServerOptions,
  ) {
    this.versionInfo = {
      program: 'vpe',
      version: opts.version ?? (opts.profile === '24.10' ? '24.10-release' : '26.10.0-rc0~374~gb575ec2c5'),
      buildDate: '2026-11-25T17:50:52',
      buildDirectory: '',
    };
    this.reset();
    this.ctx = new FrameCtx(this, this.versionInfo);
  }

  /** Fresh VPP: new state, new message ids. */
  private reset(): void {
    // Events the old VPP had not sent yet die with it.
    this.ifEventBatch.clear();
    const omit = [...(this.opts.omitMessages ?? []), ...(this.opts.profile === '24.10' ? MISSING_IN_24_10 : [])];
    this.table = new MessageTable(this.opts.modules, {
      shuffle: this.opts.shuffleModules,
      generation: this.generation,
      omit,
      crcOverrides: this.opts.crcOverrides,
    });
    this.model = new VppModel(
      {
        peer: (handle, peerIndex, flags) => this.sendPeerEvent(handle, peerIndex, flags),
        iface: (sw, flags, deleted) => this.queueIfEvent(sw, flags, deleted),
        peerCanHandshake: (peerIndex) => this.scheduleHandshake(peerIndex),
      },
      this.opts.uplinks ?? [],
      this.opts.profile,
    );
  }

  async listen(): Promise<void> {
    if (existsSync(this.socketPath)) {
      // VPP unlinks a stale socket nobody listens on; refuse to steal a live one.
      const live = await new Promise<boolean>((resolve) => {
        const s = connect(this.socketPath);
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (live)
        throw new Error(`sim: ${this.socketPath} already has a listener; stop it or choose another --socket path`);
      unlinkSync(this.socketPath);
    }
    const server = createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.ifEventRun) clearImmediate(this.ifEventRun);
    this.ifEventRun = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
    this.regs.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
  }

  // ---- connections ----

  private accept(socket: Socket): void {
    let n = 1;
    while (this.regs.has((HANDLE_BIT | n) >>> 0)) n++;
    const conn = new Conn(socket, (HANDLE_BIT | n) >>> 0);
    this.conns.add(conn);
    this.regs.set(conn.handle, conn);
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.drop(conn));
    if (Date.now() < this.pausedUntil) this.pauseSocket(conn, this.pausedUntil - Date.now());
  }

  drop(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    if (this.regs.get(conn.handle) === conn) {
      this.regs.delete(conn.handle);
      this.model.reap(conn.handle);
    }
    this.dirty.delete(conn);
  }

  private kill(conn: Conn): void {
    conn.closing = true;
    conn.socket.destroy();
    this.drop(conn);
  }

  private onData(conn: Conn, chunk: Buffer): void {
    if (conn.closing) return;
    let buf: Buffer;
    if (conn.pendingBytes > 0) {
      conn.chunks.push(chunk);
      conn.pendingBytes += chunk.length;
      // A large frame arrives in many reads: join them once it is complete, not at every read.
      if (conn.needBytes > 0 && conn.pendingBytes < conn.needBytes) return;
      buf = Buffer.concat(conn.chunks, conn.pendingBytes);
      conn.chunks = [];
      conn.pendingBytes = 0;
      conn.needBytes = 0;
    } else buf = chunk;
    let off = 0;
    while (buf.length - off >= HEADER) {
      const len = buf.readUInt32BE(off + 8);
      if (len > MAX_FRAME) {
        this.kill(conn);
        return;
      }
      if (buf.length - off < HEADER + len) {
        conn.needBytes = HEADER + len;
        break;
      }
      const start = off + HEADER;
      off = start + len;
      this.frame(conn, buf, start, off);
      if (conn.closing) break;
    }
    if (!conn.closing && off < buf.length) {
      const rest = buf.subarray(off);
      // Keep a partial frame without holding on to the whole read buffer when it is small.
      conn.chunks = [rest.length < 4096 ? Buffer.from(rest) : rest];
      conn.pendingBytes = rest.length;
    } else conn.needBytes = 0;
    this.flushAll();
  }

  private frame(conn: Conn, buf: Buffer, start: number, end: number): void {
    if (end - start < 2) return;
    const id = buf.readUInt16BE(start);
    if (id === SOCKCLNT_CREATE) {
      this.sockclntCreate(conn, buf, start, end);
      return;
    }
    const entry = this.table.byId[id];
    if (!entry) return;
    const def = entry.def;
    const name = def.name;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    const handler = handlers.get(name);
    if (!handler || def.clientIndexOffset < 0 || end - start < def.minSize) return;
    let req: unknown;
    try {
      req = handler.fastDecode ? handler.fastDecode(buf, start, end) : def.decode(new Reader(buf, start, end));
    } catch {
      req = undefined;
    }
    if (req === undefined) return; // truncated VLA: VPP's calc_size check drops it
    const handle = buf.readUInt32BE(start + def.clientIndexOffset);
    const target = this.regs.get(handle);
    if (!target || target.closing) return;
    const context = def.contextOffset >= 0 ? buf.readUInt32BE(start + def.contextOffset) : 0;

    const fail = this.faults.failNth.find((f) => f.msg === name);
    if (fail && ++fail.seen === fail.n) {
      this.faults.failNth.splice(this.faults.failNth.indexOf(fail), 1);
      if (def.replyDef && def.replyDef.retvalOffset >= 0)
        this.send(target, def.replyDef, { context, retval: fail.retval });
      this.afterRequest(conn);
      return;
    }
    const drop = this.faults.dropReply.find((f) => f.msg === name);
    if (drop && ++drop.seen === drop.n) {
      this.faults.dropReply.splice(this.faults.dropReply.indexOf(drop), 1);
      target.suppress = true;
    }

    const ctx = this.ctx;
    ctx.target = target;
    ctx.handle = handle;
    ctx.context = context;
    ctx.def = def;
    ctx.model = this.model;
    try {
      handler.handle(req, ctx);
    } catch {
      // A request the model cannot digest gets no reply, like VPP's silent drops.
    } finally {
      target.suppress = false;
    }
    this.afterRequest(conn);
  }

  private afterRequest(conn: Conn): void {
    if (this.faults.closeAfter === undefined) return;
    if (--this.faults.closeAfter > 0) return;
    this.faults.closeAfter = undefined;
    this.flush(conn);
    conn.closing = true;
    // After the reply is written: the client sees its answer, then EOF.
    conn.socket.end(() => conn.socket.destroy());
    this.drop(conn);
  }

  private sockclntCreate(conn: Conn, buf: Buffer, start: number, end: number): void {
    if (end - start < memclnt.sockclnt_create.minSize) return;
    this.counts.set('sockclnt_create', (this.counts.get('sockclnt_create') ?? 0) + 1);
    const context = buf.readUInt32BE(start + 2);
    const entries = [...this.table.byName.values()].map((e) => ({ index: e.id, name: e.nameCrc }));
    this.send(
      conn,
      memclnt.sockclnt_create_reply,
      { client_index: 0, context, response: 0, index: conn.handle, message_table: entries },
      16,
    );
    this.afterRequest(conn);
  }

  // ---- output ----

  send<D extends MessageDef>(conn: Conn, def: D, value: Fill<MessageOf<D>>, fixedId?: number): void {
    if (conn.closing) return;
    if (conn.suppress && def.contextOffset >= 0) return;
    const id = fixedId ?? this.table.idByDef.get(def);
    if (id === undefined) return; // not in this VPP's table
    const w = conn.out;
    const frameAt = w.off;
    w.zeros(8);
    const lenAt = w.off;
    w.zeros(8);
    const start = w.off;
    try {
      def.encode(w, id, value);
    } catch (e) {
      // Never leave half a frame in the stream; the caller's request then goes unanswered.
      w.off = frameAt;
      throw e;
    }
    w.buf.writeUInt32BE(w.off - start, lenAt);
    this.dirty.add(conn);
  }

  /** A `{context, retval, u32}` reply written directly (the route-add hot path). */
  sendRetvalU32(conn: Conn, def: MessageDef, context: number, retval: number, value: number): boolean {
    if (def.minSize !== 14 || def.contextOffset !== 2 || def.retvalOffset !== 6) return false;
    if (conn.closing || conn.suppress) return true;
    const id = this.table.idByDef.get(def);
    if (id === undefined) return true;
    const w = conn.out;
    w.ensure(30);
    const b = w.buf;
    const o = w.off;
    b.fill(0, o, o + 16);
    b.writeUInt32BE(14, o + 8);
    b.writeUInt16BE(id, o + 16);
    b.writeUInt32BE(context >>> 0, o + 18);
    b.writeInt32BE(retval | 0, o + 22);
    b.writeUInt32BE(value >>> 0, o + 26);
    w.off = o + 30;
    this.dirty.add(conn);
    return true;
  }

  private flushAll(): void {
    for (const c of this.dirty) this.flush(c);
    this.dirty.clear();
  }

  flush(conn: Conn): void {
    if (conn.out.off === 0) return;
    const data = conn.out.toBuffer();
    conn.out.reset();
    this.dirty.delete(conn);
    if (this.faults.delayMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (!conn.socket.destroyed) conn.socket.write(data);
      }, this.faults.delayMs);
      this.timers.add(t);
    } else if (!conn.socket.destroyed) conn.socket.write(data);
  }

  private sendPeerEvent(handle: number, peerIndex: number, flags: number): void {
    const c = this.regs.get(handle);
    if (!c) return;
    // VPP leaves client_index and pid zero in this event.
    this.send(c, wireguard.wireguard_peer_event, { client_index: 0, pid: 0, peer_index: peerIndex, flags });
  }

  private queueIfEvent(swIfIndex: number, flags: number, deleted: boolean): void {
    const e = this.ifEventBatch.get(swIfIndex);
    if (e) {
      e.flags |= flags;
      e.deleted ||= deleted;
    } else this.ifEventBatch.set(swIfIndex, { flags, deleted });
    this.ifEventRun ??= setImmediate(() => {
      this.ifEventRun = undefined;
      // In ascending sw_if_index order, as link_state_process walks its vector.
      const batch = [...this.ifEventBatch].sort((a, b) => a[0] - b[0]);
      this.ifEventBatch.clear();
      for (const [sw, e] of batch) this.sendIfEvent(sw, e.flags, e.deleted);
      this.flushAll();
    });
  }

  private sendIfEvent(swIfIndex: number, flags: number, deleted: boolean): void {
    for (const [handle, pid] of this.model.ifEventClients) {
      const c = this.regs.get(handle);
      if (c)
        this.send(c, iface.sw_interface_event, { client_index: handle, pid, sw_if_index: swIfIndex, flags, deleted });
    }
  }

  private scheduleHandshake(peerIndex: number): void {
    const rp = this.opts.reachablePeers;
    if (!rp) return;
    const delay = typeof rp === 'object' ? (rp.delayMs ?? 100) : 100;
    const model = this.model;
    const peer = model.peers.get(peerIndex);
    const t = setTimeout(() => {
      this.timers.delete(t);
      // Same VPP, same peer object (indices are reused), still reachable.
      if (this.model !== model || model.peers.get(peerIndex) !== peer || !model.peerReachable(peerIndex)) return;
      model.markEstablished(peerIndex);
      this.flushAll();
    }, delay);
    this.timers.add(t);
  }

  // ---- control ----

  establishPeer(peerIndex: number): boolean {
    const ok = this.model.markEstablished(peerIndex);
    this.flushAll();
    return ok;
  }

  /** An uplink's carrier down or up; its event goes out with the next link-state run. */
  setCarrier(name: string, up: boolean): void {
    this.model.setCarrier(name, up);
  }

  counters(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort());
  }

  resetCounters(): void {
    this.counts.clear();
  }

  closeNow(): void {
    for (const c of [...this.conns]) this.kill(c);
  }

  pauseReading(ms: number): void {
    this.pausedUntil = Date.now() + ms;
    for (const c of this.conns) this.pauseSocket(c, ms);
  }

  private pauseSocket(c: Conn, ms: number): void {
    c.socket.pause();
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!c.closing) c.socket.resume();
    }, ms);
    this.timers.add(t);
  }

  async restart(downMs = 0): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.closeNow();
    this.generation++;
    this.faults.closeAfter = undefined;
    this.faults.failNth.length = 0;
    this.faults.dropReply.length = 0;
    this.faults.delayMs = 0;
    this.reset();
    if (downMs > 0 && this.server) {
      const server = this.server;
      this.server = undefined;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise((r) => setTimeout(r, downMs));
      // stop() during the outage: stay down.
      if (!this.stopped) await this.listen();
    }
  }
}

/** The Ctx handed to handlers, aimed at the current frame by the server. */
class FrameCtx implements Ctx {
  target!: Conn;
  handle = 0;
  context = 0;
  def!: MessageDef;
  model!: Model;
  readonly vpePid = process.pid;
  constructor(
    private readonly server: SimServer,
    readonly version: Ctx['version'],
  ) {}
  reply(value: Record<string, unknown>): void {
    const d = this.def.replyDef;
    if (!d) return;
    value.context = this.context;
    this.server.send(this.target, d, value);
  }
  replyRetvalU32(retval: number, field: string, value: number): void {
    const d = this.def.replyDef;
    if (!d) return;
    if (!this.server.sendRetvalU32(this.target, d, this.context, retval, value)) this.reply({ retval, [field]: value });
  }
  details(value: Record<string, unknown>): void {
    const d = this.def.detailsDef;
    if (!d) return;
    value.context = this.context;
    this.server.send(this.target, d, value);
  }
  hasRegistration(h: number): boolean {
    return this.server.regs.has(h >>> 0);
  }
  closeRegistration(h: number): void {
    const c = this.server.regs.get(h >>> 0);
    if (!c) return;
    this.server.flush(c);
    c.closing = true;
    c.socket.end(() => c.socket.destroy());
    this.server.drop(c);
  }
}
