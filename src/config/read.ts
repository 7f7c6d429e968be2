/**
 * From text to data: which format (JSON or YAML) and why, the size limits, the parse, and a placer
 * that turns data paths into lines and columns. Plain JSON (JSON.parse) and plain block YAML
 * (js-yaml, see fast-yaml.ts) take a fast path; `yaml`, which keeps positions, reads everything
 * else, and places findings in YAML only when there is one to place.
 */
import { printParseErrorCode, visit } from 'jsonc-parser';
import { LineCounter, parseAllDocuments, parseDocument, type Document } from 'yaml';
import { parsePlainBlockYaml } from './fast-yaml';
import { echo } from './echo';
import { MAX_VALUES, checkLimits, countValues, tooManyValues } from './limits';
import { JsonLocator, Locator, placeOfOffset, type Placer } from './locate';
import type { Diagnostic } from './model';

export type Format = 'JSON' | 'YAML';

export type ReadResult =
  { readonly data: unknown; readonly placer: Placer; readonly format: Format } | { readonly diagnostics: Diagnostic[] };

/** JSON when the name says so or the text starts like JSON; the reason goes into JSON error messages. */
export function formatOf(text: string, file: string): { format: Format; why: string } {
  if (/\.json$/i.test(file)) return { format: 'JSON', why: 'its name ends in .json' };
  const first = /\S/.exec(text)?.[0];
  if (first === '{' || first === '[') return { format: 'JSON', why: `it starts with '${first}'` };
  return { format: 'YAML', why: 'it does not start with { or [ and its name does not end in .json' };
}

export function readDocument(text: string, file: string): ReadResult {
  const { format, why } = formatOf(text, file);
  const failAt = (offset: number, message: string): ReadResult => {
    const { line, column } = offset < 0 ? { line: 0, column: 0 } : placeOfOffset(text, offset);
    return { diagnostics: [{ severity: 'error', file, line, column, path: '', message }] };
  };

  const breach = checkLimits(text, format);
  if (breach) return failAt(breach.offset, breach.message);

  if (format === 'JSON') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      const { offset, what } = jsonSyntaxError(text, (err as Error).message);
      return failAt(
        offset,
        `JSON syntax error: ${what} (read as JSON because ${why}): fix the JSON, or write YAML in a file not named .json`,
      );
    }
    const dup = duplicateKey(text);
    if (dup) {
      return failAt(
        dup.offset,
        `JSON syntax error: Map keys must be unique: "${echo(dup.key)}" appears twice in one object; keep one`,
      );
    }
    const over = valuesOver(data);
    if (over) return failAt(-1, over);
    return { data, placer: new JsonLocator(text), format };
  }

  let parsed: { doc: Document; lines: LineCounter } | undefined;
  const yamlParse = () => {
    if (!parsed) {
      const lines = new LineCounter();
      parsed = { doc: parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true }), lines };
    }
    return parsed;
  };
  const placer = new Locator(yamlParse);

  const fast = parsePlainBlockYaml(text);
  if (fast !== undefined) {
    const over = valuesOver(fast);
    if (over) return failAt(-1, over);
    return { data: fast, placer, format };
  }
  // Bounded before `yaml` builds its (large) node tree.
  const count = countValues(text, MAX_VALUES + 1);
  if (count.count > MAX_VALUES) return failAt(count.offset, tooManyValues());
  const { doc } = yamlParse();
  if (doc.errors.length > 0) {
    const diagnostics: Diagnostic[] = [];
    for (const err of doc.errors) {
      const { line, column } = placer.offsetPlace(err.pos[0]);
      const message =
        err.code === 'MULTIPLE_DOCS'
          ? `the file holds ${parseAllDocuments(text).length} YAML documents and vppwg reads one: remove the \`---\` separators between them (keep at most one, at the top) and merge the documents into one mapping`
          : `YAML syntax error: ${err.message.split('\n')[0]!.trim()}`;
      diagnostics.push({ severity: 'error', file, line, column, path: '', message });
    }
    return { diagnostics };
  }
  try {
    return { data: doc.toJS({ maxAliasCount: 1000 }), placer, format };
  } catch (err) {
    return failAt(0, `cannot read the YAML document: ${(err as Error).message}`);
  }
}

/** The limit message when parsed data holds more than MAX_VALUES values (counted without recursion). */
function valuesOver(data: unknown): string | undefined {
  let count = 0;
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const v = stack.pop();
    count++;
    if (count > MAX_VALUES) return tooManyValues();
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) stack.push(x);
  }
  return undefined;
}

/** Where JSON.parse failed and why, in words without the engine's excerpt of the text. */
function jsonSyntaxError(text: string, engineMessage: string): { offset: number; what: string } {
  let offset: number | undefined;
  let code: string | undefined;
  visit(
    text,
    {
      onError: (error, off) => {
        if (offset === undefined) {
          offset = off;
          code = printParseErrorCode(error);
        }
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  const position = /at position (\d+)/.exec(engineMessage);
  offset ??= position ? Number(position[1]) : text.length;
  let what = engineMessage
    .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .trim();
  if (what === '' && code) what = code;
  // The usual slips, said plainly.
  const before = text.slice(0, offset).trimEnd();
  if (before.endsWith(',') && /^\s*[\]}]/.test(text.slice(offset)))
    what += '; JSON allows no comma before a closing bracket';
  else if (code === 'InvalidCommentToken') what += '; JSON has no comments';
  return { offset, what };
}

/** The first key repeated within one object, with its offset; JSON.parse would silently keep the last. */
function duplicateKey(text: string): { key: string; offset: number } | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \\ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return { key, offset: i };
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === 0x5b /* [ */) {
      stack.push(null);
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      stack.pop();
    } else if (ch === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return undefined;
}
