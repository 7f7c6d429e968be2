/**
 * The control socket of a sim run as a process: one JSON object per line in, one JSON line out.
 * Queries: ping, counters, resetCounters, snapshot, messageIds, clearFaults,
 * establishPeer {peerIndex}, setCarrier {interface, up} (an uplink's carrier down/up), injectRoute
 * {prefix, via, swIfIndex, table?} and withdrawRoute {prefix, table?} (routes of the routing daemon,
 * source lcp-rt-dynamic). Faults, in the FaultSpec shape: closeAfter {n}, closeNow,
 * delayReplies {ms}, failNth {msg, n, retval}, dropReply {msg, n?}, pauseReading {ms},
 * restart {downMs?}. `{"op":"counters"}` → `{"ok":true,"counters":{...}}`; errors come back as
 * `{"ok":false,"error":"..."}` naming the field to fix.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { type Server, connect, createServer } from 'node:net';
import { checkFault } from './config';
import type { LcpRoute, Sim } from './index';

const MAX_LINE = 1024 * 1024;

export async function handleControlRequest(sim: Sim, line: string): Promise<Record<string, unknown>> {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    return { ok: false, error: 'control: expected one JSON object per line, e.g. {"op":"counters"}' };
  }
  if (typeof req !== 'object' || req === null || typeof (req as { op?: unknown }).op !== 'string') {
    return { ok: false, error: 'control: expected {"op": "..."}' };
  }
  const r = req as Record<string, unknown>;
  try {
    switch (r.op) {
      case 'ping':
        return { ok: true };
      case 'counters':
        return { ok: true, counters: sim.counters() };
      case 'resetCounters':
        sim.resetCounters();
        return { ok: true };
      case 'snapshot':
        return { ok: true, snapshot: sim.snapshot() };
      case 'messageIds':
        return { ok: true, messageIds: sim.messageIds() };
      case 'clearFaults':
        sim.control.clearFaults();
        return { ok: true };
      case 'establishPeer': {
        if (!Number.isInteger(r.peerIndex))
          return { ok: false, error: 'control: establishPeer needs an integer peerIndex' };
        return { ok: sim.control.establishPeer(r.peerIndex as number) };
      }
      case 'setCarrier': {
        if (typeof r.interface !== 'string' || typeof r.up !== 'boolean')
          return {
            ok: false,
            error: 'control: setCarrier needs interface (an uplink name) and up (true or false)',
          };
        sim.control.setCarrier(r.interface, r.up);
        return { ok: true };
      }
      case 'injectRoute':
      case 'withdrawRoute': {
        const route = lcpRouteOf(r);
        if (typeof route === 'string') return { ok: false, error: `control: ${r.op} ${route}` };
        if (r.op === 'injectRoute') sim.control.injectRoute(route);
        else sim.control.withdrawRoute(route);
        return { ok: true };
      }
      default: {
        const fault = checkFault(r, 'control', (path, want) => {
          throw new Error(`${path}: ${want}`);
        });
        await sim.control.apply(fault);
        return { ok: true };
      }
    }
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** The route of an injectRoute/withdrawRoute request, or what is wrong with it. */
function lcpRouteOf(r: Record<string, unknown>): LcpRoute | string {
  if (typeof r.prefix !== 'string') return "needs a prefix, e.g. '203.0.113.0/24'";
  if (r.table !== undefined && !Number.isInteger(r.table)) return 'needs an integer table (or none for 0)';
  const table = r.table === undefined ? {} : { table: r.table as number };
  if (r.op === 'withdrawRoute') return { prefix: r.prefix, via: '', swIfIndex: 0, ...table };
  if (typeof r.via !== 'string') return 'needs a via (the next-hop address)';
  if (!Number.isInteger(r.swIfIndex)) return 'needs an integer swIfIndex (the paired VPP interface)';
  return { prefix: r.prefix, via: r.via, swIfIndex: r.swIfIndex as number, ...table };
}

export async function startControlServer(sim: Sim, path: string): Promise<Server> {
  if (existsSync(path)) unlinkSync(path);
  const server = createServer((sock) => {
    let buf = '';
    let chain = Promise.resolve();
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        sock.end(JSON.stringify({ ok: false, error: 'control: line longer than 1 MiB' }) + '\n');
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        // Answers keep the order of the requests.
        chain = chain.then(async () => {
          const res = await handleControlRequest(sim, line);
          if (!sock.destroyed) sock.write(JSON.stringify(res) + '\n');
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return server;
}

/**
 * The client side of the control socket: one JSON request line, one JSON answer line. For tests
 * and tools driving an emulator that runs as its own process (`vppwg sim --control PATH`).
 */
export function sendControlRequest(path: string, req: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        s.end();
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        } catch (err) {
          reject(
            new Error(
              `the emulator's control socket ${path} answered something that is not JSON: ${(err as Error).message}`,
            ),
          );
        }
      }
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`the emulator's control socket ${path} closed without an answer`)));
    s.write(JSON.stringify(req) + '\n');
  });
}
