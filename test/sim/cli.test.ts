/**
 * `vppwg sim` as a process: config file, control socket (JSON lines), bad config reported with
 * the field and the fix, clean exit on SIGTERM/SIGINT removing its sockets. Runs from dist/
 * (npm test builds it first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as memclnt from 'vpp-api-ts/memclnt';
import { VppClient } from '../../src/client';
import { projectRoot } from '../../src/util/paths';
import { checkFault } from '../../src/sim/config';
import { SimConfigError, checkSimConfig, loadSimConfig } from '../../src/sim/index';
import { sendControlRequest } from '../../src/sim/control';

const CLI = join(projectRoot(), 'bin', 'vppwg.js');
const built = existsSync(join(projectRoot(), 'dist', 'src', 'cli', 'main.js'));
const maybe = built ? test : test.skip;
if (!built) test('vppwg sim process tests skipped: dist/ is missing (run npx tsc -b)', () => undefined);

function run(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const control = sendControlRequest;

describe('vppwg sim', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vppwg-sim-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  maybe('serves the API, takes control requests, and exits 0 on SIGTERM removing its sockets', async () => {
    const sock = join(dir, 'api.sock');
    const ctl = join(dir, 'ctl.sock');
    const cfg = join(dir, 'sim.yaml');
    writeFileSync(cfg, 'uplinks:\n  - name: host-eth0\n    addresses: [192.0.2.1/24]\nversion: "26.10-test"\n');
    const p = run(['sim', '--socket', sock, '--config', cfg, '--control', ctl]);
    await until(() => existsSync(sock) && existsSync(ctl), 'the sockets');
    const c = await VppClient.connect({ socketPath: sock, reconnect: false });
    await c.call(memclnt.control_ping, {});
    expect(await control(ctl, { op: 'counters' })).toEqual({
      ok: true,
      counters: { control_ping: 1, sockclnt_create: 1 },
    });
    const snap = (await control(ctl, { op: 'snapshot' })) as {
      snapshot: { interfaces: { name: string; addresses: string[] }[] };
    };
    expect(snap.snapshot.interfaces.map((i) => [i.name, i.addresses])).toEqual([
      ['local0', []],
      ['host-eth0', ['192.0.2.1/24']],
    ]);
    expect(await control(ctl, { op: 'failNth', msg: 'control_ping', n: 1, retval: -2 })).toEqual({ ok: true });
    await expect(c.call(memclnt.control_ping, {})).rejects.toMatchObject({ retval: -2 });
    expect(await control(ctl, { op: 'failNth', msg: 'control_ping' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('control.n'),
    });
    expect(await control(ctl, { op: 'bogus' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('closeAfter'),
    });
    const gone = new Promise<void>((resolve) => c.once('disconnected', () => resolve()));
    c.on('error', () => undefined);
    expect(await control(ctl, { op: 'restart' })).toEqual({ ok: true });
    await gone;
    await c.close();
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expect(existsSync(ctl)).toBe(false);
  });

  maybe('SIGINT stops it the same way', async () => {
    const sock = join(dir, 'api.sock');
    const p = run(['sim', '--socket', sock]);
    await until(() => existsSync(sock), 'the socket');
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  maybe('a bad config file is rejected naming the field and what to write instead', async () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'uplinks:\n  - name: host-eth0\n    addresses: [192.0.2.1]\n');
    const p = run(['sim', '--socket', join(dir, 'x.sock'), '--config', cfg]);
    expect(await p.exit).toBe(2);
    expect(p.out()).toContain(`${cfg}:3:17: uplinks[0].addresses[0]: expected an address with prefix length`);
    writeFileSync(cfg, 'profile: 25.10\n');
    const q = run(['sim', '--socket', join(dir, 'x.sock'), '--config', cfg]);
    expect(await q.exit).toBe(2);
    expect(q.out()).toContain("profile: expected '26.10' or '24.10'");
  });

  maybe('refuses to take over a socket another emulator is listening on', async () => {
    const sock = join(dir, 'api.sock');
    const a = run(['sim', '--socket', sock]);
    await until(() => existsSync(sock), 'the socket');
    const b = run(['sim', '--socket', sock]);
    expect(await b.exit).toBe(1);
    expect(b.out()).toContain('already has a listener');
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
  });
});

describe('sim config checks', () => {
  test('a config file gets every finding at once, each at its line and column', () => {
    const cfg = join(mkdtempSync(join(tmpdir(), 'vppwg-simcfg-')), 'sim.yaml');
    writeFileSync(
      cfg,
      [
        'uplinks:',
        '  - name: host-eth0',
        '    mtu: 20',
        '    colour: blue',
        'faults:',
        '  - { op: dropReply }',
        "profile: '25.10'",
      ].join('\n'),
    );
    let message = '';
    try {
      loadSimConfig(cfg);
    } catch (e) {
      expect(e).toBeInstanceOf(SimConfigError);
      message = (e as Error).message;
    }
    expect(message.split('\n').sort()).toEqual(
      [
        `${cfg}:3:10: uplinks[0].mtu: expected an integer 68-65535`,
        `${cfg}:4:5: uplinks[0].colour: unknown field; expected one of name, addresses, up, mtu, mac, pci, devType`,
        `${cfg}:6:5: faults[0].msg: missing; expected a message name, e.g. wireguard_peer_add`,
        `${cfg}:7:10: profile: expected '26.10' or '24.10' (quote it in YAML)`,
      ].sort(),
    );
  });

  test('a YAML error is placed too', () => {
    const cfg = join(mkdtempSync(join(tmpdir(), 'vppwg-simcfg-')), 'sim.yaml');
    writeFileSync(cfg, 'uplinks:\n  - name: [host-eth0\n');
    expect(() => loadSimConfig(cfg)).toThrow(`${cfg}:3:1: not valid YAML/JSON`);
  });

  test('one fault is checked by the same schema, with defaults', () => {
    const fail = (path: string, want: string): never => {
      throw new Error(`${path}: ${want}`);
    };
    expect(checkFault({ op: 'restart' }, 'control', fail)).toEqual({ op: 'restart', downMs: 0 });
    expect(checkFault({ op: 'failNth', msg: 'x', n: 2, retval: -3 }, 'control', fail)).toEqual({
      op: 'failNth',
      msg: 'x',
      n: 2,
      retval: -3,
    });
    expect(() => checkFault({ op: 'closeAfter', n: 0 }, 'control', fail)).toThrow(
      'control.n: expected an integer >= 1',
    );
    expect(() => checkFault({ op: 'nope' }, 'control', fail)).toThrow('control.op: expected one of closeAfter');
  });

  test('each bad field is named with what to write instead', () => {
    const cases: [unknown, string][] = [
      [[], '(top level): expected a mapping'],
      [{ uplink: [] }, 'uplink: unknown field'],
      [{ uplinks: [{ name: 'host-a' }, { name: 'host-a' }] }, 'uplinks[1].name: host-a is declared twice'],
      [{ uplinks: [{ name: 'wg0' }] }, 'uplinks[0].name: wg0 is a name VPP gives'],
      [{ uplinks: [{ name: 'host-a', mtu: 20 }] }, 'uplinks[0].mtu: expected an integer 68-65535'],
      [{ uplinks: [{ name: 'host-a', mac: 'zz' }] }, "uplinks[0].mac: expected 'aa:bb:cc:dd:ee:ff'"],
      [{ reachablePeers: { delayMs: -1 } }, 'reachablePeers.delayMs: expected a non-negative integer'],
      [{ crcOverrides: { wireguard_peer_add: 'xyz' } }, 'crcOverrides.wireguard_peer_add: expected up to 8 hex digits'],
      [{ faults: [{ op: 'explode' }] }, 'faults[0].op: expected one of closeAfter'],
      [{ faults: [{ op: 'dropReply' }] }, 'faults[0].msg: missing; expected a message name'],
    ];
    for (const [data, message] of cases) {
      expect(() => checkSimConfig(data, 'sim.yaml')).toThrow(`sim.yaml: ${message}`);
    }
    expect(
      checkSimConfig(
        { uplinks: [{ name: 'host-a', addresses: ['192.0.2.1/24'] }], faults: [{ op: 'dropReply', msg: 'x' }] },
        'f',
      ),
    ).toEqual({
      uplinks: [{ name: 'host-a', addresses: ['192.0.2.1/24'] }],
      faults: [{ op: 'dropReply', msg: 'x', n: 1 }],
    });
  });
});
