/**
 * Requests awaiting replies, by context. Contexts are handed out in sequence, so a ring of slots
 * indexed by the low bits finds a request without hashing and without a Map's rehashing as
 * tens of thousands of pipelined calls come and go; the rare collision (more requests alive than
 * slots) goes to an overflow Map.
 */
const SLOTS = 1 << 16;
const MASK = SLOTS - 1;

export class PendingTable<T extends { readonly context: number }> {
  private readonly slots: (T | undefined)[] = new Array<T | undefined>(SLOTS).fill(undefined);
  private readonly overflow = new Map<number, T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(context: number): T | undefined {
    const s = this.slots[context & MASK];
    if (s !== undefined && s.context === context) return s;
    return this.overflow.size === 0 ? undefined : this.overflow.get(context);
  }

  has(context: number): boolean {
    return this.get(context) !== undefined;
  }

  /** `v.context` must not be in the table already. */
  set(v: T): void {
    const i = v.context & MASK;
    if (this.slots[i] === undefined) this.slots[i] = v;
    else this.overflow.set(v.context, v);
    this.count++;
  }

  delete(v: T): boolean {
    const i = v.context & MASK;
    if (this.slots[i] === v) {
      this.slots[i] = undefined;
    } else if (this.overflow.get(v.context) !== v || !this.overflow.delete(v.context)) {
      return false;
    }
    this.count--;
    return true;
  }

  /** Every entry (order unspecified). */
  values(): T[] {
    const out: T[] = [];
    if (this.count === 0) return out;
    for (const s of this.slots) if (s !== undefined) out.push(s);
    for (const v of this.overflow.values()) out.push(v);
    return out;
  }

  clear(): void {
    if (this.count === 0) return;
    this.slots.fill(undefined);
    this.overflow.clear();
    this.count = 0;
  }
}
