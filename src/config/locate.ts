/**
 * From a place in the parsed data (a path of keys and indices) back to a line and column of the
 * source text. YAML is placed with the `yaml` parser's ranges, JSON with jsonc-parser's tree
 * (linear even for a one-line file of many megabytes). Each parses once, on the first lookup.
 */
import { parseTree, type Node as JsonNode } from 'jsonc-parser';
import { LineCounter, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

export type DataPath = readonly (string | number)[];

export interface Place {
  line: number;
  column: number;
}

/** Places of a data path, or of an offset into the text. */
export interface Placer {
  place(path: DataPath, at?: 'value' | 'key'): Place;
  offsetPlace(offset: number): Place;
}

/** Places in YAML text (also JSON, which is YAML), through the `yaml` parser's document. */
export class Locator implements Placer {
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

/** Places in JSON text. */
export class JsonLocator implements Placer {
  private parsed: { root: JsonNode | undefined; lines: LineCounter } | undefined;

  constructor(private readonly text: string) {}

  place(path: DataPath, at: 'value' | 'key' = 'value'): Place {
    let node = this.tree().root;
    let keyNode: JsonNode | undefined;
    for (const seg of path) {
      const next = node ? jsonChild(node, seg) : undefined;
      if (!next) break;
      node = next.value;
      keyNode = next.key;
    }
    const target = at === 'key' && keyNode ? keyNode : (node ?? keyNode);
    return target ? this.offsetPlace(target.offset) : { line: 1, column: 1 };
  }

  offsetPlace(offset: number): Place {
    const p = this.tree().lines.linePos(offset);
    return { line: p.line, column: p.col };
  }

  private tree(): { root: JsonNode | undefined; lines: LineCounter } {
    if (!this.parsed) {
      this.parsed = { root: parseTree(this.text), lines: lineCounterOf(this.text) };
    }
    return this.parsed;
  }
}

/** The line starts of `text`, for placing offsets without parsing. */
export function lineCounterOf(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return lines;
}

/** The line and column of an offset into `text`. */
export function placeOfOffset(text: string, offset: number): Place {
  const p = lineCounterOf(text).linePos(offset);
  return { line: p.line, column: p.col };
}

function jsonChild(node: JsonNode, seg: string | number): { value: JsonNode; key?: JsonNode } | undefined {
  if (node.type === 'object') {
    // The last of repeated keys, as JSON.parse keeps it.
    let hit: { value: JsonNode; key?: JsonNode } | undefined;
    for (const prop of node.children ?? []) {
      const [key, value] = prop.children ?? [];
      if (key && String(key.value) === String(seg)) hit = { value: value ?? key, key };
    }
    return hit;
  }
  if (node.type === 'array') {
    const item = node.children?.[typeof seg === 'number' ? seg : Number(seg)];
    return item ? { value: item } : undefined;
  }
  return undefined;
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
