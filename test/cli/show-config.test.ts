/**
 * `show --config FILE` (issue 14.15): the file's peer names and the uplinks it manages in show.
 * Needs the reconciler's side of ShowOptions.desired (branch "reconcile"): until that is merged,
 * show prints the same with and without the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApply, runShow, type Io } from '../../src/cli/commands/state';
import { examplesDir, startRig, type Rig } from '../reconcile/helpers';

function capture(): Io & { text(): string } {
  let out = '';
  return { out: (t) => (out += t + '\n'), err: (t) => (out += t + '\n'), text: () => out };
}

describe('vppwg show --config', () => {
  let rig: Rig;
  let dir: string;
  const site = join(examplesDir, 'site-to-site.yaml');
  beforeAll(async () => {
    rig = await startRig();
    dir = mkdtempSync(join(tmpdir(), 'vppwg-show-config-'));
    expect(await runApply(site, { socket: rig.sim.socketPath, stateDir: join(dir, 'state'), env: {} }, capture())).toBe(
      0,
    );
  });
  afterAll(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('names the peers as the file does and marks the uplinks it manages; without the file neither', async () => {
    const plain = capture();
    expect(await runShow({ socket: rig.sim.socketPath }, plain)).toBe(0);
    const withFile = capture();
    expect(await runShow({ socket: rig.sim.socketPath, config: site, env: {} }, withFile)).toBe(0);
    expect(plain.text()).not.toContain('branch-b');
    expect(withFile.text()).toContain('branch-b');
    expect(withFile.text()).toContain('branch-c');
    expect(withFile.text()).toContain('managed (uplink)');
  });
});
