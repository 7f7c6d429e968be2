/**
 * vppwg against a real VPP and a real WireGuard at the far end (run from real-vpp.test.ts, so never
 * beside the other suites on the same VPP). The far end is a network namespace on the other side of
 * host-eth0's veth (`test/real-vpp/run-vpp.sh peer` makes it) that plays the examples' gateway
 * (192.0.2.254, 2001:db8:0:1::fe) and their remote endpoints, with a WireGuard interface of its own
 * (the kernel's, else wireguard-go) standing in for one peer of each example.
 *
 * For each design style: the example applies with that peer's public key replaced by the far end's,
 * the handshake completes (VPP initiating where it knows the endpoint, the far end where it does
 * not) and VPP says so in a wireguard_peer_event to a subscriber as the daemon subscribes, pings
 * cross the tunnel in every overlay family the peer carries, from the far end's tunnel
 * address and from its site network (so VPP's route to that network, via the tunnel next hop, is
 * what carries the reply), and a reconcile afterwards sends nothing: an endpoint VPP learned from the
 * handshake is not drift. Two of them give VPP a private key from the environment and, where VPP
 * takes one, a preshared key, both made by the test: a key vppwg passed on wrong fails the handshake.
 * Keys go to the far end through 0600 files, removed at once, and are never printed.
 */
import { execFileSync, execSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wireguard from 'vpp-api-ts/wireguard';
import * as ip from 'vpp-api-ts/ip';
import * as iface from 'vpp-api-ts/interface';
import { VppClient } from '../../src/client';
import { parseDesiredState, type DesiredState } from '../../src/config';
import { observe, reconcile, showState } from '../../src/reconcile';
import { assertNoSecrets, firstReconcile, startDaemon, waitFor } from '../daemon/helpers';
import { runAdopt, runExport } from '../../src/cli/commands/adopt';
import { runApply, runPlan } from '../../src/cli/commands/state';
import { examplesDir } from '../reconcile/helpers';

interface FarEnd {
  /** The example, and the name of the peer in it that the far end plays. */
  example: string;
  peer: string;
  /**
   * VPP's private key from the environment instead of `generate`, and a preshared key for the peer
   * where VPP takes one: both sides then hold keys the test made, so a key that vppwg passed wrong
   * byte for byte fails the handshake.
   */
  ownKeys?: boolean;
  /** The far end's WireGuard interface addresses, and its site network (on lo), if any. */
  tunnel: string[];
  site?: string[];
  /** What the far end lets in from VPP (VPP's tunnel addresses), and where it finds VPP, if it does. */
  allowedFromVpp: string[];
  vppEndpoint?: string;
  /** The far end's UDP port (the peer's endpoint port in the example), 51820 unless given. */
  listenPort?: number;
  /** Pings from the far end: to VPP's tunnel address, optionally from a site address. */
  pings: { to: string; from?: string }[];
}

const FAR_ENDS: FarEnd[] = [
  {
    // IPv4 underlay; VPP knows the endpoint 198.51.100.2 and initiates.
    example: 'site-to-site.yaml',
    peer: 'branch-b',
    ownKeys: true,
    tunnel: ['10.2.111.2/24'],
    site: ['10.20.0.1/16'],
    allowedFromVpp: ['10.2.111.1/32'],
    pings: [{ to: '10.2.111.1' }, { to: '10.2.111.1', from: '10.20.0.1' }],
  },
  {
    // IPv6 underlay carrying IPv4 and IPv6; VPP initiates to 2001:db8:0:2::2.
    example: 'site-to-site-ipv6-underlay.yaml',
    peer: 'site-b',
    tunnel: ['10.6.0.2/30', 'fd00:6::2/126'],
    site: ['10.60.0.1/16', 'fd00:60::1/48'],
    allowedFromVpp: ['10.6.0.1/32', 'fd00:6::1/128'],
    pings: [
      { to: '10.6.0.1' },
      { to: 'fd00:6::1' },
      { to: '10.6.0.1', from: '10.60.0.1' },
      { to: 'fd00:6::1', from: 'fd00:60::1' },
    ],
  },
  {
    // Remote-access server: no endpoint in the file; the far end dials in and VPP learns where it is.
    example: 'remote-access-server.yaml',
    peer: 'alice-laptop',
    ownKeys: true,
    tunnel: ['10.100.0.2/24', 'fd00:100::2/64'],
    allowedFromVpp: ['10.100.0.1/32', 'fd00:100::1/128'],
    vppEndpoint: '192.0.2.1:51820',
    pings: [{ to: '10.100.0.1' }, { to: 'fd00:100::1' }],
  },
  {
    // Remote-access client: VPP dials the server at 203.0.113.1 and sends everything through it.
    example: 'remote-access-client.yaml',
    peer: 'vpn-server',
    tunnel: ['10.100.0.1/24', 'fd00:100::1/64'],
    allowedFromVpp: ['10.100.0.2/32', 'fd00:100::2/128'],
    pings: [{ to: '10.100.0.2' }, { to: 'fd00:100::2' }],
  },
  {
    // One /31 tunnel per BGP neighbour, everything allowed; VPP dials dc1-router on its own port.
    example: 'bgp-tunnel-per-peer.yaml',
    peer: 'dc1-router',
    tunnel: ['169.254.10.1/31', 'fd00:10::1/127'],
    allowedFromVpp: ['169.254.10.0/32', 'fd00:10::/128'],
    pings: [{ to: '169.254.10.0' }, { to: 'fd00:10::' }],
  },
  {
    // IPv6 overlay only, in table 200, over IPv4; the peer's network routed via its tunnel address.
    example: 'site-to-site-ipv6-overlay.yaml',
    peer: 'lab-east',
    listenPort: 51830,
    tunnel: ['fd00:200::2/64'],
    site: ['2001:db8:100::1/48'],
    allowedFromVpp: ['fd00:200::1/128'],
    pings: [{ to: 'fd00:200::1' }, { to: 'fd00:200::1', from: '2001:db8:100::1' }],
  },
];

/** A WireGuard key pair, base64 as wg and VPP's files write them. */
function keyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const b64 = (s: string | undefined) => Buffer.from(s!, 'base64url').toString('base64');
  return {
    privateKey: b64(privateKey.export({ format: 'jwk' }).d),
    publicKey: b64(publicKey.export({ format: 'jwk' }).x),
  };
}

/**
 * The example with the far end's public key for `peer` (and, with `psk`, a preshared key from the
 * environment beside it) and, with `privateKey`, that key source for VPP's private key.
 */
function rewrite(text: string, peer: string, publicKey: string, o: { privateKey?: string; psk: boolean }): string {
  const m = new RegExp(`- name: ${peer}\\n(\\s+)public_key: (\\S+)\\n`).exec(text);
  if (!m) throw new Error(`no peer ${peer} with a public_key line in the example`);
  const indent = m[1]!;
  const lines = `${indent}public_key: ${publicKey}\n` + (o.psk ? `${indent}preshared_key: { env: ${PSK_ENV} }\n` : '');
  const out = text.replace(m[0], `- name: ${peer}\n${lines}`);
  if (!o.privateKey) return out;
  // The key itself, not a comment that mentions it.
  const generate = /^(\s+)private_key: generate$/m;
  if (!generate.test(out)) throw new Error('the example does not generate its private key');
  return out.replace(generate, `$1private_key: ${o.privateKey}`);
}

const PRIVATE_KEY_ENV = 'VPPWG_TEST_PRIVATE_KEY';
const PSK_ENV = 'VPPWG_TEST_PSK';

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** wireguard_peer_flags: the handshake completed. */
const ESTABLISHED = 2;

/** The far end's namespace: one WireGuard interface (wg0) set up per case, pings from it. */
class FarEndNamespace {
  private readonly dir = mkdtempSync(join(tmpdir(), 'vppwg-far-end-'));
  private site: string[] = [];

  constructor(readonly netns: string) {}

  /** A command inside the namespace; throws with its output when it fails. */
  run(...cmd: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.netns, ...cmd], { encoding: 'utf8' });
  }

  /** For clean-up: what is already gone is fine. */
  private quietly(...cmd: string[]): void {
    try {
      execFileSync('ip', ['-n', this.netns, ...cmd], { stdio: 'ignore' });
    } catch {
      // not there
    }
  }

  /**
   * A fresh wg0 (the kernel's WireGuard if it has one, else wireguard-go) peering with VPP. Keys go
   * in through 0600 files removed at once. What the namespace remembers of an earlier VPP (its MAC,
   * learned handshakes) is forgotten first.
   */
  up(o: {
    privateKey: string;
    listenPort: number;
    vppPublicKey: string;
    allowed: string[];
    endpoint?: string;
    psk?: string;
    tunnel: string[];
    site?: string[];
  }): void {
    this.down();
    execFileSync('ip', ['-n', this.netns, 'neigh', 'flush', 'dev', 'vppwg-peer']);
    try {
      execFileSync('ip', ['-n', this.netns, 'link', 'add', 'wg0', 'type', 'wireguard'], { stdio: 'ignore' });
    } catch {
      this.run('wireguard-go', 'wg0');
    }
    const keyFile = join(this.dir, 'far-end.key');
    const pskFile = join(this.dir, 'far-end.psk');
    writeFileSync(keyFile, o.privateKey + '\n', { mode: 0o600 });
    const set = ['wg', 'set', 'wg0', 'private-key', keyFile, 'listen-port', String(o.listenPort)];
    set.push('peer', o.vppPublicKey, 'allowed-ips', o.allowed.join(','));
    if (o.psk) {
      writeFileSync(pskFile, o.psk + '\n', { mode: 0o600 });
      set.push('preshared-key', pskFile);
    }
    if (o.endpoint) set.push('endpoint', o.endpoint, 'persistent-keepalive', '25');
    try {
      this.run(...set);
    } finally {
      rmSync(keyFile, { force: true });
      rmSync(pskFile, { force: true });
    }
    const nodad = (a: string) => (a.includes(':') ? ['nodad'] : []);
    for (const a of o.tunnel) this.run('ip', 'addr', 'add', a, 'dev', 'wg0', ...nodad(a));
    this.run('ip', 'link', 'set', 'wg0', 'mtu', '1420', 'up');
    this.site = o.site ?? [];
    for (const a of this.site) this.run('ip', 'addr', 'replace', a, 'dev', 'lo', ...nodad(a));
  }

  /** Two pings to `to` (from the address `from`): whether a reply came back. */
  ping(to: string, from?: string): boolean {
    try {
      this.run('ping', '-c', '2', '-i', '0.2', '-W', '2', '-q', ...(from ? ['-I', from] : []), to);
      return true;
    } catch {
      return false;
    }
  }

  down(): void {
    this.quietly('link', 'del', 'wg0');
    for (const a of this.site) this.quietly('addr', 'del', a, 'dev', 'lo');
    this.site = [];
  }

  dispose(): void {
    this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function wgPeerTests(
  socketPath: string,
  netns: string,
  getClient: () => VppClient,
  remember: (d: DesiredState) => DesiredState,
  empty: DesiredState,
  /** Whether this VPP takes preshared keys (wireguard_peer_add_v2). */
  withPsk: () => boolean,
  /** The example's text as this VPP needs it (dpdk.test.ts matches the uplink by MAC). */
  adapt: (text: string) => string = (text) => text,
): void {
  const farEnd = new FarEndNamespace(netns);
  afterAll(() => farEnd.dispose());

  describe(`with a real WireGuard far end in netns ${netns}`, () => {
    test.each(FAR_ENDS)(
      '$example: the handshake completes, pings cross the tunnel, and nothing is drift afterwards',
      async (far) => {
        const client = getClient();
        const keys = keyPair();
        const vppKeys = keyPair();
        const psk = far.ownKeys && withPsk() ? randomBytes(32).toString('base64') : undefined;
        const text = rewrite(adapt(readFileSync(join(examplesDir, far.example), 'utf8')), far.peer, keys.publicKey, {
          ...(far.ownKeys ? { privateKey: `{ env: ${PRIVATE_KEY_ENV} }` } : {}),
          psk: psk !== undefined,
        });
        const env = { [PRIVATE_KEY_ENV]: vppKeys.privateKey, ...(psk ? { [PSK_ENV]: psk } : {}) };
        const { state, diagnostics } = parseDesiredState(text, far.example, { env });
        expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        const desired = remember(state!);
        const applied = await reconcile(client, desired);
        expect({ error: applied.error?.message, verified: applied.verified }).toEqual({
          error: undefined,
          verified: true,
        });
        const cleanups: (() => Promise<void>)[] = [];
        try {
          const shown = showState(await observe(client));
          const wg = shown.wireguard.find((w) => w.peers.some((p) => p.publicKey === keys.publicKey));
          expect(wg).toBeDefined();
          // The private key vppwg handed VPP is the one the test made: VPP derived its public key.
          if (far.ownKeys) expect(wg!.publicKey).toBe(vppKeys.publicKey);

          // Peer events as the daemon subscribes to them, on a connection of their own.
          const peerIndex = wg!.peers.find((p) => p.publicKey === keys.publicKey)!.peerIndex;
          const events = await VppClient.connect({ socketPath, reconnect: false });
          const flagsSeen: number[] = [];
          events.subscribe(wireguard.wireguard_peer_event, (e) => {
            if (e.peer_index === peerIndex) flagsSeen.push(Number(e.flags));
          });
          await events.call(wireguard.want_wireguard_peer_events, {
            sw_if_index: wg!.swIfIndex,
            peer_index: peerIndex,
            enable_disable: 1,
            pid: process.pid,
          });
          cleanups.push(() => events.close());

          farEnd.up({
            privateKey: keys.privateKey,
            listenPort: far.listenPort ?? 51820,
            vppPublicKey: wg!.publicKey,
            allowed: far.allowedFromVpp,
            ...(far.vppEndpoint ? { endpoint: far.vppEndpoint } : {}),
            ...(psk ? { psk } : {}),
            tunnel: far.tunnel,
            ...(far.site ? { site: far.site } : {}),
          });

          // 25 s: on a DPDK port VPP polls the link every 3 s and drops what it sends before it sees
          // the link up; WireGuard retries a lost handshake only every 5 s (once 15 s ran out there).
          const peer = await until('the handshake (VPP marks the peer established)', 25_000, async () => {
            const p = showState(await observe(client))
              .wireguard.flatMap((w) => w.peers)
              .find((x) => x.publicKey === keys.publicKey);
            return p?.established ? p : undefined;
          });
          if (far.vppEndpoint) expect(peer.endpoint).toBe('192.0.2.254:51820');
          // VPP told the subscriber too (an event may trail the dump that saw the flag).
          await until('a wireguard_peer_event with ESTABLISHED', 5_000, async () =>
            flagsSeen.some((f) => (f & ESTABLISHED) !== 0) ? true : undefined,
          );

          for (const ping of far.pings) {
            const from = ping.from ?? 'tunnel address';
            const ok = farEnd.ping(ping.to, ping.from);
            expect({ ping: ping.to, from, ok }).toEqual({ ping: ping.to, from, ok: true });
          }

          // The learned endpoint, the handshake and the traffic are VPP's own state, not drift.
          const again = await reconcile(client, desired);
          expect(again.plan.operations.map((o) => o.id)).toEqual([]);
        } finally {
          for (const c of cleanups) await c();
          farEnd.down();
          expect((await reconcile(client, empty)).ok).toBe(true);
        }
      },
      60_000,
    );
  });
}

/**
 * `vppwg serve` beside the real VPP, with the far end playing site-to-site's branch-b: the daemon
 * applies the file, reports the peer established from VPP's own event, and, when `restartVpp` is
 * a command that restarts VPP (VPPWG_TEST_VPP_RESTART), puts everything back after VPP comes up
 * empty, so that VPP dials the far end again and the tunnel carries pings once more. VPP's private
 * key comes from a file, as in production, so the far end still knows it after the restart.
 */
export function daemonPeerTest(
  socketPath: string,
  netns: string,
  restartVpp: string | undefined,
  /** After a VPP restart: the suite's own connection is gone and is made again. */
  reconnectSuite: () => Promise<void>,
  remember: (d: DesiredState) => DesiredState,
  adapt: (text: string) => string = (text) => text,
): void {
  const farEnd = new FarEndNamespace(netns);
  const tmp = mkdtempSync(join(tmpdir(), 'vppwg-daemon-peer-'));
  afterAll(() => {
    farEnd.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });
  const what = restartVpp ? 'and after VPP restarts, the tunnel is back' : '(VPPWG_TEST_VPP_RESTART unset: no restart)';
  test(`the daemon applies, reports the peer established from VPP's event, ${what}`, async () => {
    const keys = keyPair();
    const vppKeys = keyPair();
    const keyFile = join(tmp, 'wg-branches.key');
    writeFileSync(keyFile, vppKeys.privateKey + '\n', { mode: 0o600 });
    const configPath = join(tmp, 'desired.yaml');
    const example = adapt(readFileSync(join(examplesDir, 'site-to-site.yaml'), 'utf8'));
    const text = rewrite(example, 'branch-b', keys.publicKey, { privateKey: `{ file: ${keyFile} }`, psk: false });
    writeFileSync(configPath, text);
    // Its underlay routes stay in VPP (vppwg cannot tell who made a route): the suite removes them.
    remember(parseDesiredState(text, configPath).state!);
    const { daemon, log } = startDaemon({ configPath, socketPath, tokenFile: join(tmp, 'token'), retryInitialMs: 200 });
    // Established, and told so by an event (the dump after subscribing ran before the far end was up).
    const established = (): boolean => {
      const p = daemon.status().peers.find((x) => x.publicKey === keys.publicKey);
      return p?.established === true && (p.lastEventFlags & ESTABLISHED) !== 0;
    };
    try {
      await daemon.start();
      await firstReconcile(daemon, log);
      farEnd.up({
        privateKey: keys.privateKey,
        listenPort: 51820,
        vppPublicKey: vppKeys.publicKey,
        allowed: ['10.2.111.1/32'],
        tunnel: ['10.2.111.2/24'],
        site: ['10.20.0.1/16'],
      });
      // VPP dials again every 5 s while an initiation goes unanswered (the first may go while it resolves ARP).
      await waitFor(established, 30_000, 'the daemon to report branch-b established');
      expect(farEnd.ping('10.2.111.1', '10.20.0.1')).toBe(true);
      if (restartVpp) {
        const reconciles = daemon.status().reconciles;
        execSync(restartVpp, { stdio: 'ignore' });
        // VPP came back empty: the daemon resyncs (retrying until VPP's startup made the uplink).
        await waitFor(
          () => daemon.status().reconciles > reconciles && daemon.status().lastReconcile?.ok,
          60_000,
          'the daemon to put the desired state back on the restarted VPP',
        );
        await reconnectSuite();
        await waitFor(established, 30_000, 'branch-b established again');
        expect(farEnd.ping('10.2.111.1', '10.20.0.1')).toBe(true);
        // Put back by the reconcile that follows a reconnect (or its retry), not by a drift check.
        const after = log
          .lines()
          .map((l) => String(l.message))
          .filter((m) => /^reconcile \((reconnect|retry)\) applied/.test(m));
        expect(after.length).toBeGreaterThan(0);
      }
      assertNoSecrets('the daemon log', log.text(), [vppKeys.privateKey]);
    } finally {
      await daemon.stop('test done');
      farEnd.down();
    }
  }, 120_000);
}

/**
 * Issue 14, items 1 and 3, on the real dataplane: a remote-access hub (`private_key: generate`,
 * peers without endpoints) under `vppwg serve` with a state directory, a real road-warrior client
 * at the far end. After VPP restarts empty, the hub has the same public key (the key vppwg kept)
 * and VPP dials the client at the endpoint it had learned (the daemon kept it), so the client is
 * back within 5 s without re-initiating; a restart of the daemon itself changes nothing in VPP.
 */
export function hubRestartTest(
  socketPath: string,
  netns: string,
  restartVpp: string,
  reconnectSuite: () => Promise<void>,
  remember: (d: DesiredState) => DesiredState,
): void {
  const farEnd = new FarEndNamespace(netns);
  const tmp = mkdtempSync(join(tmpdir(), 'vppwg-hub-restart-'));
  afterAll(() => {
    farEnd.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });
  test('a hub keeps its key and dials its road warriors back within 5 s of a VPP restart', async () => {
    const client = keyPair();
    const stateDir = join(tmp, 'state');
    const configPath = join(tmp, 'desired.yaml');
    const example = readFileSync(join(examplesDir, 'remote-access-server.yaml'), 'utf8');
    const text = rewrite(example, 'alice-laptop', client.publicKey, { psk: false });
    writeFileSync(configPath, text);
    remember(parseDesiredState(text, configPath).state!);
    const hubKey = async (): Promise<string> => {
      const c = await VppClient.connect({ socketPath, reconnect: false });
      try {
        const wg = showState(await observe(c)).wireguard.find((w) => w.owner === 'wg-clients');
        if (!wg) throw new Error('the hub interface is missing');
        return wg.publicKey;
      } finally {
        await c.close();
      }
    };
    const start = () =>
      startDaemon({ configPath, socketPath, stateDir, tokenFile: join(tmp, 'token'), retryInitialMs: 200 });
    let { daemon, log } = start();
    const established = (): boolean =>
      daemon.status().peers.find((x) => x.publicKey === client.publicKey)?.established === true;
    try {
      await daemon.start();
      await firstReconcile(daemon, log);
      const keyBefore = await hubKey();
      // The client dials the hub; the hub learns the client's endpoint from the handshake.
      farEnd.up({
        privateKey: client.privateKey,
        listenPort: 51820,
        vppPublicKey: keyBefore,
        allowed: ['10.100.0.1/32'],
        endpoint: '192.0.2.1:51820',
        tunnel: ['10.100.0.2/24'],
      });
      await waitFor(established, 30_000, 'alice-laptop established');
      expect(farEnd.ping('10.100.0.1')).toBe(true);
      await waitFor(
        () => {
          const kept = JSON.parse(readFileSync(join(stateDir, 'learned-endpoints.json'), 'utf8')) as unknown;
          return JSON.stringify(kept).includes(client.publicKey);
        },
        10_000,
        'the learned endpoint kept in the state directory',
      );

      const reconciles = daemon.status().reconciles;
      execSync(restartVpp, { stdio: 'ignore' });
      await waitFor(
        () => daemon.status().reconciles > reconciles && daemon.status().lastReconcile?.ok,
        60_000,
        'the daemon to put the hub back on the restarted VPP',
      );
      const restored = Date.now();
      await reconnectSuite();
      // VPP initiates to the learned endpoint: the client's own retry would take far longer.
      await waitFor(
        established,
        15_000,
        'alice-laptop back after the hub was restored (asserted below: within 5 s)',
      ).catch(async (err: Error) => {
        // What VPP was told, to say why: the endpoint it dials and what the daemon kept.
        const c = await VppClient.connect({ socketPath, reconnect: false });
        const wg = showState(await observe(c)).wireguard.find((w) => w.owner === 'wg-clients');
        await c.close();
        const peer = wg?.peers.find((p) => p.publicKey === client.publicKey);
        const kept = readFileSync(join(stateDir, 'learned-endpoints.json'), 'utf8');
        throw new Error(`${err.message}; VPP's peer: ${JSON.stringify(peer)}; kept: ${kept}`);
      });
      expect(Date.now() - restored).toBeLessThan(5_000);
      expect(await hubKey()).toBe(keyBefore);
      expect(farEnd.ping('10.100.0.1')).toBe(true);

      // vppwg itself restarted: same key, nothing re-created.
      await daemon.stop('restart');
      ({ daemon, log } = start());
      await daemon.start();
      await firstReconcile(daemon, log);
      expect(daemon.status().lastReconcile?.operations).toBe(0);
      expect(await hubKey()).toBe(keyBefore);
      assertNoSecrets('the daemon log', log.text(), [client.privateKey]);
    } finally {
      await daemon.stop('test done');
      farEnd.down();
    }
  }, 180_000);
}

/**
 * Issue 21 on the real dataplane: a tunnel made outside vppwg (raw API calls, as vppctl or a
 * script would) carries a ping loop from a real WireGuard far end; `vppwg export --keys-dir` and
 * `vppwg adopt` take it over. The ping loop loses nothing, VPP keeps the same peer (same index, so
 * no re-add) and the far end's latest handshake is unchanged; afterwards a key rotation through
 * the file works as any apply.
 */
export function adoptTest(socketPath: string, netns: string, remember: (d: DesiredState) => DesiredState): void {
  const farEnd = new FarEndNamespace(netns);
  const tmp = mkdtempSync(join(tmpdir(), 'vppwg-adopt-real-'));
  afterAll(() => {
    farEnd.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });
  test('a tunnel made outside vppwg is exported and adopted without a lost ping or a new handshake', async () => {
    const far = keyPair();
    const vppKeys = keyPair();
    const c = await VppClient.connect({ socketPath, reconnect: false });
    const latestHandshake = (): string => farEnd.run('wg', 'show', 'wg0', 'latest-handshakes').trim();
    let loop: ReturnType<typeof spawn> | undefined;
    try {
      // As an operator would with vppctl: interface, address, peer, its host route, up; the underlay route.
      const route = (prefix: string, sw: number, nh: string) =>
        c.call(ip.ip_route_add_del, {
          is_add: true,
          is_multipath: false,
          route: {
            table_id: 0,
            prefix,
            n_paths: 1,
            paths: [{ sw_if_index: sw, weight: 1, proto: 0, nh: { address: { ip4: nh } } } as never],
          } as never,
        } as never);
      // What earlier tests left of vppwg's goes first: the exported file describes this tunnel only.
      expect((await reconcile(c, parseDesiredState('version: 1\n', 'empty.yaml').state!)).ok).toBe(true);
      const eth0 = showState(await observe(c)).interfaces.find((i) => i.name === 'host-eth0')!;
      const uplink = eth0.swIfIndex;
      // The examples' underlay, as the suite's other tests leave it (a fresh VPP has none).
      for (const prefix of ['192.0.2.1/24', '2001:db8:0:1::1/64'])
        if (!eth0.addresses.includes(prefix))
          await c.call(iface.sw_interface_add_del_address, {
            sw_if_index: uplink,
            is_add: true,
            del_all: false,
            prefix,
          } as never);
      await c.call(iface.sw_interface_set_flags, { sw_if_index: uplink, flags: 1 } as never);
      await route('198.51.100.2/32', uplink, '192.0.2.254');
      const created = await c.call(wireguard.wireguard_interface_create, {
        interface: {
          user_instance: 7,
          private_key: Buffer.from(vppKeys.privateKey, 'base64'),
          port: 51830,
          src_ip: '192.0.2.1',
        },
        generate_key: false,
      } as never);
      const sw = (created as { sw_if_index: number }).sw_if_index;
      await c.call(iface.sw_interface_add_del_address, {
        sw_if_index: sw,
        is_add: true,
        del_all: false,
        prefix: '10.3.0.1/24',
      } as never);
      await c.call(wireguard.wireguard_peer_add, {
        peer: {
          public_key: Buffer.from(far.publicKey, 'base64'),
          port: 51820,
          endpoint: '198.51.100.2',
          sw_if_index: sw,
          persistent_keepalive: 25,
          table_id: 0,
          allowed_ips: ['10.3.0.2/32'],
        },
      } as never);
      await route('10.3.0.2/32', sw, '10.3.0.2');
      await c.call(iface.sw_interface_set_flags, { sw_if_index: sw, flags: 1 } as never);
      farEnd.up({
        privateKey: far.privateKey,
        listenPort: 51820,
        vppPublicKey: vppKeys.publicKey,
        allowed: ['10.3.0.1/32'],
        endpoint: '192.0.2.1:51830',
        tunnel: ['10.3.0.2/24'],
      });
      await until('the hand-made tunnel to carry a ping', 30_000, async () =>
        farEnd.ping('10.3.0.1') ? true : undefined,
      );
      const peersBefore = showState(await observe(c)).wireguard.find((w) => w.swIfIndex === sw)!.peers;
      const handshakeBefore = latestHandshake();

      // A ping every 100 ms while vppwg takes over.
      loop = spawn('ip', ['netns', 'exec', netns, 'ping', '-i', '0.1', '-c', '150', '-q', '10.3.0.1']);
      let loopOut = '';
      loop.stdout!.on('data', (d: Buffer) => (loopOut += d.toString()));
      const loopDone = new Promise<void>((r) => loop!.once('close', () => r()));

      const out: string[] = [];
      const io = { out: (t: string) => out.push(t), err: () => undefined };
      expect(await runExport({ socket: socketPath, interfaces: 'wg7', keysDir: join(tmp, 'keys') }, io)).toBe(0);
      const file = join(tmp, 'desired.yaml');
      writeFileSync(file, out.join('\n'));
      remember(parseDesiredState(out.join('\n'), file).state!);
      const opts = { socket: socketPath, stateDir: join(tmp, 'state'), env: {} };
      const said: string[] = [];
      const tell = { out: (t: string) => said.push(t), err: (t: string) => said.push(t) };
      const adopted = await runAdopt(file, opts, tell);
      if (adopted !== 0) throw new Error(`adopt exited ${adopted}: ${said.join('\n')}`);
      const planned = await runPlan(file, opts, tell);
      if (planned !== 0) throw new Error(`plan after adopt exited ${planned}: ${said.join('\n')}`);
      await loopDone;
      expect(loopOut).toMatch(/150 packets transmitted, 150 received/);
      const peersAfter = showState(await observe(c)).wireguard.find((w) => w.swIfIndex === sw)!.peers;
      expect(peersAfter.map((p) => p.peerIndex)).toEqual(peersBefore.map((p) => p.peerIndex));
      expect(latestHandshake()).toBe(handshakeBefore);

      // From now on the file drives it: a new private key recreates the tunnel, the far end follows.
      const newKeys = keyPair();
      const keyFile = join(tmp, 'keys', 'wg7.key');
      writeFileSync(keyFile, newKeys.privateKey + '\n', { mode: 0o600 });
      expect(await runApply(file, opts, { out: () => undefined, err: () => undefined })).toBe(0);
      farEnd.run('wg', 'set', 'wg0', 'peer', vppKeys.publicKey, 'remove');
      farEnd.run(
        'wg',
        'set',
        'wg0',
        'peer',
        newKeys.publicKey,
        'allowed-ips',
        '10.3.0.1/32',
        'endpoint',
        '192.0.2.1:51830',
      );
      await until('the rotated tunnel to carry a ping', 30_000, async () =>
        farEnd.ping('10.3.0.1') ? true : undefined,
      );
    } finally {
      loop?.kill();
      farEnd.down();
      // Left untagged when the test failed before adopting it: the suite's clean-up would not see it.
      const left = showState(await observe(c)).interfaces.find((i) => i.name === 'wg7' && i.owner === null);
      if (left) await c.call(wireguard.wireguard_interface_delete, { sw_if_index: left.swIfIndex } as never);
      await c.close();
    }
  }, 180_000);
}
