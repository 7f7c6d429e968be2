/**
 * No import cycles in src/, between files or between directories: a cycle means two parts that
 * cannot be understood, tested or loaded one without the other.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/paths';
import { cycleGroups, describeCycle, directoryGraph, importGraph, type ImportGraph } from './import-graph';

function unexpected(graph: ImportGraph, known: readonly RegExp[]): string[] {
  return cycleGroups(graph)
    .filter((group) => !known.some((re) => group.every((member) => re.test(member))))
    .map((group) => describeCycle(graph, group));
}

describe('src/ has no import cycles', () => {
  const root = projectRoot();
  const files = importGraph(root, join(root, 'src'));

  it('sees the sources (the client among them)', () => {
    expect(files.get(join('src', 'client', 'client.ts'))).toContain(join('src', 'client', 'output-queue.ts'));
  });

  it('between files', () => {
    expect(unexpected(files, [])).toEqual([]);
  });

  it('between directories', () => {
    expect(unexpected(directoryGraph(files), [])).toEqual([]);
  });
});

describe('the cycle checker', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vppwg-cycles-'));
    mkdirSync(join(dir, 'src', 'a'), { recursive: true });
    mkdirSync(join(dir, 'src', 'b'), { recursive: true });
    const files: Record<string, string> = {
      'src/a/one.ts': "import { two } from './two';\nexport const one = () => two;\n",
      'src/a/two.ts': "import type { Three } from '../b/three.js';\nexport const two = 2; export type T = Three;\n",
      'src/b/three.ts': "export { one } from '../a/one';\nexport type Three = number;\n",
      'src/b/lazy.ts': "export const lazy = () => import('./four');\n",
      'src/b/four.ts':
        "import { lazy } from './lazy';\nimport { inspect } from 'node:util';\nexport const four = [lazy, inspect];\n",
      'src/c/index.ts': 'export const c = 1;\n',
      'src/d.ts': "import { c } from './c';\nexport const d = c;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a cycle through type imports and re-exports, names it, and ignores import()', () => {
    const graph = importGraph(dir, join(dir, 'src'));
    expect(graph.get('src/d.ts')).toEqual(['src/c/index.ts']);
    const groups = cycleGroups(graph);
    expect(groups).toEqual([['src/a/one.ts', 'src/a/two.ts', 'src/b/three.ts']]);
    expect(describeCycle(graph, groups[0]!)).toBe('src/a/one.ts → src/a/two.ts → src/b/three.ts → src/a/one.ts');
    expect(unexpected(graph, [])).toHaveLength(1);
    expect(unexpected(graph, [/^src\/a\//])).toHaveLength(1);
    expect(unexpected(graph, [/^src\/[ab]\//])).toEqual([]);
  });

  it('finds cycles between directories', () => {
    const dirs = directoryGraph(importGraph(dir, join(dir, 'src')));
    expect(cycleGroups(dirs)).toEqual([['src/a', 'src/b']]);
    expect(describeCycle(dirs, ['src/a', 'src/b'])).toBe('src/a → src/b → src/a');
  });

  it("counts a layer's subfolders as the layer: its parts may use it, another layer may not", () => {
    const graph: ImportGraph = new Map([
      ['src/daemon/daemon.ts', ['src/daemon/parts/api.ts']],
      ['src/daemon/parts/api.ts', ['src/daemon/bus.ts']],
      ['src/daemon/bus.ts', []],
      ['src/config/load.ts', ['src/daemon/parts/api.ts']],
      ['src/daemon/parts/x.ts', ['src/config/load.ts']],
    ]);
    const layers = directoryGraph(graph);
    expect([...layers.keys()].sort()).toEqual(['src/config', 'src/daemon']);
    expect(cycleGroups(layers)).toEqual([['src/config', 'src/daemon']]);
  });

  it('finds a file importing itself', () => {
    const graph: ImportGraph = new Map([['x.ts', ['x.ts']]]);
    expect(cycleGroups(graph)).toEqual([['x.ts']]);
    expect(describeCycle(graph, ['x.ts'])).toBe('x.ts → x.ts');
  });
});
