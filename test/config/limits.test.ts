/**
 * Large or hostile input fails fast with bounded memory and a message naming the limit; a real
 * large file stays well inside the limits; findings are capped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDesiredState } from '../../src/config';
import { MAX_FINDINGS, MAX_VALUES, MAX_YAML_LINE, countValues } from '../../src/config/limits';
import { projectRoot } from '../../src/util/paths';

const tmp = mkdtempSync(join(tmpdir(), 'vppwg-limits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `vppwg validate FILE` in a child process: its output, wall time and peak heap. */
function validateInChild(file: string): { out: string; ms: number; heapMB: number } {
  const script = `
    const { loadDesiredState, formatDiagnostic } = require(${JSON.stringify(join(projectRoot(), 'dist/src/config/index.js'))});
    let peak = 0;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 5);
    const t = Date.now();
    const r = loadDesiredState(process.argv[1], { env: {} });
    const ms = Date.now() - t;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    process.stdout.write(JSON.stringify({ out: r.diagnostics.map(formatDiagnostic).join('\\n'), ms, heapMB: peak / 1e6, state: !!r.state }));
  `;
  const raw = execFileSync(process.execPath, ['-e', script, file], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(raw) as { out: string; ms: number; heapMB: number };
}

const junk = (items: number) => `junk: [${Array(items).fill('1').join(',')}]\n`;

test('a 10 MB junk file fails within seconds, in bounded memory, naming the value limit', () => {
  const file = join(tmp, 'junk10.yaml');
  writeFileSync(file, junk(5_000_000));
  const r = validateInChild(file);
  expect(r.out).toMatch(/more than 4,000,000 values, the most vppwg reads/);
  expect(r.ms).toBeLessThan(5000);
  // The text itself is 10 MB (20 MB as UTF-16); no parse tree was built.
  expect(r.heapMB).toBeLessThan(200);
});

test('the same junk as JSON fails on the value limit too', () => {
  const file = join(tmp, 'junk10.json');
  writeFileSync(file, `{"junk": [${Array(5_000_000).fill('1').join(',')}]}`);
  const r = validateInChild(file);
  expect(r.out).toMatch(/more than 4,000,000 values/);
  expect(r.ms).toBeLessThan(5000);
  expect(r.heapMB).toBeLessThan(400);
});

test('a 1 MB junk file fails fast on the YAML line limit, and as JSON on the unknown key', () => {
  const yamlFile = join(tmp, 'junk1.yaml');
  writeFileSync(yamlFile, junk(500_000));
  const y = validateInChild(yamlFile);
  expect(y.out).toMatch(
    /junk1\.yaml:1:1: error: this YAML line is 1,000,007 characters long, over the limit of 65,536/,
  );
  expect(y.ms).toBeLessThan(2000);
  expect(y.heapMB).toBeLessThan(100);

  const jsonFile = join(tmp, 'junk1.json');
  writeFileSync(jsonFile, `{"junk": [${Array(500_000).fill('1').join(',')}]}`);
  const j = validateInChild(jsonFile);
  expect(j.out).toMatch(/junk1\.json:1:2: error: unknown key "junk" in the document/);
  expect(j.ms).toBeLessThan(3000);
  expect(j.heapMB).toBeLessThan(300);
});

test('the value count sees values, not keys, in YAML and JSON alike', () => {
  // 1, the list, x, "y, z", the mapping, d.
  expect(countValues('a: 1\nb: [x, "y, z", {c: d}]\n# e: f\n').count).toBe(6);
  // The same, and the top-level mapping, which JSON writes as a flow collection.
  expect(countValues('{"a": 1, "b": ["x", "y, z", {"c": "d"}]}').count).toBe(7);
  expect(countValues('- 2001:db8::1/64\n- key: value # c\n').count).toBe(2);
});

test('a 50,000-peer file is far inside the value and line limits', () => {
  const peers = Array.from({ length: 50_000 }, (_, i) => ({
    name: `branch-office-${i}`,
    public_key: 'g3Wu5HUYCVOs7VVfyUC8vC9/Jl94Pmr/Wc2SSHUsMXA=',
    preshared_key: { file: `/etc/vppwg/psk/branch-office-${i}.psk` },
    endpoint: { address: `198.51.${(i >> 8) & 255}.${i & 255}`, port: 51820 },
    allowed_ips: [`100.64.${(i >> 8) & 255}.${i & 255}/32`, `172.16.0.${i & 255}/32`, `fd00::${i.toString(16)}/128`],
    persistent_keepalive: 25,
    tunnel_next_hops: [`100.64.${(i >> 8) & 255}.${i & 255}`],
    routes: [{ prefix: `172.16.0.${i & 255}/32` }],
  }));
  const text = JSON.stringify({ wireguard: [{ name: 'wg0', peers }] }, null, 2);
  expect(countValues(text).count * 4).toBeLessThan(MAX_VALUES + 1);
  const longest = text.split('\n').reduce((m, l) => Math.max(m, l.length), 0);
  expect(longest * 100).toBeLessThan(MAX_YAML_LINE);
});

test(`findings stop at ${MAX_FINDINGS}, with a closing line counting the rest`, () => {
  const routes = Array.from(
    { length: 150 },
    (_, i) => `  - { prefix: 10.0.${i}.1/24, via: 192.0.2.254, interface: x }`,
  );
  const { state, diagnostics } = parseDesiredState(['routes:', ...routes].join('\n'), 'many.yaml', { env: {} });
  expect(state).toBeUndefined();
  expect(diagnostics).toHaveLength(MAX_FINDINGS + 1);
  const last = diagnostics[MAX_FINDINGS]!;
  expect(last.severity).toBe('error');
  // 150 routes, each with a bad prefix and an unknown interface: 300 findings.
  expect(last.message).toBe(
    `… and 200 more findings (200 errors) not shown: only the first ${MAX_FINDINGS} are reported; fix these and validate again`,
  );
});
