/**
 * vppwg on VPP's DPDK dataplane (opt-in): the uplink is a port of VPP's dpdk plugin, which VPP names
 * itself, so every example is applied with its uplink matched by MAC under the logical name `wan`
 * (`uplinks: - name: wan, match: { mac }`, and `interface: wan` in its routes).
 * `test/real-vpp/run-vpp.sh start --uplink dpdk` makes such a VPP here: a DPDK net_tap vdev whose
 * Linux side is bridged to the far end's veth.
 *
 * VPPWG_TEST_VPP_SOCKET names VPP's API socket and VPPWG_TEST_UPLINK_MAC the DPDK port's MAC (the
 * run-vpp.sh default is 02:fe:00:00:00:01). VPPWG_TEST_WG_NETNS (`run-vpp.sh peer`) adds the
 * tests with a real WireGuard far end, one per example, and the daemon's; VPPWG_TEST_VPP_RESTART,
 * a command that restarts VPP (`run-vpp.sh start --uplink dpdk`), adds a restart under the daemon.
 * VPPWG_TEST_UPLINK_CARRIER, a command that takes `down` or `up` as its last word and sets the
 * port's carrier (`ip -n vppwg-vpp link set vppwg-tap0`: DPDK's tap reports its link from the Linux
 * tap's IFF_UP and IFF_RUNNING, and VPP polls it every 3 s), adds the link-state test. A test
 * whose resource is missing is skipped, and its name says which.
 */
import { execFile, execSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MessageDef } from 'vpp-api-ts';
import * as vlib from 'vpp-api-ts/vlib';
import { VppClient } from '../../src/client';
import { formatStatus } from '../../src/cli/commands/daemon';
import { runApply, runPlan, runShow, type Io } from '../../src/cli/commands/state';
import type { DesiredState } from '../../src/config';
import { apiUrl, DaemonApiClient } from '../../src/daemon/apiClient';
import type { EventMsg } from '../../src/daemon/api/proto';
import { observe, reconcile, reconcileMessages, showState, type ShownState } from '../../src/reconcile';
import { hasPeerV2, messageDef } from '../../src/reconcile/vpp';
import { CLI, firstReconcile, requireBuiltCli, startDaemon, tempDir, waitFor } from '../daemon/helpers';
import { examplesDir, loadText } from '../reconcile/helpers';
import { daemonPeerTest, wgPeerTests } from './wg-peer';

const socketPath = process.env.VPPWG_TEST_VPP_SOCKET;
const uplinkMac = process.env.VPPWG_TEST_UPLINK_MAC?.toLowerCase();
const farEndNetns = process.env.VPPWG_TEST_WG_NETNS;
const restartVpp = process.env.VPPWG_TEST_VPP_RESTART || undefined;
const carrierCommand = process.env.VPPWG_TEST_UPLINK_CARRIER || undefined;
/** The logical name the examples' uplink gets here (they call it host-eth0, af_packet's name). */
const UPLINK = 'wan';
const EMPTY = loadText('version: 1\n', 'empty.yaml');
const execFileAsync = promisify(execFile);

/**
 * An example as an appliance with this DPDK port would write it: its uplink named `wan` everywhere
 * and matched by the port's MAC instead of by VPP's name.
 */
function matchedByMac(text: string): string {
  const renamed = text.replaceAll('host-eth0', UPLINK);
  const entry = new RegExp(`^(\\s*)- name: ${UPLINK}\\n`, 'm');
  const m = entry.exec(renamed);
  if (!m) throw new Error(`no uplink ${UPLINK} (host-eth0) in the example`);
  return renamed.replace(entry, `${m[0]}${m[1]}  match: { mac: '${uplinkMac}' }\n`);
}

/** The DPDK port: the one interface with the MAC, which VPP must report as a dpdk device. */
function dpdkPort(shown: ShownState): ShownState['interfaces'][number] {
  const found = shown.interfaces.filter((i) => i.mac === uplinkMac);
  if (found.length !== 1)
    throw new Error(
      `VPP at ${socketPath} has ${found.length} interfaces with MAC ${uplinkMac}: start it with run-vpp.sh start --uplink dpdk`,
    );
  return found[0]!;
}

function captureIo(): Io & { text: () => string } {
  const lines: string[] = [];
  return { out: (t) => lines.push(t), err: (t) => lines.push(t), text: () => lines.join('\n') };
}

/** Underlay routes the examples made: VPP cannot say who made a route, so vppwg leaves them (see README). */
const underlayRoutes = new Map<string, DesiredState['routes'][number]>();
function remember(desired: DesiredState): DesiredState {
  for (const r of desired.routes) underlayRoutes.set(`${r.table} ${r.prefix} ${r.via} ${r.interface}`, r);
  return desired;
}

async function removeUnderlayRoutes(client: VppClient): Promise<void> {
  const shown = showState(await observe(client));
  const port = dpdkPort(shown);
  for (const r of underlayRoutes.values()) {
    const sw =
      r.interface === UPLINK ? port.swIfIndex : shown.interfaces.find((i) => i.name === r.interface)?.swIfIndex;
    if (sw === undefined) continue;
    const v6 = r.via.includes(':');
    await (client.call as (d: unknown, v: unknown) => Promise<unknown>)(messageDef('ip_route_add_del'), {
      is_add: false,
      is_multipath: false,
      route: {
        table_id: r.table,
        prefix: r.prefix,
        paths: [
          { sw_if_index: sw, weight: 1, proto: v6 ? 1 : 0, nh: { address: v6 ? { ip6: r.via } : { ip4: r.via } } },
        ],
      },
    }).catch(() => undefined);
  }
}

const connect = (): Promise<VppClient> =>
  VppClient.connect({ socketPath: socketPath!, messages: reconcileMessages(), reconnect: false });

if (!socketPath || !uplinkMac) {
  test.skip(`real VPP with a DPDK uplink: ${!socketPath ? 'VPPWG_TEST_VPP_SOCKET' : 'VPPWG_TEST_UPLINK_MAC'} is not set (run-vpp.sh start --uplink dpdk makes one)`, () => {});
} else {
  describe(`real VPP at ${socketPath}, DPDK uplink ${uplinkMac}`, () => {
    let client: VppClient;
    let withPsk = true;
    const tmp = tempDir('vppwg-dpdk-');
    beforeAll(async () => {
      client = await connect();
      withPsk = hasPeerV2(client);
      const shown = showState(await observe(client));
      const port = dpdkPort(shown);
      if (port.type !== 'dpdk')
        throw new Error(`${port.name} (MAC ${uplinkMac}) is VPP's ${port.type} device, not a DPDK port`);
      if (shown.interfaces.some((i) => i.owner !== null) || shown.tables.some((t) => t.ownedByVppwg))
        throw new Error(`VPP at ${socketPath} holds objects tagged by vppwg: use a VPP these tests may change`);
    });
    afterAll(async () => {
      await reconcile(client, EMPTY);
      await removeUnderlayRoutes(client);
      await client.close();
      tmp.cleanup();
    });

    const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml') && f !== 'sim-uplinks.yaml');
    test.each(examples)(
      '%s with its uplink matched by MAC: apply verifies, plan is then empty, show gives both names',
      async (example) => {
        const text = matchedByMac(readFileSync(join(examplesDir, example), 'utf8'));
        const file = join(tmp.dir, example);
        writeFileSync(file, text);
        const desired = remember(loadText(text, example));
        const opts = { socket: socketPath, stateDir: join(tmp.dir, 'state'), autoApprove: true, env: {} };
        const applied = captureIo();
        expect({ example, exit: await runApply(file, opts, applied), said: applied.text() }).toMatchObject({
          exit: 0,
          said: expect.stringContaining('verified: VPP matches the desired state'),
        });
        const planned = captureIo();
        expect({ example, exit: await runPlan(file, opts, planned), said: planned.text() }).toMatchObject({
          exit: 0,
        });
        const shown = captureIo();
        expect(await runShow({ ...opts, config: file, json: true }, shown)).toBe(0);
        const port = dpdkPort(JSON.parse(shown.text()) as ShownState);
        const wanted = desired.uplinks.find((u) => u.name === UPLINK)!;
        expect(port).toMatchObject({ type: 'dpdk', uplink: true, uplinkName: UPLINK });
        if (wanted.adminUp !== undefined) expect(port.adminUp).toBe(wanted.adminUp);
        expect([...port.addresses].sort()).toEqual([...(wanted.addresses ?? [])].sort());
        expect((await reconcile(client, EMPTY)).ok).toBe(true);
      },
      60_000,
    );

    test('the port renamed in VPP, as a NIC in another slot is: the plan touches nothing, show gives the new name', async () => {
      const cli = await VppClient.connect({
        socketPath: socketPath,
        messages: [vlib.cli_inband, vlib.cli_inband_reply] as MessageDef[],
        reconnect: false,
      });
      const file = join(tmp.dir, 'renamed.yaml');
      const text = matchedByMac(readFileSync(join(examplesDir, 'site-to-site.yaml'), 'utf8'));
      writeFileSync(file, text);
      remember(loadText(text, 'renamed.yaml'));
      const opts = { socket: socketPath, stateDir: join(tmp.dir, 'state'), autoApprove: true, env: {} };
      const original = dpdkPort(showState(await observe(client))).name;
      const renamed = 'TenGigabitEthernet9/0/0';
      const rename = async (from: string, to: string): Promise<void> => {
        const r = await cli.call(vlib.cli_inband, { cmd: `set interface name ${from} ${to}` });
        expect({ from, to, said: r.reply.trim() }).toEqual({ from, to, said: '' });
      };
      try {
        expect(await runApply(file, opts, captureIo())).toBe(0);
        await rename(original, renamed);
        const planned = captureIo();
        expect({ exit: await runPlan(file, opts, planned), said: planned.text() }).toMatchObject({ exit: 0 });
        const shown = captureIo();
        expect(await runShow({ ...opts, config: file, json: true }, shown)).toBe(0);
        expect(dpdkPort(JSON.parse(shown.text()) as ShownState)).toMatchObject({
          name: renamed,
          uplinkName: UPLINK,
          pci: '0000:09:00.0',
          addresses: expect.arrayContaining(['192.0.2.1/24']),
        });
      } finally {
        if (dpdkPort(showState(await observe(client))).name === renamed) await rename(renamed, original);
        await cli.close();
        expect((await reconcile(client, EMPTY)).ok).toBe(true);
      }
    });

    if (farEndNetns)
      wgPeerTests(
        socketPath,
        farEndNetns,
        () => client,
        remember,
        EMPTY,
        () => withPsk,
        matchedByMac,
      );
    else test.skip('real WireGuard far end: VPPWG_TEST_WG_NETNS is not set (run-vpp.sh peer makes one)', () => {});

    if (carrierCommand)
      describe('the DPDK port losing its carrier, under the daemon', () => {
        const tokenFile = join(tmp.dir, 'token');
        let daemon: ReturnType<typeof startDaemon>['daemon'];
        let api: DaemonApiClient;
        let portName: string;
        const streamed: EventMsg[] = [];
        const carrier = (state: 'down' | 'up') => execSync(`${carrierCommand} ${state}`, { stdio: 'ignore' });
        const status = async () => (await api.call({ getStatus: {} })).status!;
        const wan = async () => (await status()).uplinks?.find((u) => u.name === UPLINK);
        const metrics = async (): Promise<string> =>
          (await fetch(`http://127.0.0.1:${daemon.metricsAddress().port}/metrics`)).text();
        /** Down then up, each waited for: VPP polls a DPDK port's link every 3 s. */
        const flap = async (): Promise<void> => {
          carrier('down');
          await waitFor(async () => (await wan())?.linkUp === false, 15_000, `${UPLINK} reported down`);
          carrier('up');
          await waitFor(async () => (await wan())?.linkUp === true, 15_000, `${UPLINK} reported up`);
        };

        beforeAll(async () => {
          const configPath = join(tmp.dir, 'carrier.yaml');
          const text = matchedByMac(readFileSync(join(examplesDir, 'site-to-site.yaml'), 'utf8'));
          writeFileSync(configPath, text);
          remember(loadText(text, 'carrier.yaml'));
          const started = startDaemon({ configPath, socketPath, tokenFile, stateDir: join(tmp.dir, 'state') });
          daemon = started.daemon;
          await daemon.start();
          await firstReconcile(daemon, started.log);
          api = await DaemonApiClient.connect(apiUrl(daemon.apiAddress()), readFileSync(tokenFile, 'utf8').trim());
          await api.subscribe((e) => streamed.push(e), ['LINK_DOWN', 'LINK_UP', 'RECONCILE_DONE']);
          portName = dpdkPort(showState(await observe(client))).name;
        });
        afterAll(async () => {
          carrier('up');
          await api?.close();
          await daemon?.stop('test done');
        });

        test('down and up are seen in status, metrics and events, and nothing is re-applied', async () => {
          expect(await wan()).toMatchObject({ vppName: portName, adminUp: true, linkUp: true, linkChanges: 0 });
          const reconciles = daemon.status().reconciles;
          const mark = streamed.length;
          carrier('down');
          await waitFor(async () => (await wan())?.linkUp === false, 15_000, `${UPLINK} reported down`);
          expect(formatStatus(await status())).toContain(`  ${UPLINK} (${portName})  link DOWN since `);
          expect(await metrics()).toContain(`vppwg_uplink_link_up{uplink="${UPLINK}",interface="${portName}"} 0`);
          carrier('up');
          await waitFor(async () => (await wan())?.linkUp === true, 15_000, `${UPLINK} reported up`);
          expect(await metrics()).toContain(`vppwg_uplink_link_up{uplink="${UPLINK}",interface="${portName}"} 1`);
          await flap();
          await waitFor(() => streamed.length >= mark + 4, 10_000, 'four link events');
          expect(streamed.slice(mark).map((e) => [e.kind, e.uplink?.vppName, e.uplink?.linkUp])).toEqual([
            ['LINK_DOWN', portName, false],
            ['LINK_UP', portName, true],
            ['LINK_DOWN', portName, false],
            ['LINK_UP', portName, true],
          ]);
          expect(await wan()).toMatchObject({ linkUp: true, linkChanges: 4 });
          // No reconcile storm: the link is reported, never re-applied.
          expect(daemon.status().reconciles).toBe(reconciles);
        }, 90_000);

        test('`vppwg status` and `vppwg events` (the built CLI) say so', async () => {
          requireBuiltCli();
          const api = ['--api', `127.0.0.1:${daemon.apiAddress().port}`, '--token-file', tokenFile];
          const events = spawn(process.execPath, [CLI, 'events', ...api, '--kinds', 'LINK_DOWN,LINK_UP'], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          events.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
          events.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
          try {
            await waitFor(
              () => stderr.includes('subscribed to LINK_DOWN, LINK_UP'),
              30_000,
              '`vppwg events` to subscribe',
            );
            carrier('down');
            await waitFor(async () => (await wan())?.linkUp === false, 15_000, `${UPLINK} reported down`);
            // Not execFileSync: the daemon runs in this process, and would not answer while it waited.
            const { stdout: shown } = await execFileAsync(process.execPath, [CLI, 'status', ...api]);
            expect(shown).toContain(`  ${UPLINK} (${portName})  link DOWN since `);
            carrier('up');
            await waitFor(() => /LINK_UP/.test(stdout), 15_000, 'a LINK_UP line');
            expect(stdout).toMatch(
              new RegExp(`LINK_DOWN +uplink ${UPLINK} \\(${portName}\\) link down.*\n.*LINK_UP +uplink ${UPLINK}`),
            );
          } finally {
            events.kill('SIGINT');
            carrier('up');
          }
        }, 60_000);

        test('a carrier loss is told as one, and the uplink stays admin up', async () => {
          const mark = streamed.length;
          await flap();
          await waitFor(() => streamed.length >= mark + 2, 10_000, 'two link events');
          expect(streamed.slice(mark).map((e) => e.message)).toEqual([
            `uplink ${UPLINK} (${portName}) link down (carrier lost)`,
            `uplink ${UPLINK} (${portName}) link up`,
          ]);
          expect(await wan()).toMatchObject({ adminUp: true, linkUp: true });
        }, 60_000);
      });
    else
      test.skip('carrier down and up: VPPWG_TEST_UPLINK_CARRIER is not set (e.g. "ip -n vppwg-vpp link set vppwg-tap0")', () => {});

    // Last: it may restart VPP (the suite's connection is made again after).
    if (farEndNetns)
      daemonPeerTest(
        socketPath,
        farEndNetns,
        restartVpp,
        async () => {
          client = await connect();
        },
        remember,
        matchedByMac,
      );
    else test.skip('the daemon on a DPDK uplink: VPPWG_TEST_WG_NETNS is not set', () => {});
  });
}
