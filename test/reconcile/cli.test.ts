/**
 * The state commands through the real command line (commander wiring, exit codes) against the
 * emulator: plan exits 0 with no changes, 2 with changes, 1 on error; validate exits non-zero on a
 * bad file and sends nothing; apply and show never print a key.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { encodeKey, generatePresharedKey, generatePrivateKey } from '../../src/config';
import { examplesDir, mutatingCalls, startRig, totalOf, type Rig } from './helpers';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    err += String(c);
    return true;
  });
  try {
    const code = await main(['node', 'vppwg', ...argv]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('vppwg validate / plan / apply / show', () => {
  let rig: Rig;
  let dir: string;
  const site = join(examplesDir, 'site-to-site.yaml');
  beforeEach(async () => {
    rig = await startRig();
    dir = mkdtempSync(join(tmpdir(), 'vppwg-cli-'));
  });
  afterEach(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('validate: 0 for a good file, 1 with file:line:column for a bad one', async () => {
    const good = await run(['validate', site]);
    expect(good.code).toBe(0);
    expect(good.out).toContain('valid (1 WireGuard interface(s), 2 peer(s))');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(site, 'utf8').replace('listen_port: 51820', 'listen_port: 70000'));
    const r = await run(['validate', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${bad}:\\d+:\\d+: error: .*70000`));
    const json = await run(['validate', bad, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out).valid).toBe(false);
  });

  test('validate --socket and plan against a VPP without the WireGuard plugin: 1, saying so', async () => {
    const bare = await startRig({
      omitMessages: ['wireguard_interface_create', 'wireguard_interface_dump', 'wireguard_peers_dump'],
    });
    try {
      const v = await run(['validate', site, '--socket', bare.sim.socketPath]);
      expect(v.code).toBe(1);
      expect(v.err).toContain(`${site}: error: VPP at ${bare.sim.socketPath} has no WireGuard API`);
      expect(v.err).toContain('wireguard_interface_create (ours ');
      const p = await run(['plan', site, '--socket', bare.sim.socketPath, '--state-dir', join(dir, 'state')]);
      expect(p.code).toBe(1);
      expect(p.err).toContain('its wireguard plugin is not loaded');
      // The same file is fine against a VPP that has the plugin.
      expect((await run(['validate', site, '--socket', rig.sim.socketPath])).code).toBe(0);
    } finally {
      await bare.close();
    }
  });

  test('plan: 2 with changes, 0 after apply, 1 for a bad file or an unreachable VPP; plan sends nothing', async () => {
    rig.sim.resetCounters();
    const first = await run(['plan', site, '--socket', rig.sim.socketPath, '--state-dir', join(dir, 'state')]);
    expect(first.code).toBe(2);
    expect(first.out).toContain('+ wireguard-interface wg-branches');
    expect(first.out).toMatch(/Plan: \d+ to create/);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);

    const json = await run(['plan', site, '--socket', rig.sim.socketPath, '--state-dir', join(dir, 'state'), '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out).summary.create).toBeGreaterThan(5);

    const applied = await run(['apply', site, '--socket', rig.sim.socketPath, '--state-dir', join(dir, 'state')]);
    expect(applied.code).toBe(0);
    expect(applied.out).toContain('verified: VPP matches the desired state');

    const second = await run(['plan', site, '--socket', rig.sim.socketPath, '--state-dir', join(dir, 'state')]);
    expect(second.code).toBe(0);
    expect(second.out).toContain('No changes');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nwireguard: [{ name: x }]\n');
    rig.sim.resetCounters();
    expect((await run(['plan', bad, '--socket', rig.sim.socketPath, '--state-dir', join(dir, 'state')])).code).toBe(1);
    expect(totalOf(mutatingCalls(rig.sim))).toBe(0);
    const nowhere = await run(['plan', site, '--socket', join(dir, 'no-vpp.sock'), '--state-dir', join(dir, 'state')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.err).toContain('cannot connect to VPP at');
    expect(nowhere.err).toContain("(give VPP's API socket with --socket PATH)");
  });

  test('apply reports a VPP rejection, rolls back and exits 1; show prints no key', async () => {
    const priv = encodeKey(generatePrivateKey());
    const psk = encodeKey(generatePresharedKey());
    const file = join(dir, 'keys.yaml');
    writeFileSync(
      file,
      readFileSync(site, 'utf8')
        .replace('    private_key: generate', `    private_key: { inline: "${priv}" }`)
        .replace(
          'persistent_keepalive: 25\n        tunnel_next_hops: [10.2.111.2]',
          `persistent_keepalive: 25\n        preshared_key: { inline: "${psk}" }\n        tunnel_next_hops: [10.2.111.2]`,
        ),
    );
    const before = rig.sim.snapshot();
    rig.sim.control.failNth('sw_interface_set_flags', 1, -1);
    const failed = await run(['apply', file, '--socket', rig.sim.socketPath, '--state-dir', join(dir, 'state')]);
    rig.sim.control.clearFaults();
    expect(failed.code).toBe(1);
    expect(failed.err).toContain(
      'Error in ~admin-state:wg-branches: VPP rejected sw_interface_set_flags: UNSPECIFIED (-1)',
    );
    expect(failed.err).toContain('VPP is as before');
    expect(rig.sim.snapshot()).toEqual(before);

    const ok = await run(['apply', file, '--socket', rig.sim.socketPath, '--state-dir', join(dir, 'state'), '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).verified).toBe(true);
    const shown = await run(['show', '--socket', rig.sim.socketPath]);
    const shownJson = await run(['show', '--socket', rig.sim.socketPath, '--json']);
    expect(shown.code).toBe(0);
    expect(
      JSON.parse(shownJson.out).wireguard[0].peers.some((p: { presharedKey: string }) => p.presharedKey === 'set'),
    ).toBe(true);
    const everything = failed.out + failed.err + ok.out + ok.err + shown.out + shownJson.out;
    expect(everything).not.toContain(priv);
    expect(everything).not.toContain(psk);
  });
});

describe('vppwg demo (npm start)', () => {
  test('starts the emulator, applies the file, prints plan, result and show, exits 0', async () => {
    const r = await run(['demo', join(examplesDir, 'site-to-site.yaml')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Started the VPP emulator');
    expect(r.out).toContain('+ peer wg-branches/branch-b');
    expect(r.out).toContain('verified: VPP matches the desired state');
    expect(r.out).toMatch(/vppwg show:[\s\S]*wg0 \[\d+\] Wireguard Tunnel: up, mtu 1420, vppwg "wg-branches"/);
  });
});
