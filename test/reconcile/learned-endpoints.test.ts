/**
 * Learned endpoints: a remote-access client the file gives no endpoint starts, when its peer is
 * created, at the endpoint VPP learned for it earlier (so VPP can initiate after a restart), and
 * never drifts on it.
 */
import { reconcile } from '../../src/reconcile';
import { loadText, startRig, type Rig } from './helpers';

const CLIENT_KEY = Buffer.alloc(32, 9).toString('base64');

const FILE = `
uplinks:
  - { name: host-eth0, addresses: [192.0.2.1/24, '2001:db8:0:1::1/64'] }
wireguard:
  - name: ra
    private_key: generate
    listen_port: 51820
    source: 192.0.2.1
    addresses: [10.8.0.1/24]
    peers:
      - name: laptop
        public_key: "${CLIENT_KEY}"
        allowed_ips: [10.8.0.2/32]
`;

describe('learned endpoints', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  test('a created peer starts at its learned endpoint, which is then never drift', async () => {
    const learned = new Map([[CLIENT_KEY, { address: '203.0.113.7', port: 40001 }]]);
    const first = await reconcile(rig.client, loadText(FILE), { learnedEndpoints: learned });
    expect(first.ok).toBe(true);
    const add = first.plan.operations.find((o) => o.kind === 'peer')!;
    expect(add.reason).toContain('starts at endpoint 203.0.113.7:40001 (learned earlier)');
    expect(first.actual!.peers.get(CLIENT_KEY)!.endpoint).toEqual({ address: '203.0.113.7', port: 40001 });
    // Another learned endpoint, or none: the peer stays as it is.
    const moved = new Map([[CLIENT_KEY, { address: '2001:db8::7', port: 1 }]]);
    expect((await reconcile(rig.client, loadText(FILE), { learnedEndpoints: moved })).plan.isEmpty).toBe(true);
    expect((await reconcile(rig.client, loadText(FILE))).plan.isEmpty).toBe(true);
  });

  test('without a learned endpoint the peer is created without one', async () => {
    const r = await reconcile(rig.client, loadText(FILE), { learnedEndpoints: new Map() });
    expect(r.ok).toBe(true);
    expect(r.actual!.peers.get(CLIENT_KEY)!.endpoint).toBeUndefined();
  });
});
