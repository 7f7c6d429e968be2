/**
 * Every bad desired-state file of the shared table is refused by `vppwg apply` and `vppwg plan`
 * with its own message and place, and VPP receives no request at all (the file is checked before
 * the socket is opened); a file refused for what the connected VPP lacks gets only the connection
 * handshake, never a dump or a change.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApply, runPlan, type Io } from '../../src/cli/commands/state';
import { badCases } from '../config/bad-cases';
import { mutatingCalls, startRig, totalOf, type Rig } from './helpers';

const BOOTSTRAP = new Set(['sockclnt_create', 'sockclnt_delete', 'control_ping', 'memclnt_keepalive']);

describe('bad files change nothing in VPP', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vppwg-bad-'));
  const cases = badCases(tmp);
  let rig: Rig;
  let rig2410: Rig;
  beforeAll(async () => {
    rig = await startRig();
    rig2410 = await startRig({ profile: '24.10' });
  });
  afterAll(async () => {
    await rig.close();
    await rig2410.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('the table has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const file = join(tmp, c.file ?? 'bad.yaml');
    writeFileSync(file, c.text);
    const capabilityCase = c.opts?.capabilities?.presharedKeys === false;
    const target = capabilityCase ? rig2410 : rig;
    for (const run of [runApply, runPlan]) {
      let err = '';
      const io: Io = { out: () => undefined, err: (t) => (err += t + '\n') };
      target.sim.resetCounters();
      const code = await run(
        file,
        { socket: target.sim.socketPath, ...(c.opts?.env ? { env: c.opts.env } : { env: {} }) },
        io,
      );
      expect(code).toBe(1);
      expect(err).toContain(`${file}:${c.line}:${c.column}: error: `);
      if (typeof c.message === 'string') expect(err).toContain(c.message);
      else expect(err).toMatch(new RegExp(c.message.source.replace(/^\^/, ''), c.message.flags));
      expect(totalOf(mutatingCalls(target.sim))).toBe(0);
      const requests = Object.keys(target.sim.counters());
      if (capabilityCase) expect(requests.filter((m) => !BOOTSTRAP.has(m))).toEqual([]);
      else expect(requests).toEqual([]);
    }
  });
});
