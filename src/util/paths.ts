import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cachedRoot: string | undefined;

/** The repository root (the folder of vppwg's package.json), from source (ts-jest) or from dist/. */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'vppwg') {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the vppwg package root above ' + __dirname);
    dir = parent;
  }
}

/** `../shared` beside the repository (read in place by tests and tools; never copied in). */
export function sharedDir(): string {
  return join(projectRoot(), '..', 'shared');
}
