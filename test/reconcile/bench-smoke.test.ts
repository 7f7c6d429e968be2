/** The reconcile bench suite runs (quick) and reports its figures; speed itself is for `npm run bench`. */
import { suite } from '../../bench/suites/reconcile';

test('bench suite reconcile runs in quick mode and reports cold, no-op and one-change figures', async () => {
  const lines: string[] = [];
  const figures = await suite.run({ force: false, quick: true, log: (l) => lines.push(l) });
  const names = figures.map((f) => f.name);
  expect(names.slice(0, 6)).toEqual([
    'cold apply, 50 peers (1 route + 1 next hop each)',
    'cold apply, 300 peers (1 route + 1 next hop each)',
    'no-op apply, 300 peers',
    'one changed peer among 300 (observing everything first)',
    "one changed peer among 300 (from the previous run's state)",
    'no-op apply, 100 peers, VPP holding 2000 other routes via its uplink',
  ]);
  for (const f of figures) {
    expect(f.median).toBeGreaterThan(0);
    expect(f.target).toBeUndefined();
  }
  // The floors (the same calls and dumps without the reconciler) are measured in the same run.
  expect(figures[1]!.floor).toBeGreaterThan(0);
  expect(figures[2]!.floor).toBeGreaterThan(0);
  expect(figures[5]!.floor).toBeGreaterThan(0);
}, 120_000);
