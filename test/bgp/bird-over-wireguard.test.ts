/**
 * The BIRD configuration `vppwg render bird` writes for the BGP example (deploy/bgp/vppwg.yaml,
 * keyed for the lab: lab.ts's labFile) establishes real BGP sessions across real WireGuard
 * tunnels, without VPP. A namespace stands in for VPP's `dataplane` side: the file's uplink
 * (192.0.2.1/24 and its pinned routes) on a veth to a gateway namespace (192.0.2.254), and one
 * wireguard-go interface per WireGuard interface of the file, named as its host_interface (wg-dc1,
 * wg-dc2), with the file's addresses, listen port, MTU and peers (public key, endpoint, allowed IPs,
 * keepalive). BIRD runs there with the rendering as it is, plus a log line. Each far end (dc1, dc2)
 * is a namespace behind the gateway with wireguard-go and its own BIRD.
 *
 * Shown: all four sessions (two tunnels, IPv4 and IPv6) reach Established; a prefix dc1 announces
 * (IPv4 and IPv6) lands in the near side's kernel table via wg-dc1 and dc1's tunnel address, a ping
 * reaches an address inside it, and withdrawing it removes it; a prefix both far ends announce is
 * reached through one tunnel, and when that tunnel goes down (the far end's WireGuard interface),
 * the route and the traffic move to the other.
 * On VPP itself the same far ends serve test/real-vpp/bgp.ts. Skipped, naming what is missing,
 * without bird2, wireguard-go, wireguard-tools, or the right to create network namespaces.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Bird,
  FAILOVER,
  FAR_ENDS,
  FarEnd,
  Lab,
  Netns,
  nearSide,
  forwarding,
  keyPair,
  labFile,
  labMissing,
  parseLabFile,
  renderBird,
  renderedSessions,
  until,
} from './lab';

const missing = labMissing();

if (missing) {
  test.skip(`BIRD over WireGuard with the rendered configuration: skipped, ${missing}`, () => {});
} else {
  describe('BIRD over WireGuard with the configuration `vppwg render bird` writes (deploy/bgp/vppwg.yaml)', () => {
    const lab = new Lab();
    let near: Netns;
    let nearBird: Bird;
    const far = new Map<string, FarEnd>();
    let sessions: { name: string; neighbour: string; iface: string }[] = [];

    beforeAll(async () => {
      const farKeys = { dc1: keyPair(), dc2: keyPair() };
      const text = labFile({ dc1: farKeys.dc1.publicKey, dc2: farKeys.dc2.publicKey });
      const file = join(lab.dir, 'lab.yaml');
      writeFileSync(file, text);
      const rendered = await renderBird(file);
      sessions = renderedSessions(rendered);

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
      // BIRD on the VPP side: the rendering exactly as `vppwg render bird` printed it.
      nearBird = await Bird.start(lab, near, 'near', rendered);
    }, 30_000);

    afterAll(async () => {
      const errors = await lab.dispose();
      if (errors.length) throw new Error(`clean-up: ${errors.join('; ')}`);
    });

    test('the rendering declares one session per tunnel next hop, on the host interfaces', () => {
      expect(sessions.map((s) => `${s.iface} ${s.neighbour}`).sort()).toEqual([
        'wg-dc1 169.254.10.1',
        'wg-dc1 fd00:10::1',
        'wg-dc2 169.254.20.1',
        'wg-dc2 fd00:20::1',
      ]);
    });

    test('every session reaches Established across its tunnel, at both ends', async () => {
      await nearBird.waitEstablished(
        sessions.map((s) => s.name),
        20_000,
      );
      for (const f of far.values()) await f.bird.waitEstablished(['vpp_ipv4', 'vpp_ipv6'], 5_000);
    }, 25_000);

    test("a prefix dc1 announces lands in the kernel via wg-dc1 and dc1's tunnel address; a ping reaches it; withdrawn, it goes", async () => {
      const dc1 = far.get('dc1')!;
      dc1.announce('own', true);
      for (const own of dc1.spec.own) {
        const via = own.prefix.includes(':') ? 'fd00:10::1' : '169.254.10.1';
        const route = await until(`${own.prefix} in the near side's kernel table`, 10_000, () =>
          near.route(own.prefix),
        );
        expect({ prefix: own.prefix, ...route }).toEqual({ prefix: own.prefix, via, dev: 'wg-dc1', proto: 'bird' });
        expect({ ping: own.address, ok: near.ping(own.address) }).toEqual({ ping: own.address, ok: true });
      }
      dc1.announce('own', false);
      for (const own of dc1.spec.own)
        await until(`${own.prefix} gone from the near side's kernel table`, 10_000, () =>
          near.route(own.prefix) === undefined ? true : undefined,
        );
      for (const own of dc1.spec.own)
        expect({ ping: own.address, ok: near.ping(own.address) }).toMatchObject({ ok: false });
    }, 30_000);

    test('a prefix both announce: when the tunnel carrying it goes down, route and traffic move to the other', async () => {
      for (const f of far.values()) f.announce('failover', true);
      const first = await until(`${FAILOVER.prefix} in the near side's kernel table`, 10_000, () =>
        near.route(FAILOVER.prefix),
      );
      expect(['wg-dc1', 'wg-dc2']).toContain(first.dev);
      expect(near.ping(FAILOVER.address)).toBe(true);
      const carrying = [...far.values()].find((f) => `wg-${f.spec.tag}` === first.dev)!;
      const other = [...far.values()].find((f) => f !== carrying)!;
      // The tunnel fails at the far end: no more packets, BGP's hold time (3 s) ends the session.
      carrying.wg.setUp(false);
      const moved = await until(`${FAILOVER.prefix} to move to wg-${other.spec.tag}`, 15_000, () => {
        const r = near.route(FAILOVER.prefix);
        return r?.dev === `wg-${other.spec.tag}` ? r : undefined;
      });
      expect(moved).toEqual({ via: other.spec.tunnel.ip4.split('/')[0], dev: `wg-${other.spec.tag}`, proto: 'bird' });
      const rx = other.wg.rxBytes();
      expect(near.ping(FAILOVER.address)).toBe(true);
      expect(other.wg.rxBytes()).toBeGreaterThan(rx);
      // Both sessions over the dead tunnel end (each on its own hold timer); the other tunnel's stay.
      const over = (dev: string) => sessions.filter((x) => x.iface === dev).map((x) => x.name);
      await until(`the sessions over wg-${carrying.spec.tag} to end`, 10_000, () =>
        over(`wg-${carrying.spec.tag}`).every((n) => !nearBird.established(n)) ? true : undefined,
      );
      expect(over(`wg-${other.spec.tag}`).map((n) => [n, nearBird.established(n)])).toEqual(
        over(`wg-${other.spec.tag}`).map((n) => [n, true]),
      );
    }, 30_000);
  });
}
