/**
 * What the CLI reports when the file and the VPP disagree (issue 14.7, 14.8, 14.15): validate
 * --socket names each uplink VPP lacks at its line; apply prints only the plan's error; show
 * --config refuses a bad file before asking VPP anything.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplesDir, startRig, type Rig } from '../reconcile/helpers';
import { runCli } from './helpers';

const site = join(examplesDir, 'site-to-site.yaml');

/** 1-based line and column of the first `needle` in `text`, `skip` characters into it. */
function placeOf(text: string, needle: string, skip = 0): string {
  const before = text.slice(0, text.indexOf(needle) + skip).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

describe('against a VPP that lacks an uplink the file names', () => {
  let rig: Rig;
  let dir: string;
  beforeAll(async () => {
    rig = await startRig({ uplinks: [{ name: 'host-eth1', addresses: ['192.0.2.1/24'] }] });
    dir = mkdtempSync(join(tmpdir(), 'vppwg-cli-checks-'));
  });
  afterAll(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('validate offline: valid; validate --socket: invalid, naming the uplink at its line, exit 1', async () => {
    expect((await runCli(['validate', site])).code).toBe(0);
    const r = await runCli(['validate', site, '--socket', rig.sim.socketPath]);
    expect(r.code).toBe(1);
    const at = placeOf(readFileSync(site, 'utf8'), '- name: host-eth0', '- name: '.length);
    expect(r.err).toContain(`${site}:${at}: error: uplink "host-eth0"`);
    expect(r.err).toContain(`${site}: invalid`);
    expect(r.out).not.toContain('valid (');

    const json = JSON.parse((await runCli(['validate', site, '--socket', rig.sim.socketPath, '--json'])).out);
    expect(json.valid).toBe(false);
    expect(json.diagnostics).toContainEqual(
      expect.objectContaining({ severity: 'error', path: '/uplinks/0/name', line: Number(at.split(':')[0]) }),
    );
  });

  test('a missing uplink in a JSON file is placed too; two missing uplinks are two errors', async () => {
    const file = join(dir, 'two.json');
    writeFileSync(
      file,
      JSON.stringify(
        {
          version: 1,
          uplinks: [
            { name: 'host-eth1', addresses: ['192.0.2.1/24'] },
            { name: 'host-eth7', admin_up: true },
            { name: 'host-eth8', admin_up: true },
          ],
          wireguard: [],
        },
        null,
        2,
      ),
    );
    const r = await runCli(['validate', file, '--socket', rig.sim.socketPath]);
    expect(r.code).toBe(1);
    const text = readFileSync(file, 'utf8');
    expect(r.err).toContain(`${file}:${placeOf(text, '"host-eth7"')}: error: uplink "host-eth7"`);
    expect(r.err).toContain(`${file}:${placeOf(text, '"host-eth8"')}: error: uplink "host-eth8"`);
    expect(r.err).not.toContain('uplink "host-eth1"');
  });

  test('apply prints only the error: no "No changes" line above it, exit 1, nothing sent', async () => {
    rig.sim.resetCounters();
    const before = rig.sim.snapshot();
    const r = await runCli(['apply', site, '--socket', rig.sim.socketPath, '--state-dir', join(dir, 'state')]);
    expect(r.code).toBe(1);
    expect(r.out + r.err).not.toContain('No changes');
    expect(r.err).toContain('uplink "host-eth0"');
    expect(rig.sim.snapshot()).toEqual(before);
  });

  test('show --config with an invalid file: its findings, exit 1, VPP not asked', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(site, 'utf8').replace('listen_port: 51820', 'listen_port: 70000'));
    rig.sim.resetCounters();
    const r = await runCli(['show', '--socket', rig.sim.socketPath, '--config', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${bad}:\\d+:\\d+: error: .*70000`));
    expect(r.out).toBe('');
    expect(rig.sim.counters()).toEqual({});
  });
});
