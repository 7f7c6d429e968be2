/**
 * Bounds on what vppwg reads, so that a huge or hostile file fails fast with a clear message
 * instead of exhausting memory in the parser. Measured on a 50,000-peer file (each peer with a
 * preshared key file, an endpoint, three allowed IPs, a next hop and a route): 35 MB as JSON
 * indented by two, 48 MB by four, 25 MB as YAML; about 900,000 values; no line over 200
 * characters. The limits leave several times that.
 */

/** Bytes of a desired-state file. */
export const MAX_FILE_BYTES = 128 * 1024 * 1024;
/** Values (scalars and flow collections, keys not counted) in one file: about 4x the 50,000-peer file. */
export const MAX_VALUES = 4_000_000;
/**
 * Characters of one YAML line. The position-keeping YAML parser slows down badly on very long
 * lines (a 1 MB flow list took it seconds and hundreds of MB); JSON has no such limit, as it is
 * read and placed by JSON parsers.
 */
export const MAX_YAML_LINE = 65_536;
/** Findings reported per file; the rest are counted. */
export const MAX_FINDINGS = 100;

/** A limit the text breaks: what to say and where (an offset into the text). */
export interface LimitBreach {
  readonly message: string;
  readonly offset: number;
}

const n = (x: number) => x.toLocaleString('en-US');

/** The first limit `text` breaks, or undefined. One linear scan; nothing is parsed. */
export function checkLimits(text: string, format: 'JSON' | 'YAML'): LimitBreach | undefined {
  if (text.length > MAX_FILE_BYTES) {
    return { message: fileTooLarge(text.length), offset: 0 };
  }
  const values = countValues(text, MAX_VALUES + 1);
  if (values.count > MAX_VALUES) {
    return { message: tooManyValues(), offset: values.offset };
  }
  if (format === 'YAML') {
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end - start > MAX_YAML_LINE) {
        return {
          message: `this YAML line is ${n(end - start)} characters long, over the limit of ${n(MAX_YAML_LINE)}: break the list or mapping over several lines (one entry per line)`,
          offset: start,
        };
      }
      start = end + 1;
    }
  }
  return undefined;
}

export function tooManyValues(): string {
  return `the file holds more than ${n(MAX_VALUES)} values, the most vppwg reads (a 50,000-peer file holds about 900,000): remove what does not belong in a desired state, or split the interfaces over several vppwg instances`;
}

export function fileTooLarge(bytes: number): string {
  return `the file is ${n(bytes)} bytes, over the limit of ${n(MAX_FILE_BYTES)} (a 50,000-peer file is about 35 MB): remove what does not belong in a desired state, or split the interfaces over several vppwg instances`;
}

/**
 * An estimate of the values in YAML or JSON text, without parsing: every scalar (plain or quoted)
 * that is not a key, and every flow collection. Stops counting at `stopAt`; `offset` is where the
 * count reached it.
 */
export function countValues(text: string, stopAt = Infinity): { count: number; offset: number } {
  let count = 0;
  const len = text.length;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x2c /* , */ || c === 0x5d || c === 0x7d) {
      i++;
      continue;
    }
    const start = i;
    if (c === 0x23 /* # */ && (i === 0 || isSpace(text.charCodeAt(i - 1)))) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? len : eol;
      continue;
    }
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      count++;
      i++;
    } else if (c === 0x2d /* - */ && (i + 1 === len || isSpace(text.charCodeAt(i + 1)))) {
      i++; // a block sequence entry: its value is counted next
      continue;
    } else {
      let key = false;
      if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
        i++;
        while (i < len && text.charCodeAt(i) !== c) i += c === 0x22 && text.charCodeAt(i) === 0x5c ? 2 : 1;
        i++;
      } else {
        while (i < len && !isSpace(text.charCodeAt(i)) && !isFlow(text.charCodeAt(i))) i++;
        key = text.charCodeAt(i - 1) === 0x3a; // `key:`
      }
      let j = i;
      while (j < len && (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x09)) j++;
      if (text.charCodeAt(j) === 0x3a /* : */) key = true;
      if (!key) count++;
    }
    if (count >= stopAt) return { count, offset: start };
  }
  return { count, offset: len };
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isFlow = (c: number) => c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
