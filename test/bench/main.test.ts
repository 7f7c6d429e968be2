/** The bench runner: argument errors name the fix, the table shows floors and verdicts, --json holds the figures. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Figure } from '../../bench/harness';
import { formatTable, runBench } from '../../bench/main';

test('unknown suites and options are refused with the choices', async () => {
  await expect(runBench(['nosuch'])).rejects.toThrow(
    /unknown suite "nosuch"; choose from codec, client, sim, reconcile/,
  );
  await expect(runBench(['--fast'])).rejects.toThrow(/unknown option --fast/);
  await expect(runBench(['--json'])).rejects.toThrow(/--json needs a file name/);
});

test('the table prints a rate as a fraction of its floor, a time as a multiple, and the verdict against the target', () => {
  const figures: Figure[] = [
    {
      suite: 'client',
      name: 'pipelined',
      unit: 'ops/s',
      median: 90_000,
      min: 80_000,
      max: 95_000,
      runs: 5,
      floor: 100_000,
      ratio: 0.9,
      target: { op: '>=', value: 95_000 },
    },
    {
      suite: 'reconcile',
      name: 'no-op',
      unit: 'ms',
      median: 300,
      min: 290,
      max: 350,
      runs: 5,
      floor: 120,
      ratio: 2.5,
      target: { op: '<=', value: 500 },
      server: 'emulator',
    },
    // Judged on the printed run-by-run ratio, not on median / floor (here 0.85, a MISS).
    {
      suite: 'client',
      name: 'batched',
      unit: 'ops/s',
      median: 85_000,
      min: 80_000,
      max: 99_000,
      runs: 5,
      floor: 100_000,
      ratio: 0.93,
      target: { op: '>=', value: 0.9, of: 'ratio' },
    },
    {
      suite: 'client',
      name: 'slow',
      unit: 'ops/s',
      median: 95_000,
      min: 80_000,
      max: 99_000,
      runs: 5,
      floor: 100_000,
      ratio: 0.89,
      target: { op: '>=', value: 0.9, of: 'ratio' },
    },
  ];
  const lines = formatTable(figures).split('\n');
  expect(lines).toHaveLength(5);
  expect(lines[1]).toMatch(/pipelined .*90,000 .*80,000 .*95,000 .*100,000 +90\.0% +MISS >= 95,000/);
  expect(lines[2]).toMatch(/no-op \[emulator\] .*300 .*2\.50x +ok +<= 500/);
  expect(lines[3]).toMatch(/batched .*93\.0% +ok +>= 90% of floor/);
  expect(lines[4]).toMatch(/slow .*89\.0% +MISS >= 90% of floor/);
});

test('--json writes the date, the machine and every figure printed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vppwg-bench-json-'));
  const out = process.stdout.write;
  const err = process.stderr.write;
  let printed = '';
  process.stdout.write = ((s: string) => ((printed += s), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    const file = join(dir, 'bench.json');
    expect(await runBench(['codec', '--quick', '--json', file])).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8')) as {
      date: string;
      machine: { cpus: number; loadAverage: number[] };
      figures: Figure[];
      failures: string[];
    };
    expect(Number.isNaN(Date.parse(report.date))).toBe(false);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.loadAverage).toHaveLength(3);
    expect(report.failures).toEqual([]);
    expect(report.figures.map((f) => f.name)).toEqual([
      'encode wireguard_peer_add (2 allowed IPs)',
      'decode wireguard_peer_add (2 allowed IPs)',
      'encode ip_route_add_del (1 path)',
      'decode ip_route_add_del (1 path)',
    ]);
    for (const f of report.figures) {
      expect(f.min).toBeLessThanOrEqual(f.median);
      expect(f.median).toBeLessThanOrEqual(f.max);
      expect(printed).toContain(f.name);
    }
    expect(printed.split('\n')[0]).toContain(report.date);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    rmSync(dir, { recursive: true, force: true });
  }
});
