/**
 * Calls through the generated definitions are checked by the compiler: a misspelt (or renamed)
 * field of a request, a reply or a dump's details fails `tsc`, naming the field, while the correct
 * calls beside it compile; so does an emulator handler's reply, or details sent for a request
 * that has none. The fixture is compiled in a temporary directory (a file with errors
 * cannot live among the project's sources, which `tsc -b` checks), against the project's sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/**
 * The bindings as the project's own build sees them (tsc -b reads their declarations: checking the
 * generated sources instead takes three times as long); their sources when they are not built.
 */
const BUILT_BINDINGS = join(ROOT, 'packages/vpp-api-ts/dist/index.d.ts');
const BINDINGS = existsSync(BUILT_BINDINGS) ? BUILT_BINDINGS : join(ROOT, 'packages/vpp-api-ts/src/index.ts');
/** One module's bindings (`vpp-api-ts/<module>`), as the package's exports map resolves them. */
const MODULE_BINDINGS = existsSync(BUILT_BINDINGS)
  ? join(ROOT, 'packages/vpp-api-ts/dist/gen/*.d.ts')
  : join(ROOT, 'packages/vpp-api-ts/src/gen/*.ts');

/** Each line ending in `// error: NAME` must fail to compile with NAME in the message; no other line may fail. */
const FIXTURE = `
import * as iface from 'vpp-api-ts/interface';
import * as wireguard from 'vpp-api-ts/wireguard';
import type { VppClient } from ${JSON.stringify(join(ROOT, 'src/client'))};
import type { Ctx, RequestOf } from ${JSON.stringify(join(ROOT, 'src/sim/api'))};

export async function calls(client: VppClient): Promise<number> {
  const reply = await client.call(wireguard.wireguard_peer_add, { peer: { sw_if_index: 1, allowed_ips: ['10.0.0.0/8'] } });
  const index: number = reply.peer_index;
  await client.call(wireguard.wireguard_peer_add, { peer: { wrong_field: 1 } }); // error: wrong_field
  const gone = reply.peer_idx; // error: peer_idx
  const details = await client.dump(wireguard.wireguard_peers_dump, { peer_index: index });
  const keepalive: number = details[0]!.peer.persistent_keepalive;
  const allowed = details[0]!.peer.alowed_ips; // error: alowed_ips
  await client.call(wireguard.wireguard_peer_remove, { peer_index: 'one' }); // error: string
  return keepalive + Number(gone) + Number(allowed);
}

type GetTable = typeof iface.sw_interface_get_table;
export function emulatorHandler(req: RequestOf<GetTable>, ctx: Ctx<GetTable>): void {
  ctx.reply({ retval: 0, vrf_id: req.is_ipv6 ? 1 : 0 });
  ctx.reply({ retval: 0, vrf: req.sw_if_index }); // error: vrf
  ctx.reply({ retval: 0, vrf_id: req.sw_if_idx }); // error: sw_if_idx
  ctx.details({ sw_if_index: 1 }); // error: never
}
`;

function expectedErrors(source: string): Map<number, string> {
  const out = new Map<number, string>();
  source.split('\n').forEach((line, i) => {
    const m = /\/\/ error: (\S+)$/.exec(line);
    if (m) out.set(i + 1, m[1]!);
  });
  return out;
}

describe('typed VPP calls', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test('a wrong field of a request, reply or details (client or emulator) fails to compile, naming the field', () => {
    dir = mkdtempSync(join(tmpdir(), 'vppwg-typed-calls-'));
    writeFileSync(join(dir, 'calls.ts'), FIXTURE);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.base.json'),
        compilerOptions: {
          noEmit: true,
          composite: false,
          declaration: false,
          incremental: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
          paths: { 'vpp-api-ts': [BINDINGS], 'vpp-api-ts/*': [MODULE_BINDINGS] },
        },
        files: ['calls.ts'],
      }),
    );
    const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
    const run = spawnSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { encoding: 'utf8' });
    const output = run.stdout + run.stderr;
    expect(run.status).not.toBe(0);

    const found = new Map<number, string>();
    for (const m of output.matchAll(/calls\.ts\((\d+),\d+\): error TS\d+: (.*)/g)) {
      const line = Number(m[1]);
      found.set(line, (found.get(line) ?? '') + m[2]!);
    }
    const expected = expectedErrors(FIXTURE);
    // Every error is on a marked line (the correct calls compile) and every marked line has one.
    expect([...found.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
    for (const [line, name] of expected) expect(found.get(line)).toContain(name);
    expect(found.get([...expected].find(([, n]) => n === 'wrong_field')![0])).toContain('WireguardPeerIn');
  }, 60_000);
});
