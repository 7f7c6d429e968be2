/**
 * Issue 14 through the built CLI, as an operator runs it: a generated key survives a VPP restart
 * (kept in the state directory), an uplink address the file forgets is refused unless opted in,
 * huge input fails fast, IPv6 endpoints print in brackets, names follow the rules, and static
 * routes the file drops are named and pruned on request.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type Sim } from '../../src/sim';
import { examplesDir, exampleUplinks, mutatingCalls } from '../reconcile/helpers';
import { runCli } from './helpers';

let sim: Sim;
let dir: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vppwg-field-'));
  sim = await startSim({ config: { uplinks: exampleUplinks() } });
});
// Each case runs the CLI as a process several times.
jest.setTimeout(120_000);
afterEach(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

const site = join(examplesDir, 'site-to-site.yaml');
const common = () => ['--socket', sim.socketPath, '--state-dir', join(dir, 'state')];

async function publicKeyOf(name: string): Promise<string> {
  const r = await runCli(['show', '--json', '--socket', sim.socketPath]);
  expect(r.code).toBe(0);
  const wg = (JSON.parse(r.out) as { wireguard: { owner: string | null; publicKey: string }[] }).wireguard;
  const found = wg.find((w) => w.owner === name);
  if (!found) throw new Error(`no interface ${name} in show`);
  return found.publicKey;
}

test('a generated key is kept (0600) and reused after VPP restarts; a new one is said loudly', async () => {
  expect((await runCli(['apply', site, ...common()])).code).toBe(0);
  const before = await publicKeyOf('wg-branches');
  const keyFile = join(dir, 'state', 'keys', 'wg-branches.key');
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  // VPP restarts empty (same socket).
  const socketPath = sim.socketPath;
  await sim.stop();
  sim = await startSim({ socketPath, config: { uplinks: exampleUplinks() } });
  expect((await runCli(['apply', site, ...common()])).code).toBe(0);
  expect(await publicKeyOf('wg-branches')).toBe(before);
  // The kept key file lost while VPP still has the interface: VPP's key is read back and kept again.
  rmSync(keyFile);
  expect((await runCli(['plan', site, ...common()])).code).toBe(0);
  // Renamed in the file: a new interface with a new key; the plan says so loudly.
  const renamed = join(dir, 'renamed.yaml');
  writeFileSync(renamed, readFileSync(site, 'utf8').replace('name: wg-branches', 'name: wg-sites'));
  const plan = await runCli(['plan', renamed, ...common()]);
  expect(plan.code).toBe(2);
  expect(plan.out).toMatch(/^! .*wg-sites.*public key/m);
  expect(existsSync(join(dir, 'state', 'keys', 'wg-sites.key'))).toBe(false); // a plan keeps nothing
});

test('an uplink address the file does not list is refused, naming it and the opt-in; nothing changes', async () => {
  const text = readFileSync(site, 'utf8').replace(
    /addresses: \[192\.0\.2\.1\/24, '?2001:db8:0:1::1\/64'?\]/,
    'addresses: [192.0.2.1/24]',
  );
  expect(text).not.toEqual(readFileSync(site, 'utf8'));
  const file = join(dir, 'v4only.yaml');
  writeFileSync(file, text);
  sim.resetCounters();
  const r = await runCli(['apply', file, ...common()]);
  expect(r.code).toBe(1);
  expect(r.err).toContain('2001:db8:0:1::1/64');
  expect(r.err).toContain('remove_unlisted_addresses: true');
  expect(mutatingCalls(sim)).toEqual({});
  // Opted in, the address goes.
  writeFileSync(
    file,
    text.replace('addresses: [192.0.2.1/24]', 'addresses: [192.0.2.1/24]\n    remove_unlisted_addresses: true'),
  );
  expect((await runCli(['apply', file, ...common()])).code).toBe(0);
});

test('a 10 MB junk file fails within seconds naming the limit', async () => {
  const file = join(dir, 'junk.yaml');
  writeFileSync(file, `junk: [${Array(5_000_000).fill('1').join(',')}]\n`);
  const t = Date.now();
  const r = await runCli(['validate', file]);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/values, the most vppwg reads/);
  expect(Date.now() - t).toBeLessThan(15_000);
});

test('IPv6 endpoints are written [address]:port in the plan', async () => {
  const r = await runCli(['plan', join(examplesDir, 'site-to-site-ipv6-underlay.yaml'), ...common()]);
  expect(r.code).toBe(2);
  expect(r.out).toMatch(/\[2001:db8:[0-9a-f:]+\]:\d+/);
  expect(r.out).not.toMatch(/[0-9a-f]::?[0-9a-f]+:\d{4,5}\b(?!\])/);
});

test('a peer name breaking the name rules is refused, its echo cut short; JSON with a trailing comma is said to be JSON', async () => {
  const text = readFileSync(site, 'utf8').replace('- name: branch-b', `- name: "p 2!/ü${'x'.repeat(5000)}"`);
  const file = join(dir, 'names.yaml');
  writeFileSync(file, text);
  const r = await runCli(['validate', file]);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/peer name/i);
  expect(r.err.length).toBeLessThan(2000);
  const json = join(dir, 'trailing.json');
  writeFileSync(json, '{ "version": 1, }\n');
  const j = await runCli(['validate', json]);
  expect(j.code).toBe(1);
  expect(j.err).toMatch(/JSON/);
});

test('a static route the file drops is named by plan and removed with --prune-routes', async () => {
  expect((await runCli(['apply', site, ...common()])).code).toBe(0);
  const text = readFileSync(site, 'utf8');
  const dropped = text.replace(/^\s*- \{ prefix: 0\.0\.0\.0\/0.*\n/m, '');
  expect(dropped).not.toEqual(text);
  const file = join(dir, 'dropped.yaml');
  writeFileSync(file, dropped);
  const plan = await runCli(['plan', file, ...common()]);
  expect(plan.out).toMatch(/0\.0\.0\.0\/0.*stays in VPP.*--prune-routes/);
  const pruned = await runCli(['apply', file, '--prune-routes', ...common()]);
  expect(pruned.code).toBe(0);
  expect(pruned.out).toMatch(/- .*0\.0\.0\.0\/0/);
  expect((await runCli(['plan', file, ...common()])).out).not.toMatch(/stays in VPP/);
});
