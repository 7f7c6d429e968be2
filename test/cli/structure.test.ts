/**
 * The command line's shape: no import cycle inside src/cli (issue 15: commands imported main,
 * which imports them), and every default shown once in --help (issue 14.11).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { DEFAULT_VPP_SOCKET } from '../../src/client';
import { projectRoot } from '../../src/util/paths';

const cliDir = join(projectRoot(), 'src', 'cli');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative imports of each file under src/cli that stay under src/cli (type-only ones included). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(cliDir)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/\bfrom\s+'(\.[^']+)'/g)]
      .map((m) => resolve(dirname(file), m[1]) + '.ts')
      .filter((t) => t.startsWith(cliDir));
    graph.set(file, targets);
  }
  return graph;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

test('src/cli has no import cycle, and no command imports main', () => {
  const graph = importGraph();
  expect(graph.get(join(cliDir, 'main.ts'))).toContain(join(cliDir, 'commands', 'state.ts'));
  expect(findCycle(graph)?.map((f) => f.slice(cliDir.length + 1))).toBeUndefined();
  const main = join(cliDir, 'main.ts');
  const importingMain = [...graph].filter(([, targets]) => targets.includes(main)).map(([file]) => file);
  expect(importingMain).toEqual([]);
});

test('a cycle is found when there is one (the check above can fail)', () => {
  const a = '/x/a.ts';
  const b = '/x/b.ts';
  expect(
    findCycle(
      new Map([
        [a, [b]],
        [b, [a]],
      ]),
    ),
  ).toEqual([a, b, a]);
  expect(
    findCycle(
      new Map([
        [a, [b]],
        [b, []],
      ]),
    ),
  ).toBeUndefined();
});

test('every option with a default leaves showing it to commander: each default appears once', () => {
  const program = buildProgram({ code: 0 });
  const withDefaults = program.commands.flatMap((c) =>
    c.options.filter((o) => o.defaultValue !== undefined && typeof o.defaultValue !== 'boolean').map((o) => ({ c, o })),
  );
  expect(withDefaults.length).toBeGreaterThan(5);
  for (const { c, o } of withDefaults) expect(`${c.name()} ${o.flags}: ${o.description}`).not.toMatch(/default/i);
  for (const name of ['plan', 'apply', 'show', 'serve']) {
    const help = program.commands.find((c) => c.name() === name)!.helpInformation();
    expect({ name, count: help.split(DEFAULT_VPP_SOCKET).length - 1 }).toEqual({ name, count: 1 });
  }
});
