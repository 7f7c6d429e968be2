/**
 * BGP across vppwg's WireGuard tunnels on a real VPP, with real BIRD at both ends (issue 18, item 3;
 * run from lcp.ts inside real-vpp.test.ts, opt-in with VPPWG_TEST_VPP_SOCKET, and needing the far
 * end's namespace VPPWG_TEST_WG_NETNS that `run-vpp.sh peer` makes).
 *
 * deploy/bgp/vppwg.yaml, keyed for the lab (test/bgp/lab.ts's labFile: the far ends' public keys,
 * their own endpoint addresses), applies; linux-cp pairs to-dc1 and to-dc2 with TUNs wg-dc1 and
 * wg-dc2 in netns `dataplane`, where BIRD runs the configuration `vppwg render bird` writes for that
 * file (plus a log line). Two far ends (dc1, dc2; lab.ts's FarEnd: a namespace each, routed from
 * the far-end namespace, which plays the example's gateway 192.0.2.254) run wireguard-go and BIRD.
 * Shown: the sessions establish over the tunnels; a prefix dc1 announces (IPv4 and IPv6) enters
 * VPP's FIB from linux-nl (source lcp-rt-*, shown as learned by the routing daemon) via to-dc1 with
 * dc1's tunnel address as next hop, VPP's own ping and a ping from `dataplane` reach an address in
 * it, and a reconcile afterwards sends no mutating call; withdrawn, the FIB loses it; a prefix both
 * announce moves from one tunnel to the other when the first goes down, and traffic follows.
 *
 * linux-cp makes the host interfaces with VPP's tap plugin, through /dev/vhost-net: where the
 * kernel has none (`grep vhost /proc/misc` is empty) every test here is skipped saying so (lcp.ts
 * then checks VPP's refusal and vppwg's rollback instead), as they are without BIRD, wireguard-go or
 * VPPWG_TEST_WG_NETNS. VPP needs wireguard, linux_cp, linux_nl, tap and ping loaded
 * (`run-vpp.sh start` with LINUX_CP=1); with `linux-cp { lcp-sync }` the TUNs get their addresses
 * from VPP, without it this suite gives them the file's (linux-nl then finds them already in VPP).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageDef } from 'vpp-api-ts';
import * as vlib from 'vpp-api-ts/vlib';
import { VppClient } from '../../src/client';
import type { DesiredState } from '../../src/config';
import { MUTATING_MESSAGES, observe, reconcile, reconcileMessages, showState } from '../../src/reconcile';
import { routeKey, type ActualState } from '../../src/reconcile/actual';
import { formatShow } from '../../src/reconcile/format';
import { LEARNED_BY_ROUTING_DAEMON } from '../../src/reconcile/lcp-actual';
import { hasLinuxCp } from '../../src/reconcile/lcp-messages';
import {
  Bird,
  FAILOVER,
  FAR_ENDS,
  FarEnd,
  Lab,
  Netns,
  forwarding,
  keyPair,
  labFile,
  labMissing,
  parseLabFile,
  renderBird,
  renderedSessions,
  until,
} from '../bgp/lab';

const DATAPLANE = 'dataplane';

/** Why the full proof cannot run here, naming what is missing; undefined when it can. */
function proofMissing(): string | undefined {
  if (!existsSync('/dev/vhost-net'))
    return "this kernel has no /dev/vhost-net (VPP's tap plugin makes linux-cp's host interfaces through it)";
  if (!process.env.VPPWG_TEST_WG_NETNS) return 'VPPWG_TEST_WG_NETNS is not set (run-vpp.sh peer makes the far end)';
  return labMissing();
}

function mutatingSince(client: VppClient, mark: number): Record<string, number> {
  const mutating = new Set(MUTATING_MESSAGES);
  const out: Record<string, number> = {};
  for (const e of client.trace().slice(mark)) if (mutating.has(e.message)) out[e.message] = (out[e.message] ?? 0) + 1;
  return out;
}

/** A route of VPP's FIB (table 0) as the test judges it: who holds it and where it goes. */
interface FibRoute {
  source: string;
  paths: { interface: string; via: string }[];
}

/** VPP's FIB entry for `prefix` in table 0, read through vppwg's own observe, or undefined. */
function fibRoute(actual: ActualState, prefix: string): FibRoute | undefined {
  const r = actual.routes.get(routeKey(0, prefix));
  if (!r) return undefined;
  const owner = (sw: number) =>
    [...actual.owned.interfaces].find(([, i]) => i === sw)?.[0] ?? actual.interfaces.get(sw)?.name ?? `sw ${sw}`;
  return {
    source:
      r.heldBy === undefined ? 'api' : (actual.lcp?.routingDaemonSources.get(r.heldBy) ?? `fib source ${r.heldBy}`),
    paths: r.paths.map((p) => ({ interface: owner(p.swIfIndex), via: p.nh })),
  };
}

/** VPP's own ping (the ping plugin, through cli_inband): how many of three echoes came back. */
async function vppPing(cli: VppClient, to: string): Promise<number> {
  const r = await cli.call(vlib.cli_inband, { cmd: `ping ${to} repeat 3 interval 0.2` }, { timeoutMs: 10_000 });
  const m = /(\d+) sent, (\d+) received/.exec(r.reply);
  if (!m) throw new Error(`VPP's ping said: ${r.reply.trim() || '(nothing)'}: is the ping plugin loaded?`);
  return Number(m[2]);
}

const TESTS = [
  'the sessions the rendering declares reach Established over the tunnels, BIRD in dataplane and at both far ends',
  "a prefix dc1 announces: in VPP's FIB from linux-nl via to-dc1 and dc1's tunnel address, pinged from VPP and from dataplane, a reconcile sends nothing; withdrawn, the FIB loses it",
  'a prefix both far ends announce moves to the other tunnel when the one carrying it goes down, and the traffic follows',
];

export function bgpProofTests(getClient: () => VppClient, remember: (d: DesiredState) => DesiredState): void {
  const missing = proofMissing();
  if (missing) {
    describe('BGP across the tunnels with BIRD at both ends', () => {
      for (const name of TESTS) test.skip(`${name} (skipped: ${missing})`, () => {});
    });
    return;
  }
  const socketPath = process.env.VPPWG_TEST_VPP_SOCKET!;
  const gateway = new Netns(process.env.VPPWG_TEST_WG_NETNS!);

  describe(`BGP across the tunnels with BIRD at both ends (far ends behind netns ${gateway.name})`, () => {
    const lab = new Lab();
    const dataplane = new Netns(DATAPLANE);
    const far = new Map<string, FarEnd>();
    let desired: DesiredState;
    let sessions: { name: string; neighbour: string; iface: string }[] = [];
    let dataplaneBird: Bird;
    let cli: VppClient;
    /** Set when this VPP has no linux-cp: lcp.ts's first test covers it, these have nothing to do. */
    let noLinuxCp = false;

    beforeAll(async () => {
      const client = getClient();
      if (!hasLinuxCp(client)) {
        noLinuxCp = true;
        return;
      }
      cli = await VppClient.connect({
        socketPath,
        messages: [...reconcileMessages(), vlib.cli_inband, vlib.cli_inband_reply] as MessageDef[],
        reconnect: false,
      });
      lab.onDispose('the ping connection', () => cli.close());
      const farKeys = { dc1: keyPair(), dc2: keyPair() };
      const text = labFile({ dc1: farKeys.dc1.publicKey, dc2: farKeys.dc2.publicKey });
      const file = join(lab.dir, 'vppwg.yaml');
      writeFileSync(file, text);
      desired = remember(parseLabFile(text, file));
      const rendered = await renderBird(file);
      sessions = renderedSessions(rendered);
      const applied = await reconcile(client, desired);
      expect({ error: applied.error?.message, verified: applied.verified }).toEqual({
        error: undefined,
        verified: true,
      });

      // The TUNs linux-cp made in dataplane: with lcp-sync they carry VPP's addresses already.
      for (const w of desired.wireguard) {
        const link = w.hostInterface!;
        const have = dataplane.ip('-o', 'addr', 'show', 'dev', link);
        for (const a of w.addresses)
          if (!have.includes(` ${a} `))
            dataplane.ip('addr', 'add', a, 'dev', link, ...(a.includes(':') ? ['nodad'] : []));
        dataplane.ip('link', 'set', link, 'up');
      }

      lab.onDispose(`forwarding in ${gateway.name}`, forwarding(gateway));
      const shown = showState(await observe(client));
      for (const spec of FAR_ENDS) {
        const w = desired.wireguard.find((x) => x.name === spec.interface)!;
        const vppPublicKey = shown.wireguard.find((x) => x.owner === spec.interface)?.publicKey;
        if (!vppPublicKey) throw new Error(`VPP has no WireGuard interface for ${spec.interface}`);
        far.set(
          spec.tag,
          await FarEnd.start(lab, gateway, spec, {
            privateKey: farKeys[spec.tag].privateKey,
            vppPublicKey,
            vppEndpoint: `192.0.2.1:${w.listenPort}`,
          }),
        );
      }
      dataplaneBird = await Bird.start(lab, dataplane, 'dataplane', rendered);
    }, 60_000);

    afterAll(async () => {
      // BIRD leaves (its kernel routes with it, so linux-nl takes them out of VPP), the far ends go;
      // lcp.ts's afterAll then empties VPP.
      const errors = await lab.dispose();
      if (errors.length) throw new Error(`clean-up: ${errors.join('; ')}`);
    });

    test(
      TESTS[0]!,
      async () => {
        if (noLinuxCp) return;
        expect(sessions.map((s) => `${s.iface} ${s.neighbour}`).sort()).toEqual([
          'wg-dc1 169.254.10.1',
          'wg-dc1 fd00:10::1',
          'wg-dc2 169.254.20.1',
          'wg-dc2 fd00:20::1',
        ]);
        await dataplaneBird.waitEstablished(
          sessions.map((s) => s.name),
          45_000,
        );
        for (const f of far.values()) await f.bird.waitEstablished(['vpp_ipv4', 'vpp_ipv6'], 5_000);
        // The BGP traffic crossed VPP's WireGuard: VPP's peers completed their handshakes.
        const peers = showState(await observe(getClient())).wireguard.filter((w) => w.owner?.startsWith('to-dc'));
        expect(peers.map((w) => `${w.owner} ${w.peers.map((p) => p.established).join()}`).sort()).toEqual([
          'to-dc1 true',
          'to-dc2 true',
        ]);
      },
      60_000,
    );

    test(
      TESTS[1]!,
      async () => {
        if (noLinuxCp) return;
        const client = getClient();
        const dc1 = far.get('dc1')!;
        dc1.announce('own', true);
        for (const own of dc1.spec.own) {
          const via = own.prefix.includes(':') ? 'fd00:10::1' : '169.254.10.1';
          const route = await until(`${own.prefix} in VPP's FIB from the routing daemon`, 20_000, async () => {
            const r = fibRoute(await observe(client), own.prefix);
            return r && r.source !== 'api' ? r : undefined;
          });
          expect({ prefix: own.prefix, ...route }).toEqual({
            prefix: own.prefix,
            source: expect.stringMatching(/^lcp-rt/),
            paths: [{ interface: 'to-dc1', via }],
          });
          const shownText = formatShow(await observe(client));
          expect(shownText).toContain(`${own.prefix} via ${via} `);
          expect(shownText.split('\n').find((l) => l.includes(` ${own.prefix} via `))).toContain(
            LEARNED_BY_ROUTING_DAEMON,
          );
          const received = await vppPing(cli, own.address);
          expect({ vppPing: own.address, answered: received > 0 }).toEqual({ vppPing: own.address, answered: true });
          expect({ from: DATAPLANE, ping: own.address, ok: dataplane.ping(own.address) }).toEqual({
            from: DATAPLANE,
            ping: own.address,
            ok: true,
          });
        }
        // The routing daemon's routes are not vppwg's: nothing to do, nothing sent.
        const mark = client.trace().length;
        const again = await reconcile(client, desired);
        expect(again.plan.operations.map((o) => o.id)).toEqual([]);
        expect(mutatingSince(client, mark)).toEqual({});

        dc1.announce('own', false);
        for (const own of dc1.spec.own)
          await until(`${own.prefix} gone from VPP's FIB`, 20_000, async () =>
            fibRoute(await observe(client), own.prefix) === undefined ? true : undefined,
          );
      },
      90_000,
    );

    test(
      TESTS[2]!,
      async () => {
        if (noLinuxCp) return;
        const client = getClient();
        for (const f of far.values()) f.announce('failover', true);
        const first = await until(`${FAILOVER.prefix} in VPP's FIB`, 20_000, async () => {
          const r = fibRoute(await observe(client), FAILOVER.prefix);
          return r && r.source !== 'api' ? r : undefined;
        });
        expect(first.paths).toHaveLength(1);
        const carrying = [...far.values()].find((f) => f.spec.interface === first.paths[0]!.interface);
        expect(carrying).toBeDefined();
        const other = [...far.values()].find((f) => f !== carrying)!;
        expect(first.paths[0]!.via).toBe(carrying!.spec.tunnel.ip4.split('/')[0]);
        expect(await vppPing(cli, FAILOVER.address)).toBeGreaterThan(0);

        // The tunnel fails at the far end: BGP's hold time (3 s, the far end's) ends the session.
        carrying!.wg.setUp(false);
        const moved = await until(`${FAILOVER.prefix} to move to ${other.spec.interface}`, 30_000, async () => {
          const r = fibRoute(await observe(client), FAILOVER.prefix);
          return r?.paths[0]?.interface === other.spec.interface ? r : undefined;
        });
        expect(moved).toEqual({
          source: expect.stringMatching(/^lcp-rt/),
          paths: [{ interface: other.spec.interface, via: other.spec.tunnel.ip4.split('/')[0] }],
        });
        // Both sessions over the dead tunnel end (each on its own hold timer); the other tunnel's stay.
        const over = (dev: string) => sessions.filter((x) => x.iface === dev).map((x) => x.name);
        await until(`the sessions over wg-${carrying!.spec.tag} to end`, 10_000, () =>
          over(`wg-${carrying!.spec.tag}`).every((n) => !dataplaneBird.established(n)) ? true : undefined,
        );
        expect(over(`wg-${other.spec.tag}`).map((n) => [n, dataplaneBird.established(n)])).toEqual(
          over(`wg-${other.spec.tag}`).map((n) => [n, true]),
        );
        const rx = other.wg.rxBytes();
        expect(await vppPing(cli, FAILOVER.address)).toBeGreaterThan(0);
        expect(other.wg.rxBytes()).toBeGreaterThan(rx);

        // Still nothing of vppwg's to change.
        const mark = client.trace().length;
        expect((await reconcile(client, desired)).plan.operations.map((o) => o.id)).toEqual([]);
        expect(mutatingSince(client, mark)).toEqual({});
      },
      90_000,
    );
  });
}
