import fc from 'fast-check';
import { PendingTable } from '../../src/client/pending-table';

describe('PendingTable', () => {
  it('keeps more entries than slots (overflow) and finds each by context', () => {
    const t = new PendingTable<{ context: number; n: number }>();
    const items = Array.from({ length: 70_000 }, (_, i) => ({ context: i + 1, n: i }));
    for (const it of items) t.set(it);
    expect(t.size).toBe(70_000);
    expect(items.filter((it) => t.get(it.context) !== it)).toEqual([]);
    expect(t.get(70_001)).toBeUndefined();
    expect(t.values()).toHaveLength(70_000);
    expect(items.slice(0, 69_000).filter((it) => !t.delete(it))).toEqual([]);
    expect(t.delete(items[0]!)).toBe(false);
    expect(t.size).toBe(1000);
    expect(t.get(69_001)?.n).toBe(69_000);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.get(69_001)).toBeUndefined();
  });

  it('behaves like a Map for any sequence of adds and removes, including contexts 65536 apart', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.constantFrom(1, 2, 65537, 65538, 131073, 0xffffffff, 0xffff)), {
          maxLength: 200,
        }),
        (ops) => {
          const t = new PendingTable<{ context: number }>();
          const m = new Map<number, { context: number }>();
          for (const [add, ctx] of ops) {
            if (add && !m.has(ctx)) {
              const v = { context: ctx };
              t.set(v);
              m.set(ctx, v);
            } else if (!add && m.has(ctx)) {
              expect(t.delete(m.get(ctx)!)).toBe(true);
              m.delete(ctx);
            }
            if (t.size !== m.size) return false;
            for (const [c, v] of m) if (t.get(c) !== v) return false;
          }
          return t.values().length === m.size;
        },
      ),
      { numRuns: 300 },
    );
  });
});
