/**
 * The read-back that verifies a run happens before the WireGuard interfaces come up: on a real VPP
 * every read after the up waits behind the first handshakes it computes for every peer (2.5 s at
 * 10,000). (The up's own effect on what was read, the interface's local entries, is read again
 * after it: see 'the same on a cold apply' in changes.test.ts.)
 */
import { VppClient } from '../../src/client';
import { reconcile, reconcileMessages } from '../../src/reconcile';
import { loadText, startRig, type Rig } from './helpers';

function stateText(peers: number): string {
  const lines: string[] = [];
  for (let i = 0; i < peers; i++) {
    const b = Buffer.alloc(32, 0x33);
    b.writeUInt32BE(i + 1, 0);
    const nh = `10.1.${(i + 2) >> 8}.${(i + 2) & 255}`;
    lines.push(`      - name: p${i}
        public_key: "${b.toString('base64')}"
        endpoint: { address: 198.51.100.${(i % 250) + 1}, port: 51820 }
        allowed_ips: [${nh}/32]
        tunnel_next_hops: [${nh}]`);
  }
  return `
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, 2001:db8:0:1::1/64] }
wireguard:
  - name: wg-up
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.1.0.1/16]
    peers:
${lines.join('\n')}
`;
}

describe('verification reads before the tunnels come up', () => {
  let rig: Rig;
  let client: VppClient;
  beforeEach(async () => {
    rig = await startRig();
    client = await VppClient.connect({
      socketPath: rig.sim.socketPath,
      messages: reconcileMessages(),
      reconnect: false,
      traceSize: 100_000,
    });
  });
  afterEach(async () => {
    await client.close();
    await rig.close();
  });

  /** The requests sent after the WireGuard interface's admin-up (by context: the order they were sent). */
  function sentAfterUp(mark: number): string[] {
    const trace = client.trace().slice(mark);
    const up = trace.filter((e) => e.message === 'sw_interface_set_flags');
    expect(up.length).toBeGreaterThan(0);
    const upContext = Math.max(...up.map((e) => e.context));
    return trace.filter((e) => e.context > upContext).map((e) => e.message);
  }

  test.each([
    ['a large run (full read-back)', 300],
    ['a small run (focused read-back)', 5],
  ])('%s: nothing is read after the up, the result is verified and up', async (_what, n) => {
    const desired = loadText(stateText(n));
    const mark = client.trace().length;
    const r = await reconcile(client, desired);
    expect(r.ok).toBe(true);
    expect(r.verified).toBe(true);
    expect(sentAfterUp(mark)).toEqual([]);
    const wg = r.actual!.interfaces.get(r.actual!.owned.interfaces.get('wg-up')!)!;
    expect(wg.adminUp).toBe(true);
    // What the run took as up is what VPP has: the next run has nothing to do.
    expect((await reconcile(client, desired)).plan.isEmpty).toBe(true);
  });
});
