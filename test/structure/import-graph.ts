/**
 * The graph of relative imports between the TypeScript files under a directory, and its cycles:
 * what the structure tests check. Static `import`/`export … from` only (type-only ones too: they
 * tie the files together as much); `import()` loads lazily and makes no cycle at load time.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export type ImportGraph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The file a relative specifier names, as `tsc` with nodenext resolves it ('./x', './x.js', './dir'). */
function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
  return undefined;
}

/** The relative static imports of each file, keyed and valued by paths relative to `root`. */
export function importGraph(root: string, dir: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(dir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    const targets = new Set<string>();
    for (const statement of source.statements) {
      const spec =
        (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
        statement.moduleSpecifier &&
        ts.isStringLiteral(statement.moduleSpecifier)
          ? statement.moduleSpecifier.text
          : undefined;
      if (!spec?.startsWith('.')) continue;
      const target = resolveSpecifier(file, spec);
      if (target) targets.add(relative(root, target));
    }
    graph.set(relative(root, file), [...targets].sort());
  }
  return graph;
}

/**
 * The graph between layers: each file counts as the top folder under `root` it sits in
 * (src/config/checks/x.ts is src/config), so a layer's own subfolders (its parts, its checks)
 * may use the layer, and only a cycle between layers shows.
 */
export function directoryGraph(graph: ImportGraph, root = 'src'): ImportGraph {
  const layerOf = (file: string): string => {
    const parts = file.split(sep);
    const at = parts.indexOf(root);
    return at >= 0 && parts.length > at + 2 ? parts.slice(0, at + 2).join(sep) : dirname(file);
  };
  const layers: ImportGraph = new Map();
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    const to = new Set(layers.get(from) ?? []);
    for (const t of targets) if (layerOf(t) !== from) to.add(layerOf(t));
    layers.set(from, [...to].sort());
  }
  return layers;
}

/** The groups of files that import each other in a circle (strongly connected components of more than one file, or a file importing itself), each sorted. */
export function cycleGroups(graph: ImportGraph): string[][] {
  // Tarjan's algorithm.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** One concrete circle through `group`, from its first file back to it: 'a → b → a'. */
export function describeCycle(graph: ImportGraph, group: readonly string[]): string {
  const members = new Set(group);
  const start = group[0]!;
  // Breadth-first from start's imports back to start, inside the group: the shortest circle.
  const previous = new Map<string, string>();
  const queue = (graph.get(start) ?? []).filter((w) => members.has(w));
  for (const w of queue) previous.set(w, start);
  while (queue.length > 0 && !previous.has(`${start}#back`)) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        previous.set(`${start}#back`, v);
        break;
      }
      if (members.has(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  const path = [start];
  for (let v = previous.get(`${start}#back`); v !== undefined && v !== start; v = previous.get(v)) path.unshift(v);
  path.unshift(start);
  return path.join(' → ');
}
