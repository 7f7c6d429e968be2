/** The client bench suite runs (quick) and reports its figures (per call and callMany) with their floors; speed itself is for `npm run bench`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../../bench/suites/client';
import { projectRoot } from '../../src/util/paths';

test('bench suite client runs in quick mode and reports serial and pipelined rates against a raw floor', async () => {
  const lines: string[] = [];
  const figures = await suite.run({ force: false, quick: true, log: (l) => lines.push(l) });
  // The per-call arm with a bigger young generation runs in a child Node started from the compiled bench.
  const compiled = existsSync(join(projectRoot(), 'dist', 'bench', 'suites', 'client.js'));
  expect(figures.map((f) => [f.suite, f.unit, f.server])).toEqual([
    ['client', 'ops/s', 'emulator'],
    ['client', 'ops/s', 'emulator'],
    ['client', 'µs', 'emulator'],
    ['client', 'ops/s', 'emulator'],
    ['client', 'µs', 'emulator'],
    ['client', 'µs', 'in-process'],
    ['client', 'ops/s', 'emulator'],
    ['client', 'ops/s', 'emulator'],
    ...(compiled ? [['client', 'ops/s', 'emulator']] : []),
  ]);
  if (compiled) {
    const tuned = figures[8]!;
    expect(tuned.name).toMatch(/^pipelined ip_route_add_del adds .*, node --max-semi-space-size=64$/);
    expect(tuned.floor).toBeGreaterThan(0);
    expect(tuned.ratio).toBeGreaterThan(0);
    expect(tuned.target).toEqual({ op: '>=', value: 0.9, of: 'ratio' });
  } else {
    expect(lines.some((l) => /--max-semi-space-size=64 skipped: no compiled bench/.test(l))).toBe(true);
  }
  expect(figures[3]!.name).toMatch(/^callMany ip_route_add_del adds/);
  expect(figures[3]!.ratio).toBeGreaterThan(0);
  // Rates and CPU times against the emulator come with their raw floor; the promise cost and the
  // capacities (derived from the CPU figures) have none.
  for (const f of figures) expect(f.median).toBeGreaterThan(0);
  for (const f of figures.slice(0, 5)) expect(f.floor).toBeGreaterThan(0);
  expect(figures[5]!.name).toMatch(/promise/);
  // Capacity is the per-call CPU figure turned into a rate (1 / µs per add).
  expect(figures[6]!.median).toBeCloseTo(1e6 / figures[2]!.median, -3);
  expect(figures[0]!.ratio).toBeGreaterThan(0);
  expect(figures[1]!.ratio).toBeGreaterThan(0);
  expect(lines.some((l) => /CPU per route add/.test(l))).toBe(true);
});
