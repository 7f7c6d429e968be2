import { mapInWindow } from '../../src/util/window';

test('mapInWindow keeps the order and never has more than `width` calls in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const items = Array.from({ length: 100 }, (_, i) => i);
  const out = await mapInWindow(items, 7, async (i) => {
    inFlight++;
    most = Math.max(most, inFlight);
    // Uneven delays: later items may finish first.
    await new Promise((r) => setTimeout(r, (i * 37) % 5));
    inFlight--;
    return i * 2;
  });
  expect(out).toEqual(items.map((i) => i * 2));
  expect(most).toBe(7);
  expect(await mapInWindow([], 7, () => Promise.resolve(1))).toEqual([]);
});

test('mapInWindow rejects with the first failure', async () => {
  await expect(
    mapInWindow([1, 2, 3], 2, (i) => (i === 2 ? Promise.reject(new Error('two')) : Promise.resolve(i))),
  ).rejects.toThrow('two');
});
