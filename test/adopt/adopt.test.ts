/**
 * Issue 21 end to end on the emulator: a VPP set up by hand → `export` → `validate` → `plan` shows
 * only `= adopt` → `adopt` sends nothing but tags → `plan` is empty → a change to the file applies
 * as usual. And each kind of mismatch is named, with nothing adopted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runAdopt, runExport } from '../../src/cli/commands/adopt';
import { runApply, runPlan, runValidate } from '../../src/cli/commands/state';
import { encodeKey, publicKeyOf } from '../../src/config/keys';
import { mutatingCalls, startRig, type Rig } from '../reconcile/helpers';
import { buildByHand } from './vpp-by-hand';

let rig: Rig;
let dir: string;
let exported: { wireguard: { listen_port: number; peers: Record<string, unknown>[] }[] } & Record<string, unknown>;

function capture(): { io: { out(t: string): void; err(t: string): void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, out, err };
}

function writeFile(doc: unknown): string {
  const file = join(dir, `desired-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}

beforeEach(async () => {
  rig = await startRig();
  await buildByHand(rig.client);
  dir = mkdtempSync(join(tmpdir(), 'vppwg-adopt-'));
  const c = capture();
  expect(await runExport({ socket: rig.sim.socketPath, keysDir: join(dir, 'keys') }, c.io)).toBe(0);
  exported = parse(c.out.join('\n'));
});
afterEach(() => rig.close());

const opts = () => ({ socket: rig.sim.socketPath, stateDir: join(dir, 'state'), env: {} });

test('export → validate → plan shows only adoption → adopt tags and nothing else → plan is empty → changes apply', async () => {
  const file = writeFile(exported);
  expect(await runValidate(file, { env: {} }, capture().io)).toBe(0);

  const planned = capture();
  expect(await runPlan(file, opts(), planned.io)).toBe(2);
  const lines = planned.out
    .join('\n')
    .split('\n')
    .filter((l) => /^ {2}[-+~=] /.test(l));
  expect(lines).toEqual([
    expect.stringMatching(/^ {2}= interface wg0 \(wg0\): made outside vppwg/),
    expect.stringMatching(/^ {2}= interface wg1 \(wg1\): made outside vppwg/),
  ]);
  expect(planned.out.join('\n')).toContain('0 to create, 0 to change, 0 to delete, 2 to adopt');

  // A plain apply does not take someone else's interfaces.
  const refused = capture();
  rig.sim.resetCounters();
  expect(await runApply(file, opts(), refused.io)).toBe(1);
  expect(refused.err.join('\n')).toMatch(
    /made outside vppwg: "wg0" \(VPP's wg0\), "wg1" \(VPP's wg1\).*vppwg adopt FILE/s,
  );
  expect(mutatingCalls(rig.sim)).toEqual({});

  rig.sim.resetCounters();
  const adopted = capture();
  expect(await runAdopt(file, opts(), adopted.io)).toBe(0);
  // Adoption sends tags only: no peer removed or re-added, no address or route deleted.
  expect(mutatingCalls(rig.sim)).toEqual({ sw_interface_tag_add_del: 2 });

  const again = capture();
  expect(await runPlan(file, opts(), again.io)).toBe(0);
  expect(again.out.join('\n')).toContain('No changes');

  // From now on the file drives it as usual: a new peer is added, only it.
  const changed = structuredClone(exported);
  changed.wireguard[0]!.peers.push({
    name: 'new-branch',
    public_key: encodeKey(publicKeyOf(new Uint8Array(32).fill(21))),
    endpoint: { address: '198.51.100.9', port: 51820 },
    allowed_ips: ['10.9.0.9/32'],
  });
  rig.sim.resetCounters();
  expect(await runApply(writeFile(changed), opts(), capture().io)).toBe(0);
  expect(mutatingCalls(rig.sim)).toEqual({ wireguard_peer_add: 1 });
});

test.each([
  [
    'a peer VPP has that the file lacks',
    (d: typeof exported) => d.wireguard[0]!.peers.pop(),
    /- peer .*not in the file/,
  ],
  ['another listen port', (d: typeof exported) => (d.wireguard[1]!.listen_port = 51999), /wg1.*(51821 → 51999|port)/],
  [
    'another allowed IP',
    (d: typeof exported) => {
      const p = d.wireguard[0]!.peers[0]!;
      p.allowed_ips = ['10.9.0.2/32', '10.21.0.0/16'];
      p.routes = [{ prefix: '10.21.0.0/16', via: '10.9.0.2' }];
    },
    /allowed IPs .*10\.20\.0\.0\/16.*→.*10\.21\.0\.0\/16/,
  ],
])('%s: named, and nothing adopted', async (_what, change, named) => {
  const doc = structuredClone(exported);
  change(doc);
  const file = writeFile(doc);
  rig.sim.resetCounters();
  const c = capture();
  expect(await runAdopt(file, opts(), c.io)).toBe(1);
  const text = c.err.join('\n');
  expect(text).toMatch(/Nothing adopted: VPP differs from/);
  expect(text).toMatch(named);
  expect(mutatingCalls(rig.sim)).toEqual({});
  // --apply adopts what matches, then applies the rest.
  expect(await runAdopt(file, { ...opts(), apply: true, autoApprove: true }, capture().io)).toBe(0);
  const after = capture();
  expect(await runPlan(file, opts(), after.io)).toBe(0);
});
