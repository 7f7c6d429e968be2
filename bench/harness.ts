/**
 * The one benchmark harness: every suite reports figures measured as the median of several runs
 * after a warm-up, with min and max, and optionally a floor measured in the same run.
 */

export interface Figure {
  /** Suite name: 'codec', 'client', 'sim', 'reconcile'. */
  suite: string;
  /** What was measured, e.g. 'encode wireguard_peer_add (2 allowed IPs)'. */
  name: string;
  unit: string; // 'ops/s', 'ms', 'MB'
  median: number;
  min: number;
  max: number;
  runs: number;
  /**
   * Target from the issues, e.g. { op: '>=', value: 1_000_000 }. With `of: 'ratio'` it bounds the
   * ratio to the floor (0.9 = 90 % of the raw floor), judged on the same run-by-run ratio printed.
   */
  target?: { op: '>=' | '<='; value: number; of?: 'median' | 'ratio' };
  /** The floor (raw socket) measured in the same run, and our figure as a fraction of it. */
  floor?: number;
  ratio?: number;
  /** Against what: 'emulator', 'vpp /run/vpp/api.sock', 'in-process'. */
  server?: string;
  /** Where the time went (a curve point's phases, CPU, RSS): written to the JSON, not the table. */
  detail?: Record<string, unknown>;
}

export interface BenchContext {
  /** Real VPP socket from VPP_API_SOCKET, or undefined: then suites start the emulator. */
  vppSocket?: string;
  force: boolean;
  /** Scale runs down (smoke check in tests). */
  quick: boolean;
  log(line: string): void;
}

export interface BenchSuite {
  name: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times; returns median/min/max of what fn returns. */
export async function measure(
  fn: () => Promise<number> | number,
  opts: { runs: number; warmup: number },
): Promise<{ median: number; min: number; max: number; runs: number }> {
  for (let i = 0; i < opts.warmup; i++) await fn();
  const values: number[] = [];
  for (let i = 0; i < opts.runs; i++) values.push(await fn());
  return summarize(values);
}

/** Median, min and max of samples already taken (the input is not changed). */
export function summarize(samples: readonly number[]): { median: number; min: number; max: number; runs: number } {
  const values = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(values.length / 2);
  const median = values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
  return { median, min: values[0]!, max: values[values.length - 1]!, runs: values.length };
}

/** Operations per second of `ops` operations taking `ns` nanoseconds. */
export function rate(ops: number, ns: bigint): number {
  return ops / (Number(ns) / 1e9);
}

/** A suite that failed part way: the figures taken before the failure still count (and are printed). */
export class BenchPartial extends Error {
  override name = 'BenchPartial';
  constructor(
    message: string,
    readonly figures: Figure[],
  ) {
    super(message);
  }
}

/** A suite declining to run against its target (e.g. a VPP holding vppwg's objects): reported as its message, no stack. */
export class BenchRefused extends Error {
  override name = 'BenchRefused';
}
