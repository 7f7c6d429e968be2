/**
 * Client speed against the emulator (in a child process, as `vppwg sim` runs, so it has its own
 * core) or a real VPP named by VPP_API_SOCKET: serial control_ping round trips/s, and pipelined
 * ip_route_add_del adds/s. In the same run the floor: the same requests pre-encoded, written on a
 * raw socket, and their replies read back, so the ratio shows what the client itself costs.
 * The pipelined adds are measured twice, labelled apart: one call() per add (a promise each, as
 * Promise.all users do) and one callMany() for the whole batch.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MessageDef } from 'vpp-api-ts';
import { Writer } from 'vpp-api-ts/runtime';
import * as ip from 'vpp-api-ts/ip';
import { VppClient } from '../../src/client';
import {
  control_ping,
  sockclnt_create,
  sockclnt_create_reply,
  type SockclntCreateReply,
} from '../../src/client/bootstrap';
import { Framer, HEADER_BYTES } from '../../src/client/framer';
import { projectRoot } from '../../src/util/paths';
import { type BenchContext, type BenchSuite, type Figure, measure, rate, summarize } from '../harness';
import { Reader } from 'vpp-api-ts/runtime';

const CHILD_FLAG = '--vppwg-client-bench-sim';
/** Requests in flight, for the client (its default maxInFlight) and the raw floor alike; CLIENT_BENCH_WINDOW overrides. */
const WINDOW = Number(process.env.CLIENT_BENCH_WINDOW ?? 1024);

const TUNED_FLAG = '--vppwg-client-bench-tuned';
/**
 * The young generation (MB per semi-space) of the tuned per-call arm. 50,000 calls in flight keep
 * ~25 MB of promises and their reactions alive at once; Node's default 16 MB young generation
 * copies them from scavenge to scavenge and promotes them, which is most of what a promise per call
 * costs. 64 MB holds them: the arm then shows what the client itself costs per call.
 */
const TUNED_SEMI_SPACE_MB = 64;

if (process.argv.includes(CHILD_FLAG)) {
  void (async () => {
    const { startSim } = await import('../../src/sim/index.js');
    const sim = await startSim({ socketPath: process.argv[process.argv.indexOf(CHILD_FLAG) + 1] });
    process.send?.('ready');
    process.on('disconnect', () => void sim.stop().then(() => process.exit(0)));
  })();
}

interface Emulator {
  path: string;
  stop(): Promise<void>;
}

/** The emulator in a child process (compiled code), or in this process when only sources exist (ts-jest). */
async function startEmulator(): Promise<Emulator> {
  const path = join(tmpdir(), `vppwg-client-bench-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  const script = __filename.endsWith('.js') ? __filename : join(projectRoot(), 'dist', 'bench', 'suites', 'client.js');
  if (!existsSync(script)) {
    const { startSim } = await import('../../src/sim/index.js');
    const sim = await startSim({ socketPath: path });
    return { path, stop: () => sim.stop() };
  }
  const child = fork(script, [CHILD_FLAG, path], { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${code}`)));
  });
  return {
    path,
    stop: async () => {
      child.disconnect();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** A raw connection: handshake, then counted replies. The floor does nothing a client could skip. */
class RawSession {
  private framer = new Framer();
  private got = 0;
  private want = 0;
  private wake: (() => void) | undefined;
  private first: Buffer | undefined;
  /** Called after each read with the replies counted so far (the windowed floor refills from here). */
  private onReplies: ((got: number) => void) | undefined;
  handle = 0;
  ids = new Map<string, number>();

  private constructor(readonly sock: Socket) {
    sock.on('data', (chunk: Buffer) => {
      this.framer.push(chunk, (buf, start, end) => {
        if (!this.first) this.first = Buffer.from(buf.subarray(start, end));
        this.got++;
      });
      this.onReplies?.(this.got);
      if (this.wake && this.got >= this.want) {
        const w = this.wake;
        this.wake = undefined;
        w();
      }
    });
  }

  static async open(path: string): Promise<RawSession> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const s = new RawSession(sock);
    const w = new Writer(128);
    w.zeros(HEADER_BYTES);
    sockclnt_create.encode(w, 15, { context: 1, name: 'bench-raw' });
    w.buf.writeUInt32BE(w.off - HEADER_BYTES, 8);
    const ready = s.expect(1);
    sock.write(w.toBuffer());
    await ready;
    const reply = sockclnt_create_reply.decode(new Reader(s.first!)) as SockclntCreateReply;
    s.handle = reply.index;
    for (const e of reply.message_table) s.ids.set(e.name, e.index);
    return s;
  }

  expect(n: number): Promise<void> {
    this.want = this.got + n;
    return new Promise((resolve) => {
      if (this.got >= this.want) resolve();
      else this.wake = resolve;
    });
  }

  /** Pre-encode `values` as frames with this session's id and handle, contexts 1..n. */
  frames(def: MessageDef, values: readonly unknown[]): Buffer {
    return this.framesAt(def, values).bytes;
  }

  /** The frames and where each one starts (plus the end), for writing them a window at a time. */
  framesAt(def: MessageDef, values: readonly unknown[]): { bytes: Buffer; starts: number[] } {
    const id = this.ids.get(def.nameCrc);
    if (id === undefined) throw new Error(`the server lacks ${def.nameCrc}`);
    const w = new Writer(values.length * (def.minSize + 64));
    const starts: number[] = [];
    values.forEach((v, i) => {
      const start = w.off;
      starts.push(start);
      w.zeros(HEADER_BYTES);
      def.encode(w, id, v);
      const body = start + HEADER_BYTES;
      w.buf.writeUInt32BE(w.off - body, start + 8);
      w.buf.writeUInt32BE(this.handle, body + def.clientIndexOffset);
      w.buf.writeUInt32BE(i + 1, body + def.contextOffset);
    });
    starts.push(w.off);
    return { bytes: w.toBuffer(), starts };
  }

  /**
   * The pipelined floor with the client's window: at most `window` requests unanswered, refilled
   * (one write per read) as replies arrive. Same frames, same window: only the client's work differs.
   */
  async windowed(frames: { bytes: Buffer; starts: number[] }, window: number): Promise<number> {
    const n = frames.starts.length - 1;
    const base = this.got;
    let sent = Math.min(n, window);
    const done = this.expect(n);
    const t0 = process.hrtime.bigint();
    this.onReplies = (got) => {
      const allowed = Math.min(n, got - base + window);
      if (allowed > sent) {
        this.sock.write(frames.bytes.subarray(frames.starts[sent], frames.starts[allowed]));
        sent = allowed;
      }
    };
    this.sock.write(frames.bytes.subarray(0, frames.starts[sent]));
    await done;
    this.onReplies = undefined;
    return rate(n, process.hrtime.bigint() - t0);
  }

  /** Write all frames at once and wait for `n` replies: the pipelined floor, in ops/s. */
  async pipelined(frames: Buffer, n: number): Promise<number> {
    const done = this.expect(n);
    const t0 = process.hrtime.bigint();
    this.sock.write(frames);
    await done;
    return rate(n, process.hrtime.bigint() - t0);
  }

  /** One frame at a time, each after the previous reply: the serial floor, in round trips/s. */
  async serial(frame: Buffer, n: number): Promise<number> {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const done = this.expect(1);
      this.sock.write(frame);
      await done;
    }
    return rate(n, process.hrtime.bigint() - t0);
  }
}

/**
 * Before each timed arm (when node runs with --expose-gc, as `npm run bench` does): two young-generation
 * collections, which move what is alive (the arm's inputs) to the old generation and drop the rest,
 * so garbage left by building the inputs, or by the arm before, is not charged to the next arm.
 * Not a full gc(): that also throws away the optimised code of the client's hot functions, and every
 * arm would start in the interpreter and pay for compiling them again.
 */
function collect(): void {
  const gc = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc;
  gc?.({ type: 'minor' });
  gc?.({ type: 'minor' });
}

/**
 * What Node itself charges for a promise per request in the Promise.all pattern, with no socket and
 * no client: `n` promises made at once, settled `window` at a time from the event loop as replies
 * would be. CPU µs per promise; the per-call client figure minus the callMany one should be about this.
 */
async function promiseCostPerCall(n: number, window: number): Promise<number> {
  const settlers: ((v: unknown) => void)[] = new Array<(v: unknown) => void>(n);
  collect();
  const c0 = process.cpuUsage();
  const calls = new Array<Promise<unknown>>(n);
  for (let i = 0; i < n; i++) calls[i] = new Promise((resolve) => (settlers[i] = resolve));
  const all = Promise.all(calls);
  let k = 0;
  await new Promise<void>((done) => {
    const step = (): void => {
      for (const stop = Math.min(n, k + window); k < stop; k++) {
        const settle = settlers[k]!;
        settlers[k] = undefined as never;
        settle({ context: k, retval: 0, stats_index: 0 });
      }
      if (k < n) setImmediate(step);
      else done();
    };
    setImmediate(step);
  });
  await all;
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

function medianOf(values: readonly number[]): number {
  return summarize(values).median;
}

/** Route k: a /32 in 11.0.0.0/8 via local0, unique per k so every add is a real add. */
function routeValue(k: number, isAdd: boolean) {
  return {
    is_add: isAdd,
    is_multipath: false,
    route: {
      table_id: 0,
      prefix: `11.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}/32`,
      paths: [{ sw_if_index: 0, table_id: 0, weight: 1, proto: 0, nh: { address: { ip4: '192.0.2.2' } } }],
    },
  };
}

interface ArmRuns {
  floorRuns: number[];
  clientRuns: number[];
  /** CPU µs per add in this process: the client's, and the raw floor's. */
  cpuClient: number[];
  cpuRaw: number[];
}

type RouteValue = ReturnType<typeof routeValue>;
/** How an arm hands the client its adds; the caller's array is dropped once this returns. */
type Issue = (client: VppClient, values: RouteValue[]) => Promise<unknown>;

/** One call() per add, a promise each, awaited with Promise.all (the common pattern). */
const perCall: Issue = (client, values) => Promise.all(values.map((v) => client.call(ip.ip_route_add_del, v)));

/** One callMany() for the whole batch: one promise, the replies in order. */
const batched: Issue = (client, values) => {
  const n = values.length;
  return client.callMany(ip.ip_route_add_del, values).then((replies) => {
    if (replies.length !== n) throw new Error(`callMany returned ${replies.length} replies for ${n} adds`);
  });
};

/**
 * `n` route adds issued by `issue`, alternating run by run with the raw floor on the same window,
 * each run on fresh prefixes from `base` up, each run's routes deleted after it (unmeasured) so
 * both always start from the same table. Warm-up runs are dropped from the result.
 */
async function pipelinedArm(
  client: VppClient,
  raw: RawSession,
  issue: Issue,
  o: { n: number; runs: number; warmup: number; base: number },
): Promise<ArmRuns> {
  const { n } = o;
  let next = o.base;
  const cleanup = async (from: number): Promise<void> => {
    const dels = Array.from({ length: n }, (_, i) => routeValue(from + i, false));
    await raw.windowed(raw.framesAt(ip.ip_route_add_del, dels), WINDOW);
  };
  const r: ArmRuns = { floorRuns: [], clientRuns: [], cpuClient: [], cpuRaw: [] };
  for (let run = 0; run < o.warmup + o.runs; run++) {
    let from = next;
    next += n;
    const frames = raw.framesAt(
      ip.ip_route_add_del,
      Array.from({ length: n }, (_, i) => routeValue(from + i, true)),
    );
    collect();
    let c0 = process.cpuUsage();
    const floorRate = await raw.windowed(frames, WINDOW);
    const rawCpu = process.cpuUsage(c0);
    await cleanup(from);

    from = next;
    next += n;
    let values: RouteValue[] | undefined = Array.from({ length: n }, (_, i) => routeValue(from + i, true));
    collect();
    c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const done = issue(client, values);
    values = undefined; // the client holds what it still needs
    await done;
    const clientRate = rate(n, process.hrtime.bigint() - t0);
    const clientCpu = process.cpuUsage(c0);
    await cleanup(from);
    if (run < o.warmup) continue;
    r.floorRuns.push(floorRate);
    r.clientRuns.push(clientRate);
    r.cpuRaw.push((rawCpu.user + rawCpu.system) / n);
    r.cpuClient.push((clientCpu.user + clientCpu.system) / n);
  }
  return r;
}

/** The median of run-by-run ratios: each pair ran back to back under the same load. */
function runRatio(r: ArmRuns): number {
  return medianOf(r.clientRuns.map((c, i) => c / r.floorRuns[i]!));
}

interface TunedJob {
  path: string;
  n: number;
  runs: number;
  warmup: number;
  base: number;
}

/** In the tuned child: its own client and raw session on the same server, the per-call arm, the runs sent back. */
async function runTunedChild(job: TunedJob): Promise<void> {
  const client = await VppClient.connect({
    socketPath: job.path,
    clientName: 'vppwg-bench-tuned',
    reconnect: false,
    maxInFlight: WINDOW,
  });
  const raw = await RawSession.open(job.path);
  try {
    const runs = await pipelinedArm(client, raw, perCall, job);
    await new Promise<void>((resolve, reject) => process.send!(runs, (e: Error | null) => (e ? reject(e) : resolve())));
  } finally {
    raw.sock.destroy();
    await client.close();
  }
}

if (process.argv.includes(TUNED_FLAG)) {
  const job = JSON.parse(process.argv[process.argv.indexOf(TUNED_FLAG) + 1]!) as TunedJob;
  runTunedChild(job).then(
    () => process.disconnect?.(),
    (e: unknown) => {
      process.stderr.write(`client bench (tuned arm): ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}

/**
 * The per-call arm again in a child Node started with a bigger young generation (and its own raw
 * floor, under the same flags): undefined, with the reason logged, when there is no compiled bench to start.
 */
async function tunedPerCall(job: TunedJob, log: (line: string) => void): Promise<ArmRuns | undefined> {
  const script = __filename.endsWith('.js') ? __filename : join(projectRoot(), 'dist', 'bench', 'suites', 'client.js');
  if (!existsSync(script)) {
    log(
      `client: per-call arm with --max-semi-space-size=${TUNED_SEMI_SPACE_MB} skipped: no compiled bench at ${script} (npm run build)`,
    );
    return undefined;
  }
  const child = fork(script, [TUNED_FLAG, JSON.stringify(job)], {
    stdio: 'inherit',
    execArgv: ['--expose-gc', `--max-semi-space-size=${TUNED_SEMI_SPACE_MB}`],
  });
  let runs: ArmRuns | undefined;
  child.on('message', (m) => (runs = m as ArmRuns));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0 || !runs) throw new Error(`the tuned per-call bench child exited with ${code} without its figures`);
  return runs;
}

export const suite: BenchSuite = {
  name: 'client',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const sim = ctx.vppSocket ? undefined : await startEmulator();
    const path = ctx.vppSocket ?? sim!.path;
    const server = ctx.vppSocket ? `vpp ${ctx.vppSocket}` : 'emulator';
    const figures: Figure[] = [];
    // Eleven pairs: the ratio is a median of run-by-run ratios, and single runs swing ±20% on a shared machine.
    const runs = ctx.quick ? 3 : 11;
    const warmup = ctx.quick ? 1 : 2;
    const client = await VppClient.connect({
      socketPath: path,
      clientName: 'vppwg-bench',
      reconnect: false,
      maxInFlight: WINDOW,
    });
    const raw = await RawSession.open(path);
    try {
      // Serial round trips: what one awaited call at a time costs.
      const serialN = ctx.quick ? 200 : 3000;
      const pingFrame = raw.frames(control_ping, [{}]);
      // Floor and client alternate run by run here too.
      const serialFloorRuns: number[] = [];
      const serialClientRuns: number[] = [];
      const serial = await measure(
        async () => {
          serialFloorRuns.push(await raw.serial(pingFrame, serialN));
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < serialN; i++) await client.call(control_ping, {});
          const r = rate(serialN, process.hrtime.bigint() - t0);
          serialClientRuns.push(r);
          return r;
        },
        { runs, warmup },
      );
      serialFloorRuns.splice(0, warmup);
      serialClientRuns.splice(0, warmup);
      const serialRatio = medianOf(serialClientRuns.map((c, i) => c / serialFloorRuns[i]!));
      const serialFloor = medianOf(serialFloorRuns);
      figures.push({
        suite: 'client',
        name: 'serial control_ping round trips',
        unit: 'ops/s',
        ...serial,
        floor: serialFloor,
        ratio: serialRatio,
        server,
      });
      ctx.log(`client: serial ${Math.round(serial.median)}/s, raw ${Math.round(serialFloor)}/s`);

      // Pipelined route adds, one call() per add, alternating with the raw floor run by run so load
      // changes on the machine hit both alike.
      const n = ctx.quick ? 2_000 : 50_000;
      const armRuns = runs + warmup;
      const single = await pipelinedArm(client, raw, perCall, { n, runs, warmup, base: 0 });
      const { cpuClient, cpuRaw } = single;
      const piped = summarize(single.clientRuns);
      const ratio = runRatio(single);
      const floor = summarize(single.floorRuns);
      ctx.log(
        `client: CPU per route add in this process: client ${medianOf(cpuClient).toFixed(2)} µs, raw floor ${medianOf(cpuRaw).toFixed(2)} µs`,
      );
      figures.push({
        suite: 'client',
        name: `pipelined ip_route_add_del adds (${n} calls, window ${WINDOW})`,
        unit: 'ops/s',
        ...piped,
        floor: floor.median,
        ratio,
        target: ctx.vppSocket ? { op: '>=', value: 100_000 } : { op: '>=', value: 0.9, of: 'ratio' },
        server,
      });
      // CPU time this process spent per add (user + system, all threads): the client's own cost,
      // steadier than rates on a shared machine. The floor's is writing bytes and counting replies.
      figures.push({
        suite: 'client',
        name: 'client CPU per pipelined route add (encode, send, match, decode)',
        unit: 'µs',
        ...summarize(cpuClient),
        floor: medianOf(cpuRaw),
        server,
      });
      ctx.log(
        `client: pipelined adds ${Math.round(piped.median)}/s, raw floor ${Math.round(floor.median)}/s (median run-by-run ratio ${(100 * ratio).toFixed(1)}%)`,
      );

      // The same adds through callMany (one promise for the batch), with floor runs of its own
      // alternating: the batch arm's garbage then never lands in the per-call figure's floor.
      const many = await pipelinedArm(client, raw, batched, { n, runs, warmup, base: armRuns * 2 * n });
      const cpuBatch = many.cpuClient;
      const batchRatio = runRatio(many);
      const batchFloor = medianOf(many.floorRuns);
      figures.push({
        suite: 'client',
        name: `callMany ip_route_add_del adds (${n} in one batch, window ${WINDOW})`,
        unit: 'ops/s',
        ...summarize(many.clientRuns),
        floor: batchFloor,
        ratio: batchRatio,
        target: ctx.vppSocket ? { op: '>=', value: 100_000 } : { op: '>=', value: 0.9, of: 'ratio' },
        server,
      });
      ctx.log(
        `client: callMany adds ${Math.round(medianOf(many.clientRuns))}/s, raw floor ${Math.round(batchFloor)}/s (median run-by-run ratio ${(100 * batchRatio).toFixed(1)}%), CPU ${medianOf(cpuBatch).toFixed(2)} µs per add`,
      );
      figures.push({
        suite: 'client',
        name: 'client CPU per callMany route add (encode, send, match, decode)',
        unit: 'µs',
        ...summarize(cpuBatch),
        floor: medianOf(many.cpuRaw),
        server,
      });

      // Why the per-call figure trails callMany: Node's own price of a promise per request, measured
      // here without the client. Per-call CPU ≈ callMany CPU + this.
      const promiseCost = await measure(() => promiseCostPerCall(n, WINDOW), { runs, warmup });
      figures.push({
        suite: 'client',
        name: `Node's CPU per promise in Promise.all over ${n} promises (no client, no socket)`,
        unit: 'µs',
        ...promiseCost,
        server: 'in-process',
      });
      // What one core of this process could drive: the client's CPU per add turned into a rate. When
      // it is above the server's rate, the client is not what limits the adds (against real VPP's
      // ~120k/s, for one), only the cores it shares with the emulator here.
      for (const [label, cpu] of [
        ['one call() per add', cpuClient],
        ['callMany', cpuBatch],
      ] as const) {
        figures.push({
          suite: 'client',
          name: `client capacity on one core, ${label} (1 / CPU per add)`,
          unit: 'ops/s',
          ...summarize(cpu.map((us) => 1e6 / us)),
          server,
        });
      }
      ctx.log(
        `client: Node's promise alone ${promiseCost.median.toFixed(2)} µs per call; per-call CPU ${medianOf(cpuClient).toFixed(2)} µs = callMany ${medianOf(cpuBatch).toFixed(2)} µs + ${(medianOf(cpuClient) - medianOf(cpuBatch)).toFixed(2)} µs`,
      );

      // The per-call arm once more, in a Node whose young generation holds the 50,000 calls' promises:
      // what is left of the per-call gap is then the client's, not the scavenger's.
      const tuned = await tunedPerCall({ path, n, runs, warmup, base: armRuns * 4 * n }, ctx.log);
      if (tuned) {
        const tunedRatio = runRatio(tuned);
        figures.push({
          suite: 'client',
          name: `pipelined ip_route_add_del adds (${n} calls, window ${WINDOW}), node --max-semi-space-size=${TUNED_SEMI_SPACE_MB}`,
          unit: 'ops/s',
          ...summarize(tuned.clientRuns),
          floor: medianOf(tuned.floorRuns),
          ratio: tunedRatio,
          target: ctx.vppSocket ? { op: '>=', value: 100_000 } : { op: '>=', value: 0.9, of: 'ratio' },
          server,
        });
        ctx.log(
          `client: with --max-semi-space-size=${TUNED_SEMI_SPACE_MB}: pipelined adds ${Math.round(medianOf(tuned.clientRuns))}/s, raw floor ${Math.round(medianOf(tuned.floorRuns))}/s (median run-by-run ratio ${(100 * tunedRatio).toFixed(1)}%), CPU per add ${medianOf(tuned.cpuClient).toFixed(2)} µs (raw ${medianOf(tuned.cpuRaw).toFixed(2)} µs)`,
        );
      }
    } finally {
      raw.sock.destroy();
      await client.close();
      await sim?.stop();
    }
    return figures;
  },
};
