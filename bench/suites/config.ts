/**
 * Loading and validating large desired-state files: 1,000 and 10,000 peers with one route each,
 * as YAML (the position-keeping parser) and as JSON (the JSON.parse fast path).
 */
import { stringify } from 'yaml';
import { encodeKey, parseDesiredState } from '../../src/config';
import { measure, type BenchSuite, type Figure } from '../harness';

function document(peers: number): object {
  const key = new Uint8Array(32);
  return {
    uplinks: [{ name: 'host-eth0', addresses: ['192.0.2.1/24'] }],
    routes: [{ prefix: '0.0.0.0/0', via: '192.0.2.254', interface: 'host-eth0' }],
    wireguard: [
      {
        name: 'wg0',
        private_key: 'generate',
        listen_port: 51820,
        source: '192.0.2.1',
        addresses: ['100.64.0.1/10'],
        peers: Array.from({ length: peers }, (_, i) => {
          key[0] = i & 255;
          key[1] = (i >> 8) & 255;
          key[2] = i >> 16;
          const [b, c] = [(i >> 8) & 255, i & 255];
          return {
            name: `p${i}`,
            public_key: encodeKey(key),
            endpoint: { address: `198.51.${b}.${c}`, port: 51820 },
            allowed_ips: [`100.${64 + (i >> 16)}.${b}.${c}/32`, `172.${16 + (i >> 16)}.${b}.${c}/32`],
            persistent_keepalive: 25,
            tunnel_next_hops: [`100.${64 + (i >> 16)}.${b}.${c}`],
            routes: [{ prefix: `172.${16 + (i >> 16)}.${b}.${c}/32` }],
          };
        }),
      },
    ],
  };
}

export const suite: BenchSuite = {
  name: 'config',
  async run(ctx) {
    const figures: Figure[] = [];
    for (const peers of ctx.quick ? [1000] : [1000, 10000]) {
      const doc = document(peers);
      for (const [format, text] of [
        ['JSON', JSON.stringify(doc, null, 2)],
        ['YAML', stringify(doc)],
      ] as const) {
        const r = await measure(
          () => {
            const t = process.hrtime.bigint();
            const { state, diagnostics } = parseDesiredState(text, `bench.${format.toLowerCase()}`, { env: {} });
            if (!state) throw new Error(`bench document rejected: ${diagnostics[0]?.message}`);
            return Number(process.hrtime.bigint() - t) / 1e6;
          },
          { runs: ctx.quick ? 1 : 5, warmup: 1 },
        );
        ctx.log(`config: load ${peers} peers (${format}) ${r.median.toFixed(0)} ms`);
        figures.push({
          suite: 'config',
          name: `load and validate ${peers} peers, ${format}`,
          unit: 'ms',
          ...r,
          server: 'in-process',
        });
      }
    }
    return figures;
  },
};
