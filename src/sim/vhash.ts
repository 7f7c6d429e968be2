/**
 * The iteration order of VPP's uword-keyed hash (vppinfra hash.c), which decides the order of
 * `ip_route_dump` for IPv4: VPP walks one such hash per prefix length, bucket by bucket. Only the
 * order matters here, so the model keeps keys, not values, and mirrors the bucket layout: a bucket
 * holds nothing, one direct key, or an "indirect" list in insertion order; deleting from a list
 * moves its last key into the hole; the table doubles when 3/4 full and never shrinks (the IPv4 FIB
 * sets NO_AUTO_SHRINK).
 */

const GOLDEN_HI = 0x9e3779b9;
const GOLDEN_LO = 0x7f4a7c13;

/**
 * Low 32 bits of vppinfra's hash_uword(key) on a 64-bit build (Jenkins mix over a, b, c), in
 * (hi, lo) uint32 halves: BigInt would cost microseconds per route add.
 */
export function hashUwordLow(key: number): number {
  let ah = GOLDEN_HI;
  let al = (GOLDEN_LO + (key >>> 0)) >>> 0;
  if (al < GOLDEN_LO) ah = (ah + 1) >>> 0;
  let bh = GOLDEN_HI;
  let bl = GOLDEN_LO;
  let ch = 0;
  let cl = 0;
  let th: number;
  let tl: number;
  for (let step = 0; step < 4; step++) {
    const s0 = S0[step]!;
    const s1 = S1[step]!;
    const s2 = S2[step]!;
    // a -= b + c; a ^= c >> s0
    tl = (bl + cl) >>> 0;
    th = (bh + ch + (tl < bl ? 1 : 0)) >>> 0;
    ah = (ah - th - (al < tl ? 1 : 0)) >>> 0;
    al = (al - tl) >>> 0;
    if (s0 >= 32) {
      al = (al ^ (ch >>> (s0 - 32))) >>> 0;
    } else {
      al = (al ^ ((cl >>> s0) | (ch << (32 - s0)))) >>> 0;
      ah = (ah ^ (ch >>> s0)) >>> 0;
    }
    // b -= c + a; b ^= a << s1
    tl = (cl + al) >>> 0;
    th = (ch + ah + (tl < cl ? 1 : 0)) >>> 0;
    bh = (bh - th - (bl < tl ? 1 : 0)) >>> 0;
    bl = (bl - tl) >>> 0;
    if (s1 >= 32) {
      bh = (bh ^ (al << (s1 - 32))) >>> 0;
    } else {
      bh = (bh ^ ((ah << s1) | (al >>> (32 - s1)))) >>> 0;
      bl = (bl ^ (al << s1)) >>> 0;
    }
    // c -= a + b; c ^= b >> s2
    tl = (al + bl) >>> 0;
    th = (ah + bh + (tl < al ? 1 : 0)) >>> 0;
    ch = (ch - th - (cl < tl ? 1 : 0)) >>> 0;
    cl = (cl - tl) >>> 0;
    if (s2 >= 32) {
      cl = (cl ^ (bh >>> (s2 - 32))) >>> 0;
    } else {
      cl = (cl ^ ((bl >>> s2) | (bh << (32 - s2)))) >>> 0;
      ch = (ch ^ (bh >>> s2)) >>> 0;
    }
  }
  return cl;
}

const S0 = [43, 38, 35, 12];
const S1 = [9, 23, 49, 18];
const S2 = [8, 5, 11, 22];

type Bucket = number | number[] | undefined;

export class VppHashOrder {
  private buckets: Bucket[];
  private elts = 0;

  /** `hash_create(32, ...)`: at least 64 buckets (the is_user bitmap word), a power of two. */
  constructor(initial = 32) {
    let n = Math.max(initial, 64);
    n = 1 << Math.ceil(Math.log2(n));
    this.buckets = new Array<Bucket>(n);
  }

  get size(): number {
    return this.elts;
  }

  set(key: number): void {
    this.insert(key);
    if (4 * (this.elts + 1) > 3 * this.buckets.length) this.resize(this.buckets.length * 2);
  }

  private insert(key: number): void {
    const i = hashUwordLow(key) & (this.buckets.length - 1);
    const b = this.buckets[i];
    if (b === undefined) {
      this.buckets[i] = key;
    } else if (typeof b === 'number') {
      if (b === key) return;
      this.buckets[i] = [b, key];
    } else {
      if (b.includes(key)) return;
      b.push(key);
    }
    this.elts++;
  }

  unset(key: number): void {
    const i = hashUwordLow(key) & (this.buckets.length - 1);
    const b = this.buckets[i];
    if (b === undefined) return;
    if (typeof b === 'number') {
      if (b !== key) return;
      this.buckets[i] = undefined;
    } else {
      const at = b.indexOf(key);
      if (at < 0) return;
      if (b.length <= 2) {
        this.buckets[i] = b.length === 2 ? b[1 - at]! : undefined;
      } else {
        const last = b.pop()!;
        if (at < b.length) b[at] = last;
      }
    }
    this.elts--;
  }

  private resize(n: number): void {
    const old = this.buckets;
    this.buckets = new Array<Bucket>(n);
    this.elts = 0;
    for (const b of old) {
      if (b === undefined) continue;
      if (typeof b === 'number') this.insert(b);
      else for (const k of b) this.insert(k);
    }
  }

  /** Keys in `hash_foreach_pair` order. */
  *keys(): IterableIterator<number> {
    for (const b of this.buckets) {
      if (b === undefined) continue;
      if (typeof b === 'number') yield b;
      else yield* b;
    }
  }
}
