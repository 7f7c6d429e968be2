/**
 * Resolve a set of parsed .api.json files into one program: where each user type lives (its home
 * module), how every field is laid out (shape, size, offsets), and validation of the rules VPP's
 * vppapigen enforces (known types, count fields before their array, VLAs last, no cycles).
 */
import { CodegenError, type ApiFile, type AliasDef, type EnumDef, type FieldDef, type StructDef } from './model';

export type IntType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'bool';
export type Special = 'address' | 'prefix' | 'ip4' | 'ip6' | 'ip4prefix' | 'ip6prefix' | 'mac';

export interface TypeRef {
  module: string;
  name: string;
}

export type Shape =
  | { k: 'int'; t: IntType; size: number }
  | { k: 'big'; t: 'u64' | 'i64'; size: 8 }
  | { k: 'f64'; size: 8 }
  | { k: 'enum'; t: IntType; ref: TypeRef; def: EnumDef; size: number }
  | { k: 'special'; s: Special; size: number }
  | { k: 'struct'; ref: TypeRef; size: number; variable: boolean; info: StructInfo }
  | { k: 'union'; ref: TypeRef; size: number; info: StructInfo }
  | { k: 'bytes'; n: number; size: number }
  | { k: 'array'; elem: Shape; n: number; size: number }
  | { k: 'string'; n: number; size: number };

/** A field with its layout. `size` is its fixed size (0 for the variable tail). */
export interface FieldLayout {
  def: FieldDef;
  /** The element/value shape (for arrays: the element). */
  shape: Shape;
  /** 'scalar', fixed array 'fixed' (N elements), counted VLA 'vla', legacy VLA 'legacy', 'vstring' (string x[]), 'fstring'. */
  form: 'scalar' | 'fixed' | 'vla' | 'legacy' | 'vstring' | 'fstring';
  offset: number;
  size: number;
  /** For a count field: the arrays it counts. */
  counts: string[];
  /** For a VLA: the count field's integer type. */
  countType?: IntType;
}

export interface StructInfo {
  kind: 'type' | 'union' | 'message';
  name: string;
  module: string;
  file: string;
  fields: FieldLayout[];
  /** Size with every variable part empty (a union: its largest arm). */
  fixedSize: number;
  /** Has a variable-length tail (its last field). */
  variable: boolean;
  special?: Special;
}

const INT_SIZES: Record<string, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, bool: 1 };

const SPECIAL_STRUCTS: Record<string, { s: Special; size: number }> = {
  address: { s: 'address', size: 17 },
  prefix: { s: 'prefix', size: 18 },
  ip4_prefix: { s: 'ip4prefix', size: 5 },
  ip6_prefix: { s: 'ip6prefix', size: 17 },
};
const SPECIAL_ALIASES: Record<string, { s: Special; size: number }> = {
  ip4_address: { s: 'ip4', size: 4 },
  ip6_address: { s: 'ip6', size: 16 },
  mac_address: { s: 'mac', size: 6 },
};

export function bareTypeName(type: string): string | undefined {
  return type.startsWith('vl_api_') && type.endsWith('_t') && type.length > 9 ? type.slice(7, -2) : undefined;
}

interface FileTables {
  file: ApiFile;
  types: Map<string, StructDef>;
  unions: Map<string, StructDef>;
  enums: Map<string, EnumDef>;
  aliases: Map<string, AliasDef>;
}

export class Program {
  readonly files: ApiFile[];
  private readonly byModule = new Map<string, FileTables>();
  /** Resolved struct/union infos keyed by `module:name` of their home. */
  readonly structs = new Map<string, StructInfo>();
  private readonly resolving = new Set<string>();

  constructor(files: ApiFile[]) {
    this.files = files;
    for (const f of files) {
      if (this.byModule.has(f.module)) {
        throw new CodegenError(
          f.file,
          '',
          '',
          `module "${f.module}" is also defined by ${this.byModule.get(f.module)!.file.file}`,
        );
      }
      const t: FileTables = {
        file: f,
        types: new Map(f.types.map((x) => [x.name, x])),
        unions: new Map(f.unions.map((x) => [x.name, x])),
        enums: new Map([...f.enums, ...f.enumflags].map((x) => [x.name, x])),
        aliases: new Map(f.aliases.map((x) => [x.name, x])),
      };
      this.byModule.set(f.module, t);
    }
  }

  tables(module: string): FileTables {
    return this.byModule.get(module)!;
  }

  private has(t: FileTables, name: string): boolean {
    return t.types.has(name) || t.unions.has(name) || t.enums.has(name) || t.aliases.has(name);
  }

  /** The module a type seen in `module` really belongs to: followed through the file's imports. */
  homeOf(module: string, name: string, depth = 0): string {
    const t = this.byModule.get(module)!;
    if (depth > 32) return module;
    for (const imp of t.file.imports) {
      const m = imp.replace(/^.*\//, '').replace(/\.api$/, '');
      if (m === module) continue;
      const it = this.byModule.get(m);
      if (it && this.has(it, name)) return this.homeOf(m, name, depth + 1);
    }
    return module;
  }

  /** Resolve a field type as seen from `module`. `where` names the definition and field for errors. */
  shapeOf(module: string, type: string, where: { def: string; field: string }, seen: string[] = []): Shape {
    const t = this.byModule.get(module)!;
    const file = t.file.file;
    if (type in INT_SIZES) return { k: 'int', t: type as IntType, size: INT_SIZES[type]! };
    if (type === 'u64' || type === 'i64') return { k: 'big', t: type, size: 8 };
    if (type === 'f64') return { k: 'f64', size: 8 };
    const name = bareTypeName(type);
    if (name === undefined || !this.has(t, name)) {
      throw new CodegenError(
        file,
        where.def,
        where.field,
        `unknown type "${type}" (not a base type, and no typedef, union, enum or alias "${name ?? type}" in this file)`,
      );
    }
    if (seen.includes(name)) {
      throw new CodegenError(file, where.def, where.field, `cyclic type: ${[...seen, name].join(' -> ')}`);
    }
    const home = this.homeOf(module, name);
    const ref = { module: home, name };
    const ht = this.byModule.get(home)!;
    const e = ht.enums.get(name);
    if (e) {
      const it = e.enumtype as IntType;
      return { k: 'enum', t: it, ref, def: e, size: INT_SIZES[it]! };
    }
    const a = ht.aliases.get(name);
    if (a) {
      const sp = SPECIAL_ALIASES[name];
      if (sp && a.type === 'u8' && a.length === sp.size) return { k: 'special', s: sp.s, size: sp.size };
      const target = this.shapeOf(home, a.type, where, [...seen, name]);
      if (a.length === undefined) return target;
      if (a.length === 0) throw new CodegenError(ht.file.file, name, '', 'an alias cannot be a variable-length array');
      if (target.k === 'int' && target.t === 'u8') return { k: 'bytes', n: a.length, size: a.length };
      if (target.k === 'struct' && target.variable)
        throw new CodegenError(ht.file.file, name, '', 'an array alias of a variable-size type');
      return { k: 'array', elem: target, n: a.length, size: a.length * target.size };
    }
    const info = this.structInfo(home, name, [...seen, name], where);
    if (info.special) return { k: 'special', s: info.special, size: info.fixedSize };
    if (info.kind === 'union') return { k: 'union', ref, size: info.fixedSize, info };
    return { k: 'struct', ref, size: info.fixedSize, variable: info.variable, info };
  }

  structInfo(
    module: string,
    name: string,
    seen: string[] = [name],
    where?: { def: string; field: string },
  ): StructInfo {
    const key = module + ':' + name;
    const done = this.structs.get(key);
    if (done) return done;
    const t = this.byModule.get(module)!;
    if (this.resolving.has(key)) {
      throw new CodegenError(t.file.file, where?.def ?? name, where?.field ?? '', `cyclic type: ${seen.join(' -> ')}`);
    }
    this.resolving.add(key);
    const u = t.unions.get(name);
    const s = u ?? t.types.get(name)!;
    const info = this.layout(module, u ? 'union' : 'type', s, seen);
    this.resolving.delete(key);
    this.structs.set(key, info);
    return info;
  }

  messageInfo(module: string, m: StructDef): StructInfo {
    return this.layout(module, 'message', m, [m.name]);
  }

  private layout(module: string, kind: StructInfo['kind'], s: StructDef, seen: string[]): StructInfo {
    const file = this.byModule.get(module)!.file.file;
    const err = (field: string, problem: string): CodegenError => new CodegenError(file, s.name, field, problem);
    const fields: FieldLayout[] = [];
    let off = 0;
    let max = 0;
    let variable = false;
    const index = new Map<string, number>();
    s.fields.forEach((f, i) => index.set(f.name, i));
    s.fields.forEach((f, i) => {
      const where = { def: s.name, field: f.name };
      if (f.type === 'string' && f.length === undefined) throw err(f.name, 'a string must have a length');
      const shape: Shape =
        f.type === 'string'
          ? { k: 'string', n: f.length!, size: f.length! }
          : this.shapeOf(module, f.type, where, seen);
      let form: FieldLayout['form'];
      let size: number;
      let countType: IntType | undefined;
      if (f.type === 'string') {
        form = f.length === 0 ? 'vstring' : 'fstring';
        size = f.length === 0 ? 4 : f.length!;
        if (f.lengthField !== undefined) throw err(f.name, 'a string cannot have a count field');
      } else if (f.length === undefined) {
        form = 'scalar';
        size = shape.size;
      } else if (f.length > 0) {
        form = 'fixed';
        size = f.length * shape.size;
        if (shape.k === 'struct' && shape.variable) throw err(f.name, 'a fixed array of a variable-size type');
      } else if (f.lengthField !== undefined) {
        form = 'vla';
        size = 0;
        const ci = index.get(f.lengthField);
        if (ci === undefined) throw err(f.name, `count field "${f.lengthField}" does not exist`);
        if (ci > i) throw err(f.name, `count field "${f.lengthField}" comes after its array (it must precede it)`);
        const cl = fields[ci]!;
        const cs = cl.shape;
        if (cl.form !== 'scalar' || cs.k !== 'int' || cs.t === 'bool') {
          throw err(
            f.name,
            `count field "${f.lengthField}" must be an unsigned/signed integer, not ${s.fields[ci]!.type}`,
          );
        }
        countType = cs.t;
        cl.counts.push(f.name);
      } else {
        form = 'legacy';
        size = 0;
      }
      if (form === 'vla' || form === 'legacy' || form === 'vstring' || (shape.k === 'struct' && shape.variable)) {
        if (i !== s.fields.length - 1) {
          throw err(
            f.name,
            'a variable-length field must be the last field of its ' + (kind === 'message' ? 'message' : 'type'),
          );
        }
        if (kind === 'union') throw err(f.name, 'a union arm cannot have a variable length');
        variable = true;
      }
      if (
        f.default !== undefined &&
        !(form === 'scalar' && (shape.k === 'int' || shape.k === 'big' || shape.k === 'f64' || shape.k === 'enum'))
      ) {
        throw err(
          f.name,
          `a default (${JSON.stringify(f.default)}) is only allowed on a scalar number, bool or enum field`,
        );
      }
      const fl: FieldLayout = { def: f, shape, form, offset: kind === 'union' ? 0 : off, size, counts: [] };
      if (countType) fl.countType = countType;
      fields.push(fl);
      if (kind === 'union') max = Math.max(max, size);
      else off += size;
    });
    this.checkTags(file, s, fields);
    const info: StructInfo = {
      kind,
      name: s.name,
      module,
      file,
      fields,
      fixedSize: kind === 'union' ? max : off,
      variable,
    };
    if (kind === 'type') {
      const sp = SPECIAL_STRUCTS[s.name];
      if (sp && !variable && info.fixedSize === sp.size) info.special = sp.s;
    }
    return info;
  }

  /** 26.06+ tagged unions: `discriminator` names an earlier enum sibling; every arm `case` is one of its members. */
  private checkTags(file: string, s: StructDef, fields: FieldLayout[]): void {
    for (const fl of fields) {
      const d = fl.def.discriminator;
      if (d === undefined) continue;
      const err = (problem: string): CodegenError => new CodegenError(file, s.name, fl.def.name, problem);
      const di = fields.findIndex((x) => x.def.name === d);
      if (di < 0 || di >= fields.indexOf(fl)) throw err(`discriminator "${d}" must name an earlier field`);
      const ds = fields[di]!.shape;
      if (ds.k !== 'enum') throw err(`discriminator "${d}" must be an enum field`);
      const us = fl.shape;
      if (us.k !== 'union' && us.k !== 'special') throw err('a discriminator applies to a union field');
      if (us.k === 'union') {
        for (const arm of us.info.fields) {
          const c = arm.def.case;
          if (c !== undefined && !ds.def.members.some(([n]) => n === c)) {
            throw new CodegenError(
              file,
              us.info.name,
              arm.def.name,
              `case "${c}" is not a member of ${ds.def.name} (the discriminator ${s.name}.${d})`,
            );
          }
        }
      }
    }
  }
}
