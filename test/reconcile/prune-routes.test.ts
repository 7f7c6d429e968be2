/**
 * Static routes the file drops stay in VPP (VPP cannot say who made a route); with a state
 * directory vppwg remembers the ones it applied, names those still in VPP in the plan, and removes
 * them with --prune-routes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconcile } from '../../src/reconcile';
import { routeKey } from '../../src/reconcile/actual';
import { StateDir } from '../../src/state';
import { loadText, startRig, type Rig } from './helpers';

function file(routes: string[]): string {
  return `
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }
routes:
${routes.map((p) => `  - { prefix: ${p}, via: 192.0.2.254, interface: host-eth0 }`).join('\n')}
wireguard: []
`;
}
const BOTH = file(['0.0.0.0/0', '203.0.113.0/24']);
const ONE = file(['0.0.0.0/0']);
const NOTE =
  'table 0 203.0.113.0/24 via 192.0.2.254 host-eth0: applied by vppwg, no longer in the file, stays in VPP: remove with --prune-routes';

describe('routes the file dropped', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  const hasRoute = (r: Awaited<ReturnType<typeof reconcile>>): boolean =>
    r.actual!.routes.has(routeKey(0, '203.0.113.0/24'));

  test('are named while VPP has them, and pruned on request', async () => {
    const dir = new StateDir(join(mkdtempSync(join(tmpdir(), 'vppwg-routes-')), 'state'));
    expect((await reconcile(rig.client, loadText(BOTH), { stateDir: dir })).ok).toBe(true);
    const plan = await reconcile(rig.client, loadText(ONE), { stateDir: dir, dryRun: true });
    expect(plan.plan.isEmpty).toBe(true);
    expect(plan.plan.notes).toContain(NOTE);
    // Applied without pruning: the route stays, and so does the note.
    const kept = await reconcile(rig.client, loadText(ONE), { stateDir: dir });
    expect(kept.ok).toBe(true);
    expect(hasRoute(kept)).toBe(true);
    expect((await reconcile(rig.client, loadText(ONE), { stateDir: dir, dryRun: true })).plan.notes).toContain(NOTE);
    const pruned = await reconcile(rig.client, loadText(ONE), { stateDir: dir, pruneRoutes: true });
    expect(pruned.ok).toBe(true);
    expect(pruned.plan.operations.map((o) => o.id)).toEqual(['-route:table 0 203.0.113.0/24']);
    expect(hasRoute(pruned)).toBe(false);
    const after = await reconcile(rig.client, loadText(ONE), { stateDir: dir, dryRun: true });
    expect(after.plan.notes).toEqual([]);
    expect(after.actual!.routes.has(routeKey(0, '0.0.0.0/0'))).toBe(true);
  });

  test('without a record there is no note', async () => {
    expect((await reconcile(rig.client, loadText(BOTH))).ok).toBe(true);
    const r = await reconcile(rig.client, loadText(ONE), { pruneRoutes: true });
    expect(r.plan.notes).toEqual([]);
    expect(r.plan.isEmpty).toBe(true);
  });
});
