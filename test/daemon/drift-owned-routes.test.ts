/**
 * Beside a routing daemon (VPP with linux-cp) the daemon's drift checks read only the routes
 * vppwg owns, by exact lookup, so their cost does not grow with the routing daemon's table; every
 * tenth check reads all routes, which still finds an API route another client put through
 * vppwg's interfaces (a next hop another client added is removed then).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ip from 'vpp-api-ts/ip';
import { VppClient } from '../../src/client';
import type { Daemon } from '../../src/daemon/daemon';
import { observe, reconcileMessages } from '../../src/reconcile';
import { keyPair, SimProcess, startDaemon, tempDir, firstReconcile, waitFor, type CapturedLog } from './helpers';

jest.setTimeout(120_000);

const wgKey = keyPair();
const peer = keyPair();

describe('drift checks beside linux-cp', () => {
  const tmp = tempDir('vppwg-drift-owned-');
  const socketPath = join(tmp.dir, 'api.sock');
  let sim: SimProcess;
  let daemon: Daemon;
  let log: CapturedLog;

  async function metric(pattern: RegExp): Promise<number> {
    let n = 0;
    for (const m of (await daemon.metrics.text()).matchAll(pattern)) n += Number(m[1]);
    return n;
  }
  const routeDumps = () =>
    metric(/vppwg_vpp_api_call_duration_seconds_count\{message="ip_route(?:_v2)?_dump",result="ok"\} (\d+)/g);
  const routeLookups = () =>
    metric(/vppwg_vpp_api_call_duration_seconds_count\{message="ip_route_lookup(?:_v2)?",result="ok"\} (\d+)/g);
  const driftChecks = () => metric(/vppwg_reconciles_total\{result="[a-z_]+",trigger="drift"\} (\d+)/g);

  beforeAll(async () => {
    writeFileSync(join(tmp.dir, 'wg.key'), wgKey.priv + '\n', { mode: 0o600 });
    const configPath = join(tmp.dir, 'desired.yaml');
    writeFileSync(
      configPath,
      `version: 1
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24] }
wireguard:
  - name: wg-bgp
    private_key: { file: wg.key }
    listen_port: 51820
    source: 192.0.2.1
    addresses: [169.254.10.0/31]
    admin_up: true
    peers:
      - name: dc1
        public_key: ${peer.pub}
        endpoint: { address: 198.51.100.10, port: 51820 }
        allowed_ips: [0.0.0.0/0]
        tunnel_next_hops: [169.254.10.1]
routes:
  - { prefix: 198.51.100.10/32, via: 192.0.2.254, interface: host-eth0 }
`,
    );
    const simConfig = join(tmp.dir, 'sim.yaml');
    writeFileSync(
      simConfig,
      'uplinks:\n  - name: host-eth0\n    addresses: [192.0.2.1/24]\n    up: true\nlinuxCp: true\nreachablePeers: false\n',
    );
    sim = new SimProcess(socketPath, simConfig);
    await sim.start();
    ({ daemon, log } = startDaemon({
      configPath,
      socketPath,
      tokenFile: join(tmp.dir, 'token'),
      stateDir: join(tmp.dir, 'state'),
      driftIntervalMs: 150,
    }));
    await daemon.start();
    await firstReconcile(daemon, log);
  });

  afterAll(async () => {
    await daemon?.stop('test done');
    await sim?.stop();
    tmp.cleanup();
  });

  it('nine of ten checks look routes up, the tenth reads them all', async () => {
    // Counted from a check's end, so a check in flight does not blur the figures.
    await waitFor(async () => (await driftChecks()) === 1, 30_000, 'the first drift check');
    const dumpsAfterFirst = await routeDumps();
    const lookupsAfterFirst = await routeLookups();
    await waitFor(async () => (await driftChecks()) === 9, 30_000, 'nine drift checks');
    expect(await routeDumps()).toBe(dumpsAfterFirst);
    expect(await routeLookups()).toBeGreaterThan(lookupsAfterFirst);
    await waitFor(async () => (await driftChecks()) >= 10, 30_000, 'the tenth drift check');
    expect(await routeDumps()).toBeGreaterThan(dumpsAfterFirst);
  });

  it("another client's next hop through vppwg's interface is removed at the next full read, not before", async () => {
    const client = await VppClient.connect({ socketPath, reconnect: false, messages: reconcileMessages() });
    try {
      const wg = (await observe(client)).owned.interfaces.get('wg-bgp')!;
      const added = await driftChecks();
      await client.call(ip.ip_route_add_del, {
        is_add: true,
        is_multipath: false,
        route: {
          table_id: 0,
          prefix: '169.254.10.7/32',
          paths: [
            {
              sw_if_index: wg,
              table_id: 0,
              rpf_id: 0,
              weight: 1,
              preference: 0,
              type: 0,
              flags: 0,
              proto: 0,
              nh: { address: { ip4: '169.254.10.7' }, via_label: 0, obj_id: 0, classify_table_index: 0 },
              n_labels: 0,
              label_stack: [],
            },
          ],
        },
      });
      const present = async () => (await observe(client)).routes.has('0|169.254.10.7/32');
      // The checks until the next full read (every tenth) leave it.
      const nextFull = Math.ceil((added + 1) / 10) * 10;
      if (nextFull - added > 1) {
        await waitFor(async () => (await driftChecks()) === nextFull - 1, 30_000, 'the checks before the full read');
        expect(await present()).toBe(true);
      }
      await waitFor(async () => !(await present()), 30_000, 'the route removed as drift');
      expect(await driftChecks()).toBeGreaterThanOrEqual(nextFull);
    } finally {
      await client.close();
    }
  });
});
