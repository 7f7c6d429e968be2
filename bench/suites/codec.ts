/**
 * Codec speed of the generated bindings, in process: encodes/s and decodes/s of wireguard_peer_add
 * (two allowed IPs) and ip_route_add_del (one path). Each run times a batch of operations into one
 * reused Writer, so the figure is the codec's, not the allocator's.
 */
import { type MessageDef } from 'vpp-api-ts';
import { Reader, Writer } from 'vpp-api-ts/runtime';
import * as ip from 'vpp-api-ts/ip';
import * as wireguard from 'vpp-api-ts/wireguard';
import { type BenchContext, type BenchSuite, type Figure, measure, rate } from '../harness';

const TARGET = { op: '>=' as const, value: 1_000_000 };

const peerAdd: wireguard.WireguardPeerAddIn = {
  client_index: 0x80000001,
  context: 8,
  peer: {
    public_key: new Uint8Array(32).fill(0xaa),
    port: 51820,
    persistent_keepalive: 25,
    table_id: 0,
    endpoint: '192.0.2.2',
    sw_if_index: 5,
    allowed_ips: ['10.0.0.0/24', 'fd00::/64'],
  },
};

const routeAdd: ip.IpRouteAddDelIn = {
  client_index: 0x80000001,
  context: 14,
  is_add: true,
  route: {
    table_id: 10,
    prefix: '172.16.0.0/16',
    paths: [{ sw_if_index: 2, table_id: 10, weight: 1, nh: { address: { ip4: '10.100.0.2' } } }],
  },
};

/** Also the rate per CPU-second of this process: on a shared, loaded box it shows what the codec does when it has a core. */
const cpuRates: number[] = [];
function timed(ops: number, body: () => void): number {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  body();
  const wall = rate(ops, process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  cpuRates.push(ops / ((c.user + c.system) / 1e6));
  return wall;
}

function cpuMedian(): number {
  const v = cpuRates.splice(0).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)] ?? 0;
}

async function encodeRate<T>(
  def: MessageDef<unknown, T>,
  v: T,
  ops: number,
  runs: number,
): Promise<{ median: number; min: number; max: number; runs: number }> {
  const w = new Writer(4096);
  return measure(
    () =>
      timed(ops, () => {
        for (let i = 0; i < ops; i++) {
          w.off = 0;
          def.encode(w, 0x305, v);
        }
      }),
    { runs, warmup: 3 },
  );
}

async function decodeRate(
  def: MessageDef,
  body: Buffer,
  ops: number,
  runs: number,
): Promise<{ median: number; min: number; max: number; runs: number }> {
  const r = new Reader(body);
  let sink = 0;
  const res = await measure(
    () =>
      timed(ops, () => {
        for (let i = 0; i < ops; i++) {
          r.off = 0;
          if (def.decode(r) !== undefined) sink++;
        }
      }),
    { runs, warmup: 3 },
  );
  if (sink === 0) throw new Error('decode produced nothing');
  return res;
}

export const suite: BenchSuite = {
  name: 'codec',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const ops = ctx.quick ? 20_000 : 200_000;
    const runs = ctx.quick ? 3 : 11;
    const figures: Figure[] = [];
    const cases: [string, MessageDef<unknown, never>, unknown][] = [
      ['wireguard_peer_add (2 allowed IPs)', wireguard.wireguard_peer_add as MessageDef<unknown, never>, peerAdd],
      ['ip_route_add_del (1 path)', ip.ip_route_add_del as MessageDef<unknown, never>, routeAdd],
    ];
    for (const [name, def, value] of cases) {
      const d = def as MessageDef<unknown, unknown>;
      const w = new Writer(512);
      d.encode(w, 0x305, value);
      const body = w.toBuffer();
      ctx.log(`codec: ${name}: ${body.length} bytes`);
      cpuRates.length = 0;
      const enc = await encodeRate(d, value, ops, runs);
      ctx.log(`codec: encode ${name}: ${Math.round(cpuMedian()).toLocaleString('en-US')} per CPU-second`);
      figures.push({
        suite: 'codec',
        name: `encode ${name}`,
        unit: 'ops/s',
        ...enc,
        target: TARGET,
        server: 'in-process',
      });
      const dec = await decodeRate(d, body, ops, runs);
      ctx.log(`codec: decode ${name}: ${Math.round(cpuMedian()).toLocaleString('en-US')} per CPU-second`);
      figures.push({
        suite: 'codec',
        name: `decode ${name}`,
        unit: 'ops/s',
        ...dec,
        target: TARGET,
        server: 'in-process',
      });
    }
    return figures;
  },
};
