import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../../src/util/paths';

export interface GoldenFrame {
  seq: number;
  dir: string;
  msg_id: number;
  msg: string;
  hex: string;
  fields: Record<string, unknown>;
  decoded_size: number;
  file: string;
}

export function goldenFrames(): { files: string[]; frames: GoldenFrame[] } {
  const dir = join(sharedDir(), 'vpp-golden');
  const files = ['basic.jsonl', 'handshake.jsonl'].filter((f) => existsSync(join(dir, f)));
  const frames: GoldenFrame[] = [];
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line.trim()) frames.push({ ...(JSON.parse(line) as GoldenFrame), file: f });
    }
  }
  return { files, frames };
}

/** Values as the recordings spell them: bytes as {hex}, bigints as numbers when exact. */
export function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString('hex') };
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(normalise);
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalise(x);
    return o;
  }
  return v;
}

/** The recorded fields without `_0` and without count fields (which our decoded values omit by design). */
export function recordedWithoutCounts(rec: unknown, ours: unknown, countNames: ReadonlySet<string>): unknown {
  if (Array.isArray(rec))
    return rec.map((x, i) => recordedWithoutCounts(x, Array.isArray(ours) ? ours[i] : undefined, countNames));
  if (typeof rec === 'object' && rec !== null && !('hex' in rec && Object.keys(rec).length === 1)) {
    const o: Record<string, unknown> = {};
    const our = (typeof ours === 'object' && ours !== null ? ours : {}) as Record<string, unknown>;
    for (const [k, x] of Object.entries(rec)) {
      if (k === '_0') continue;
      if (!(k in our) && countNames.has(k)) continue;
      o[k] = recordedWithoutCounts(x, our[k], countNames);
    }
    return o;
  }
  return rec;
}

/** 'a/len' with host bits cleared, as vpp_papi prints prefixes (ip_network strict=False). */
export function maskPrefix(s: string): string {
  const m = /^(.*)\/(\d+)$/.exec(s);
  if (!m) return s;
  const len = Number(m[2]);
  const bytes = parseAddr(m[1]!);
  if (!bytes) return s;
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, len - 8 * i));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return `${formatAddr(bytes)}/${len}`;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ipaddr = require('ipaddr.js') as {
  parse(s: string): { toByteArray(): number[] };
  fromByteArray(b: number[]): { toString(): string };
};

function parseAddr(s: string): number[] | undefined {
  try {
    return ipaddr.parse(s).toByteArray();
  } catch {
    return undefined;
  }
}

function formatAddr(b: number[]): string {
  return ipaddr.fromByteArray(b).toString();
}

/** Our decoded value with prefixes masked where the recording shows the masked form. */
export function maskLike(ours: unknown, rec: unknown): unknown {
  if (typeof ours === 'string' && typeof rec === 'string' && ours !== rec && ours.includes('/')) {
    const m = maskPrefix(ours);
    return m === rec ? rec : ours;
  }
  if (Array.isArray(ours)) return ours.map((x, i) => maskLike(x, Array.isArray(rec) ? rec[i] : undefined));
  if (typeof ours === 'object' && ours !== null && !(ours instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    const r = (typeof rec === 'object' && rec !== null ? rec : {}) as Record<string, unknown>;
    for (const [k, x] of Object.entries(ours)) o[k] = maskLike(x, r[k]);
    return o;
  }
  return ours;
}
