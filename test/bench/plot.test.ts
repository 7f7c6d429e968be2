/** The scale curve's plot: drawn from the bench's JSON, one point per size on every line. */
import { curveSvg, curveSvgOf } from '../../bench/plot';
import type { Figure } from '../../bench/harness';

function point(peers: number, coldMs: number): Figure {
  const detail = {
    peers,
    coldMs,
    floorMs: coldMs * 0.9,
    floorOrder: 'peers first',
    phasesMs: coldMs * 0.8,
    cpuMs: coldMs * 0.1,
    noopMs: coldMs * 0.03,
    rssMb: 100 + peers / 100,
  };
  return {
    suite: 'reconcile',
    name: `curve: cold apply, ${peers} peers`,
    unit: 'ms',
    median: coldMs,
    min: coldMs,
    max: coldMs,
    runs: 1,
    detail,
  };
}

test('every line has a point per size, in order of peers; the RSS target is drawn', () => {
  const svg = curveSvg({
    date: '2026-12-07T04:00:00Z',
    server: 'vpp /tmp/vpp-run/api.sock',
    figures: [point(10_000, 6000), point(1_000, 500), point(50_000, 90_000), { ...point(5, 5), name: 'other' }],
  });
  const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(' '));
  expect(lines).toHaveLength(6); // five time series, one RSS
  for (const l of lines) {
    expect(l).toHaveLength(3);
    const xs = l.map((p) => Number(p.split(',')[0]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  }
  expect(svg).toContain('target 600 MB');
  expect(svg).toContain('vppwg cold apply');
  expect(svg).toContain('floor (best raw order)');
  expect(svg).toContain('vpp /tmp/vpp-run/api.sock');
});

test('figures without a curve are refused, saying how to get one', () => {
  expect(() => curveSvg({ date: '2026-12-07', figures: [{ ...point(5, 5), name: 'x' }] })).toThrow(
    /no scale curve.*npm run bench -- reconcile --json/,
  );
});

test('several reports: their points together, a later one replacing the same size', () => {
  const svg = curveSvgOf([
    { date: '2026-12-07', figures: [point(1_000, 500), point(10_000, 6000)] },
    { date: '2026-12-07', figures: [point(50_000, 90_000), point(10_000, 7000)] },
  ]);
  const first = /<polyline points="([^"]+)"/.exec(svg)![1]!.split(' ');
  expect(first).toHaveLength(3);
  const one = (tenK: number): string =>
    curveSvgOf([{ date: '2026-12-07', figures: [point(1_000, 500), point(10_000, tenK), point(50_000, 90_000)] }]);
  expect(svg).toBe(one(7000));
  expect(svg).not.toBe(one(6000));
});
