/**
 * `npm run bench:plot -- FIGURES.json [MORE.json ...] OUT.svg`: draws the reconcile suite's scale
 * curve from the JSON `npm run bench -- reconcile --json FIGURES.json` wrote (several files: their
 * points together, a later file's point replacing an earlier one of the same size; the largest
 * sizes take long enough on a real VPP to be run alone, VPPWG_BENCH_CURVE_ONLY=1): time against
 * peers (log-log: VPP's own cost grows with the square of the peers on one interface) and the
 * reconciling process's peak RSS. Plain SVG, no dependencies: it is a handful of lines and axes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Figure } from './harness';

interface Point {
  peers: number;
  coldMs: number;
  floorMs: number;
  floorOrder: string;
  phasesMs: number;
  cpuMs: number;
  noopMs: number;
  rssMb: number;
}

interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  values: [number, number][];
}

const W = 760;
const H = 330;
const M = { left: 64, right: 190, top: 34, bottom: 44 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** Decades (and 2, 5 between them) covering [lo, hi], for log axes. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  return out;
}

function label(v: number, unit: string): string {
  if (unit === 'ms') return v >= 1000 ? `${v / 1000} s` : `${v} ms`;
  return v >= 1000 ? `${v / 1000}k` : String(v);
}

/** One panel: log x (peers); log y (ms) or linear y (MB). */
function panel(title: string, series: Series[], yUnit: 'ms' | 'MB', xs: number[], limit?: number): string {
  const all = series.flatMap((s) => s.values.map((v) => v[1])).concat(limit ?? []);
  const logY = yUnit === 'ms';
  const yLo = logY ? 10 ** Math.floor(Math.log10(Math.min(...all))) : 0;
  const yHi = logY ? 10 ** Math.ceil(Math.log10(Math.max(...all))) : Math.ceil(Math.max(...all) / 100) * 100;
  const xLo = Math.min(...xs);
  const xHi = Math.max(...xs);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number): number =>
    M.left + ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * pw;
  const y = (v: number): number =>
    logY
      ? M.top + ph - ((Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph
      : M.top + ph - ((v - yLo) / (yHi - yLo)) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${M.left}" y="20" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  const yTicks = logY ? logTicks(yLo, yHi) : Array.from({ length: 6 }, (_, i) => yLo + ((yHi - yLo) * i) / 5);
  for (const t of yTicks) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end">${label(t, yUnit)}</text>`);
  }
  for (const t of xs) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${x(t)}" y="${M.top + ph + 16}" text-anchor="middle">${label(t, 'peers')}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">peers on one interface</text>`);
  if (limit !== undefined) {
    parts.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${y(limit)}" y2="${y(limit)}" stroke="#c00" stroke-dasharray="2 3"/>`,
    );
    parts.push(`<text x="${M.left + 4}" y="${y(limit) - 4}" fill="#c00">target ${limit} ${yUnit}</text>`);
  }
  series.forEach((s, i) => {
    const pts = s.values.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const [a, b] of s.values) parts.push(`<circle cx="${x(a)}" cy="${y(b)}" r="2.5" fill="${s.color}"/>`);
    const ly = M.top + 10 + i * 18;
    parts.push(
      `<line x1="${W - M.right + 12}" x2="${W - M.right + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${W - M.right + 42}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  return parts.join('\n');
}

/** The SVG for a report's curve points; throws when the report has none. */
export function curveSvg(report: Report): string {
  return curveSvgOf([report]);
}

interface Report {
  date: string;
  server?: string;
  figures: Figure[];
}

/** The SVG for the curve points of several reports (see the header). */
export function curveSvgOf(reports: readonly Report[]): string {
  const bySize = new Map<number, Point>();
  for (const r of reports)
    for (const f of r.figures)
      if (f.name.startsWith('curve: cold apply') && f.detail) {
        const p = f.detail as unknown as Point;
        bySize.set(p.peers, p);
      }
  const points = [...bySize.values()].sort((a, b) => a.peers - b.peers);
  const report = reports[reports.length - 1]!;
  if (!points.length) throw new Error('no scale curve in these figures: run `npm run bench -- reconcile --json FILE`');
  const xs = points.map((p) => p.peers);
  const s = (key: keyof Point): [number, number][] => points.map((p) => [p.peers, p[key] as number]);
  const time = panel(
    `Cold apply against ${report.server ?? 'the server'} (${report.date.slice(0, 10)})`,
    [
      { label: 'vppwg cold apply', color: '#1f77b4', values: s('coldMs') },
      { label: 'floor (best raw order)', color: '#2ca02c', dashed: true, values: s('floorMs') },
      { label: 'apply phases (VPP)', color: '#ff7f0e', values: s('phasesMs') },
      { label: 'vppwg CPU', color: '#9467bd', values: s('cpuMs') },
      { label: 'no-op after it', color: '#8c564b', values: s('noopMs') },
    ],
    'ms',
    xs,
  );
  const rss = panel(
    'Peak RSS of the reconciling process',
    [{ label: 'peak RSS', color: '#d62728', values: s('rssMb') }],
    'MB',
    xs,
    600,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<g>${time}</g>`,
    `<g transform="translate(0 ${H})">${rss}</g>`,
    '</svg>',
    '',
  ].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const output = args.pop();
  if (!args.length || !output) {
    process.stderr.write('usage: npm run bench:plot -- FIGURES.json [MORE.json ...] OUT.svg\n');
    process.exitCode = 2;
  } else {
    try {
      const reports = args.map((input) => {
        try {
          return JSON.parse(readFileSync(input, 'utf8')) as Report;
        } catch (err) {
          throw new Error(`${input}: ${(err as Error).message}`);
        }
      });
      writeFileSync(output, curveSvgOf(reports));
      process.stderr.write(`plot written to ${output}\n`);
    } catch (err) {
      process.stderr.write(`bench:plot: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}
