/**
 * The daemon API's compiled descriptor (src/daemon/api/gen/vppwg.descriptor.json) is what
 * protobufjs-cli makes of vppwg.proto now: a change to the .proto without `npm run proto` fails here.
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

test('the descriptor holds the request and response of package vppwg.v1', () => {
  const d = JSON.parse(readFileSync(join(api, 'gen', 'vppwg.descriptor.json'), 'utf8')) as {
    nested: { vppwg: { nested: { v1: { nested: Record<string, unknown> } } } };
  };
  expect(Object.keys(d.nested.vppwg.nested.v1.nested)).toEqual(expect.arrayContaining(['Request', 'Response']));
});
