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
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wireguard } from 'vpp-api-ts';
import { VppClient } from '../../src/client';
import { parseDesiredState, type DesiredState } from '../../src/config';
import { observe, reconcile, showState } from '../../src/reconcile';
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
 * environment beside it) and, with `ownKey`, VPP's private key from the environment.
 */
function rewrite(text: string, peer: string, publicKey: string, o: { ownKey: boolean; psk: boolean }): string {
  const m = new RegExp(`- name: ${peer}\\n(\\s+)public_key: (\\S+)\\n`).exec(text);
  if (!m) throw new Error(`no peer ${peer} with a public_key line in the example`);
  const indent = m[1]!;
  const lines = `${indent}public_key: ${publicKey}\n` + (o.psk ? `${indent}preshared_key: { env: ${PSK_ENV} }\n` : '');
  const out = text.replace(m[0], `- name: ${peer}\n${lines}`);
  if (!o.ownKey) return out;
  // The key itself, not a comment that mentions it.
  const generate = /^(\s+)private_key: generate$/m;
  if (!generate.test(out)) throw new Error('the example does not generate its private key');
  return out.replace(generate, `$1private_key: { env: ${PRIVATE_KEY_ENV} }`);
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

export function wgPeerTests(
  socketPath: string,
  netns: string,
  getClient: () => VppClient,
  remember: (d: DesiredState) => DesiredState,
  empty: DesiredState,
  /** Whether this VPP takes preshared keys (wireguard_peer_add_v2). */
  withPsk: () => boolean,
): void {
  const inNs = (...cmd: string[]): string => execFileSync('ip', ['netns', 'exec', netns, ...cmd], { encoding: 'utf8' });
  const dir = mkdtempSync(join(tmpdir(), 'vppwg-far-end-'));

  /** For clean-up: what is already gone is fine. */
  function quietly(...cmd: string[]): void {
    try {
      execFileSync('ip', ['-n', netns, ...cmd], { stdio: 'ignore' });
    } catch {
      // not there
    }
  }
  const removeInterface = (): void => quietly('link', 'del', 'wg0');
  /** A fresh wg0 in the far end: the kernel's WireGuard if it has one, else wireguard-go. */
  function createInterface(): void {
    removeInterface();
    try {
      execFileSync('ip', ['-n', netns, 'link', 'add', 'wg0', 'type', 'wireguard'], { stdio: 'ignore' });
    } catch {
      inNs('wireguard-go', 'wg0');
    }
  }

  afterAll(() => {
    removeInterface();
    rmSync(dir, { recursive: true, force: true });
  });

  describe(`with a real WireGuard far end in netns ${netns}`, () => {
    test.each(FAR_ENDS)(
      '$example: the handshake completes, pings cross the tunnel, and nothing is drift afterwards',
      async (far) => {
        const client = getClient();
        const keys = keyPair();
        const vppKeys = keyPair();
        const psk = far.ownKeys && withPsk() ? randomBytes(32).toString('base64') : undefined;
        const text = rewrite(readFileSync(join(examplesDir, far.example), 'utf8'), far.peer, keys.publicKey, {
          ownKey: far.ownKeys === true,
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

          // What the far end remembers of an earlier VPP (its MAC, learned handshakes) must not count.
          execFileSync('ip', ['-n', netns, 'neigh', 'flush', 'dev', 'vppwg-peer']);
          createInterface();
          const keyFile = join(dir, 'far-end.key');
          const pskFile = join(dir, 'far-end.psk');
          writeFileSync(keyFile, keys.privateKey + '\n', { mode: 0o600 });
          const set = [
            'wg',
            'set',
            'wg0',
            'private-key',
            keyFile,
            'listen-port',
            String(far.listenPort ?? 51820),
            'peer',
            wg!.publicKey,
          ];
          set.push('allowed-ips', far.allowedFromVpp.join(','));
          if (psk) {
            writeFileSync(pskFile, psk + '\n', { mode: 0o600 });
            set.push('preshared-key', pskFile);
          }
          if (far.vppEndpoint) set.push('endpoint', far.vppEndpoint, 'persistent-keepalive', '25');
          try {
            inNs(...set);
          } finally {
            rmSync(keyFile, { force: true });
            rmSync(pskFile, { force: true });
          }
          for (const a of far.tunnel) inNs('ip', 'addr', 'add', a, 'dev', 'wg0', ...(a.includes(':') ? ['nodad'] : []));
          inNs('ip', 'link', 'set', 'wg0', 'mtu', '1420', 'up');
          for (const a of far.site ?? [])
            inNs('ip', 'addr', 'replace', a, 'dev', 'lo', ...(a.includes(':') ? ['nodad'] : []));

          const peer = await until('the handshake (VPP marks the peer established)', 15_000, async () => {
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
            const args = [
              'ping',
              '-c',
              '2',
              '-i',
              '0.2',
              '-W',
              '2',
              '-q',
              ...(ping.from ? ['-I', ping.from] : []),
              ping.to,
            ];
            // ping exits 0 once a reply came back.
            let ok = true;
            try {
              inNs(...args);
            } catch {
              ok = false;
            }
            expect({ ping: ping.to, from: ping.from ?? 'tunnel address', ok }).toEqual({
              ping: ping.to,
              from: ping.from ?? 'tunnel address',
              ok: true,
            });
          }

          // The learned endpoint, the handshake and the traffic are VPP's own state, not drift.
          const again = await reconcile(client, desired);
          expect(again.plan.operations.map((o) => o.id)).toEqual([]);
        } finally {
          for (const c of cleanups) await c();
          removeInterface();
          for (const a of far.site ?? []) quietly('addr', 'del', a, 'dev', 'lo');
          expect((await reconcile(client, empty)).ok).toBe(true);
        }
      },
      60_000,
    );
  });
}
