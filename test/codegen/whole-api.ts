/**
 * Shared body of the whole-API tests (one test file per VPP version so jest runs them in parallel):
 * generate every file, type-check the output with one tsc run, round-trip every message with
 * fast-check values, and compare computed and stated CRCs.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  BACKWARDS_COMPATIBLE_MEMBERS,
  Program,
  findApiFiles,
  generate,
  loadApiFiles,
  fileCrcTypes,
  messageCrc,
  type ApiFile,
} from 'vppwg-codegen';
import type { Shape, StructInfo, FieldLayout } from '../../codegen/src/resolve';
import { projectRoot, sharedDir } from '../../src/util/paths';
import { loadAllModules, type MessageDef, type ModuleInfo } from 'vpp-api-ts';
import { Reader, Writer } from 'vpp-api-ts/runtime';

const INT_RANGE: Record<string, [number, number]> = {
  u8: [0, 255],
  i8: [-128, 127],
  u16: [0, 65535],
  i16: [-32768, 32767],
  u32: [0, 4294967295],
  i32: [-2147483648, 2147483647],
};

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

const ip4 = fc.ipV4();
const ip6 = fc.ipV6();

/** fast-check values for one shape, as a user would write them (names or numbers for enums, address text...). */
export function arbShape(s: Shape, depth = 0): fc.Arbitrary<unknown> {
  switch (s.k) {
    case 'int':
      if (s.t === 'bool') return fc.boolean();
      return fc.integer({ min: INT_RANGE[s.t]![0], max: INT_RANGE[s.t]![1] });
    case 'enum': {
      const [min, max] = INT_RANGE[s.t]!;
      const names = s.def.members.map(([n]) => n);
      return names.length ? fc.oneof(fc.constantFrom(...names), fc.integer({ min, max })) : fc.integer({ min, max });
    }
    case 'big':
      return s.t === 'u64'
        ? fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
        : fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    case 'f64':
      return fc.double({ noNaN: true });
    case 'special':
      switch (s.s) {
        case 'address':
          return fc.oneof(ip4, ip6);
        case 'prefix':
          return fc
            .oneof(fc.tuple(ip4, fc.integer({ min: 0, max: 32 })), fc.tuple(ip6, fc.integer({ min: 0, max: 128 })))
            .map(([a, l]) => `${a}/${l}`);
        case 'ip4':
          return ip4;
        case 'ip6':
          return ip6;
        case 'ip4prefix':
          return fc.tuple(ip4, fc.integer({ min: 0, max: 32 })).map(([a, l]) => `${a}/${l}`);
        case 'ip6prefix':
          return fc.tuple(ip6, fc.integer({ min: 0, max: 128 })).map(([a, l]) => `${a}/${l}`);
        case 'mac':
          return fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Array.from(b, hex2).join(':'));
      }
      break;
    case 'string':
      return fc.string({ unit: 'grapheme-ascii', maxLength: Math.max(0, Math.min(s.n - 1, 24)) });
    case 'bytes':
      return fc.uint8Array({ maxLength: s.n });
    case 'array':
      return fc.array(arbShape(s.elem, depth + 1), { maxLength: Math.min(s.n, 4) });
    case 'struct':
      return arbStruct(s.info, depth + 1);
    case 'union': {
      const arms = s.info.fields.map((f) => arbField(f, depth + 1).map((v) => ({ [f.def.name]: v })));
      return arms.length ? fc.oneof(...arms, fc.constant({})) : fc.constant({});
    }
  }
  throw new Error('unreachable');
}

function arbField(fl: FieldLayout, depth: number): fc.Arbitrary<unknown> {
  const s = fl.shape;
  const u8 = s.k === 'int' && s.t === 'u8';
  switch (fl.form) {
    case 'scalar':
      return arbShape(s, depth);
    case 'fstring':
      return fc.string({ unit: 'grapheme-ascii', maxLength: Math.min(fl.size - 1, 24) });
    case 'vstring':
      return fc.string({ unit: 'grapheme-ascii', maxLength: 24 });
    case 'fixed':
      return u8
        ? fc.uint8Array({ maxLength: fl.def.length! })
        : fc.array(arbShape(s, depth), { maxLength: Math.min(fl.def.length!, 4) });
    case 'vla':
    case 'legacy':
      return u8 ? fc.uint8Array({ maxLength: 12 }) : fc.array(arbShape(s, depth), { maxLength: depth > 2 ? 1 : 3 });
  }
}

export function arbStruct(info: StructInfo, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const fl of info.fields) {
    if (fl.counts.length > 0 || fl.def.name === '_vl_msg_id') continue;
    model[fl.def.name] = arbField(fl, depth);
  }
  // Omitted keys exercise defaults and zero-fill.
  return fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
}

function runTsc(dir: string): Promise<{ code: number; out: string }> {
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      outDir: 'out',
      rootDir: '.',
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(projectRoot(), 'node_modules', '@types')],
    },
    include: ['gen/*.ts', 'runtime/*.ts'],
    // rootDir keeps out/gen and out/runtime side by side, as the sources' relative imports expect.
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [
      join(projectRoot(), 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(dir, 'tsconfig.json'),
    ]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/**
 * A value spelling out every struct and fixed array inside `info` (recursively), each left empty,
 * so encoding it goes element by element, where `{}` takes the absent-value shortcuts.
 */
function spelledOutEmpty(info: StructInfo): Record<string, unknown> {
  const one = (s: Shape): unknown =>
    s.k === 'struct' && !s.variable
      ? spelledOutEmpty(s.info)
      : s.k === 'array' && !(s.elem.k === 'int' && s.elem.t === 'u8')
        ? Array.from({ length: s.n }, () => one(s.elem))
        : undefined;
  const out: Record<string, unknown> = {};
  for (const fl of info.fields) {
    if (fl.counts.length > 0) continue;
    const u8 = fl.shape.k === 'int' && fl.shape.t === 'u8';
    const v =
      fl.form === 'fixed' && !u8
        ? Array.from({ length: fl.def.length! }, () => one(fl.shape))
        : fl.form === 'scalar'
          ? one(fl.shape)
          : undefined;
    if (v !== undefined) out[fl.def.name] = v;
  }
  return out;
}

/**
 * `source`: 'generate' generates `version` into a temporary directory and compiles it there;
 * 'committed' uses the committed vpp-api-ts modules (26.10-rc0: api-defs.test.ts proves they are
 * what the generator makes of these definitions, and `tsc -b` type-checks them), sparing a second
 * compilation of the whole API.
 */
export function wholeApiSuite(version: string, source: 'generate' | 'committed' = 'generate'): void {
  const apiDir = join(sharedDir(), 'vpp-api', version);
  if (!existsSync(apiDir)) {
    test.skip(`whole API ${version}: ../shared/vpp-api/${version} absent`, () => undefined);
    return;
  }
  let files: ApiFile[] = [];
  let dir = '';
  let tsc: Promise<{ code: number; out: string }> | undefined;
  let loaded: { messagesByName: ReadonlyMap<string, MessageDef> };
  let prog: Program;

  beforeAll(() => {
    files = loadApiFiles(findApiFiles(apiDir));
    prog = new Program(files);
    if (source === 'committed') return;
    const res = generate(files);
    dir = mkdtempSync(join(tmpdir(), `vppwg-gen-${version}-`));
    mkdirSync(join(dir, 'gen'));
    for (const [name, text] of res.files) writeFileSync(join(dir, 'gen', name), text);
    cpSync(join(projectRoot(), 'packages', 'vpp-api-ts', 'src', 'runtime'), join(dir, 'runtime'), { recursive: true });
    // One tsc run both type-checks and emits the JS the round-trip test loads.
    tsc = runTsc(dir);
  }, 120_000);

  async function load(): Promise<{ messagesByName: ReadonlyMap<string, MessageDef> }> {
    if (loaded) return loaded;
    let modules: readonly ModuleInfo[];
    if (source === 'committed') modules = loadAllModules();
    else {
      await tsc;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const index = require(join(dir, 'out', 'gen', 'index.js')) as {
        moduleNames: readonly string[];
        moduleLoaders: Readonly<Record<string, () => ModuleInfo>>;
      };
      modules = index.moduleNames.map((m) => index.moduleLoaders[m]!());
    }
    loaded = { messagesByName: new Map(modules.flatMap((m) => m.messages.map((d) => [d.name, d] as const))) };
    return loaded;
  }

  const runtime = (): Runtime => (source === 'committed' ? committedRuntime : runtimeOf(dir));

  afterAll(async () => {
    await tsc;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`generates every file of ${version}`, async () => {
    expect(files.length).toBeGreaterThan(100);
    const total = files.reduce((n, f) => n + f.messages.length, 0);
    expect((await load()).messagesByName.size).toBe(total);
  }, 300_000);

  test(`computed CRC equals the stated CRC for every message of ${version}`, () => {
    const bad: string[] = [];
    let n = 0;
    for (const f of files) {
      const types = fileCrcTypes(f);
      for (const m of f.messages) {
        n++;
        const c = messageCrc(m.fields, types);
        if (c !== parseInt(m.crc, 16)) bad.push(`${f.module}.${m.name} stated ${m.crc} computed 0x${c.toString(16)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(n).toBeGreaterThan(1500);
  });

  test(`every [backwards_compatible] table entry whose members ${version} has is needed for its CRCs`, () => {
    const mismatches = (bc: Record<string, readonly string[]>): number => {
      let n = 0;
      for (const f of files) {
        const types = fileCrcTypes(f, bc);
        for (const m of f.messages) if (messageCrc(m.fields, types) !== parseInt(m.crc, 16)) n++;
      }
      return n;
    };
    const members = new Map(
      files.flatMap((f) => [...f.enums, ...f.enumflags]).map((e) => [e.name, new Set(e.members.map(([n]) => n))]),
    );
    let used = 0;
    for (const [name, list] of Object.entries(BACKWARDS_COMPATIBLE_MEMBERS)) {
      if (!list.some((m) => members.get(name)?.has(m))) continue;
      used++;
      const without: Record<string, readonly string[]> = { ...BACKWARDS_COMPATIBLE_MEMBERS };
      delete without[name];
      expect([name, mismatches(without)]).not.toEqual([name, 0]);
    }
    expect(used).toBeGreaterThan(0);
  });

  test(`every message of ${version} round-trips encode -> decode -> encode`, async () => {
    await load();
    const failures: string[] = [];
    for (const f of files) {
      for (const m of f.messages) {
        const def = loaded.messagesByName.get(m.name)!;
        const arb = arbStruct(prog.messageInfo(f.module, m));
        try {
          fc.assert(
            fc.property(arb, (v) => {
              const { Writer, Reader } = runtime();
              const w1 = new Writer(64);
              def.encode(w1, 0x1234, v);
              const first = w1.toBuffer();
              if (def.size(v) !== first.length) throw new Error(`size ${def.size(v)} != encoded ${first.length}`);
              const r = new Reader(first);
              const back = def.decode(r);
              if (r.off !== first.length) throw new Error(`decode consumed ${r.off} of ${first.length}`);
              const w2 = new Writer(8);
              def.encode(w2, 0x1234, back);
              if (!w2.toBuffer().equals(first)) throw new Error('re-encoding differs');
            }),
            { numRuns: 12, seed: 42 },
          );
        } catch (e) {
          failures.push(`${f.module}.${m.name}: ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  test(`every message of ${version} writes an absent struct or array as its spelled-out empty value`, async () => {
    await load();
    const { Writer } = runtime();
    const encode = (def: MessageDef, v: unknown): Buffer => {
      const w = new Writer(8);
      // Garbage where the message goes: an absent part must overwrite it, not skip it.
      w.bytes(Buffer.alloc(4096, 0xa5));
      w.off = 0;
      def.encode(w, 0x1234, v);
      return w.toBuffer();
    };
    const differ: string[] = [];
    let withDefaults = 0;
    for (const f of files) {
      for (const m of f.messages) {
        const def = loaded.messagesByName.get(m.name)!;
        const info = prog.messageInfo(f.module, m);
        const spelled = spelledOutEmpty(info);
        if (!encode(def, {}).equals(encode(def, spelled))) differ.push(`${f.module}.${m.name}`);
        if (JSON.stringify(spelled).length > 2 && encode(def, {}).includes(Buffer.from([0x11, 0x94]))) withDefaults++;
      }
    }
    expect(differ).toEqual([]);
    // Some message carries a typedef default (ipsec_sad_entry's udp ports, 4500 = 0x1194) this way.
    expect(withDefaults).toBeGreaterThan(0);
  }, 300_000);

  if (source === 'generate') {
    test(`the generated code of ${version} type-checks (tsc --noEmit)`, async () => {
      const r = (await tsc)!;
      expect(r.out.split('\n').slice(0, 20).join('\n')).toBe('');
      expect(r.code).toBe(0);
    }, 300_000);
  }
}

interface Runtime {
  Writer: typeof Writer;
  Reader: typeof Reader;
}
const committedRuntime: Runtime = { Writer, Reader };
const runtimes = new Map<string, Runtime>();
/** Writer and Reader of the runtime compiled beside generated code in `dir` (their classes, not the package's). */
function runtimeOf(dir: string): Runtime {
  let r = runtimes.get(dir);
  if (!r) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    r = require(join(dir, 'out', 'runtime', 'wire.js')) as Runtime;
    runtimes.set(dir, r);
  }
  return r;
}
