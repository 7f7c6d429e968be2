/**
 * The loader never throws, whatever it is given, and gives a state exactly when it reports no
 * error. Inputs: random text, random JSON, and valid examples with one value replaced at random.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseDesiredState } from '../../src/config';
import { projectRoot } from '../../src/util/paths';

function check(text: string, file: string): void {
  const { state, diagnostics } = parseDesiredState(text, file, { env: {} });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  expect(state === undefined).toBe(errors.length > 0);
  for (const d of diagnostics) {
    expect(d.file).toBe(file);
    expect(d.message.length).toBeGreaterThan(10);
    expect(Number.isInteger(d.line) && d.line >= 0 && Number.isInteger(d.column) && d.column >= 0).toBe(true);
  }
}

const example = parse(
  readFileSync(join(projectRoot(), 'deploy', 'examples', 'remote-access-server.yaml'), 'utf8'),
) as unknown;

/** Every path to a value inside the example. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}
const allPaths = paths(example).filter((p) => p.length > 0);

function replaced(path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(example) as Record<string | number, unknown>;
  let node = copy;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

const oddValues = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    '',
    '0.0.0.0/0',
    '::/0',
    '::',
    '10.100.0.2',
    '10.100.0.2/32',
    'generate',
    'fd00:100::2/128',
    '1.2.3.4/33',
    0,
    -1,
    65536,
    2 ** 32,
    null,
    [],
    {},
  ),
);

describe('the loader never throws', () => {
  test('random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => check(s, 'r.yaml')),
      { numRuns: 300 },
    );
  });

  test('random JSON documents', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => check(JSON.stringify(v), 'r.json')),
      { numRuns: 300 },
    );
  });

  test('an example with one value replaced by something odd', () => {
    fc.assert(
      fc.property(fc.constantFrom(...allPaths), oddValues, fc.boolean(), (path, value, asJson) => {
        const doc = replaced(path, value);
        check(asJson ? JSON.stringify(doc, null, 1) : stringify(doc), asJson ? 'm.json' : 'm.yaml');
      }),
      { numRuns: 400 },
    );
  });
});
