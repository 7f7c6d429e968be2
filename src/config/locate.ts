/**
 * From a place in the parsed data (a path of keys and indices) back to a line and column of the
 * source text, for YAML and JSON alike (both are read with the `yaml` parser, which keeps ranges).
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type DataPath = readonly (string | number)[];

export interface Place {
  line: number;
  column: number;
}

export class Locator {
  /** The parse is a function so a caller can defer it until a place is first needed. */
  constructor(private readonly parsed: () => { doc: Document | undefined; lines: LineCounter }) {}

  /**
   * The place of the value at `path`, or of its key when `at` is 'key'. A path that does not exist
   * (a missing key) resolves to its deepest existing ancestor, which is where the key belongs.
   */
  place(path: DataPath, at: 'value' | 'key' = 'value'): Place {
    let node: unknown = this.parsed().doc?.contents;
    let keyNode: Node | undefined;
    for (const seg of path) {
      const next = child(node, seg);
      if (!next) break;
      node = next.value;
      keyNode = next.key;
    }
    const target = at === 'key' && keyNode ? keyNode : ((node as Node | undefined) ?? keyNode);
    const offset = target?.range?.[0];
    if (offset === undefined) return { line: 1, column: 1 };
    return this.offsetPlace(offset);
  }

  offsetPlace(offset: number): Place {
    const p = this.parsed().lines.linePos(offset);
    return { line: p.line, column: p.col };
  }
}

function child(node: unknown, seg: string | number): { value: unknown; key?: Node } | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(seg)) {
        // A key with no value (`name:`) has a null value node; point at the key then.
        return { value: item.value ?? item.key, key: item.key as Node };
      }
    }
    return undefined;
  }
  if (isSeq(node)) {
    const idx = typeof seg === 'number' ? seg : Number(seg);
    const item = Number.isInteger(idx) ? node.items[idx] : undefined;
    return item === undefined || item === null ? undefined : { value: item };
  }
  return undefined;
}

/** JSON pointer of a data path (RFC 6901). */
export function toPointer(path: DataPath): string {
  return path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fromPointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}
