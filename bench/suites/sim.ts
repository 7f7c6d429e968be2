/**
 * Emulator throughput, measured from a raw socket writing pre-encoded frames (so the figure is
 * the emulator's, not a client's, and each figure is its own floor): pipelined control_pings/s
 * and pipelined ip_route_add_del adds/s. The emulator runs in a child process, as `vppwg sim`
 * does, so it has its own core.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writer } from 'vpp-api-ts/runtime';
import * as ip from 'vpp-api-ts/ip';
import { startSim } from '../../src/sim/index';
import { projectRoot } from '../../src/util/paths';
import { type BenchContext, type BenchSuite, type Figure, measure, rate } from '../harness';

const CHILD_FLAG = '--vppwg-sim-bench-child';

if (process.argv.includes(CHILD_FLAG)) {
  // Child: run the emulator until the parent disconnects.
  void (async () => {
    const sim = await startSim({ socketPath: process.argv[process.argv.indexOf(CHILD_FLAG) + 1] });
    process.send?.('ready');
    process.on('disconnect', () => void sim.stop().then(() => process.exit(0)));
  })();
}

interface Session {
  sock: Socket;
  handle: number;
  ids: Map<string, number>;
  /** Resolves after `n` more frames arrived. */
  expect(n: number): Promise<void>;
}

function header(len: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(len, 8);
  return h;
}

async function open(path: string): Promise<Session> {
  const sock = await new Promise<Socket>((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  let pending: Buffer = Buffer.alloc(0);
  let want = 0;
  let got = 0;
  let done: (() => void) | undefined;
  let first: Buffer | undefined;
  sock.on('data', (d: Buffer) => {
    let buf = pending.length ? Buffer.concat([pending, d]) : d;
    let off = 0;
    while (buf.length - off >= 16) {
      const len = buf.readUInt32BE(off + 8);
      if (buf.length - off < 16 + len) break;
      if (!first) first = Buffer.from(buf.subarray(off + 16, off + 16 + len));
      off += 16 + len;
      got++;
    }
    pending = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
    buf = pending;
    if (done && got >= want) {
      const f = done;
      done = undefined;
      f();
    }
  });
  const session: Session = {
    sock,
    handle: 0,
    ids: new Map(),
    expect(n) {
      want = got + n;
      return new Promise<void>((resolve) => {
        if (got >= want) resolve();
        else done = resolve;
      });
    },
  };
  const create = Buffer.alloc(70);
  create.writeUInt16BE(15, 0);
  create.writeUInt32BE(1, 2);
  create.write('bench', 6);
  const ready = session.expect(1);
  sock.write(Buffer.concat([header(70), create]));
  await ready;
  const b = first!;
  session.handle = b.readUInt32BE(14);
  const count = b.readUInt16BE(18);
  for (let i = 0; i < count; i++) {
    const o = 20 + 66 * i;
    const name = b.subarray(o + 2, o + 66);
    session.ids.set(
      name
        .subarray(0, name.indexOf(0))
        .toString('latin1')
        .replace(/_[0-9a-f]{8}$/, ''),
      b.readUInt16BE(o),
    );
  }
  return session;
}

function pings(s: Session, n: number): Buffer {
  const out = Buffer.alloc(26 * n);
  const id = s.ids.get('control_ping')!;
  for (let i = 0; i < n; i++) {
    const o = i * 26;
    out.writeUInt32BE(10, o + 8);
    out.writeUInt16BE(id, o + 16);
    out.writeUInt32BE(s.handle, o + 18);
    out.writeUInt32BE(i + 1, o + 22);
  }
  return out;
}

function routeFrames(s: Session, n: number, round: number, isAdd: boolean): Buffer {
  const id = s.ids.get('ip_route_add_del')!;
  const w = new Writer(n * 230);
  for (let i = 0; i < n; i++) {
    const k = round * n + i;
    w.zeros(8);
    const lenAt = w.off;
    w.zeros(8);
    const start = w.off;
    ip.ip_route_add_del.encode(w, id, {
      client_index: s.handle,
      context: i + 1,
      is_add: isAdd,
      is_multipath: false,
      route: {
        table_id: 0,
        stats_index: 0,
        prefix: `${10 + ((k >>> 16) & 63)}.${(k >>> 8) & 255}.${k & 255}.0/24`,
        paths: [
          {
            sw_if_index: 0,
            table_id: 0,
            rpf_id: 0,
            weight: 1,
            preference: 0,
            type: 0,
            flags: 0,
            proto: 0,
            nh: { address: { ip4: '192.0.2.2' }, via_label: 0, obj_id: 0, classify_table_index: 0 },
            n_labels: 0,
            label_stack: [],
          },
        ],
      },
    } as never);
    w.buf.writeUInt32BE(w.off - start, lenAt);
  }
  return w.toBuffer();
}

async function pipelined(s: Session, frames: Buffer, n: number): Promise<number> {
  const done = s.expect(n);
  const t0 = process.hrtime.bigint();
  s.sock.write(frames);
  await done;
  return rate(n, process.hrtime.bigint() - t0);
}

interface Emulator {
  path: string;
  where: string;
  stop(): Promise<void>;
}

/** The emulator in a child process (compiled code), or in this process when only sources exist (ts-jest). */
async function startEmulator(): Promise<Emulator> {
  const path = join(tmpdir(), `vppwg-sim-bench-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  const script = __filename.endsWith('.js') ? __filename : join(projectRoot(), 'dist', 'bench', 'suites', 'sim.js');
  if (!existsSync(script)) {
    const sim = await startSim({ socketPath: path });
    return { path, where: 'emulator (in-process)', stop: () => sim.stop() };
  }
  const child = fork(script, [CHILD_FLAG, path], { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`sim child exited with ${code}`)));
  });
  return {
    path,
    where: 'emulator',
    stop: async () => {
      child.disconnect();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

export const suite: BenchSuite = {
  name: 'sim',
  async run(ctx: BenchContext): Promise<Figure[]> {
    // This suite measures the emulator itself, so a real VPP (VPP_API_SOCKET) is not its target.
    if (ctx.vppSocket) ctx.log('sim: measures the emulator it starts; VPP_API_SOCKET does not apply');
    const emu = await startEmulator();
    const path = emu.path;
    const figures: Figure[] = [];
    try {
      const s = await open(path);
      const n = ctx.quick ? 5_000 : 100_000;
      const runs = ctx.quick ? 3 : 7;
      const pingFrames = pings(s, n);
      const p = await measure(() => pipelined(s, pingFrames, n), { runs, warmup: ctx.quick ? 1 : 2 });
      figures.push({
        suite: 'sim',
        name: `pipelined control_ping, ${n} in flight (raw socket: its own floor)`,
        unit: 'ops/s',
        ...p,
        target: { op: '>=', value: 150_000 },
        server: emu.where,
      });
      ctx.log(`sim: control_ping median ${Math.round(p.median)}/s`);

      let round = 0;
      const rn = ctx.quick ? 5_000 : 50_000;
      const r = await measure(
        async () => {
          // New prefixes every run, each a real add; the previous run's routes are deleted
          // (unmeasured) first, so every run adds into a table of the same size.
          const k = round++;
          if (k > 0) {
            const gone = s.expect(rn);
            s.sock.write(routeFrames(s, rn, k - 1, false));
            await gone;
          }
          return pipelined(s, routeFrames(s, rn, k, true), rn);
        },
        { runs, warmup: 1 },
      );
      figures.push({
        suite: 'sim',
        name: `pipelined ip_route_add_del adds, ${rn} in flight (raw socket: its own floor)`,
        unit: 'ops/s',
        ...r,
        target: { op: '>=', value: 100_000 },
        server: emu.where,
      });
      ctx.log(`sim: route adds median ${Math.round(r.median)}/s`);
      s.sock.destroy();
    } finally {
      await emu.stop();
    }
    return figures;
  },
};
