/**
 * `npm run bench [-- SUITE ...] [--json FILE] [--force] [--quick]`: runs the benchmark suites
 * (codec, client, sim, reconcile; all by default) and prints one table; with --json also writes
 * the figures to FILE. A real VPP is the target when VPP_API_SOCKET names its socket; otherwise
 * each suite starts the emulator itself.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { type BenchContext, type BenchSuite, type Figure, BenchPartial, BenchRefused } from './harness';

const SUITES = ['codec', 'client', 'sim', 'reconcile', 'config', 'daemon', 'fleet'] as const;

interface Args {
  suites: string[];
  json?: string;
  force: boolean;
  quick: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { suites: [], force: false, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') {
      const file = argv[++i];
      if (!file) throw new Error('--json needs a file name, e.g. --json bench-results.json');
      args.json = file;
    } else if (a === '--force') args.force = true;
    else if (a === '--quick') args.quick = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}; use SUITE..., --json FILE, --force, --quick`);
    else if ((SUITES as readonly string[]).includes(a)) args.suites.push(a);
    else throw new Error(`unknown suite "${a}"; choose from ${SUITES.join(', ')}`);
  }
  if (args.suites.length === 0) args.suites = [...SUITES];
  return args;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2);
}

function verdict(f: Figure): string {
  if (!f.target) return '';
  const onRatio = f.target.of === 'ratio';
  const got = onRatio ? f.ratio : f.median;
  if (got === undefined)
    return `MISS ${f.target.op} ${(100 * f.target.value).toFixed(0)}% of floor (no floor measured)`;
  const ok = f.target.op === '>=' ? got >= f.target.value : got <= f.target.value;
  const want = onRatio ? `${(100 * f.target.value).toFixed(0)}% of floor` : fmt(f.target.value);
  return `${ok ? 'ok  ' : 'MISS'} ${f.target.op} ${want}`;
}

export function formatTable(figures: Figure[]): string {
  const rows = [['suite', 'figure', 'median', 'min', 'max', 'unit', 'floor', 'ratio', 'target']];
  for (const f of figures) {
    rows.push([
      f.suite,
      f.name + (f.server ? ` [${f.server}]` : ''),
      fmt(f.median),
      fmt(f.min),
      fmt(f.max),
      f.unit,
      f.floor !== undefined ? fmt(f.floor) : '',
      // A rate is a fraction of its floor's rate; a time is a multiple of its floor's time.
      f.ratio === undefined ? '' : f.unit === 'ms' ? `${f.ratio.toFixed(2)}x` : `${(f.ratio * 100).toFixed(1)}%`,
      verdict(f),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c >= 2 && c <= 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  '))
    .join('\n');
}

async function loadSuite(name: string): Promise<BenchSuite> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(`./suites/${name}`) as { suite?: BenchSuite };
  if (!mod.suite) throw new Error(`bench/suites/${name} does not export a suite`);
  return mod.suite;
}

export async function runBench(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const ctx: BenchContext = {
    vppSocket: process.env.VPP_API_SOCKET || undefined,
    force: args.force,
    quick: args.quick,
    log: (line) => process.stderr.write(`  ${line}\n`),
  };
  const figures: Figure[] = [];
  const failures: string[] = [];
  for (const name of args.suites) {
    process.stderr.write(`suite ${name}...\n`);
    try {
      const suite = await loadSuite(name);
      figures.push(...(await suite.run(ctx)));
    } catch (err) {
      if (err instanceof BenchPartial) figures.push(...err.figures);
      failures.push(`${name}: ${(err as Error).message}`);
      const detail = err instanceof BenchRefused ? err.message : (err as Error).stack;
      process.stderr.write(`suite ${name} ${err instanceof BenchRefused ? 'refused' : 'failed'}: ${detail}\n`);
    }
  }
  const date = new Date().toISOString();
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
    node: process.version,
    loadAverage: loadavg(),
  };
  // The figures mean little without when and on what they were taken.
  process.stdout.write(
    `${date}  ${machine.cpus} × ${machine.cpuModel ?? 'unknown CPU'}, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, ` +
      `node ${machine.node}, load ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  process.stdout.write(formatTable(figures) + '\n');
  if (args.json) {
    const report = {
      date,
      machine,
      server: ctx.vppSocket ? `vpp ${ctx.vppSocket}` : 'emulator',
      figures,
      failures,
    };
    writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
    process.stderr.write(`figures written to ${args.json}\n`);
  }
  return failures.length ? 1 : 0;
}

if (require.main === module) {
  runBench(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`bench: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
