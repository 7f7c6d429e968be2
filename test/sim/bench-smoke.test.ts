/** The sim bench suite runs (quick) and reports both figures; speed itself is for `npm run bench`. */
import { suite } from '../../bench/suites/sim';

test('bench suite sim runs in quick mode and reports ping and route-add rates', async () => {
  const figures = await suite.run({ force: false, quick: true, log: () => undefined });
  expect(figures.map((f) => [f.suite, f.unit, f.target?.value])).toEqual([
    ['sim', 'ops/s', 150_000],
    ['sim', 'ops/s', 100_000],
  ]);
  for (const f of figures) expect(f.median).toBeGreaterThan(0);
});
