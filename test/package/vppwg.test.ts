/**
 * vppwg as its users get it: both packages `npm pack`ed and installed into an empty project, where
 * a TypeScript program written only against the documented imports (vppwg, vppwg/sim,
 * vppwg/daemon, vppwg/api) compiles with tsc and passes its jest test; deep imports into dist/ are
 * refused, and mistakes in a desired-state object or a VPP call fail to compile.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/paths';

const root = projectRoot();
const fixtures = join(__dirname, 'fixtures', 'vppwg-app');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const jestBin = join(root, 'node_modules', 'jest', 'bin', 'jest.js');

function run(cmd: string, args: string[], cwd: string): { status: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function pack(dir: string, dest: string): string {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dest], { cwd: dir, encoding: 'utf8' });
  return join(dest, out.trim().split('\n').pop()!);
}

/** A tsconfig for the user's project: the repository's jest and node types stand in for its own. */
function tsconfig(files: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      outDir: 'out',
      typeRoots: [join(root, 'node_modules', '@types')],
      types: ['node', 'jest'],
    },
    files,
  });
}

test("the README's example is the user test run below, verbatim", () => {
  const example = readFileSync(join(fixtures, 'app.spec.ts'), 'utf8');
  expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('```ts\n' + example + '```');
});

const npmAvailable = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;
(npmAvailable ? describe : describe.skip)('vppwg installed from its tarball (skipped without npm)', () => {
  let work = '';
  let project = '';

  beforeAll(() => {
    if (!existsSync(join(root, 'dist', 'src', 'index.js')))
      throw new Error('vppwg is not built: run `npx tsc -b` first');
    work = mkdtempSync(join(tmpdir(), 'vppwg-pack-'));
    const tarballs = [pack(join(root, 'packages', 'vpp-api-ts'), work), pack(root, work)];
    project = join(work, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], project);
    if (install.status !== 0) throw new Error(`npm install failed: ${install.out}`);
    cpSync(fixtures, project, { recursive: true });
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('ships the build and the API descriptor, not tests, bench or sources', () => {
    const installed = join(project, 'node_modules', 'vppwg');
    expect(existsSync(join(installed, 'dist', 'src', 'index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'src', 'index.d.ts'))).toBe(true);
    // The daemon API's descriptor travels inside dist/: nothing is read from a source tree.
    expect(existsSync(join(installed, 'dist', 'src', 'daemon', 'api', 'gen', 'vppwg.descriptor.json'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'dist', 'test'))).toBe(false);
    expect(existsSync(join(installed, 'dist', 'bench'))).toBe(false);
    expect(existsSync(join(installed, 'dist', 'src', 'index.js.map'))).toBe(false);
  });

  test('deep imports into dist/ are refused; the documented paths load', () => {
    for (const deep of ['vppwg/dist/src/index.js', 'vppwg/dist/src/reconcile/index.js', 'vppwg/lib/sim']) {
      const r = run(process.execPath, ['-e', `require(${JSON.stringify(deep)})`], project);
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    }
    const ok = run(
      process.execPath,
      ['-e', `for (const p of ['vppwg', 'vppwg/sim', 'vppwg/daemon', 'vppwg/api']) require(p); console.log('loaded')`],
      project,
    );
    expect(ok.out).toContain('loaded');
  });

  test('the installed vppwg command runs without the repository (codegen says where it lives)', () => {
    const bin = join(project, 'node_modules', 'vppwg', 'bin', 'vppwg.js');
    expect(run(process.execPath, [bin, '--version'], project).out.trim()).toBe('0.1.0');
    const codegen = run(process.execPath, [bin, 'codegen', '--api-dir', '.', '--out', 'gen'], project);
    expect(codegen.status).toBe(1);
    expect(codegen.out).toContain('vppwg-codegen');
    expect(codegen.out).toContain('checkout');
  });

  test('a user project compiles with tsc and its jest test passes', () => {
    writeFileSync(join(project, 'tsconfig.json'), tsconfig(['app.spec.ts']));
    const built = run(process.execPath, [tsc, '-p', '.'], project);
    expect(built.out).toBe('');
    expect(built.status).toBe(0);
    writeFileSync(
      join(project, 'jest.config.json'),
      JSON.stringify({ testEnvironment: 'node', transform: {}, roots: ['<rootDir>/out'] }),
    );
    const tested = run(process.execPath, [jestBin, '--ci', '--config', 'jest.config.json'], project);
    if (tested.status !== 0) throw new Error(`the user's jest test failed:\n${tested.out}`);
    expect(tested.out).toMatch(/Tests:\s+1 passed/);
  }, 120_000);

  test('a wrong key or type in a desired-state object and a wrong field in a VPP call fail to compile', () => {
    writeFileSync(join(project, 'tsconfig.json'), tsconfig(['type-errors.ts']));
    const r = run(process.execPath, [tsc, '-p', '.', '--noEmit'], project);
    expect(r.status).not.toBe(0);
    const errorLines = new Set([...r.out.matchAll(/type-errors\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])));
    // Each marked line, and only those, is reported.
    expect([...errorLines].sort((a, b) => a - b)).toEqual([6, 10, 15]);
    expect(r.out).toContain('listen_prot');
    expect(r.out).toContain('peer_idx');
  }, 60_000);
});
