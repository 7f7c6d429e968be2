/**
 * What protobufjs-cli generates from vppwg.proto (src/daemon/api/gen/: the descriptor the codec
 * runs on, the TypeScript declarations proto-fields.ts checks the message types against) is
 * current: a change to the .proto without `npm run proto` fails here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/paths';

const root = projectRoot();
const api = join(root, 'src', 'daemon', 'api');

test('the committed descriptor equals a fresh compile of vppwg.proto', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vppwg-proto-'));
  try {
    const fresh = join(dir, 'vppwg.descriptor.json');
    execFileSync(process.execPath, [
      join(root, 'node_modules', '.bin', 'pbjs'),
      '-t',
      'json',
      '-o',
      fresh,
      join(api, 'vppwg.proto'),
    ]);
    const committed: unknown = JSON.parse(readFileSync(join(api, 'gen', 'vppwg.descriptor.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(readFileSync(fresh, 'utf8')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('the committed declarations equal a fresh pbjs static-module | pbts run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vppwg-proto-'));
  try {
    const js = join(dir, 'vppwg.js');
    const dts = join(dir, 'vppwg.d.ts');
    const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
    execFileSync(process.execPath, [
      bin('pbjs'),
      '-t',
      'static-module',
      '--no-create',
      '--no-verify',
      '--no-convert',
      '--no-delimited',
      '--no-service',
      '-o',
      js,
      join(api, 'vppwg.proto'),
    ]);
    execFileSync(process.execPath, [bin('pbts'), '--no-comments', '-o', dts, js]);
    // Formatted as `npm run proto` does: the repository's prettier settings for that path.
    const formatted = execFileSync(
      process.execPath,
      [bin('prettier'), '--stdin-filepath', join(api, 'gen', 'vppwg.d.ts')],
      {
        cwd: root,
        input: readFileSync(dts, 'utf8'),
        encoding: 'utf8',
      },
    );
    expect(readFileSync(join(api, 'gen', 'vppwg.d.ts'), 'utf8')).toBe(formatted);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('the descriptor holds the request and response of package vppwg.v1', () => {
  const d = JSON.parse(readFileSync(join(api, 'gen', 'vppwg.descriptor.json'), 'utf8')) as {
    nested: { vppwg: { nested: { v1: { nested: Record<string, unknown> } } } };
  };
  expect(Object.keys(d.nested.vppwg.nested.v1.nested)).toEqual(expect.arrayContaining(['Request', 'Response']));
});
