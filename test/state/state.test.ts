import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { StateDir, StateDirError, VppLock, VppLockedError, lockPathFor } from '../../src/state';
import { generatePrivateKey } from '../../src/config/keys';
import { Backoff, backoffDelay } from '../../src/util/backoff';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vppwg-state-'));

describe('StateDir', () => {
  it('keeps an interface key mode 0600 in a 0700 folder and reads it back', () => {
    const dir = new StateDir(join(tmp(), 'state'));
    expect(dir.readInterfaceKey('wg-a')).toBeUndefined();
    const key = generatePrivateKey();
    const path = dir.writeInterfaceKey('wg-a', key);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.root, 'keys')).mode & 0o777).toBe(0o700);
    expect(dir.readInterfaceKey('wg-a')).toEqual(key);
  });

  it('names a damaged key file and what to do', () => {
    const dir = new StateDir(tmp());
    dir.writeInterfaceKey('wg-a', generatePrivateKey());
    writeFileSync(dir.interfaceKeyPath('wg-a'), 'not a key');
    expect(() => dir.readInterfaceKey('wg-a')).toThrow(/wg-a\.key does not hold a WireGuard key/);
  });

  it('refuses a name that would leave the keys folder', () => {
    expect(() => new StateDir(tmp()).interfaceKeyPath('../x')).toThrow(StateDirError);
  });

  it('round-trips documents and names bad JSON', () => {
    const dir = new StateDir(tmp());
    expect(dir.readDocument('x.json')).toBeUndefined();
    dir.writeDocument('x.json', { a: 1 });
    expect(dir.readDocument('x.json')).toEqual({ a: 1 });
    writeFileSync(dir.documentPath('x.json'), '{');
    expect(() => dir.readDocument('x.json')).toThrow(/x\.json is not valid JSON/);
  });

  it('reports an unwritable state directory with the flag that fixes it', () => {
    const file = join(tmp(), 'file');
    writeFileSync(file, '');
    expect(() => new StateDir(join(file, 'sub')).writeInterfaceKey('wg', generatePrivateKey())).toThrow(/--state-dir/);
  });
});

describe('VppLock', () => {
  it('refuses a second holder and names the first; released, it can be taken again', () => {
    const socket = join(tmp(), 'api.sock');
    const first = VppLock.acquire(socket, 'vppwg serve --config a.yaml');
    expect(() => VppLock.acquire(socket, 'vppwg apply b.yaml')).toThrow(VppLockedError);
    expect(() => VppLock.acquire(socket, 'vppwg apply b.yaml')).toThrow(/managed by vppwg serve --config a\.yaml/);
    expect(VppLock.holder(socket)?.holder).toBe('vppwg serve --config a.yaml');
    first.release();
    expect(VppLock.holder(socket)).toBeUndefined();
    VppLock.acquire(socket, 'vppwg apply b.yaml').release();
  });

  it('replaces a lock whose holder is gone', () => {
    const socket = join(tmp(), 'api.sock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(lockPathFor(socket), JSON.stringify({ pid: Number(dead), holder: 'old', since: 'then' }));
    const lock = VppLock.acquire(socket, 'new');
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).holder).toBe('new');
    lock.release();
  });
});

describe('backoff', () => {
  it('grows by its factor up to the cap and starts over on reset', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay({ initialMs: 100, maxMs: 1000 }, a))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    const b = new Backoff({ initialMs: 10, maxMs: 25, factor: 3 });
    expect([b.next(), b.next(), b.next()]).toEqual([10, 25, 25]);
    b.reset();
    expect(b.next()).toBe(10);
  });
});
