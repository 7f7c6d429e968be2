/**
 * Every shipped example applies on the emulator, `show` then reports exactly what the file says,
 * and a second apply plans nothing and sends no mutating call. The IPv6-underlay and
 * IPv6-overlay variants are among the examples.
 */
import { readdirSync } from 'node:fs';
import { observe, reconcile, showState } from '../../src/reconcile';
import {
  compareShowWithDesired,
  examplesDir,
  loadExample,
  mutatingCalls,
  startRig,
  totalOf,
  type Rig,
} from './helpers';

const files = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml') && f !== 'sim-uplinks.yaml')
  .sort();

describe('examples round-trip on the emulator', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  test('the IPv6 variants are among the examples', () => {
    expect(files).toEqual(
      expect.arrayContaining(['site-to-site-ipv6-underlay.yaml', 'site-to-site-ipv6-overlay.yaml']),
    );
  });

  test.each(files)('%s: apply, show equals the file, second apply sends nothing', async (file) => {
    const desired = loadExample(file);
    const first = await reconcile(rig.client, desired);
    expect(first.error).toBeUndefined();
    expect(first.ok).toBe(true);
    expect(first.verified).toBe(true);
    expect(first.applied).toBe(first.plan.operations.length);
    expect(first.peers).toHaveLength(desired.wireguard.reduce((n, w) => n + w.peers.length, 0));

    const shown = showState(await observe(rig.client));
    const { actual, expected } = compareShowWithDesired(shown, desired);
    expect(actual).toEqual(expected);
    // The comparison is not vacuous: the same VPP state does not match any other example.
    for (const other of files.filter((f) => f !== file)) {
      const cmp = compareShowWithDesired(shown, loadExample(other));
      expect(cmp.actual).not.toEqual(cmp.expected);
    }

    rig.sim.resetCounters();
    const second = await reconcile(rig.client, desired);
    expect(second.ok).toBe(true);
    expect(second.plan.isEmpty).toBe(true);
    expect(second.applied).toBe(0);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });

  test('switching from one example to another converges and removes what the first created', async () => {
    const a = loadExample('site-to-site.yaml');
    const b = loadExample('remote-access-server.yaml');
    expect((await reconcile(rig.client, a)).ok).toBe(true);
    const r = await reconcile(rig.client, b);
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    const shown = showState(await observe(rig.client));
    const { actual, expected } = compareShowWithDesired(shown, b);
    expect(actual).toEqual(expected);
    expect(shown.wireguard.map((w) => w.owner)).toEqual(b.wireguard.map((w) => w.name));
    // The site-to-site routes are gone with their interface.
    expect(shown.routes.some((x) => x.prefix === '10.20.0.0/16')).toBe(false);
  });
});
