/**
 * vpp-api-ts as its users get it: the built package loads one module without the others, and its
 * `npm pack` tarball installs into an empty project where a module imports and type-checks by its
 * subpath while deep imports into dist/ are refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { findApiFiles, loadApiFiles } from 'vppwg-codegen';
import { projectRoot } from '../../src/util/paths';

const root = projectRoot();
const pkgDir = join(root, 'packages', 'vpp-api-ts');
const distGen = join(pkgDir, 'dist', 'gen');

/** Run `script` in a fresh node whose cwd is `cwd`; returns stdout, throws with stderr on failure. */
function node(script: string, cwd = root): string {
  const r = spawnSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node -e failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Module names (file names without .js) under dist/gen that a fresh node has loaded after `script`. */
function genModulesLoadedBy(script: string): string[] {
  const out = node(
    `${script};
     const gen = ${JSON.stringify(distGen + '/')};
     console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.startsWith(gen)).map((k) => k.slice(gen.length, -3))));`,
  );
  // gen/index is the list of module names (the registry's), not a module.
  return (JSON.parse(out) as string[]).filter((m) => m !== 'index').sort();
}

/** `module` and the modules its definition imports, transitively: what loading it may load. */
const apiFiles = new Map(loadApiFiles(findApiFiles(join(root, 'api-defs'))).map((f) => [f.module, f]));
function withImports(module: string): string[] {
  const out = new Set<string>();
  const add = (m: string): void => {
    if (out.has(m) || !apiFiles.has(m)) return;
    out.add(m);
    for (const i of apiFiles.get(m)!.imports) add(basename(i, '.api'));
  };
  add(module);
  return [...out].sort();
}

beforeAll(() => {
  if (!existsSync(join(distGen, 'wireguard.js')))
    throw new Error(`${distGen} is not built: run \`npx tsc -b\` first (npm test does)`);
});

describe('loading one module', () => {
  test('vpp-api-ts/wireguard loads wireguard and no other module', () => {
    const loaded = genModulesLoadedBy(`require('vpp-api-ts/wireguard')`);
    expect(loaded).toContain('wireguard');
    // Its addresses and prefixes are runtime helpers, so even ip_types stays unloaded.
    for (const m of loaded) expect(withImports('wireguard')).toContain(m);
    expect(loaded.length).toBeLessThanOrEqual(3);
  });

  test('a module that references type modules loads those and nothing else', () => {
    const loaded = genModulesLoadedBy(`require('vpp-api-ts/ip')`);
    expect(loaded).toContain('ip');
    expect(loaded).toContain('fib_types');
    expect(loaded.filter((m) => !withImports('ip').includes(m))).toEqual([]);
  });

  test('every module loads only itself and modules its definition imports', () => {
    const names = readdirSync(distGen)
      .filter((n) => n.endsWith('.js') && n !== 'index.js')
      .map((n) => n.slice(0, -3));
    // One process, the require cache emptied before each module: what each require adds is its own.
    const loadedBy = JSON.parse(
      node(`const gen = ${JSON.stringify(distGen + '/')};
        const out = {};
        for (const m of ${JSON.stringify(names)}) {
          for (const k of Object.keys(require.cache)) delete require.cache[k];
          require('vpp-api-ts/' + m);
          out[m] = Object.keys(require.cache).filter((k) => k.startsWith(gen)).map((k) => k.slice(gen.length, -3));
        }
        console.log(JSON.stringify(out));`),
    ) as Record<string, string[]>;
    expect(Object.keys(loadedBy)).toHaveLength(151);
    const strays = Object.entries(loadedBy).flatMap(([m, loaded]) =>
      loaded.filter((l) => !withImports(m).includes(l)).map((l) => `${m} loads ${l}`),
    );
    expect(strays).toEqual([]);
    for (const [m, loaded] of Object.entries(loadedBy)) expect(loaded).toContain(m);
  });

  test('the root loads no module, and the registry loads one on demand with only what it uses', () => {
    expect(genModulesLoadedBy(`require('vpp-api-ts')`)).toEqual([]);
    const afterAcl = genModulesLoadedBy(`const api = require('vpp-api-ts'); api.loadModule('acl')`);
    expect(afterAcl).toContain('acl');
    // Type-only imports vanish at run time, so it may load fewer than its definition imports.
    expect(afterAcl.filter((m) => !withImports('acl').includes(m))).toEqual([]);
  });

  test('the registry names every built module and refuses an unknown one by name', () => {
    const built = readdirSync(distGen)
      .filter((n) => n.endsWith('.js') && n !== 'index.js')
      .map((n) => n.slice(0, -3))
      .sort();
    const out = JSON.parse(
      node(`const api = require('vpp-api-ts');
        let err = '';
        try { api.loadModule('wireguardd'); } catch (e) { err = e.message; }
        console.log(JSON.stringify({ names: api.moduleNames, err, crc: api.findMessage('acl_add_replace')?.nameCrc }));`),
    ) as { names: string[]; err: string; crc: string };
    expect(out.names).toEqual(built);
    expect(out.names).toHaveLength(151);
    expect(out.err).toContain("no VPP module 'wireguardd'");
    expect(out.err).toContain('wireguard');
    expect(out.crc).toMatch(/^acl_add_replace_[0-9a-f]{8}$/);
  });
});

const npmAvailable = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;
(npmAvailable ? describe : describe.skip)('the npm pack tarball (skipped without npm)', () => {
  let work = '';
  let project = '';

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'vppwg-pack-'));
    const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], {
      cwd: pkgDir,
      encoding: 'utf8',
    }).trim();
    project = join(work, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, tgz.split('\n').pop()!)], {
      cwd: project,
      encoding: 'utf8',
    });
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('ships the built modules and README, not sources or maps', () => {
    const installed = join(project, 'node_modules', 'vpp-api-ts');
    expect(existsSync(join(installed, 'dist', 'gen', 'wireguard.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'gen', 'wireguard.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'README.md'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'dist', 'gen', 'wireguard.js.map'))).toBe(false);
  });

  test('a module imports by its subpath and round-trips a message', () => {
    const out = node(
      `const { wireguard_peer_add } = require('vpp-api-ts/wireguard');
       const { Reader, Writer } = require('vpp-api-ts/runtime');
       const w = new Writer(64);
       wireguard_peer_add.encode(w, 7, { peer: { port: 51820, endpoint: '192.0.2.1', allowed_ips: ['10.0.0.0/24'] } });
       const back = wireguard_peer_add.decode(new Reader(w.toBuffer()));
       console.log(JSON.stringify([back.peer.port, back.peer.endpoint, back.peer.allowed_ips]));`,
      project,
    );
    expect(JSON.parse(out)).toEqual([51820, '192.0.2.1', ['10.0.0.0/24']]);
  });

  test('deep imports into the package are refused by its exports map', () => {
    for (const deep of ['vpp-api-ts/dist/gen/wireguard.js', 'vpp-api-ts/dist/index.js', 'vpp-api-ts/index']) {
      expect(() => node(`require(${JSON.stringify(deep)})`, project)).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    }
    expect(() => node(`require('vpp-api-ts/runtime/wire')`, project)).toThrow(/Cannot find module/);
  });

  test('a TypeScript program type-checks against the subpaths, and their types are not any', () => {
    writeFileSync(
      join(project, 'main.ts'),
      `import { wireguard_peer_add, type WireguardPeerAddIn } from 'vpp-api-ts/wireguard';
import { Writer } from 'vpp-api-ts/runtime';
import { loadModule, type MessageDef } from 'vpp-api-ts';
// @ts-expect-error deep imports are not part of the package
import { wireguard_peer_remove } from 'vpp-api-ts/dist/gen/wireguard';
void wireguard_peer_remove;

const req: WireguardPeerAddIn = { peer: { port: 51820, allowed_ips: ['10.0.0.0/24'] } };
// @ts-expect-error a port is a number
const wrong: WireguardPeerAddIn = { peer: { port: 'x' } };
void wrong;
const w = new Writer(64);
wireguard_peer_add.encode(w, 1, req);
const def: MessageDef = wireguard_peer_add.replyDef;
export const info: string = def.nameCrc + loadModule('ip').name;
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: ['main.ts'],
      }),
    );
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], {
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);
});
