/** The state directory's records of interfaces being created and of applied routes: round trips and damaged files. */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateDir, StateDirError } from '../../src/state';
import { CreateJournal } from '../../src/state/create-journal';
import { RouteRecord } from '../../src/state/route-record';

const dir = (): StateDir => new StateDir(join(mkdtempSync(join(tmpdir(), 'vppwg-rec-')), 'state'));

describe('CreateJournal', () => {
  it('records a create before it is sent and forgets it once ended', () => {
    const j = new CreateJournal(dir());
    expect(j.read()).toEqual([]);
    j.begin({ name: 'a', listenPort: 1, source: '192.0.2.1' });
    j.begin({ name: 'b', instance: 3, listenPort: 2, source: '192.0.2.1' });
    expect(j.read().map((r) => r.name)).toEqual(['a', 'b']);
    expect(statSync(j.dir.documentPath('creating-interfaces.json')).mode & 0o777).toBe(0o600);
    j.end('a');
    expect(j.read()).toEqual([{ name: 'b', instance: 3, listenPort: 2, source: '192.0.2.1' }]);
    j.clear();
    expect(j.read()).toEqual([]);
  });

  it('names a damaged document and what to do', () => {
    const d = dir();
    new CreateJournal(d).begin({ name: 'a', listenPort: 1, source: '192.0.2.1' });
    writeFileSync(d.documentPath('creating-interfaces.json'), '{"creating": [{"name": 1}]}');
    expect(() => new CreateJournal(d).read()).toThrow(StateDirError);
    expect(() => new CreateJournal(d).read()).toThrow(/creating-interfaces\.json is not a list .*delete it/);
  });
});

describe('RouteRecord', () => {
  const r1 = { table: 0, prefix: '0.0.0.0/0', via: '192.0.2.254', interface: 'host-eth0' };

  it('writes only when the record changes', () => {
    const d = dir();
    const rec = new RouteRecord(d);
    rec.write([], []);
    expect(d.exists()).toBe(false);
    rec.write([r1], []);
    expect(rec.read()).toEqual([r1]);
    writeFileSync(d.documentPath('applied-routes.json'), JSON.stringify({ routes: [r1], marker: 1 }));
    rec.write([r1], [r1]);
    expect(d.readDocument<{ marker?: number }>('applied-routes.json')!.marker).toBe(1);
  });

  it('names a damaged document', () => {
    const d = dir();
    new RouteRecord(d).write([r1], []);
    writeFileSync(d.documentPath('applied-routes.json'), '{"routes": "x"}');
    expect(() => new RouteRecord(d).read()).toThrow(/applied-routes\.json is not a list of routes/);
  });
});
