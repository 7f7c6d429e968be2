/**
 * Reading a desired-state file: parse (YAML or JSON, with positions), check the shape against the
 * JSON Schema, check the meaning (addresses, keys, tables, overlaps, coverage, VPP's rules), and
 * build the normalised DesiredState. All findings are collected and reported together; any error
 * means no state, so nothing can reach VPP from an invalid file.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { echo, echoValue } from './echo';
import { Findings } from './findings';
import { MAX_FILE_BYTES, fileTooLarge } from './limits';
import { fromPointer, toPointer, type DataPath } from './locate';
import type { DesiredState, Diagnostic } from './model';
import { readDocument } from './read';
import { desiredStateSchema } from './schema';
import { analyse, peerPlaces } from './semantic';

export { MAX_TAG_LENGTH, TAG_PREFIX, MAX_INSTANCE, ownerTag } from './tag';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Directory that relative key file paths are resolved against (default: the file's directory, or the cwd for text). */
  baseDir?: string;
  /** When known (the connected VPP has wireguard_peer_add_v2 or not). */
  capabilities?: { presharedKeys: boolean };
}

export interface LoadResult {
  state?: DesiredState;
  diagnostics: Diagnostic[];
}

let compiled: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    ajv.addKeyword({ keyword: 'x-what', schemaType: 'string' });
    compiled = ajv.compile(desiredStateSchema);
  }
  return compiled;
}

export function parseDesiredState(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  const read = readDocument(text, file);
  if ('diagnostics' in read) return { diagnostics: read.diagnostics };
  const { data, placer } = read;
  const f = new Findings(file, placer);
  if (data === null || data === undefined) {
    f.error([], 'the file is empty: write a mapping with at least `wireguard:` (see deploy/examples/)');
    return { diagnostics: f.report() };
  }

  const validate = schemaValidator();
  if (!validate(data)) reportSchemaErrors(validate.errors ?? [], data, f);

  const baseDir = opts.baseDir ?? process.cwd();
  const state = analyse(data, f, { env: opts.env ?? process.env, baseDir });
  if (state && opts.capabilities) {
    for (const d of checkAgainstCapabilities(state, file, opts.capabilities)) f.list.push(d);
  }
  const diagnostics = f.report();
  return f.hasErrors() || !state ? { diagnostics } : { state, diagnostics };
}

export function loadDesiredState(path: string, opts: LoadOptions = {}): LoadResult {
  let text: string;
  try {
    // Checked before reading, so a huge file is not read into memory at all.
    const { size } = statSync(path);
    if (size > MAX_FILE_BYTES) {
      return {
        diagnostics: [{ severity: 'error', file: path, line: 0, column: 0, path: '', message: fileTooLarge(size) }],
      };
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return {
      diagnostics: [
        {
          severity: 'error',
          file: path,
          line: 0,
          column: 0,
          path: '',
          message: `cannot read the file (${code}): check the path and its permissions`,
        },
      ],
    };
  }
  return parseDesiredState(text, path, { ...opts, baseDir: opts.baseDir ?? dirname(resolve(path)) });
}

export function checkAgainstCapabilities(
  state: DesiredState,
  file: string,
  caps: { presharedKeys: boolean },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (caps.presharedKeys) return out;
  for (const wg of state.wireguard) {
    for (const peer of wg.peers) {
      if (!peer.presharedKey) continue;
      const place = peerPlaces.get(peer);
      out.push({
        severity: 'error',
        file: place?.file ?? file,
        line: place?.line ?? 0,
        column: place?.column ?? 0,
        path: place ? toPointer([...place.path, 'preshared_key']) : '',
        message:
          `peer "${peer.name}" of "${wg.name}" has a preshared_key, but the connected VPP lacks wireguard_peer_add_v2 ` +
          '(preshared keys need VPP 26.06 or later; 24.10 has none): remove preshared_key or upgrade VPP',
      });
    }
  }
  return out;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  return `${where}: ${d.severity}: ${d.message}`;
}

// ---------------------------------------------------------------------------------------------
// Schema errors, in words

function reportSchemaErrors(errors: ErrorObject[], data: unknown, f: Findings): void {
  for (const e of errors) {
    if (e.keyword === 'if') continue; // the failing branch reports itself
    const path = fromPointer(e.instancePath);
    const what = (e.parentSchema as { 'x-what'?: string } | undefined)?.['x-what'];
    const here = describePath(path);
    f.markBad(path);
    switch (e.keyword) {
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        const props = (e.parentSchema as { properties?: Record<string, { 'x-what'?: string }> }).properties ?? {};
        const hint = props[missing]?.['x-what'];
        f.error(path, `${here} lacks "${missing}"${hint ? ` (${hint})` : ''}: add it`, 'key');
        break;
      }
      case 'additionalProperties': {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        const guess = closest(extra, allowed);
        f.markBad([...path, extra]);
        f.error(
          [...path, extra],
          `unknown key "${echo(extra)}" in ${here}: ${guess ? `did you mean "${guess}"? ` : ''}allowed keys are ${allowed.join(', ')}`,
          'key',
        );
        break;
      }
      case 'type': {
        const want = (e.params as { type: string | string[] }).type;
        f.error(path, `${here} must be ${what ?? typeWords(want)}, not ${jsonType(e.data)}${typeHint(want, e.data)}`);
        break;
      }
      case 'minimum':
      case 'maximum': {
        const s = e.parentSchema as { minimum?: number; maximum?: number };
        f.error(path, `${here} is ${String(e.data)}, out of range: it must be ${what ?? `${s.minimum}..${s.maximum}`}`);
        break;
      }
      case 'const':
      case 'enum': {
        const choices =
          e.keyword === 'enum'
            ? (e.params as { allowedValues: unknown[] }).allowedValues
            : [(e.params as { allowedValue: unknown }).allowedValue];
        f.error(
          path,
          `${here} is ${echoValue(safeData(path, e.data))}: it must be ${what ?? choices.map((c) => JSON.stringify(c)).join(' or ')}`,
        );
        break;
      }
      case 'minItems':
      case 'maxItems': {
        const n = Array.isArray(e.data) ? e.data.length : 0;
        f.error(
          path,
          `${here} has ${n} entries: it must be ${what ?? `${e.keyword === 'minItems' ? 'at least' : 'at most'} ${(e.params as { limit: number }).limit} entries`}`,
        );
        break;
      }
      case 'uniqueItems': {
        const p = e.params as { i: number; j: number };
        f.error([...path, p.i], `${here} lists the same value twice: remove the duplicate`);
        break;
      }
      case 'minProperties':
      case 'maxProperties':
        f.error(path, `${here} must be ${what ?? 'a mapping'}: give exactly one of its keys`);
        break;
      case 'pattern':
      case 'minLength':
      case 'maxLength':
        f.error(
          path,
          `${here} ${echoValue(safeData(path, e.data))} is not valid: it must be ${what ?? e.message ?? 'valid'}`,
        );
        break;
      default:
        f.error(path, `${here} ${e.message ?? 'is not valid'}`);
    }
  }
}

/** Never echo a value that might be key material. */
function safeData(path: DataPath, value: unknown): unknown {
  return path.some((s) => s === 'private_key' || s === 'preshared_key') ? '…' : value;
}

function describePath(path: DataPath): string {
  if (path.length === 0) return 'the document';
  return toPointer(path).slice(1).replace(/\//g, '.');
}

/** The usual slips behind a type error, said plainly. */
function typeHint(want: string | string[], got: unknown): string {
  if (want === 'boolean' && typeof got === 'string')
    return ' (write true or false; yes/no/on/off are strings in YAML 1.2)';
  if (want === 'array' && typeof got === 'object' && got !== null)
    return " (start each entry with '- ', or write [a, b])";
  if (want === 'array' && typeof got === 'string') return ' (write a list: [item] or [a, b])';
  if (want === 'integer' && typeof got === 'string' && /^\d+$/.test(got)) return ' (remove the quotes)';
  if (want === 'object' && Array.isArray(got)) return " (remove the '- ' before the keys)";
  return '';
}

function typeWords(t: string | string[]): string {
  const list = Array.isArray(t) ? t : [t];
  return list
    .map((x) =>
      x === 'object'
        ? 'a mapping'
        : x === 'array'
          ? 'a list'
          : x === 'integer'
            ? 'an integer'
            : x === 'boolean'
              ? 'true or false'
              : `a ${x}`,
    )
    .join(' or ');
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? `the number ${v}` : `the number ${v}`;
  if (typeof v === 'string') return 'a string';
  return typeof v;
}

function closest(word: string, choices: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of choices) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  if (bestDist <= Math.max(2, Math.ceil(word.length / 2))) return best;
  // A shortened key ('addr', 'keepalive') is the start or the end of the intended one.
  const lower = word.toLowerCase();
  return choices.find((c) => lower.length >= 3 && (c.startsWith(lower) || c.endsWith(lower)));
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
