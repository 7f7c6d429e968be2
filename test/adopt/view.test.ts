/** Adoption as the planner sees it: a VPP made by hand, its export, and what still differs. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runExport } from '../../src/cli/commands/adopt';
import { adoptionView } from '../../src/adopt/view';
import { observe, planChanges } from '../../src/reconcile';
import { loadText, startRig, type Rig } from '../reconcile/helpers';
import { buildByHand } from './vpp-by-hand';

let rig: Rig;
let exported: Record<string, unknown> & { wireguard: Record<string, unknown>[] };
beforeEach(async () => {
  rig = await startRig();
  await buildByHand(rig.client);
  const out: string[] = [];
  const keysDir = join(mkdtempSync(join(tmpdir(), 'vppwg-adopt-')), 'keys');
  expect(await runExport({ socket: rig.sim.socketPath, keysDir }, { out: (t) => out.push(t), err: () => {} })).toBe(0);
  exported = parse(out.join('\n'));
});
afterEach(() => rig.close());

async function planFor(doc: unknown) {
  const desired = loadText(stringify(doc));
  const actual = await observe(rig.client);
  const view = adoptionView(desired, actual);
  return { view, plan: planChanges(desired, view.actual) };
}

test('the export of a VPP made by hand is adoptable as it is: only tags, nothing else differs', async () => {
  const { view, plan } = await planFor(exported);
  expect(view.adoptions.map((a) => [a.owner, a.vppName])).toEqual([
    ['wg0', 'wg0'],
    ['wg1', 'wg1'],
  ]);
  expect(plan.operations.map((o) => `${o.action} ${o.kind} ${o.key}: ${o.reason}`)).toEqual([]);
});

test('a peer in VPP that the file lacks, another port, another allowed IP: each shows as a difference', async () => {
  const wg0 = exported.wireguard[0] as { peers: { allowed_ips: string[] }[]; listen_port: number };
  const wg1 = exported.wireguard[1] as { listen_port: number };
  wg0.peers.pop();
  wg0.peers[0]!.allowed_ips = ['10.9.0.2/32', '10.21.0.0/16'];
  wg1.listen_port = 51999;
  const doc = { ...exported } as Record<string, unknown>;
  // The route through the changed allowed IP must follow it for the file to stay valid.
  (wg0.peers[0] as { routes?: unknown }).routes = [{ prefix: '10.21.0.0/16', via: '10.9.0.2' }];
  const { plan } = await planFor(doc);
  const lines = plan.operations.map((o) => `${o.action} ${o.kind} ${o.key}: ${o.reason}`);
  expect(lines.some((l) => /delete peer .*not in the file/.test(l))).toBe(true);
  expect(lines.some((l) => /allowed IPs/.test(l))).toBe(true);
  expect(lines.some((l) => /wg1.*(port|51999)|(port|51999).*wg1/.test(l))).toBe(true);
});
