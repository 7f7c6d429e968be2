/**
 * Asking before deleting on a terminal, and saved plans (issue 14.13): `plan --out FILE` writes a
 * plan (mode 0600, no key) that `apply FILE` carries out exactly, recognised by its content, and
 * refused when VPP, the desired-state file or a key it refers to changed since.
 */
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runApply, runPlan, type Io, type StateOptions } from '../../src/cli/commands/state';
import { encodeKey, generatePresharedKey, generatePrivateKey } from '../../src/config';
import { examplesDir, mutatingCalls, startRig, totalOf, type Rig } from '../reconcile/helpers';

interface Captured extends Io {
  text(): string;
  errText(): string;
}

/** An Io capturing output; `answer` makes its input a terminal that types it. */
function capture(answer?: string): Captured {
  let out = '';
  let err = '';
  const io: Captured = {
    out: (t) => (out += t + '\n'),
    err: (t) => (err += t + '\n'),
    text: () => out,
    errText: () => err,
  };
  if (answer !== undefined) {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    input.end(answer);
    io.input = input;
  }
  return io;
}

describe('apply on a terminal, and saved plans', () => {
  let rig: Rig;
  let dir: string;
  let file: string;
  let keyFile: string;
  let opts: StateOptions;
  let priv: string;
  let psk: string;
  const siteText = readFileSync(join(examplesDir, 'site-to-site.yaml'), 'utf8');

  beforeEach(async () => {
    rig = await startRig();
    dir = mkdtempSync(join(tmpdir(), 'vppwg-saved-plan-'));
    keyFile = join(dir, 'wg.key');
    priv = encodeKey(generatePrivateKey());
    psk = encodeKey(generatePresharedKey());
    writeFileSync(keyFile, priv + '\n', { mode: 0o600 });
    file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      siteText
        .replace('    private_key: generate', `    private_key: { file: ${keyFile} }`)
        .replace(
          'persistent_keepalive: 25\n        tunnel_next_hops: [10.2.111.2]',
          `persistent_keepalive: 25\n        preshared_key: { inline: "${psk}" }\n        tunnel_next_hops: [10.2.111.2]`,
        ),
    );
    opts = { socket: rig.sim.socketPath, stateDir: join(dir, 'state'), env: {} };
  });
  afterEach(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The file without peer branch-c: applying it after `file` deletes a peer and its routes. */
  function withoutBranchC(): string {
    const text = readFileSync(file, 'utf8');
    const smaller = join(dir, 'smaller.yaml');
    writeFileSync(smaller, text.slice(0, text.indexOf('      - name: branch-c')));
    return smaller;
  }

  test('on a terminal, apply asks before deleting: "no" changes nothing, "yes" applies', async () => {
    expect(await runApply(file, opts, capture())).toBe(0);
    const smaller = withoutBranchC();
    const before = rig.sim.snapshot();

    const refused = capture('no\n');
    expect(await runApply(smaller, opts, refused)).toBe(1);
    expect(refused.text()).toMatch(/- peer wg-branches\/\S+: not in the file/);
    expect(refused.errText()).toMatch(/This deletes or replaces \d+ object\(s\).*Only 'yes' goes ahead/);
    expect(refused.errText()).toContain('Apply cancelled: nothing was changed in VPP.');
    expect(rig.sim.snapshot()).toEqual(before);

    const eof = capture('');
    expect(await runApply(smaller, opts, eof)).toBe(1);
    expect(rig.sim.snapshot()).toEqual(before);

    const approved = capture('yes\n');
    expect(await runApply(smaller, opts, approved)).toBe(0);
    expect(approved.text()).toContain('verified: VPP matches the desired state');
    expect(await runPlan(smaller, opts, capture())).toBe(0);
  });

  test('no question without a terminal, with --auto-approve, or when nothing is deleted', async () => {
    // Creating only: a terminal that would say no is not asked.
    const creating = capture('no\n');
    expect(await runApply(file, opts, creating)).toBe(0);
    expect(creating.errText()).not.toContain('Apply?');
    const smaller = withoutBranchC();
    const approved = capture('no\n');
    expect(await runApply(smaller, { ...opts, autoApprove: true }, approved)).toBe(0);
    expect(approved.errText()).not.toContain('Apply?');
    expect(await runApply(file, opts, capture())).toBe(0);
    // An Io without input is not a terminal.
    const piped = capture();
    expect(await runApply(smaller, opts, piped)).toBe(0);
    expect(piped.errText()).not.toContain('Apply?');
  });

  test('plan --out saves a plan (0600, no key) that apply carries out unasked, recognised by its content', async () => {
    expect(await runApply(file, opts, capture())).toBe(0);
    const smaller = withoutBranchC();
    const saved = join(dir, 'smaller.json'); // not named .plan: its content says what it is
    const planned = capture();
    expect(await runPlan(smaller, { ...opts, out: saved }, planned)).toBe(2);
    expect(planned.text()).toContain(`Saved the plan to ${saved}`);
    expect(statSync(saved).mode & 0o777).toBe(0o600);
    const text = readFileSync(saved, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ format: 'vppwg-plan', file: smaller, plan: { isEmpty: false } });
    expect(text).not.toContain(priv);
    expect(text).not.toContain(psk);

    // Applying a saved plan is its approval: a terminal is not asked though it deletes (this one would say no).
    const applied = capture('no\n');
    expect(await runApply(saved, opts, applied)).toBe(0);
    expect(applied.errText()).not.toContain('Apply?');
    expect(applied.text()).toMatch(/- peer wg-branches\/\S+: not in the file/);
    expect(applied.text()).toContain('verified: VPP matches the desired state');
    expect(await runPlan(smaller, opts, capture())).toBe(0);
  });

  test('apply of a saved plan refuses, sending nothing, when VPP changed since', async () => {
    const saved = join(dir, 'site.plan');
    expect(await runPlan(file, { ...opts, out: saved }, capture())).toBe(2);
    // Someone else applies part of it: the plan would now do something else.
    expect(await runApply(withoutBranchC(), opts, capture())).toBe(0);
    rig.sim.resetCounters();
    const r = capture();
    expect(await runApply(saved, opts, r)).toBe(1);
    expect(r.errText()).toMatch(/VPP changed since the plan was made \(.*\): nothing was changed; run plan again/);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });

  test('apply of a saved plan refuses when the file or a key it names changed since, before asking VPP', async () => {
    const saved = join(dir, 'site.plan');
    expect(await runPlan(file, { ...opts, out: saved }, capture())).toBe(2);
    const original = readFileSync(file, 'utf8');

    writeFileSync(file, original.replace('listen_port: 51820', 'listen_port: 51821'));
    rig.sim.resetCounters();
    const fileChanged = capture();
    expect(await runApply(saved, opts, fileChanged)).toBe(1);
    expect(fileChanged.errText()).toContain(`${file} changed since the plan was made: run plan again`);
    expect(rig.sim.counters()).toEqual({});

    writeFileSync(file, original);
    const newKey = join(dir, 'new.key');
    writeFileSync(newKey, encodeKey(generatePrivateKey()) + '\n', { mode: 0o600 });
    renameSync(newKey, keyFile);
    chmodSync(keyFile, 0o600);
    const keyChanged = capture();
    expect(await runApply(saved, opts, keyChanged)).toBe(1);
    expect(keyChanged.errText()).toContain(`a key ${file} refers to changed since the plan was made`);
    expect(rig.sim.counters()).toEqual({});

    rmSync(file);
    const gone = capture();
    expect(await runApply(saved, opts, gone)).toBe(1);
    expect(gone.errText()).toContain(`cannot read ${file}, which the plan was made from (ENOENT)`);
  });

  test('a damaged saved plan, one made without --prune-routes applied with it, or an unwritable --out: refused', async () => {
    const saved = join(dir, 'site.plan');
    expect(await runPlan(file, { ...opts, out: saved }, capture())).toBe(2);
    const prune = capture();
    expect(await runApply(saved, { ...opts, pruneRoutes: true }, prune)).toBe(1);
    expect(prune.errText()).toContain('was planned without --prune-routes');
    writeFileSync(saved, JSON.stringify({ format: 'vppwg-plan', version: 99 }));
    const damaged = capture();
    expect(await runApply(saved, opts, damaged)).toBe(1);
    expect(damaged.errText()).toContain(`${saved} is a vppwg plan this version cannot read`);
    writeFileSync(saved, '{ "format": "vppwg-plan", "version": 1, "fi');
    const truncated = capture();
    expect(await runApply(saved, opts, truncated)).toBe(1);
    expect(truncated.errText()).toContain(`${saved} is a vppwg plan but not valid JSON`);
    const unwritable = capture();
    expect(await runPlan(file, { ...opts, out: join(dir, 'no-such-dir', 'x.plan') }, unwritable)).toBe(1);
    expect(unwritable.errText()).toContain(`cannot write the plan to ${join(dir, 'no-such-dir', 'x.plan')}`);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
  });
});
