/**
 * `vppwg render bird|frr FILE` through the built CLI: for every example that declares bgp, the
 * output is accepted by the real daemons' own checkers (Debian bird2: `bird -p -c`; frr:
 * `vtysh --dryrun -f`), skipped by name where the daemon is not installed; the sessions, sources
 * and filters follow the file; a file without what render needs is refused, saying what to add.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/paths';
import { runCli } from '../cli/helpers';

const deploy = join(projectRoot(), 'deploy');
const examples = ['bgp', 'examples'].flatMap((dir) =>
  readdirSync(join(deploy, dir))
    .filter((f) => f.endsWith('.yaml') && /^bgp:/m.test(readFileSync(join(deploy, dir, f), 'utf8')))
    .map((f) => join('deploy', dir, f)),
);
const tmp = mkdtempSync(join(tmpdir(), 'vppwg-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function installed(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
const CHECKERS = {
  bird: { cmd: 'bird', args: (f: string) => ['-p', '-c', f] },
  frr: { cmd: 'vtysh', args: (f: string) => ['--dryrun', '-f', f] },
} as const;

async function render(daemon: string, file: string): Promise<string> {
  // Relative, as a user would type it (and as the files in deploy/bgp name it); jest runs in the project root.
  const r = await runCli(['render', daemon, file]);
  if (r.code !== 0) throw new Error(`render ${daemon} ${file} failed: ${r.err}`);
  return r.out;
}

function check(daemon: keyof typeof CHECKERS, text: string, name: string): { status: number | null; output: string } {
  const file = join(tmp, name);
  writeFileSync(file, text);
  const c = CHECKERS[daemon];
  const r = spawnSync(c.cmd, c.args(file), { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('there is at least one example with bgp', () => {
  expect(examples).toContain(join('deploy', 'bgp', 'vppwg.yaml'));
});

describe.each(Object.keys(CHECKERS) as (keyof typeof CHECKERS)[])('vppwg render %s', (daemon) => {
  const have = installed(CHECKERS[daemon].cmd);
  const accepted = have ? test.each(examples) : test.skip.each(examples);
  accepted(`%s is accepted by ${CHECKERS[daemon].cmd}${have ? '' : ' (skipped: not installed here)'}`, async (file) => {
    const text = await render(daemon, file);
    const r = check(daemon, text, `${daemon}-${file.replace(/\W/g, '_')}.conf`);
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: expect.any(String) });
  });

  (have ? test : test.skip)(
    `${CHECKERS[daemon].cmd} would refuse a broken rendering (the check can fail)`,
    async () => {
      const text = await render(daemon, examples[0]!);
      const broken = text.replace(/neighbor (\S+) (as|remote-as) \d+/, 'neighbor $1 $2 bogus');
      expect(check(daemon, broken, `${daemon}-broken.conf`).status).not.toBe(0);
    },
  );
});

describe('deploy/bgp', () => {
  test.each([
    ['bird', 'bird.conf'],
    ['frr', 'frr.conf'],
  ] as const)('%s: the full example ends with the current rendering of vppwg.yaml', async (daemon, name) => {
    const full = readFileSync(join(deploy, 'bgp', name), 'utf8');
    expect(full.endsWith(await render(daemon, join('deploy', 'bgp', 'vppwg.yaml')))).toBe(true);
    if (installed(CHECKERS[daemon].cmd)) expect(check(daemon, full, `full-${name}`).status).toBe(0);
  });

  test('startup.conf loads linux_cp, linux_nl and tap and sets the default netns', () => {
    const text = readFileSync(join(deploy, 'bgp', 'startup.conf'), 'utf8');
    for (const plugin of ['linux_cp_plugin.so', 'linux_nl_plugin.so', 'tap_plugin.so', 'wireguard_plugin.so'])
      expect(text).toMatch(new RegExp(`plugin ${plugin.replace('.', '\\.')} \\{ enable \\}`));
    expect(text).toMatch(/linux-cp \{[^}]*default netns dataplane/);
  });
});

describe('what the rendering says', () => {
  test('BIRD: one session per tunnel next hop, from the interface address, on its host interface, with explicit filters', async () => {
    const text = await render('bird', join('deploy', 'bgp', 'vppwg.yaml'));
    expect(text).toMatch(/router id 192\.0\.2\.1;/);
    expect(text.match(/^protocol bgp /gm)).toHaveLength(4);
    expect(text).toMatch(
      /protocol bgp to_dc1_dc1_router_v4 \{\n {2}description "to-dc1\/dc1-router";\n {2}local 169\.254\.10\.0 as 65000;\n {2}neighbor 169\.254\.10\.1 as 65010;\n {2}interface "wg-dc1";\n {2}ipv4 \{\n {4}import filter vppwg_import4;\n {4}export filter vppwg_export;/,
    );
    expect(text).toMatch(/neighbor fd00:20::1 as 65020;/);
    // The tunnels' endpoints stay vppwg's.
    // The tunnels' subnets, their endpoints and the neighbours' tunnel addresses are vppwg's.
    expect(text).toMatch(
      /if net ~ \[ 169\.254\.10\.0\/31, 198\.51\.100\.10\/32, 169\.254\.10\.1\/32, 169\.254\.20\.0\/31, 198\.51\.100\.20\/32/,
    );
    expect(text).toMatch(/if net ~ \[ fd00:10::\/127, fd00:10::1\/128, fd00:20::\/127, fd00:20::1\/128 \]/);
    // linux-nl sees only what BIRD exports to the kernel.
    expect(text).toMatch(/protocol kernel kernel4 \{\n {2}ipv4 \{ import none; export all; \};/);
  });

  test('FRR: neighbours with their source, route-maps in and out, per family', async () => {
    const text = await render('frr', join('deploy', 'bgp', 'vppwg.yaml'));
    expect(text).toMatch(/router bgp 65000\n bgp router-id 192\.0\.2\.1\n bgp ebgp-requires-policy/);
    expect(text).toMatch(/ neighbor 169\.254\.20\.1 update-source 169\.254\.20\.0/);
    expect(text).toMatch(
      / address-family ipv6 unicast\n {2}neighbor fd00:10::1 activate\n {2}neighbor fd00:10::1 route-map VPPWG-IMPORT6 in/,
    );
    expect(text).toMatch(/ip prefix-list VPPWG-IMPORT4 seq 5 deny 169\.254\.10\.0\/31/);
    expect(text).toMatch(/ip prefix-list VPPWG-IMPORT4 seq 10 deny 198\.51\.100\.10\/32/);
  });

  test('a file without bgp is refused, saying what to add', async () => {
    const r = await runCli(['render', 'bird', join(deploy, 'examples', 'site-to-site.yaml')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/has no top-level bgp: add "bgp: \{local_as: AS, router_id: IPv4\}"/);
  });

  test('an unknown daemon and an invalid file are refused', async () => {
    const unknown = await runCli(['render', 'quagga', join(deploy, 'bgp', 'vppwg.yaml')]);
    expect(unknown).toEqual({
      code: 1,
      out: '',
      err: expect.stringMatching(/unknown routing daemon "quagga": use one of bird, frr/),
    });
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'bgp: { local_as: 65000, router_id: "::1" }\n');
    const r = await runCli(['render', 'frr', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.yaml:1:.*router_id "::1" is not an IPv4 address/);
  });
});
