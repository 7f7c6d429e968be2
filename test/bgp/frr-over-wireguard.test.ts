/**
 * As bird-over-wireguard.test.ts, with FRR on the VPP side: the configuration `vppwg render frr`
 * writes for the BGP example (keyed for the lab) runs in bgpd, beside zebra, in the namespace
 * standing in for VPP's `dataplane`; the far ends are the same wireguard-go + BIRD namespaces behind
 * the gateway. Shown: the four sessions reach Established; a prefix dc1 announces (IPv4 and IPv6)
 * lands in the kernel via wg-dc1 (where linux-nl would read it), a ping reaches it, withdrawn it
 * goes; a prefix both announce moves to the other tunnel when the one carrying it goes down.
 * Skipped, naming what is missing, without frr, bird2, wireguard-go, wireguard-tools, or the right
 * to create network namespaces.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../cli/helpers';
import {
  FAILOVER,
  FAR_ENDS,
  FarEnd,
  Frr,
  Lab,
  Netns,
  forwarding,
  frrMissing,
  keyPair,
  labFile,
  labMissing,
  nearSide,
  parseLabFile,
  until,
} from './lab';

const missing = labMissing() ?? frrMissing();

if (missing) {
  test.skip(`FRR over WireGuard with the rendered configuration: skipped, ${missing}`, () => {});
} else {
  describe('FRR over WireGuard with the configuration `vppwg render frr` writes (deploy/bgp/vppwg.yaml)', () => {
    const lab = new Lab();
    let near: Netns;
    let frr: Frr;
    const far = new Map<string, FarEnd>();
    let neighbours: string[] = [];

    beforeAll(async () => {
      const farKeys = { dc1: keyPair(), dc2: keyPair() };
      const text = labFile({ dc1: farKeys.dc1.publicKey, dc2: farKeys.dc2.publicKey });
      const file = join(lab.dir, 'lab.yaml');
      writeFileSync(file, text);
      const r = await runCli(['render', 'frr', file]);
      if (r.code !== 0) throw new Error(`vppwg render frr failed: ${r.err}`);
      neighbours = [...r.out.matchAll(/^ neighbor (\S+) remote-as \d+$/gm)].map((m) => m[1]!);

      const gateway = lab.netns('gw');
      lab.onDispose('forwarding in the gateway', forwarding(gateway));
      const side = await nearSide(lab, gateway, text);
      near = side.ns;
      const desired = parseLabFile(text, 'lab.yaml');
      for (const spec of FAR_ENDS) {
        const w = desired.wireguard.find((x) => x.name === spec.interface)!;
        far.set(
          spec.tag,
          await FarEnd.start(lab, gateway, spec, {
            privateKey: farKeys[spec.tag].privateKey,
            vppPublicKey: side.publicKeys.get(spec.interface)!,
            vppEndpoint: `192.0.2.1:${w.listenPort}`,
          }),
        );
      }
      // FRR on the VPP side: bgpd runs the rendering exactly as `vppwg render frr` printed it.
      frr = await Frr.start(lab, near, r.out);
    }, 30_000);

    afterAll(async () => {
      const errors = await lab.dispose();
      if (errors.length) throw new Error(`clean-up: ${errors.join('; ')}`);
    });

    test('every session reaches Established across its tunnel, at both ends', async () => {
      expect([...neighbours].sort()).toEqual(['169.254.10.1', '169.254.20.1', 'fd00:10::1', 'fd00:20::1']);
      try {
        await until('the four sessions Established in FRR', 20_000, () =>
          neighbours.every((n) => frr.established(n)) ? true : undefined,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}: ${JSON.stringify(frr.neighbours())}\n${frr.log()}`);
      }
      for (const f of far.values()) await f.bird.waitEstablished(['vpp_ipv4', 'vpp_ipv6'], 5_000);
    }, 25_000);

    test('a prefix dc1 announces lands in the kernel via wg-dc1; a ping reaches it; withdrawn, it goes', async () => {
      const dc1 = far.get('dc1')!;
      dc1.announce('own', true);
      for (const own of dc1.spec.own) {
        const route = await until(`${own.prefix} in the near side's kernel table`, 10_000, () =>
          near.route(own.prefix),
        );
        // IPv6: FRR may install the far end's link-local next hop instead of its global one.
        const via = own.prefix.includes(':') ? expect.stringMatching(/^(fd00:10::1|fe80:)/) : '169.254.10.1';
        expect({ prefix: own.prefix, ...route }).toEqual({ prefix: own.prefix, via, dev: 'wg-dc1', proto: 'bgp' });
        expect({ ping: own.address, ok: near.ping(own.address) }).toEqual({ ping: own.address, ok: true });
      }
      dc1.announce('own', false);
      for (const own of dc1.spec.own)
        await until(`${own.prefix} gone from the near side's kernel table`, 10_000, () =>
          near.route(own.prefix) === undefined ? true : undefined,
        );
    }, 30_000);

    test('a prefix both announce: when the tunnel carrying it goes down, route and traffic move to the other', async () => {
      for (const f of far.values()) f.announce('failover', true);
      const first = await until(`${FAILOVER.prefix} in the near side's kernel table`, 10_000, () =>
        near.route(FAILOVER.prefix),
      );
      expect(near.ping(FAILOVER.address)).toBe(true);
      const carrying = [...far.values()].find((f) => `wg-${f.spec.tag}` === first.dev)!;
      expect(carrying).toBeDefined();
      const other = [...far.values()].find((f) => f !== carrying)!;
      carrying.wg.setUp(false);
      const moved = await until(`${FAILOVER.prefix} to move to wg-${other.spec.tag}`, 15_000, () => {
        const r = near.route(FAILOVER.prefix);
        return r?.dev === `wg-${other.spec.tag}` ? r : undefined;
      });
      expect(moved).toEqual({ via: other.spec.tunnel.ip4.split('/')[0], dev: `wg-${other.spec.tag}`, proto: 'bgp' });
      const rx = other.wg.rxBytes();
      expect(near.ping(FAILOVER.address)).toBe(true);
      expect(other.wg.rxBytes()).toBeGreaterThan(rx);
    }, 30_000);
  });
}
