/**
 * linux-cp pairs against a real VPP (run from real-vpp.test.ts, opt-in with VPPWG_TEST_VPP_SOCKET).
 * deploy/bgp/vppwg.yaml applies: on a VPP without linux-cp it is refused before any change, naming
 * the plugin; where linux-cp is loaded but the kernel has no /dev/vhost-net (the tap plugin makes
 * the Linux side through it; VPP answers the pair add with -11), vppwg names VPP's refusal and rolls
 * back; where both are there, the pairs of the WireGuard interfaces are created in the namespace,
 * read back, a second reconcile sends no mutating call, and an empty file removes them.
 * Then the full proof with BIRD at both ends behind a real WireGuard (bgp.ts): it needs
 * /dev/vhost-net too, and VPPWG_TEST_WG_NETNS, bird2 and wireguard-go; without them its tests are
 * skipped by name. test/bgp/bird-over-wireguard.test.ts runs the same rendering and far ends in
 * `npm test`, with a namespace in VPP's place.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VppErrno, type VppClient } from '../../src/client';
import { loadDesiredState, type DesiredState } from '../../src/config';
import { MUTATING_MESSAGES, observe, reconcile, showState } from '../../src/reconcile';
import { hasLinuxCp } from '../../src/reconcile/lcp-messages';
import { projectRoot } from '../../src/util/paths';
import { bgpProofTests } from './bgp';
import { comparable } from './differential';

function mutatingSince(client: VppClient, mark: number): Record<string, number> {
  const mutating = new Set(MUTATING_MESSAGES);
  const out: Record<string, number> = {};
  for (const e of client.trace().slice(mark)) if (mutating.has(e.message)) out[e.message] = (out[e.message] ?? 0) + 1;
  return out;
}

function bgpFile(): DesiredState {
  const { state, diagnostics } = loadDesiredState(join(projectRoot(), 'deploy', 'bgp', 'vppwg.yaml'), { env: {} });
  if (!state) throw new Error(diagnostics.map((d) => d.message).join('; '));
  return state;
}

const NETNS = 'dataplane';
const hasVhostNet = (): boolean => existsSync('/dev/vhost-net');

export function lcpTests(
  getClient: () => VppClient,
  remember: (d: DesiredState) => DesiredState,
  empty: DesiredState,
): void {
  describe('linux-cp pairs (deploy/bgp/vppwg.yaml)', () => {
    let madeNetns = false;
    beforeAll(() => {
      if (!existsSync(`/run/netns/${NETNS}`) && !existsSync(`/var/run/netns/${NETNS}`)) {
        execFileSync('ip', ['netns', 'add', NETNS]);
        madeNetns = true;
      }
    });
    afterAll(async () => {
      await reconcile(getClient(), empty);
      if (madeNetns) execFileSync('ip', ['netns', 'del', NETNS]);
    });

    test('a VPP without linux-cp refuses the file before any change, naming the plugin', async () => {
      const client = getClient();
      if (hasLinuxCp(client)) return; // the other tests below cover a VPP with it
      const mark = client.trace().length;
      const r = await reconcile(client, remember(bgpFile()));
      expect(r.ok).toBe(false);
      expect(r.error?.message).toMatch(/linux_cp plugin is not loaded.*linux_cp_plugin\.so/);
      expect(mutatingSince(client, mark)).toEqual({});
    });

    const refusal = !hasVhostNet();
    (refusal ? test : test.skip)(
      `without /dev/vhost-net (this kernel${refusal ? ' has none' : ' has it'}) VPP refuses the pair with -11: vppwg names it and rolls back`,
      async () => {
        const client = getClient();
        if (!hasLinuxCp(client)) return;
        const before = comparable(showState(await observe(client)));
        const r = await reconcile(client, remember(bgpFile()));
        expect({ ok: r.ok, rolledBack: r.rolledBack, retval: r.error?.retval }).toEqual({
          ok: false,
          rolledBack: true,
          retval: VppErrno.SYSCALL_ERROR_1,
        });
        expect(r.error?.operation).toMatch(/^\+linux-cp-pair:/);
        expect(comparable(showState(await observe(client)))).toEqual(before);
      },
      60_000,
    );

    (refusal ? test.skip : test)(
      'pairs on the WireGuard interfaces: created, read back, a no-op reconcile after, removed with an empty file',
      async () => {
        const client = getClient();
        if (!hasLinuxCp(client)) return;
        const desired = remember(bgpFile());
        const r = await reconcile(client, desired);
        expect(r.error?.message).toBeUndefined();
        const actual = await observe(client);
        const pairs = [...actual.lcp!.pairs.values()].map((p) => {
          const owner = actual.interfaces.get(p.swIfIndex)?.owner;
          return `${owner} ${p.hostName} ${p.hostType} ${p.netns}`;
        });
        expect(pairs.sort()).toEqual(['to-dc1 wg-dc1 tun dataplane', 'to-dc2 wg-dc2 tun dataplane']);
        const mark = client.trace().length;
        const again = await reconcile(client, desired);
        expect(again.plan.operations.map((o) => o.id)).toEqual([]);
        expect(mutatingSince(client, mark)).toEqual({});
        await reconcile(client, empty);
        expect([...(await observe(client)).lcp!.pairs.values()].filter((p) => p.hostName.startsWith('wg-dc'))).toEqual(
          [],
        );
      },
      60_000,
    );

    bgpProofTests(getClient, remember);
  });
}
