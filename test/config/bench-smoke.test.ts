/** The config bench suite loads its generated document (quick), so a validation rule it breaks shows here, not only in `npm run bench`. */
import { suite } from '../../bench/suites/config';

test('bench suite config loads and validates its generated peers (JSON and YAML)', async () => {
  const lines: string[] = [];
  const figures = await suite.run({ force: false, quick: true, log: (l) => lines.push(l) });
  expect(figures.map((f) => f.name)).toEqual([
    'load and validate 1000 peers, JSON',
    'load and validate 1000 peers, YAML',
  ]);
  for (const f of figures) expect(f.median).toBeGreaterThan(0);
  expect(lines).toHaveLength(2);
});
