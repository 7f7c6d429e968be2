/**
 * Loading and validating large desired-state files: 1,000 and 10,000 peers with one route each,
 * as YAML (plain block YAML through js-yaml; `yaml`'s position-keeping parser runs only for diagnostics) and
 * as JSON (the JSON.parse fast path); and the first load in a fresh process, as the daemon starts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
        // The top of the /10: peer tunnel addresses count up from its bottom and must not be this one.
        addresses: ['100.127.255.254/10'],
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
    if (!ctx.quick) figures.push(await freshProcessLoad(ctx, 10000));
    return figures;
  },
};

/** Loading the config module and a file in a new node process: what the daemon pays at start-up (cold JIT, schema compile). */
async function freshProcessLoad(ctx: Parameters<BenchSuite['run']>[0], peers: number): Promise<Figure> {
  const dir = mkdtempSync(join(tmpdir(), 'vppwg-bench-config-'));
  try {
    const file = join(dir, 'peers.yaml');
    writeFileSync(file, stringify(document(peers)));
    const configModule = resolve(__dirname, '..', '..', 'src', 'config');
    const script = `const t = process.hrtime.bigint();
      const { loadDesiredState } = require(${JSON.stringify(configModule)});
      const r = loadDesiredState(${JSON.stringify(file)}, { env: {} });
      if (!r.state) throw new Error('bench document rejected');
      process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
    const r = await measure(
      () => {
        const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`fresh-process load failed: ${child.stderr}`);
        return Number(child.stdout);
      },
      { runs: 3, warmup: 1 },
    );
    ctx.log(`config: first load of ${peers} peers (YAML) in a fresh process ${r.median.toFixed(0)} ms`);
    return {
      suite: 'config',
      name: `require + first load of ${peers} peers, YAML, fresh process`,
      unit: 'ms',
      ...r,
      server: 'in-process',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
