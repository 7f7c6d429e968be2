/**
 * The CLI with uplinks matched by hardware: apply, a plan that is then empty, `show --config`
 * printing both names, and `validate --socket` placing "no such NIC" at the uplink in the file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApply, runPlan, runShow, runValidate, type Io } from '../../src/cli/commands/state';
import { startRig, type Rig } from '../reconcile/helpers';

function capture(): Io & { text(): string } {
  let out = '';
  return { out: (t) => (out += t + '\n'), err: (t) => (out += t + '\n'), text: () => out };
}

const doc = (mac: string): string => `version: 1
uplinks:
  - name: wan
    match: { mac: '${mac}' }
    addresses: [192.0.2.1/24]
routes:
  - { prefix: 0.0.0.0/0, via: 192.0.2.254, interface: wan }
`;

describe('vppwg with an uplink matched by MAC', () => {
  let rig: Rig;
  let dir: string;
  beforeAll(async () => {
    rig = await startRig({
      uplinks: [
        { name: 'TenGigabitEthernet3/0/0', pci: '0000:03:00.0', mac: '3c:fd:fe:00:00:01', addresses: ['192.0.2.1/24'] },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'vppwg-uplink-cli-'));
  });
  afterAll(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('applies, plans nothing afterwards, and show --config prints both names', async () => {
    const file = join(dir, 'wan.yaml');
    writeFileSync(file, doc('3C:FD:FE:00:00:01'));
    const opts = { socket: rig.sim.socketPath, stateDir: join(dir, 'state'), env: {} };
    const apply = capture();
    expect(await runApply(file, opts, apply)).toBe(0);
    expect(apply.text()).toContain('0.0.0.0/0');
    const plan = capture();
    expect(await runPlan(file, opts, plan)).toBe(0);
    const show = capture();
    expect(await runShow({ socket: rig.sim.socketPath, config: file, env: {} }, show)).toBe(0);
    expect(show.text()).toMatch(
      /TenGigabitEthernet3\/0\/0 \[\d+\] dpdk: up, mtu 1500, managed \(uplink "wan"\), mac 3c:fd:fe:00:00:01, pci 0000:03:00\.0/,
    );
    expect(show.text()).toMatch(/table 0 0\.0\.0\.0\/0 via 192\.0\.2\.254 TenGigabitEthernet3\/0\/0/);
  });

  test('validate --socket places a MAC no NIC has at the uplink, listing the candidates', async () => {
    const file = join(dir, 'wrong.yaml');
    writeFileSync(file, doc('3c:fd:fe:00:00:99'));
    const out = capture();
    expect(await runValidate(file, { socket: rig.sim.socketPath, env: {} }, out)).toBe(1);
    expect(out.text()).toContain(
      `${file}:3:11: error: uplink "wan" matches no VPP interface (mac 3c:fd:fe:00:00:99): fix the match or check the NIC; VPP's interfaces with hardware: TenGigabitEthernet3/0/0 (mac 3c:fd:fe:00:00:01, pci 0000:03:00.0)`,
    );
  });
});
