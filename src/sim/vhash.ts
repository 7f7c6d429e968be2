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

// 64-bit arithmetic on (hi, lo) uint32 halves: BigInt would cost microseconds per route add.
let rh = 0;
let rl = 0;
function sub(xh: number, xl: number, yh: number, yl: number): void {
  rl = (xl - yl) >>> 0;
  rh = (xh - yh - (xl >>> 0 < yl >>> 0 ? 1 : 0)) >>> 0;
}
function add(xh: number, xl: number, yh: number, yl: number): void {
  const lo = (xl >>> 0) + (yl >>> 0);
  rl = lo >>> 0;
  rh = (xh + yh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}
function shr(xh: number, xl: number, n: number): void {
  if (n >= 32) {
    rl = xh >>> (n - 32);
    rh = 0;
  } else {
    rl = ((xl >>> n) | (xh << (32 - n))) >>> 0;
    rh = xh >>> n;
  }
}
function shl(xh: number, xl: number, n: number): void {
  if (n >= 32) {
    rh = (xl << (n - 32)) >>> 0;
    rl = 0;
  } else {
    rh = ((xh << n) | (xl >>> (32 - n))) >>> 0;
    rl = (xl << n) >>> 0;
  }
}

const STEPS: readonly (readonly [number, number, number])[] = [
  [43, 9, 8],
  [38, 23, 5],
  [35, 49, 11],
  [12, 18, 22],
];

/** Low 32 bits of vppinfra's hash_uword(key) on a 64-bit build (Jenkins mix over a, b, c). */
export function hashUwordLow(key: number): number {
  let ah = GOLDEN_HI;
  let al = GOLDEN_LO;
  let bh = GOLDEN_HI;
  let bl = GOLDEN_LO;
  let ch = 0;
  let cl = 0;
  add(ah, al, 0, key >>> 0);
  ah = rh;
  al = rl;
  for (const [s0, s1, s2] of STEPS) {
    // a -= b + c; a ^= c >> s0
    add(bh, bl, ch, cl);
    sub(ah, al, rh, rl);
    ah = rh;
    al = rl;
    shr(ch, cl, s0);
    ah = (ah ^ rh) >>> 0;
    al = (al ^ rl) >>> 0;
    // b -= c + a; b ^= a << s1
    add(ch, cl, ah, al);
    sub(bh, bl, rh, rl);
    bh = rh;
    bl = rl;
    shl(ah, al, s1);
    bh = (bh ^ rh) >>> 0;
    bl = (bl ^ rl) >>> 0;
    // c -= a + b; c ^= b >> s2
    add(ah, al, bh, bl);
    sub(ch, cl, rh, rl);
    ch = rh;
    cl = rl;
    shr(bh, bl, s2);
    ch = (ch ^ rh) >>> 0;
    cl = (cl ^ rl) >>> 0;
  }
  return cl;
}

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
