/**
 * Emit one TypeScript module per .api.json file: types, straight-line encoders/decoders per type and
 * message (every offset a constant), and MessageDef objects with their service relations.
 */
import type { ApiFile, EnumDef, MessageDefJson, ServiceDef } from './model';
import { CodegenError } from './model';
import type { FieldLayout, IntType, Program, Shape, StructInfo, TypeRef } from './resolve';
import { messageCrc, fileCrcTypes } from './crc';

export function pascal(name: string): string {
  return name
    .split('_')
    .filter((p) => p.length > 0)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await arguments eval'
  ).split(' '),
);

export function moduleAlias(m: string): string {
  return '$' + m;
}

const INT_MAX: Record<IntType, number> = {
  u8: 255,
  i8: 127,
  u16: 65535,
  i16: 32767,
  u32: 4294967295,
  i32: 2147483647,
  bool: 1,
};

/** `p + k` with constant offsets folded ('o + 72' + 1 -> 'o + 73'). */
function add(p: string, k: number): string {
  if (k === 0) return p;
  const m = /^(.*) \+ (\d+)$/.exec(p);
  if (m) return `${m[1]} + ${Number(m[2]) + k}`;
  return `${p} + ${k}`;
}

function readInt(t: IntType, p: string): string {
  switch (t) {
    case 'u8':
      return `b[${p}]!`;
    case 'bool':
      return `b[${p}] !== 0`;
    case 'i8':
      return `(b[${p}]! << 24) >> 24`;
    case 'u16':
      return `(b[${p}]! << 8) | b[${add(p, 1)}]!`;
    case 'i16':
      return `((b[${p}]! << 24) | (b[${add(p, 1)}]! << 16)) >> 16`;
    case 'u32':
      return `((b[${p}]! << 24) | (b[${add(p, 1)}]! << 16) | (b[${add(p, 2)}]! << 8) | b[${add(p, 3)}]!) >>> 0`;
    case 'i32':
      return `(b[${p}]! << 24) | (b[${add(p, 1)}]! << 16) | (b[${add(p, 2)}]! << 8) | b[${add(p, 3)}]!`;
  }
}

function writeInt(t: IntType, p: string, x: string): string {
  switch (t) {
    case 'u8':
    case 'i8':
      return `b[${p}] = ${x};`;
    case 'bool':
      return `b[${p}] = ${x} ? 1 : 0;`;
    case 'u16':
    case 'i16':
      return `b[${p}] = ${x} >>> 8; b[${add(p, 1)}] = ${x};`;
    case 'u32':
    case 'i32':
      return `b[${p}] = ${x} >>> 24; b[${add(p, 1)}] = ${x} >>> 16; b[${add(p, 2)}] = ${x} >>> 8; b[${add(p, 3)}] = ${x};`;
  }
}

function intCheck(t: IntType, x: string): string {
  switch (t) {
    case 'u8':
      return `(${x} & 0xff) !== ${x}`;
    case 'i8':
      return `((${x} << 24) >> 24) !== ${x}`;
    case 'u16':
      return `(${x} & 0xffff) !== ${x}`;
    case 'i16':
      return `((${x} << 16) >> 16) !== ${x}`;
    case 'u32':
      return `(${x} >>> 0) !== ${x}`;
    case 'i32':
      return `(${x} | 0) !== ${x}`;
    case 'bool':
      return `typeof ${x} !== 'boolean'`;
  }
}

function pos(base: string, off: number | string): string {
  return off === 0 ? base : `${base} + ${off}`;
}

export interface GenOptions {
  generatorVersion: string;
}

/** Generates the file text of one module. */
export class ModuleEmitter {
  private readonly lines: string[] = [];
  private readonly usedModules = new Set<string>();
  private tmp = 0;
  private readonly names = new Map<string, string>();

  constructor(
    private readonly prog: Program,
    private readonly file: ApiFile,
    private readonly opts: GenOptions,
  ) {}

  private err(def: string, field: string, problem: string): CodegenError {
    return new CodegenError(this.file.file, def, field, problem);
  }

  private claim(ident: string, what: string): void {
    const prev = this.names.get(ident);
    if (prev !== undefined && prev !== what) {
      throw this.err(what, '', `generated name ${ident} collides with the one for ${prev}`);
    }
    this.names.set(ident, what);
  }

  private ref(r: TypeRef, prefix: string, suffix = ''): string {
    const id = prefix + pascal(r.name) + suffix;
    if (r.module === this.file.module) return id;
    this.usedModules.add(r.module);
    return `${moduleAlias(r.module)}.${id}`;
  }

  private fresh(): string {
    return `t${this.tmp++}`;
  }

  // ------------------------------------------------------------------ TS types

  private shapeType(s: Shape, input: boolean): string {
    switch (s.k) {
      case 'int':
        return s.t === 'bool' ? 'boolean' : 'number';
      case 'big':
        return 'bigint';
      case 'f64':
        return 'number';
      case 'enum':
        return this.ref(s.ref, '', input ? 'In' : '');
      case 'special':
      case 'string':
        return 'string';
      case 'struct':
      case 'union':
        return this.ref(s.ref, '', input ? 'In' : '');
      case 'bytes':
        return 'Uint8Array';
      case 'array':
        return `${this.wrapArr(this.shapeType(s.elem, input))}[]`;
    }
  }

  private wrapArr(t: string): string {
    return /[ |&]/.test(t) ? `(${t})` : t;
  }

  private fieldType(fl: FieldLayout, input: boolean): string {
    const s = fl.shape;
    if (fl.form === 'fstring' || fl.form === 'vstring' || fl.form === 'scalar') return this.shapeType(s, input);
    if (s.k === 'int' && s.t === 'u8') return 'Uint8Array';
    return `${this.wrapArr(this.shapeType(s, input))}[]`;
  }

  private isCount(fl: FieldLayout): boolean {
    return fl.counts.length > 0;
  }

  private emitInterfaces(name: string, info: StructInfo, what: string): void {
    const P = pascal(name);
    this.claim(P, what);
    this.claim(P + 'In', what);
    const visible = info.fields.filter((f) => !this.isCount(f) && f.def.name !== '_vl_msg_id');
    const optional = (f: FieldLayout, input: boolean): boolean =>
      input || (info.kind === 'union' && this.canThrowField(f));
    const body = (input: boolean): string =>
      visible.map((f) => `  ${f.def.name}${optional(f, input) ? '?' : ''}: ${this.fieldType(f, input)};`).join('\n');
    this.lines.push(`export interface ${P} {\n${body(false)}\n}`);
    this.lines.push(`export interface ${P}In {\n${body(true)}\n}`);
  }

  // ------------------------------------------------------------------ encode

  private defaultLiteral(fl: FieldLayout, def: string): string | undefined {
    const d = fl.def.default;
    if (d === undefined) return undefined;
    const s = fl.shape;
    const bad = (): never => {
      throw this.err(def, fl.def.name, `default ${JSON.stringify(d)} does not fit type ${fl.def.type}`);
    };
    if (s.k === 'int' && s.t === 'bool') {
      if (d === 'true' || d === true) return 'true';
      if (d === 'false' || d === false) return 'false';
      if (typeof d === 'number') return d !== 0 ? 'true' : 'false';
      return bad();
    }
    if (s.k === 'big') {
      if (typeof d !== 'number' || !Number.isInteger(d)) return bad();
      return `${BigInt(d)}n`;
    }
    if (s.k === 'f64') {
      if (typeof d !== 'number') return bad();
      return String(d);
    }
    if (s.k === 'int' || s.k === 'enum') {
      if (typeof d === 'string' && s.k === 'enum') {
        const m = s.def.members.find(([n]) => n === d);
        if (!m) return bad();
        return String(m[1]);
      }
      if (typeof d !== 'number' || !Number.isInteger(d)) return bad();
      // Out-of-range defaults (a u8 enum with ~0) wrap as C's assignment does.
      return String(wrapInt(s.t, d));
    }
    return bad();
  }

  /** Statements writing one value of `shape` from `val` at byte position `p`; `field` names it in errors ('' inside arrays). */
  private putValue(s: Shape, val: string, p: string, field: string, dflt?: string): string[] {
    const q = JSON.stringify(field);
    const v = dflt !== undefined ? `(${val} ?? ${dflt})` : val;
    switch (s.k) {
      case 'int': {
        const x = this.fresh();
        const init = dflt !== undefined ? v : `${val} ?? ${s.t === 'bool' ? 'false' : '0'}`;
        return [`const ${x} = ${init};`, `if (${intCheck(s.t, x)}) badInt(${q}, '${s.t}', ${x});`, writeInt(s.t, p, x)];
      }
      case 'enum': {
        const x = this.fresh();
        const init = dflt !== undefined ? v : `${val} ?? 0`;
        const e = this.ref(s.ref, '');
        return [
          `let ${x}: number | string = ${init};`,
          `if (typeof ${x} === 'string') ${x} = enumValue(${e}, '${s.ref.name}', ${x}, ${q});`,
          `if (${intCheck(s.t, x)}) badInt(${q}, '${s.t}', ${x});`,
          writeInt(s.t, p, x),
        ];
      }
      case 'big':
        return [`${s.t === 'u64' ? 'putU64' : 'putI64'}(b, ${p}, ${v}, ${q});`];
      case 'f64':
        return [`putF64(b, ${p}, ${v}, ${q});`];
      case 'special': {
        const fn = {
          address: 'putAddress',
          prefix: 'putPrefix',
          ip4: 'putIp4',
          ip6: 'putIp6',
          ip4prefix: 'putIp4Prefix',
          ip6prefix: 'putIp6Prefix',
          mac: 'putMac',
        }[s.s];
        return [`${fn}(b, ${p}, ${val}, ${q});`];
      }
      case 'struct':
      case 'union': {
        const call = `${this.ref(s.ref, 'put')}(b, ${p}, ${val});`;
        return field ? [`try { ${call} } catch (e) { throw at(e, ${q}); }`] : [call];
      }
      case 'bytes':
        return [`putBytes(b, ${p}, ${val}, ${s.n}, ${q});`];
      case 'string':
        return [`putFixedString(b, ${p}, ${val}, ${s.n}, ${q});`];
      case 'array':
        return this.putFixedArray(s.elem, s.n, val, p, field);
    }
  }

  private putFixedArray(elem: Shape, n: number, val: string, p: string, field: string): string[] {
    if (elem.k === 'int' && elem.t === 'u8') return [`putBytes(b, ${p}, ${val}, ${n}, ${JSON.stringify(field)});`];
    const a = this.fresh();
    const i = this.fresh();
    const inner = this.putValue(elem, `${a}?.[${i}]`, `${p} + ${i} * ${elem.size}`, '');
    const check = `if (${a} !== undefined && (!Array.isArray(${a}) || ${a}.length > ${n})) bad(${JSON.stringify(field)}, 'expected an array of at most ${n} elements', ${a});`;
    const loop = `try { for (; ${i} < ${n}; ${i}++) { ${inner.join(' ')} } } catch (e) { throw at(e, ${JSON.stringify(field)} + '[' + ${i} + ']'); }`;
    // An absent array of elements that are zeros when absent (a route path's 16 MPLS labels) is one
    // fill instead of n element writes.
    if (this.absentIsZero(elem)) {
      return [
        `{`,
        `const ${a} = ${val} as any[] | undefined;`,
        `if (${a} === undefined) zero(b, ${p}, ${p} + ${n * elem.size});`,
        `else {`,
        check,
        `let ${i} = 0;`,
        loop,
        `}`,
        `}`,
      ];
    }
    return [`{`, `const ${a} = ${val} as any[] | undefined;`, check, `let ${i} = 0;`, loop, `}`];
  }

  private readonly absentZeroByStruct = new Map<StructInfo, boolean>();

  /**
   * Whether writing `undefined` as `s` gives all-zero bytes: true unless a field default (such as
   * ipsec_sad_entry's udp_src_port = 4500) sits somewhere inside. Numbers, addresses, bytes,
   * strings and unions write zeros when absent.
   */
  private absentIsZero(s: Shape): boolean {
    if (s.k === 'array') return this.absentIsZero(s.elem);
    if (s.k !== 'struct') return true;
    return !s.variable && this.structAbsentIsZero(s.info);
  }

  private structAbsentIsZero(info: StructInfo): boolean {
    let known = this.absentZeroByStruct.get(info);
    if (known === undefined) {
      known = info.fields.every(
        (fl) =>
          fl.def.default === undefined &&
          fl.counts.length === 0 &&
          (fl.form === 'scalar' || fl.form === 'fixed' || fl.form === 'fstring') &&
          this.absentIsZero(fl.shape),
      );
      this.absentZeroByStruct.set(info, known);
    }
    return known;
  }

  /** Prefetched per-field values of a struct's variable tail and counts. */
  private prefetch(
    info: StructInfo,
    v: string,
  ): { lines: string[]; arr: Map<string, string>; len: Map<string, string> } {
    const lines: string[] = [];
    const arr = new Map<string, string>();
    const len = new Map<string, string>();
    for (const fl of info.fields) {
      const q = JSON.stringify(fl.def.name);
      if (fl.form === 'vla' || fl.form === 'legacy') {
        const a = this.fresh();
        const u8 = fl.shape.k === 'int' && fl.shape.t === 'u8';
        lines.push(`const ${a} = ${v}.${fl.def.name};`);
        lines.push(
          u8
            ? `if (${a} !== undefined && !(${a} instanceof Uint8Array)) bad(${q}, 'expected a Uint8Array', ${a});`
            : `if (${a} !== undefined && !Array.isArray(${a})) bad(${q}, 'expected an array', ${a});`,
        );
        const n = this.fresh();
        lines.push(`const ${n} = ${a} === undefined ? 0 : ${a}.length;`);
        if (fl.countType) {
          lines.push(
            `if (${n} > ${INT_MAX[fl.countType]}) bad(${q}, 'at most ${INT_MAX[fl.countType]} elements (its count field ${fl.def.lengthField} is ${fl.countType})', ${a});`,
          );
        }
        arr.set(fl.def.name, a);
        len.set(fl.def.name, n);
      } else if (fl.form === 'vstring') {
        const n = this.fresh();
        lines.push(`const ${n} = strLen(${v}.${fl.def.name}, ${q});`);
        len.set(fl.def.name, n);
      }
    }
    return { lines, arr, len };
  }

  /** Statements writing the fixed part of `info` at `o`, from value `v`. */
  private putFixedFields(
    info: StructInfo,
    v: string,
    pre: { arr: Map<string, string>; len: Map<string, string> },
    msgIdExpr?: string,
  ): string[] {
    const out: string[] = [];
    for (const fl of info.fields) {
      const name = fl.def.name;
      const p = pos('o', fl.offset);
      const q = JSON.stringify(name);
      if (name === '_vl_msg_id' && msgIdExpr !== undefined) {
        out.push(`if ((${msgIdExpr} & 0xffff) !== ${msgIdExpr}) badInt('_vl_msg_id', 'u16', ${msgIdExpr});`);
        out.push(writeInt('u16', p, msgIdExpr));
        continue;
      }
      if (fl.counts.length > 0) {
        const s = fl.shape as { k: 'int'; t: IntType };
        const [first, ...rest] = fl.counts;
        const n = pre.len.get(first!)!;
        for (const other of rest) {
          out.push(
            `if (${pre.len.get(other)!} !== ${n}) bad(${JSON.stringify(other)}, 'must have as many elements as ${first} (both counted by ${name})', ${pre.arr.get(other)!});`,
          );
        }
        out.push(writeInt(s.t, p, n));
        continue;
      }
      switch (fl.form) {
        case 'scalar':
          if (fl.shape.k === 'struct' && fl.shape.variable) break; // tail
          out.push(...this.putValue(fl.shape, `${v}.${name}`, p, name, this.defaultLiteral(fl, info.name)));
          break;
        case 'fstring':
          out.push(`putFixedString(b, ${p}, ${v}.${name}, ${fl.size}, ${q});`);
          break;
        case 'fixed':
          out.push(...this.putFixedArray(fl.shape, fl.def.length!, `${v}.${name}`, p, name));
          break;
        case 'vstring':
          out.push(writeInt('u32', p, pre.len.get(name)!));
          break;
        case 'vla':
        case 'legacy':
          break;
      }
    }
    return out;
  }

  /** Statements writing the variable tail with the Writer `w` positioned after the fixed part. */
  private putTail(info: StructInfo, v: string, pre: { arr: Map<string, string>; len: Map<string, string> }): string[] {
    const fl = info.fields[info.fields.length - 1];
    if (!fl || !info.variable) return [];
    const name = fl.def.name;
    const q = JSON.stringify(name);
    if (fl.form === 'vstring') {
      const n = pre.len.get(name)!;
      return [`if (${n} > 0) { w.ensure(${n}); w.off = putVarString(w.buf, w.off - 4, ${v}.${name}, ${n}); }`];
    }
    if (fl.form === 'scalar') {
      return [
        `try { ${this.ref((fl.shape as { ref: TypeRef }).ref, 'encode')}(w, ${v}.${name}); } catch (e) { throw at(e, ${q}); }`,
      ];
    }
    const a = pre.arr.get(name)!;
    const n = pre.len.get(name)!;
    const s = fl.shape;
    if (s.k === 'int' && s.t === 'u8') {
      return [`if (${n} > 0) { w.ensure(${n}); w.buf.set(${a}!, w.off); w.off += ${n}; }`];
    }
    const i = this.fresh();
    if (s.k === 'struct' && s.variable) {
      return [
        `let ${i} = 0;`,
        `try { for (; ${i} < ${n}; ${i}++) ${this.ref(s.ref, 'encode')}(w, ${a}![${i}]); } catch (e) { throw at(e, ${q} + '[' + ${i} + ']'); }`,
      ];
    }
    const inner = this.putValue(s, `${a}![${i}]`, `o + ${i} * ${s.size}`, '');
    return [
      `if (${n} > 0) {`,
      `w.ensure(${n} * ${s.size});`,
      `const b = w.buf; const o = w.off;`,
      `let ${i} = 0;`,
      `try { for (; ${i} < ${n}; ${i}++) { ${inner.join(' ')} } } catch (e) { throw at(e, ${q} + '[' + ${i} + ']'); }`,
      `w.off = o + ${n} * ${s.size};`,
      `}`,
    ];
  }

  private sizeExpr(info: StructInfo, v: string): string {
    const fl = info.fields[info.fields.length - 1];
    if (!fl || !info.variable) return String(info.fixedSize);
    const name = fl.def.name;
    const q = JSON.stringify(name);
    const S = head(info);
    if (fl.form === 'vstring') return `${S} + strLen(${v}.${name}, ${q})`;
    if (fl.form === 'scalar') return `${S} + ${this.ref((fl.shape as { ref: TypeRef }).ref, 'size')}(${v}.${name})`;
    const s = fl.shape;
    const a = `${v}.${name}`;
    if (s.k === 'struct' && s.variable) {
      return `${S} + sumSizes(${a} as any[] | undefined, ${this.ref(s.ref, 'size')})`;
    }
    const es = s.k === 'int' && s.t === 'u8' ? 1 : s.size;
    return `${S} + ((${a} as { length: number } | undefined)?.length ?? 0) * ${es}`;
  }

  // ------------------------------------------------------------------ decode

  /** [statements, expression] reading one value of `s` at `p`. */
  private getValue(s: Shape, p: string, field: string): [string[], string] {
    const q = JSON.stringify(field);
    switch (s.k) {
      case 'int':
      case 'enum':
        return [[], readInt(s.t, p)];
      case 'big':
        return [[], s.t === 'u64' ? `b.readBigUInt64BE(${p})` : `b.readBigInt64BE(${p})`];
      case 'f64':
        return [[], `b.readDoubleLE(${p})`];
      case 'special':
        switch (s.s) {
          case 'address':
            return [[], `getAddress(b, ${p}, ${q})`];
          case 'prefix':
            return [[], `getPrefix(b, ${p}, ${q})`];
          case 'ip4':
            return [[], `fmtIp4(b, ${p})`];
          case 'ip6':
            return [[], `fmtIp6(b, ${p})`];
          case 'ip4prefix':
            return [[], `getIp4Prefix(b, ${p})`];
          case 'ip6prefix':
            return [[], `getIp6Prefix(b, ${p})`];
          case 'mac':
            return [[], `getMac(b, ${p})`];
        }
        break;
      case 'struct':
      case 'union': {
        const call = `${this.ref(s.ref, 'get')}(b, ${p})`;
        if (!field || !this.canThrow(s)) return [[], call];
        const x = this.fresh();
        return [
          [`let ${x}: ${this.shapeType(s, false)};`, `try { ${x} = ${call}; } catch (e) { throw at(e, ${q}); }`],
          x,
        ];
      }
      case 'bytes':
        return [[], `getBytes(b, ${p}, ${s.n})`];
      case 'string':
        return [[], `getFixedString(b, ${p}, ${s.n})`];
      case 'array':
        return this.getFixedArray(s.elem, s.n, p, field);
    }
    throw new Error('unreachable');
  }

  /** A union arm that may not decode, or not decode losslessly (addresses with padding, bools, strings). */
  private canThrowField(fl: FieldLayout): boolean {
    return fl.form === 'fstring' || this.lossy(fl.shape, 0);
  }

  private lossy(s: Shape, depth: number): boolean {
    if (depth > 40) return true;
    switch (s.k) {
      case 'special':
        return s.s === 'address' || s.s === 'prefix';
      case 'int':
        return s.t === 'bool';
      case 'string':
        return true;
      case 'array':
        return this.lossy(s.elem, depth + 1);
      case 'struct':
      case 'union':
        return s.info.fields.some(
          (f) => f.form === 'fstring' || f.form === 'vstring' || this.lossy(f.shape, depth + 1),
        );
      default:
        return false;
    }
  }

  private canThrow(s: Shape, depth = 0): boolean {
    if (depth > 40) return true;
    if (s.k === 'special') return s.s === 'address' || s.s === 'prefix';
    if (s.k === 'array') return this.canThrow(s.elem, depth + 1);
    if (s.k === 'struct' || s.k === 'union') return s.info.fields.some((f) => this.canThrow(f.shape, depth + 1));
    return false;
  }

  private getFixedArray(elem: Shape, n: number, p: string, field: string): [string[], string] {
    if (elem.k === 'int' && elem.t === 'u8') return [[], `getBytes(b, ${p}, ${n})`];
    const a = this.fresh();
    if (n <= 16) {
      // Unrolled: a packed array literal of constant-offset reads.
      const stmts: string[] = [];
      const exprs: string[] = [];
      for (let k = 0; k < n; k++) {
        const [st, ex] = this.getValue(elem, add(p, k * elem.size), field);
        stmts.push(...st);
        exprs.push(ex);
      }
      return [[...stmts, `const ${a}: ${this.wrapArr(this.shapeType(elem, false))}[] = [${exprs.join(', ')}];`], a];
    }
    const i = this.fresh();
    const [st, ex] = this.getValue(elem, `${p} + ${i} * ${elem.size}`, field);
    return [
      [
        `const ${a}: ${this.wrapArr(this.shapeType(elem, false))}[] = [];`,
        `for (let ${i} = 0; ${i} < ${n}; ${i}++) { ${st.join(' ')} ${a}.push(${ex}); }`,
      ],
      a,
    ];
  }

  /** Decode statements for the fixed part; returns field name -> expression/local. */
  private getFixedFields(info: StructInfo, out: string[]): Map<string, string> {
    const vals = new Map<string, string>();
    for (const fl of info.fields) {
      const name = fl.def.name;
      const p = pos('o', fl.offset);
      if (name === '_vl_msg_id' && info.kind === 'message') continue;
      if (fl.counts.length > 0 || fl.form === 'vstring') {
        const c = this.fresh();
        out.push(`const ${c} = ${readInt(fl.form === 'vstring' ? 'u32' : (fl.shape as { t: IntType }).t, p)};`);
        vals.set(name, c);
        continue;
      }
      let st: string[] = [];
      let ex: string;
      switch (fl.form) {
        case 'scalar':
          if (fl.shape.k === 'struct' && fl.shape.variable) continue;
          [st, ex] = this.getValue(fl.shape, p, name);
          break;
        case 'fstring':
          ex = `getFixedString(b, ${p}, ${fl.size})`;
          break;
        case 'fixed':
          [st, ex] = this.getFixedArray(fl.shape, fl.def.length!, p, name);
          break;
        default:
          continue;
      }
      const x = this.fresh();
      out.push(...st, `const ${x} = ${ex};`);
      vals.set(name, x);
    }
    return vals;
  }

  /** Decode statements of the tail (Reader `r` after the fixed part). */
  private getTail(info: StructInfo, vals: Map<string, string>, out: string[]): void {
    const fl = info.fields[info.fields.length - 1];
    if (!fl || !info.variable) return;
    const name = fl.def.name;
    const q = JSON.stringify(name);
    const x = this.fresh();
    if (fl.form === 'vstring') {
      const n = vals.get(name)!;
      out.push(`r.need(${n}, ${q});`, `const ${x} = getVarString(b, r.off, ${n});`, `r.off += ${n};`);
      vals.set(name, x);
      return;
    }
    if (fl.form === 'scalar') {
      out.push(
        `let ${x}: ${this.shapeType(fl.shape, false)};`,
        `try { ${x} = ${this.ref((fl.shape as { ref: TypeRef }).ref, 'decode')}(r); } catch (e) { throw at(e, ${q}); }`,
      );
      vals.set(name, x);
      return;
    }
    const s = fl.shape;
    const u8 = s.k === 'int' && s.t === 'u8';
    const es = u8 ? 1 : s.size;
    let n: string;
    if (fl.form === 'vla') {
      n = vals.get(fl.def.lengthField!)!;
    } else {
      n = this.fresh();
      if (s.k === 'struct' && s.variable)
        throw this.err(info.name, name, 'a legacy variable-length array of a variable-size type cannot be decoded');
      out.push(`const ${n} = Math.floor(r.remaining / ${es});`);
      out.push(
        `if (${n} * ${es} !== r.remaining) throw new CodecError('trailing ' + (r.remaining - ${n} * ${es}) + ' byte(s): not a whole number of ${es}-byte elements', ${q});`,
      );
    }
    if (u8) {
      out.push(`r.need(${n}, ${q});`, `const ${x} = getBytes(b, r.off, ${n});`, `r.off += ${n};`);
      vals.set(name, x);
      return;
    }
    const i = this.fresh();
    out.push(`const ${x}: ${this.wrapArr(this.shapeType(s, false))}[] = [];`);
    if (s.k === 'struct' && s.variable) {
      out.push(
        `let ${i} = 0;`,
        `try { for (; ${i} < ${n}; ${i}++) ${x}.push(${this.ref(s.ref, 'decode')}(r)); } catch (e) { throw at(e, ${q} + '[' + ${i} + ']'); }`,
      );
    } else {
      const p = this.fresh();
      out.push(`r.need(${n} * ${es}, ${q});`, `const ${p} = r.off;`);
      const [st, ex] = this.getValue(s, `${p} + ${i} * ${es}`, name);
      out.push(
        `for (let ${i} = 0; ${i} < ${n}; ${i}++) { ${st.join(' ')} ${x}.push(${ex}); }`,
        `r.off = ${p} + ${n} * ${es};`,
      );
    }
    vals.set(name, x);
  }

  private objectLiteral(info: StructInfo, vals: Map<string, string>): string {
    const parts = info.fields
      .filter((f) => !this.isCount(f) && f.def.name !== '_vl_msg_id')
      .map((f) => `${f.def.name}: ${vals.get(f.def.name)!}`);
    return `{ ${parts.join(', ')} }`;
  }

  /** Flattened [offset, size, path] leaves of the fixed part, for naming the field a truncated body cuts. */
  private layoutLeaves(info: StructInfo, base: number, prefix: string, out: (string | number)[]): void {
    for (const fl of info.fields) {
      const path = prefix + fl.def.name;
      if (fl.form === 'scalar' && fl.shape.k === 'struct' && !fl.shape.variable && !fl.shape.info.special) {
        this.layoutLeaves(fl.shape.info, base + fl.offset, path + '.', out);
      } else if (fl.size > 0) out.push(base + fl.offset, fl.size, path);
    }
  }

  // ------------------------------------------------------------------ per type / message

  private emitEnum(e: EnumDef): void {
    const P = pascal(e.name);
    this.claim(P, e.name);
    this.claim(P + 'In', e.name);
    this.lines.push(`export const ${P} = {\n${e.members.map(([n, v]) => `  ${n}: ${v},`).join('\n')}\n} as const;`);
    this.lines.push(
      `/** ${e.flags ? 'enumflag' : 'enum'} ${e.name} (${e.enumtype}); decoded values outside the members are kept. */`,
    );
    this.lines.push(`export type ${P} = number;`);
    this.lines.push(`export type ${P}In = ${P} | keyof typeof ${P};`);
  }

  private emitAlias(name: string, shape: Shape): void {
    const P = pascal(name);
    this.claim(P, name);
    this.claim(P + 'In', name);
    this.lines.push(`export type ${P} = ${this.shapeType(shape, false)};`);
    this.lines.push(`export type ${P}In = ${this.shapeType(shape, true)};`);
  }

  private emitStruct(info: StructInfo): void {
    const P = pascal(info.name);
    if (info.special) {
      this.claim(P, info.name);
      this.claim(P + 'In', info.name);
      this.lines.push(`export type ${P} = string;`, `export type ${P}In = string;`);
      return;
    }
    this.emitInterfaces(info.name, info, info.name);
    const S = info.fixedSize;
    const leaves: (string | number)[] = [];
    this.layoutLeaves(info, 0, '', leaves);
    this.lines.push(`const L_${P}: readonly (string | number)[] = ${JSON.stringify(leaves)};`);
    if (info.kind === 'union') {
      // Largest arm first: a decoded union carries every arm, and its largest reproduces all the bytes.
      const bySize = [...info.fields].sort((a, b) => b.size - a.size);
      const arms = bySize.map((fl, idx) => {
        const put = this.putArm(fl, info);
        return `${idx === 0 ? 'if' : 'else if'} (v.${fl.def.name} !== undefined) { ${put.join(' ')}${fl.size < S ? ` zero(b, o + ${fl.size}, o + ${S});` : ''} }`;
      });
      this.lines.push(
        `export function put${P}(b: Buffer, o: number, v: ${P}In | undefined): void {`,
        `  if (v === undefined) { zero(b, o, o + ${S}); return; }`,
        `  if (typeof v !== 'object' || v === null) bad('', 'expected an object', v);`,
        ...arms.map((a) => '  ' + a),
        `  else zero(b, o, o + ${S});`,
        `}`,
      );
      const out: string[] = [];
      const vals = new Map<string, string>();
      for (const fl of info.fields) {
        const x = this.fresh();
        let st: string[] = [];
        let ex: string;
        if (fl.form === 'fstring') ex = `getFixedString(b, o, ${fl.size})`;
        else if (fl.form === 'fixed') [st, ex] = this.getFixedArray(fl.shape, fl.def.length!, 'o', '');
        else [st, ex] = this.getValue(fl.shape, 'o', '');
        if (this.canThrowField(fl)) {
          // An arm whose bytes are not a value of it (an address arm whose family byte is not 0/1, or
          // whose bytes would not come back the same, like non-zero padding after an IPv4 address) is left out.
          out.push(
            `let ${x}: ${this.fieldType(fl, false)} | undefined;`,
            `try { ${st.join(' ')} ${x} = ${ex}; } catch { ${x} = undefined; }`,
          );
          const put =
            fl.form === 'fstring'
              ? [`putFixedString(b, 0, ${x}, ${fl.size}, '');`]
              : fl.form === 'fixed'
                ? this.putFixedArray(fl.shape, fl.def.length!, x, '0', '')
                : this.putValue(fl.shape, x, '0', '');
          out.push(
            `if (${x} !== undefined && !armExact(b, o, ${fl.size}, (b: Buffer) => { ${put.join(' ')} })) ${x} = undefined;`,
          );
        } else out.push(...st, `const ${x} = ${ex};`);
        vals.set(fl.def.name, x);
      }
      this.lines.push(
        `export function get${P}(b: Buffer, o: number): ${P} {`,
        ...out.map((l) => '  ' + l),
        `  return ${this.objectLiteral(info, vals)};`,
        `}`,
      );
    } else if (!info.variable) {
      const pre = this.prefetch(info, 'v');
      this.lines.push(
        `export function put${P}(b: Buffer, o: number, v: ${P}In | undefined): void {`,
        this.structAbsentIsZero(info)
          ? `  if (v === undefined) { zero(b, o, o + ${info.fixedSize}); return; }`
          : `  if (v === undefined) v = EMPTY;`,
        `  else if (typeof v !== 'object' || v === null) bad('', 'expected an object', v);`,
        ...pre.lines.map((l) => '  ' + l),
        ...this.putFixedFields(info, 'v', pre).map((l) => '  ' + l),
        `}`,
      );
      const out: string[] = [];
      const vals = this.getFixedFields(info, out);
      this.lines.push(
        `export function get${P}(b: Buffer, o: number): ${P} {`,
        ...out.map((l) => '  ' + l),
        `  return ${this.objectLiteral(info, vals)};`,
        `}`,
      );
    }
    if (info.variable) {
      const pre = this.prefetch(info, 'v');
      const H = head(info);
      this.lines.push(
        `export function encode${P}(w: Writer, v?: ${P}In): void {`,
        `  if (v === undefined) v = EMPTY;`,
        `  else if (typeof v !== 'object' || v === null) bad('', 'expected an object', v);`,
        ...pre.lines.map((l) => '  ' + l),
        `  w.ensure(${H});`,
        `  const b = w.buf; const o = w.off;`,
        ...this.putFixedFields(info, 'v', pre).map((l) => '  ' + l),
        `  w.off = o + ${H};`,
        ...this.putTail(info, 'v', pre).map((l) => '  ' + l),
        `}`,
        `export function size${P}(v?: ${P}In): number {`,
        `  if (v === undefined) v = EMPTY;`,
        `  return ${this.sizeExpr(info, 'v')};`,
        `}`,
      );
      const out: string[] = [];
      const vals = this.getFixedFields(info, out);
      out.push(TAIL_MARK);
      this.getTail(info, vals, out);
      this.lines.push(
        `export function decode${P}(r: Reader): ${P} {`,
        `  const b = r.buf; const o = r.off;`,
        `  if (r.end - o < ${H}) truncated(b, o, r.end, L_${P});`,
        ...this.splitFixed(out, info).map((l) => '  ' + l),
        `  return ${this.objectLiteral(info, vals)};`,
        `}`,
      );
    } else {
      this.lines.push(
        `export function encode${P}(w: Writer, v?: ${P}In): void {`,
        `  w.ensure(${S});`,
        `  put${P}(w.buf, w.off, v);`,
        `  w.off += ${S};`,
        `}`,
        `export function size${P}(_v?: ${P}In): number {`,
        `  return ${S};`,
        `}`,
        `export function decode${P}(r: Reader): ${P} {`,
        `  const o = r.off;`,
        `  if (r.end - o < ${S}) truncated(r.buf, o, r.end, L_${P});`,
        `  r.off = o + ${S};`,
        `  return get${P}(r.buf, o);`,
        `}`,
      );
    }
  }

  /** Decode statements of a variable struct: fixed reads, then `r.off` past the fixed part, then the tail. */
  private splitFixed(out: string[], info: StructInfo): string[] {
    // getFixedFields and getTail append to the same list; the marker is where the tail starts.
    const idx = out.indexOf(TAIL_MARK);
    if (idx < 0) return [...out, `r.off = o + ${head(info)};`];
    return [...out.slice(0, idx), `r.off = o + ${head(info)};`, ...out.slice(idx + 1)];
  }

  private putArm(fl: FieldLayout, info: StructInfo): string[] {
    const p = 'o';
    const name = fl.def.name;
    switch (fl.form) {
      case 'scalar':
        return this.putValue(fl.shape, `v.${name}`, p, name);
      case 'fstring':
        return [`putFixedString(b, ${p}, v.${name}, ${fl.size}, ${JSON.stringify(name)});`];
      case 'fixed':
        return this.putFixedArray(fl.shape, fl.def.length!, `v.${name}`, p, name);
      default:
        throw this.err(info.name, name, 'a union arm cannot have a variable length');
    }
  }

  emitMessage(m: MessageDefJson, info: StructInfo, rel: Relations): void {
    const P = pascal(m.name);
    this.emitInterfaces(m.name, info, m.name);
    const S = info.fixedSize;
    const leaves: (string | number)[] = [];
    this.layoutLeaves(info, 0, '', leaves);
    this.lines.push(`const L_${P}: readonly (string | number)[] = ${JSON.stringify(leaves)};`);
    const pre = this.prefetch(info, 'v');
    const q = JSON.stringify(m.name);
    const H = head(info);
    this.lines.push(
      `function encode${P}(w: Writer, msgId: number, v: ${P}In): void {`,
      `  try {`,
      `    if (v === undefined) v = EMPTY;`,
      `    else if (typeof v !== 'object' || v === null) bad('', 'expected an object', v);`,
      ...pre.lines.map((l) => '    ' + l),
      `    w.ensure(${H});`,
      `    const b = w.buf; const o = w.off;`,
      ...this.putFixedFields(info, 'v', pre, 'msgId').map((l) => '    ' + l),
      `    w.off = o + ${H};`,
      ...this.putTail(info, 'v', pre).map((l) => '    ' + l),
      `  } catch (e) { throw at(e, ${q}); }`,
      `}`,
      `function size${P}(v: ${P}In): number {`,
      `  if (v === undefined) v = EMPTY;`,
      `  try { return ${this.sizeExpr(info, 'v')}; } catch (e) { throw at(e, ${q}); }`,
      `}`,
    );
    const out: string[] = [];
    const vals = this.getFixedFields(info, out);
    out.push(TAIL_MARK);
    this.getTail(info, vals, out);
    this.lines.push(
      `function decode${P}(r: Reader): ${P} {`,
      `  try {`,
      `    const b = r.buf; const o = r.off;`,
      `    if (r.end - o < ${H}) truncated(b, o, r.end, L_${P});`,
      ...this.splitFixed(out, info).map((l) => '    ' + l),
      `    return ${this.objectLiteral(info, vals)};`,
      `  } catch (e) { throw at(e, ${q}); }`,
      `}`,
    );
    const off = (n: string, t: string): number => {
      const f = info.fields.find((x) => x.def.name === n && x.form === 'scalar' && x.def.type === t);
      return f ? f.offset : -1;
    };
    const opts = m.options;
    const fieldsLit = info.fields
      .map((fl) => {
        const parts = [`name: '${fl.def.name}'`, `type: '${fl.def.type}'`];
        if (fl.def.length !== undefined) parts.push(`length: ${fl.def.length}`);
        if (fl.def.lengthField !== undefined) parts.push(`lengthField: '${fl.def.lengthField}'`);
        return `{ ${parts.join(', ')} }`;
      })
      .join(', ');
    let type = `MessageDef<${P}, ${P}In>`;
    const extra: string[] = [];
    if (rel.reply && rel.details) {
      type = `StreamDef<${P}In, ${pascal(rel.reply)}, ${pascal(rel.details)}, ${P}>`;
    } else if (rel.details) {
      type = `DumpDef<${P}In, ${pascal(rel.details)}, ${P}>`;
    } else if (rel.reply) {
      type = `RequestDef<${P}In, ${pascal(rel.reply)}, ${P}>`;
    }
    if (rel.reply) extra.push(`replyDef: ${rel.reply}`);
    if (rel.details) extra.push(`detailsDef: ${rel.details}`);
    if (rel.events.length) extra.push(`eventDefs: [${rel.events.join(', ')}]`);
    const inProgress = 'in_progress' in opts || opts.status === 'in_progress';
    this.lines.push(
      `export const ${m.name}: ${type} = {`,
      `  name: '${m.name}', module: '${this.file.module}', crc: 0x${m.crc.slice(2)}, nameCrc: '${m.name}_${m.crc.slice(2)}',`,
      `  kind: '${rel.kind}',`,
      `  fields: [${fieldsLit}],`,
      `  contextOffset: ${off('context', 'u32')}, clientIndexOffset: ${off('client_index', 'u32')}, retvalOffset: ${off('retval', 'i32')},`,
      `  deprecated: ${'deprecated' in opts}, inProgress: ${inProgress}, needsPing: ${rel.needsPing}, cursorStream: ${rel.cursor},`,
      ...extra.map((e) => `  ${e},`),
      `  minSize: ${S}, size: size${P}, encode: encode${P}, decode: decode${P},`,
      `};`,
    );
  }

  /** The whole file. */
  render(): string {
    const f = this.file;
    const prog = this.prog;
    const mod = f.module;
    // Types homed in this module, in JSON order: enums, aliases, unions, typedefs.
    for (const e of [...f.enums, ...f.enumflags]) if (prog.homeOf(mod, e.name) === mod) this.emitEnum(e);
    for (const a of f.aliases) {
      if (prog.homeOf(mod, a.name) !== mod) continue;
      this.emitAlias(a.name, prog.shapeOf(mod, `vl_api_${a.name}_t`, { def: a.name, field: '' }));
    }
    for (const u of f.unions) if (prog.homeOf(mod, u.name) === mod) this.emitStruct(prog.structInfo(mod, u.name));
    for (const t of f.types) if (prog.homeOf(mod, t.name) === mod) this.emitStruct(prog.structInfo(mod, t.name));
    // Messages: CRC check, then definitions with relations (targets first so consts exist).
    const crcTypes = fileCrcTypes(f);
    const rels = relations(f);
    const infos = new Map<string, StructInfo>();
    for (const m of f.messages) {
      if (RESERVED.has(m.name)) throw this.err(m.name, '', 'a message name cannot be a JavaScript reserved word');
      if (infos.has(m.name)) throw this.err(m.name, '', 'duplicate message name');
      if (m.fields[0]?.name !== '_vl_msg_id' || m.fields[0].type !== 'u16')
        throw this.err(m.name, '_vl_msg_id', 'the first field of a message must be ["u16", "_vl_msg_id"]');
      const info = prog.messageInfo(mod, m);
      infos.set(m.name, info);
      const computed = messageCrc(m.fields, crcTypes);
      const stated = parseInt(m.crc.slice(2), 16);
      if (computed !== stated)
        this.crcMismatches.push({
          message: m.name,
          stated: m.crc,
          computed: '0x' + computed.toString(16).padStart(8, '0'),
        });
    }
    for (const [caller, r] of rels) {
      for (const target of [r.reply, r.details, ...r.events]) {
        if (target !== undefined && !infos.has(target))
          throw this.err(caller, '', `service names message "${target}", which is not defined in this file`);
      }
      if (!infos.has(caller))
        throw this.err(caller, '', 'a service names this message, which is not defined in this file');
    }
    const order = [
      ...f.messages.filter((m) => !rels.get(m.name)?.isCaller),
      ...f.messages.filter((m) => rels.get(m.name)?.isCaller),
    ];
    for (const m of order) this.emitMessage(m, infos.get(m.name)!, rels.get(m.name) ?? plainRelations(m));
    this.lines.push(
      `export const moduleInfo: ModuleInfo = {`,
      `  name: '${mod}', version: '${f.version}',${f.apiVersion !== undefined ? ` apiVersion: ${JSON.stringify(f.apiVersion)},` : ''}`,
      `  messages: [${f.messages.map((m) => m.name).join(', ')}],`,
      `};`,
    );
    const src = f.file.replace(/^.*[\\/]/, '');
    const header = [
      `// @generated by vppwg-codegen ${this.opts.generatorVersion} from ${src} (vl_api_version ${f.version}) DO NOT EDIT`,
      `/* eslint-disable */`,
      `import { Writer, Reader, CodecError } from '../runtime/wire';`,
      `import type { MessageDef, RequestDef, DumpDef, StreamDef, ModuleInfo } from '../runtime/types';`,
      `import { EMPTY, at, bad, badInt, armExact, zero, enumValue, truncated, sumSizes, putAddress, getAddress, putPrefix, getPrefix, putIp4, fmtIp4, putIp6, fmtIp6, putIp4Prefix, getIp4Prefix, putIp6Prefix, getIp6Prefix, putMac, getMac, putBytes, getBytes, strLen, putFixedString, getFixedString, putVarString, getVarString, putU64, putI64, putF64 } from '../runtime/codec';`,
      ...[...this.usedModules].sort().map((m) => `import * as ${moduleAlias(m)} from './${m}';`),
      `void Writer; void Reader; void CodecError;`,
      ``,
    ];
    return header.join('\n') + this.lines.join('\n') + '\n';
  }

  readonly crcMismatches: { message: string; stated: string; computed: string }[] = [];
}

const TAIL_MARK = '\u0000tail';

/** Bytes a struct writes itself before its tail: a trailing variable-size struct writes its own fixed part. */
function head(info: StructInfo): number {
  const last = info.fields[info.fields.length - 1];
  if (info.variable && last && last.form === 'scalar') return last.offset;
  return info.fixedSize;
}

function wrapInt(t: IntType, d: number): number {
  switch (t) {
    case 'u8':
      return d & 0xff;
    case 'i8':
      return (d << 24) >> 24;
    case 'u16':
      return d & 0xffff;
    case 'i16':
      return (d << 16) >> 16;
    case 'u32':
      return d >>> 0;
    case 'i32':
      return d | 0;
    case 'bool':
      return d ? 1 : 0;
  }
}

export interface Relations {
  kind: 'request' | 'reply' | 'details' | 'event' | 'other';
  isCaller: boolean;
  reply?: string;
  details?: string;
  events: string[];
  needsPing: boolean;
  cursor: boolean;
}

/** Kinds and service relations of every message named by `services`. */
export function relations(f: ApiFile): Map<string, Relations> {
  const out = new Map<string, Relations>();
  const get = (n: string): Relations => {
    let r = out.get(n);
    if (!r) {
      r = { kind: 'other', isCaller: false, events: [], needsPing: false, cursor: false };
      out.set(n, r);
    }
    return r;
  };
  const services: [string, ServiceDef][] = Object.entries(f.services);
  for (const [caller, s] of services) {
    const r = get(caller);
    r.isCaller = true;
    r.kind = 'request';
    if (s.stream_msg) {
      r.reply = s.reply;
      r.details = s.stream_msg;
      r.cursor = true;
    } else if (s.stream) {
      if (s.reply !== 'null') r.details = s.reply;
      r.needsPing = true;
    } else if (s.reply !== 'null') r.reply = s.reply;
    if (s.events) r.events = [...s.events];
  }
  for (const [, s] of services) {
    if (s.reply !== 'null' && !out.get(s.reply)?.isCaller)
      get(s.reply).kind = s.stream && !s.stream_msg ? 'details' : 'reply';
    if (s.stream_msg && !out.get(s.stream_msg)?.isCaller) get(s.stream_msg).kind = 'details';
    for (const e of s.events ?? []) if (!out.get(e)?.isCaller) get(e).kind = 'event';
  }
  return out;
}

/** A message no service names: kind from its name and fields. */
function plainRelations(m: MessageDefJson): Relations {
  const has = (n: string): boolean => m.fields.some((x) => x.name === n);
  let kind: Relations['kind'] = 'other';
  if (m.name.endsWith('_reply')) kind = 'reply';
  else if (m.name.endsWith('_details')) kind = 'details';
  else if (m.name.endsWith('_event')) kind = 'event';
  else if (has('client_index')) kind = 'request';
  else if (has('context') && has('retval')) kind = 'reply';
  return { kind, isCaller: false, events: [], needsPing: false, cursor: false };
}
