/**
 * Parse and validate VPP `.api.json` files into a typed model. Every problem is a CodegenError
 * naming the file, the definition (message/type) and the field, so a bad definition can be fixed.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export class CodegenError extends Error {
  override readonly name = 'CodegenError';
  constructor(
    readonly file: string,
    readonly definition: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}${definition ? `: ${definition}` : ''}${field ? `.${field}` : ''}: ${problem}`);
  }
}

export const BASE_TYPES = new Set(['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64', 'f64', 'bool', 'string']);

export interface FieldDef {
  type: string;
  name: string;
  /** undefined: scalar; > 0 fixed array/string; 0 VLA (string x[] or legacy, or counted when lengthField). */
  length?: number;
  lengthField?: string;
  default?: unknown;
  discriminator?: string;
  case?: string;
}

export interface StructDef {
  name: string;
  fields: FieldDef[];
}

export interface EnumDef {
  name: string;
  members: [string, number][];
  enumtype: string;
  flags: boolean;
}

export interface AliasDef {
  name: string;
  type: string;
  length?: number;
}

export interface MessageDefJson extends StructDef {
  crc: string;
  options: Record<string, unknown>;
}

export interface ServiceDef {
  reply: string;
  stream?: boolean;
  stream_msg?: string;
  events?: string[];
}

export interface ApiFile {
  /** Path as given (for error messages). */
  file: string;
  /** Module name: `module` key or the file name without `.api.json`. */
  module: string;
  version: string;
  apiVersion?: string;
  imports: string[];
  types: StructDef[];
  unions: StructDef[];
  enums: EnumDef[];
  enumflags: EnumDef[];
  aliases: AliasDef[];
  messages: MessageDefJson[];
  services: Record<string, ServiceDef>;
  /** The parsed JSON, for `import` (written back without comments). */
  raw: Record<string, unknown>;
}

export function moduleNameOf(path: string): string {
  return basename(path)
    .replace(/\.api\.json$/, '')
    .replace(/\.json$/, '');
}

export function readApiFile(path: string): ApiFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CodegenError(path, '', '', `cannot read: ${(e as Error).message}`);
  }
  return parseApiJson(path, text);
}

export function parseApiJson(file: string, text: string): ApiFile {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new CodegenError(file, '', '', `bad JSON: ${(e as Error).message}`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) {
    throw new CodegenError(file, '', '', 'expected a JSON object with "messages", "types", ... (an .api.json file)');
  }
  const o = j as Record<string, unknown>;
  const err = (def: string, field: string, problem: string): CodegenError =>
    new CodegenError(file, def, field, problem);
  const arr = (key: string): unknown[] => {
    const v = o[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw err('', '', `"${key}" must be an array`);
    return v;
  };
  if (!Array.isArray(o.messages)) throw err('', '', 'missing "messages" array: not an .api.json file');
  const vlv = o.vl_api_version;
  if (typeof vlv !== 'string' || !/^0x[0-9a-f]+$/i.test(vlv)) {
    throw err('', '', `"vl_api_version" must be a hex string like "0x709f48a6"`);
  }
  const module = typeof o.module === 'string' ? o.module : moduleNameOf(file);
  if (!/^[a-z_][a-z0-9_]*$/.test(module)) throw err('', '', `module name "${module}" is not an identifier`);

  const parseField = (def: string, f: unknown, index: number): FieldDef => {
    if (!Array.isArray(f) || f.length < 2 || typeof f[0] !== 'string' || typeof f[1] !== 'string') {
      throw err(def, `#${index}`, `a field must be [type, name, ...], got ${JSON.stringify(f)}`);
    }
    const [type, name] = f as [string, string];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw err(def, name, 'field name is not an identifier');
    const fd: FieldDef = { type, name };
    if (f.length >= 3) {
      const third: unknown = f[2];
      if (typeof third === 'number') {
        if (!Number.isInteger(third) || third < 0)
          throw err(def, name, `array length must be a non-negative integer, got ${third}`);
        fd.length = third;
        if (f.length >= 4) {
          if (typeof f[3] !== 'string')
            throw err(def, name, 'the 4th element of an array field must name its count field');
          if (third !== 0) throw err(def, name, 'a counted array must have length 0');
          fd.lengthField = f[3] as string;
        }
        if (f.length > 4) throw err(def, name, 'too many elements in field');
      } else if (typeof third === 'object' && third !== null && !Array.isArray(third)) {
        const opts = third as Record<string, unknown>;
        if ('default' in opts) fd.default = opts.default;
        if (typeof opts.discriminator === 'string') fd.discriminator = opts.discriminator;
        if (typeof opts.case === 'string') fd.case = opts.case;
        if (f.length > 3) throw err(def, name, 'too many elements in field');
      } else throw err(def, name, `3rd element must be a length or options object, got ${JSON.stringify(third)}`);
    }
    if (type === 'string' && fd.length === undefined)
      throw err(def, name, 'a string must be an array: ["string", name, N] or ["string", name, 0]');
    return fd;
  };

  const parseStruct = (
    kind: string,
    t: unknown,
    index: number,
  ): { name: string; fields: FieldDef[]; trailer?: Record<string, unknown> } => {
    if (!Array.isArray(t) || typeof t[0] !== 'string')
      throw err(`${kind}[${index}]`, '', `a ${kind} entry must be [name, field...]`);
    const name = t[0];
    const fields: FieldDef[] = [];
    let trailer: Record<string, unknown> | undefined;
    for (let i = 1; i < t.length; i++) {
      const f: unknown = t[i];
      if (typeof f === 'object' && f !== null && !Array.isArray(f)) {
        if (i !== t.length - 1) throw err(name, '', 'the options object must be the last element');
        trailer = f as Record<string, unknown>;
      } else fields.push(parseField(name, f, i));
    }
    const seen = new Set<string>();
    for (const f of fields) {
      if (seen.has(f.name)) throw err(name, f.name, 'duplicate field name');
      seen.add(f.name);
    }
    return trailer ? { name, fields, trailer } : { name, fields };
  };

  const parseEnum = (t: unknown, index: number, flags: boolean): EnumDef => {
    const kind = flags ? 'enumflags' : 'enums';
    if (!Array.isArray(t) || typeof t[0] !== 'string')
      throw err(`${kind}[${index}]`, '', 'an enum entry must be [name, [MEMBER, value]..., {"enumtype": ...}]');
    const name = t[0];
    const members: [string, number][] = [];
    let enumtype = 'u32';
    for (let i = 1; i < t.length; i++) {
      const m: unknown = t[i];
      if (
        Array.isArray(m) &&
        m.length === 2 &&
        typeof m[0] === 'string' &&
        typeof m[1] === 'number' &&
        Number.isInteger(m[1])
      ) {
        members.push([m[0], m[1]]);
      } else if (typeof m === 'object' && m !== null && !Array.isArray(m)) {
        const et = (m as Record<string, unknown>).enumtype;
        if (et !== undefined) {
          if (typeof et !== 'string' || !['u8', 'u16', 'u32', 'i8', 'i16', 'i32'].includes(et))
            throw err(name, '', `bad enumtype ${JSON.stringify(et)}`);
          enumtype = et;
        }
      } else throw err(name, `#${i}`, `an enum member must be [NAME, integer], got ${JSON.stringify(m)}`);
    }
    return { name, members, enumtype, flags };
  };

  const messages: MessageDefJson[] = arr('messages').map((m, i) => {
    const s = parseStruct('message', m, i);
    const trailer = s.trailer ?? {};
    const crc = trailer.crc;
    if (typeof crc !== 'string' || !/^0x[0-9a-f]{8}$/i.test(crc))
      throw err(s.name, '', `missing or bad "crc" (want "0x" + 8 hex digits), got ${JSON.stringify(crc)}`);
    const options = (trailer.options ?? {}) as Record<string, unknown>;
    return { name: s.name, fields: s.fields, crc: crc.toLowerCase(), options };
  });

  const aliasesRaw = o.aliases ?? {};
  if (typeof aliasesRaw !== 'object' || aliasesRaw === null || Array.isArray(aliasesRaw))
    throw err('', '', '"aliases" must be an object');
  const aliases: AliasDef[] = Object.entries(aliasesRaw as Record<string, unknown>).map(([name, a]) => {
    if (typeof a !== 'object' || a === null || typeof (a as { type?: unknown }).type !== 'string')
      throw err(name, '', 'an alias must be {"type": T} or {"type": T, "length": N}');
    const { type, length } = a as { type: string; length?: unknown };
    if (length !== undefined && (typeof length !== 'number' || !Number.isInteger(length) || length < 0))
      throw err(name, '', `bad alias length ${JSON.stringify(length)}`);
    return length === undefined ? { name, type } : { name, type, length: length as number };
  });

  const servicesRaw = o.services ?? {};
  if (typeof servicesRaw !== 'object' || servicesRaw === null || Array.isArray(servicesRaw))
    throw err('', '', '"services" must be an object');
  const services: Record<string, ServiceDef> = {};
  for (const [caller, s] of Object.entries(servicesRaw as Record<string, unknown>)) {
    if (typeof s !== 'object' || s === null || typeof (s as { reply?: unknown }).reply !== 'string')
      throw err(caller, '', 'a service must be {"reply": name, ...}');
    services[caller] = s as ServiceDef;
  }
  const options = (o.options ?? {}) as Record<string, unknown>;
  const f: ApiFile = {
    file,
    module,
    version: vlv,
    imports: (arr('imports') as unknown[]).filter((x): x is string => typeof x === 'string'),
    types: arr('types')
      .map((t, i) => parseStruct('types', t, i))
      .map(({ name, fields }) => ({ name, fields })),
    unions: arr('unions')
      .map((t, i) => parseStruct('unions', t, i))
      .map(({ name, fields }) => ({ name, fields })),
    enums: arr('enums').map((t, i) => parseEnum(t, i, false)),
    enumflags: arr('enumflags').map((t, i) => parseEnum(t, i, true)),
    aliases,
    messages,
    services,
    raw: o,
  };
  if (typeof options.version === 'string') f.apiVersion = options.version;
  return f;
}
