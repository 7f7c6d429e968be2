/**
 * The emulator's NICs: a MAC and a PCI address per uplink, the name being VPP's for that PCI
 * address, as the desired state's `match` finds them.
 */
import { checkSimConfig, SimConfigError } from '../../src/sim';

describe('emulator uplinks with a PCI address', () => {
  test('a DPDK name agreeing with its PCI address is taken', () => {
    const config = checkSimConfig({
      uplinks: [
        { name: 'TenGigabitEthernet3/0/0', pci: '0000:03:00.0', mac: '02:fe:00:00:00:03' },
        { name: 'GigabitEthernet-1/2/0/1', pci: '0001:02:00.1' },
        { name: 'GigabitEthernet0/8/0', pci: '00:08.0' },
      ],
    });
    expect(config.uplinks?.map((u) => u.pci)).toEqual(['0000:03:00.0', '0001:02:00.1', '00:08.0']);
  });

  test('a name VPP would not give the NIC at that PCI address is refused, naming the field and VPP’s rule', () => {
    const check = (name: string, pci: string) => () => checkSimConfig({ uplinks: [{ name, pci }] });
    expect(check('GigabitEthernet0/8/0', '0000:03:00.0')).toThrow(SimConfigError);
    expect(check('GigabitEthernet0/8/0', '0000:03:00.0')).toThrow(
      "sim config: uplinks[0].name: GigabitEthernet0/8/0 is not VPP's name for the NIC at PCI 0000:03:00.0 (it names 0000:00:08.0): VPP names a DPDK NIC <speed>Ethernet<bus>/<device>/<function> in hex, e.g. 0000:03:00.0 is TenGigabitEthernet3/0/0",
    );
    expect(check('wan0', '0000:03:00.0')).toThrow(
      /uplinks\[0\]\.name: wan0 is not VPP's name for the NIC at PCI 0000:03:00\.0: /,
    );
    expect(check('GigabitEthernet3/0/0', '03:00')).toThrow(/uplinks\[0\]\.pci: expected a PCI address 'dddd:bb:dd\.f'/);
  });
});
