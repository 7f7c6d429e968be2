/** "Bad at or inside a path" answers as the old scan over every bad path did, in one lookup. */
import fc from 'fast-check';
import { Findings } from '../../src/config/findings';
import { Locator, toPointer, type DataPath } from '../../src/config/locate';

function findings(): Findings {
  return new Findings(
    'f.yaml',
    new Locator(() => {
      throw new Error('no place is needed here');
    }),
  );
}

/** The definition: some bad path equals `path` or lies below it. */
function scanned(bad: DataPath[], path: DataPath): boolean {
  const pointer = toPointer(path);
  return bad.map(toPointer).some((b) => b === pointer || b.startsWith(pointer + '/'));
}

test('badWithin agrees with a scan of all bad paths', () => {
  const segment = fc.oneof(fc.constantFrom('a', 'b', 'ab', 'a/b', '~', ''), fc.nat(3));
  const path = fc.array(segment, { maxLength: 4 });
  fc.assert(
    fc.property(fc.array(path, { maxLength: 5 }), fc.array(path, { minLength: 1, maxLength: 10 }), (bad, asked) => {
      const f = findings();
      for (const b of bad) f.markBad(b);
      for (const q of asked) expect(f.badWithin(q)).toBe(scanned(bad, q));
      for (const b of bad) expect(f.isBad(b)).toBe(true);
    }),
    { numRuns: 1000 },
  );
});

test('examples', () => {
  const f = findings();
  expect(f.badWithin([])).toBe(false);
  f.markBad(['wireguard', 0, 'peers', 3, 'preshared_key']);
  expect(f.badWithin(['wireguard', 0, 'peers', 3])).toBe(true);
  expect(f.badWithin(['wireguard', 0, 'peers', 3, 'preshared_key'])).toBe(true);
  expect(f.badWithin(['wireguard', 0, 'peers', 3, 'preshared_key', 'env'])).toBe(false);
  expect(f.badWithin(['wireguard', 0, 'peers', 30])).toBe(false);
  expect(f.badWithin([])).toBe(true);
});
