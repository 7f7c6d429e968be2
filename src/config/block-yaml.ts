/**
 * A fast reader for the plain block YAML that desired-state files are made of (indented mappings
 * and `- ` lists of single-line scalars), giving what `yaml`'s parseDocument(...).toJS() gives.
 *
 * Why: the `yaml` package builds a position-keeping document at roughly 0.5 µs per byte, so a
 * 10,000-peer file (3.7 MB) took seconds before validation even started. Positions are needed only
 * when there is something to report, so the loader reads with this first and runs the full parser
 * lazily, for places, as it already did for JSON.
 *
 * Anything outside that subset (flow collections, anchors, tags, block scalars, multi-line or
 * non-decimal scalars, directives, several documents, duplicate keys, odd indentation...) gives
 * undefined, and the caller falls back to the full parser, which also reports every syntax error.
 * So this reader never decides that a file is wrong and never reads it differently.
 */

const UNSUPPORTED = Symbol('outside the block YAML subset');

/** The data of `text`, or undefined when the text is outside the subset (then use the full parser). */
export function parseBlockYaml(text: string): { value: unknown } | undefined {
  // Tabs (indentation or separation) and a byte-order mark have rules of their own: leave them to `yaml`.
  if (text.includes('\t') || text.charCodeAt(0) === 0xfeff) return undefined;
  try {
    return { value: new BlockReader(text).document() };
  } catch (err) {
    // Nesting too deep for the stack: `yaml` reports that as a syntax error with its place.
    if (err === UNSUPPORTED || err instanceof RangeError) return undefined;
    throw err;
  }
}

const NULL_WORDS = /^(?:~|[Nn]ull|NULL)$/;
const BOOL_WORDS = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const DECIMAL_INT = /^[-+]?[0-9]+$/;
/** The core schema's other number forms (octal, hex, floats, .inf, .nan): rare in this file, left to `yaml`. */
const OTHER_NUMBER =
  /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
/** Keys that the core schema would read as something other than a string. */
const NON_STRING_KEYS = new Set([
  'null',
  'Null',
  'NULL',
  'true',
  'True',
  'TRUE',
  'false',
  'False',
  'FALSE',
  '__proto__',
]);
/** Characters that start something other than a plain scalar (a '-' followed by a non-space is plain). */
const INDICATORS = new Set([...'?:,[]{}#&*!|>%@`']);

function unsupported(): never {
  throw UNSUPPORTED;
}

class BlockReader {
  /** Content lines only (blank and comment-only lines dropped): indentation and the text after it. */
  private readonly indents: number[] = [];
  private readonly texts: string[] = [];
  private pos = 0;

  constructor(text: string) {
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      let stop = end;
      if (stop > start && text.charCodeAt(stop - 1) === 13 /* \r */) stop--;
      let indent = start;
      while (indent < stop && text.charCodeAt(indent) === 32) indent++;
      let last = stop;
      while (last > indent && text.charCodeAt(last - 1) === 32) last--;
      if (last > indent && text.charCodeAt(indent) !== 35 /* # */) {
        const line = text.slice(indent, last);
        if (line.includes('\r')) unsupported();
        if (indent === start && (line.startsWith('---') || line.startsWith('...') || line.startsWith('%'))) {
          // A lone '---' before any content just opens the one document.
          if (!(line === '---' && this.texts.length === 0)) unsupported();
        } else {
          this.indents.push(indent - start);
          this.texts.push(line);
        }
      }
      start = end + 1;
    }
  }

  document(): unknown {
    if (this.texts.length === 0) unsupported();
    const value = this.node(this.indents[0]!, this.texts[0]!);
    if (this.pos !== this.texts.length) unsupported();
    return value;
  }

  /** A block collection whose first line (at `pos`) reads `text` from column `col`. */
  private node(col: number, text: string): unknown {
    if (isSeqItem(text)) return this.seq(col, text);
    if (keyEnd(text) > 0) return this.map(col, text);
    return unsupported(); // a scalar on a line of its own (possibly multi-line): leave it to `yaml`
  }

  private seq(col: number, first: string): unknown[] {
    const out: unknown[] = [];
    let text = first;
    for (;;) {
      let i = 1;
      while (text.charCodeAt(i) === 32) i++;
      const rest = text.slice(i);
      if (rest === '' || rest.charCodeAt(0) === 35 /* # */) {
        this.pos++;
        out.push(this.pos < this.texts.length && this.indents[this.pos]! > col ? this.nested() : null);
      } else if (isSeqItem(rest) || keyEnd(rest) > 0) {
        out.push(this.node(col + i, rest)); // `- key: value` or `- - item`: a collection starting on this line
      } else {
        this.pos++;
        out.push(scalar(rest));
      }
      if (this.pos >= this.texts.length) break;
      const indent = this.indents[this.pos]!;
      if (indent < col) break;
      if (indent > col) unsupported();
      text = this.texts[this.pos]!;
      // Same column, not an item: the key after a list written at its parent key's indentation.
      if (!isSeqItem(text)) break;
    }
    return out;
  }

  private map(col: number, first: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let text = first;
    for (;;) {
      const colon = keyEnd(text);
      if (colon < 0) unsupported();
      const key = text.slice(0, colon);
      if (NON_STRING_KEYS.has(key) || Object.prototype.hasOwnProperty.call(out, key)) unsupported();
      let i = colon + 1;
      while (text.charCodeAt(i) === 32) i++;
      const rest = text.slice(i);
      this.pos++;
      let value: unknown;
      if (rest === '' || rest.charCodeAt(0) === 35 /* # */) {
        if (this.pos >= this.texts.length) value = null;
        else if (this.indents[this.pos]! > col) value = this.nested();
        else if (this.indents[this.pos] === col && isSeqItem(this.texts[this.pos]!))
          value = this.seq(col, this.texts[this.pos]!);
        else value = null;
      } else value = scalar(rest);
      out[key] = value;
      if (this.pos >= this.texts.length) break;
      const indent = this.indents[this.pos]!;
      if (indent < col) break;
      if (indent > col) unsupported(); // a continuation line or a bad indentation
      text = this.texts[this.pos]!;
    }
    return out;
  }

  private nested(): unknown {
    return this.node(this.indents[this.pos]!, this.texts[this.pos]!);
  }
}

function isSeqItem(text: string): boolean {
  return text.charCodeAt(0) === 45 /* - */ && (text.length === 1 || text.charCodeAt(1) === 32);
}

/** Index of the ':' ending a simple key (letters, digits, '_' and '-', not starting with a digit or '-'), or -1. */
function keyEnd(text: string): number {
  let j = 0;
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j);
    const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
    if (!(letter || (j > 0 && ((c >= 48 && c <= 57) || c === 45)))) break;
  }
  if (j === 0 || text.charCodeAt(j) !== 58 /* : */) return -1;
  return j + 1 === text.length || text.charCodeAt(j + 1) === 32 ? j : -1;
}

/** A single-line value (no leading or trailing spaces): a scalar or a flow collection, possibly followed by a comment. */
function scalar(text: string): unknown {
  const c = text[0]!;
  if (c === '"' || c === "'" || c === '[' || c === '{') {
    const reader = new FlowReader(text);
    const value = reader.value();
    afterValue(text, reader.at);
    return value;
  }
  if (INDICATORS.has(c) || text.startsWith('- ') || text === '-') unsupported();
  const hash = text.indexOf(' #');
  const plain = hash < 0 ? text : text.slice(0, hash).trimEnd();
  if (plain.includes(': ') || plain.endsWith(':')) unsupported();
  return resolvePlain(plain);
}

/** What the core schema makes of a plain scalar. */
function resolvePlain(plain: string): unknown {
  if (NULL_WORDS.test(plain)) return null;
  if (BOOL_WORDS.test(plain)) return plain[0] === 't' || plain[0] === 'T';
  if (DECIMAL_INT.test(plain)) return parseInt(plain, 10);
  if (OTHER_NUMBER.test(plain)) unsupported();
  return plain;
}

/** After a quoted scalar or a flow collection only a comment may follow on the line. */
function afterValue(text: string, from: number): void {
  if (from === text.length) return;
  if (text.charCodeAt(from) !== 32) unsupported();
  if (text.slice(from).trimStart().charCodeAt(0) !== 35 /* # */) unsupported();
}

function isFlowIndicator(c: number): boolean {
  return c === 44 /* , */ || c === 91 /* [ */ || c === 93 /* ] */ || c === 123 /* { */ || c === 125; /* } */
}

/** Quoted scalars and one-line flow collections (`[a, b]`, `{key: value}`), nested as deep as written. */
class FlowReader {
  at = 0;

  constructor(private readonly text: string) {}

  value(): unknown {
    this.spaces();
    const c = this.text.charCodeAt(this.at);
    if (c === 91 /* [ */) return this.seq();
    if (c === 123 /* { */) return this.map();
    if (c === 34 /* " */) return this.doubleQuoted();
    if (c === 39 /* ' */) return this.singleQuoted();
    return this.plain();
  }

  private spaces(): void {
    while (this.text.charCodeAt(this.at) === 32) this.at++;
  }

  private seq(): unknown[] {
    const out: unknown[] = [];
    this.at++;
    this.spaces();
    if (this.text.charCodeAt(this.at) === 93 /* ] */) {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.spaces();
      const c = this.text.charCodeAt(this.at++);
      if (c === 93 /* ] */) return out;
      if (c !== 44 /* , */) unsupported(); // a pair in a list, a comment, the end of the line...
    }
  }

  private map(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.at++;
    this.spaces();
    if (this.text.charCodeAt(this.at) === 125 /* } */) {
      this.at++;
      return out;
    }
    for (;;) {
      this.spaces();
      const rest = this.text.slice(this.at);
      const colon = keyEnd(rest);
      if (colon < 0) unsupported();
      const key = rest.slice(0, colon);
      if (NON_STRING_KEYS.has(key) || Object.prototype.hasOwnProperty.call(out, key)) unsupported();
      this.at += colon + 1;
      this.spaces();
      const next = this.text.charCodeAt(this.at);
      if (next === 44 || next === 125) unsupported(); // `{key}` or `{key:}`: null values, rare
      out[key] = this.value();
      this.spaces();
      const c = this.text.charCodeAt(this.at++);
      if (c === 125 /* } */) return out;
      if (c !== 44 /* , */) unsupported();
    }
  }

  private plain(): unknown {
    const text = this.text;
    const start = this.at;
    const first = text.charCodeAt(start);
    if (
      Number.isNaN(first) ||
      INDICATORS.has(text[start]!) ||
      (first === 45 /* - */ && text.charCodeAt(start + 1) === 32)
    )
      unsupported();
    let j = start;
    for (; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (isFlowIndicator(c)) break;
      if (c === 58 /* : */) {
        const n = text.charCodeAt(j + 1);
        if (j + 1 === text.length || n === 32 || isFlowIndicator(n)) break;
      }
      if (c === 32 && text.charCodeAt(j + 1) === 35 /* # */) break;
    }
    this.at = j;
    const plain = text.slice(start, j).trimEnd();
    if (plain === '') unsupported();
    return resolvePlain(plain);
  }

  private doubleQuoted(): string {
    const text = this.text;
    let j = this.at + 1;
    for (;;) {
      if (j >= text.length) unsupported(); // continues on the next line
      const ch = text.charCodeAt(j);
      if (ch === 34 /* " */) break;
      j += ch === 92 /* \ */ ? 2 : 1;
    }
    const body = text.slice(this.at, j + 1);
    this.at = j + 1;
    // JSON's escapes mean the same in YAML; YAML's others (\x, \e, \N, \0...) are left to `yaml`.
    if (/\\[^"\\/bfnrtu]/.test(body)) unsupported();
    try {
      return JSON.parse(body) as string;
    } catch {
      return unsupported();
    }
  }

  private singleQuoted(): string {
    const text = this.text;
    let j = this.at + 1;
    for (;;) {
      if (j >= text.length) unsupported();
      if (text.charCodeAt(j) === 39 /* ' */) {
        if (text.charCodeAt(j + 1) !== 39) break;
        j += 2;
      } else j++;
    }
    const value = text.slice(this.at + 1, j).replace(/''/g, "'");
    this.at = j + 1;
    return value;
  }
}
