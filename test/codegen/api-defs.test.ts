/**
 * api-defs/ states the agent's modules as facts: they must match the real 26.10-rc0 definitions message
 * by message and CRC by CRC, carry no comment text, and the committed bindings must be exactly what
 * the generator makes of them (drift test).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findApiFiles, generate, loadApiFiles } from 'vppwg-codegen';
import { projectRoot, sharedDir } from '../../src/util/paths';

const root = projectRoot();
const apiDefs = join(root, 'api-defs');
const genDir = join(root, 'packages', 'vpp-api-ts', 'src', 'gen');
const real = join(sharedDir(), 'vpp-api', '26.10-rc0');
const ours = loadApiFiles(findApiFiles(apiDefs));

test("api-defs holds every module of 26.10-rc0, the agent's among them", () => {
  const mods = ours.map((f) => f.module);
  expect(mods).toHaveLength(151);
  for (const m of [
    'memclnt',
    'vlib',
    'vpe',
    'vpe_types',
    'interface',
    'interface_types',
    'ip',
    'ip_types',
    'fib_types',
    'mfib_types',
    'ethernet_types',
    'teib',
    'wireguard',
  ]) {
    expect(mods).toContain(m);
  }
});

test('api-defs carries no VPP comment text', () => {
  for (const f of ours) {
    const text = readFileSync(f.file, 'utf8');
    expect(text).not.toContain('"comment"');
    expect(text).not.toContain('"description"');
  }
});

if (!existsSync(real)) {
  test.skip('api-defs matches ../shared/vpp-api/26.10-rc0: ../shared/vpp-api/26.10-rc0 absent', () => undefined);
} else {
  const theirs = new Map(loadApiFiles(findApiFiles(real)).map((f) => [f.module, f]));
  describe.each(ours.map((f) => [f.module, f] as const))('api-defs %s', (module, f) => {
    const t = theirs.get(module);
    test('matches 26.10-rc0 message by message, CRC by CRC', () => {
      expect(t).toBeDefined();
      expect(f.version).toBe(t!.version);
      expect(f.messages.map((m) => `${m.name}_${m.crc}`)).toEqual(t!.messages.map((m) => `${m.name}_${m.crc}`));
      expect(f.messages.map((m) => m.fields)).toEqual(t!.messages.map((m) => m.fields));
      expect(f.messages.map((m) => m.options)).toEqual(t!.messages.map((m) => m.options));
    });
    test('matches 26.10-rc0 types, enums, aliases and services', () => {
      expect(f.types).toEqual(t!.types);
      expect(f.unions).toEqual(t!.unions);
      expect(f.enums).toEqual(t!.enums);
      expect(f.enumflags).toEqual(t!.enumflags);
      expect(f.aliases).toEqual(t!.aliases);
      expect(f.services).toEqual(t!.services);
    });
  });
}

test('the committed bindings are exactly what the generator makes of api-defs (no drift)', () => {
  const res = generate(ours);
  expect(res.crcMismatches).toEqual([]);
  const committed = readdirSync(genDir)
    .filter((n) => n.endsWith('.ts'))
    .sort();
  expect(committed).toEqual([...res.files.keys()].sort());
  for (const [name, text] of res.files) {
    const onDisk = readFileSync(join(genDir, name), 'utf8');
    if (onDisk !== text)
      throw new Error(`packages/vpp-api-ts/src/gen/${name} differs from the generator's output: run npm run codegen`);
  }
});

test('each user type is generated once, in the module that defines it (imports are referenced, not copied)', () => {
  // A type two modules define is a copy only when one imports the other; VPP's gateway.api, say,
  // states sfdp_session_direction itself without importing sfdp_types.api, so both have it.
  const imports = new Map(ours.map((f) => [`${f.module}.ts`, f.imports.map((i) => `${basename(i, '.api')}.ts`)]));
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
    !seen.has(from) && (seen.add(from), (imports.get(from) ?? []).some((i) => i === to || reaches(i, to, seen)));
  const related = (a: string, b: string): boolean => reaches(a, b) || reaches(b, a);
  const seen = new Map<string, string>();
  const dupes: string[] = [];
  for (const name of readdirSync(genDir).filter((n) => n.endsWith('.ts') && n !== 'index.ts')) {
    const text = readFileSync(join(genDir, name), 'utf8');
    for (const m of text.matchAll(/^export (?:interface|type|const) ([A-Z]\w*)\b/gm)) {
      const prev = seen.get(m[1]!);
      if (prev && prev !== name && related(prev, name)) dupes.push(`${m[1]} in ${prev} and ${name}`);
      seen.set(m[1]!, name);
    }
  }
  expect(dupes).toEqual([]);
  expect(seen.get('Prefix')).toBe('ip_types.ts');
  expect(seen.get('WireguardPeer')).toBe('wireguard.ts');
  expect(readFileSync(join(genDir, 'ip.ts'), 'utf8')).toContain("import * as $fib_types from './fib_types';");
});
