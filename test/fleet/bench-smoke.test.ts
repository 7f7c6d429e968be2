/** The fleet bench suite runs (quick: 5 nodes) and reports its figures; speed itself is for `npm run bench -- fleet`. */
import { suite } from '../../bench/suites/fleet';
import { describeWithEtcd } from './etcd';

describeWithEtcd('bench suite fleet', () => {
  test('quick mode: a 5-node mesh converges, a rotation converges, memory per node is reported', async () => {
    const figures = await suite.run({ force: false, quick: true, log: () => undefined });
    expect(figures.map((f) => [f.name, f.unit])).toEqual([
      ['5-node mesh: empty VPPs to all tunnels configured', 'ms'],
      ['5-node mesh: one key rotation to all members converged', 'ms'],
      ['5-node mesh: memory per node (agent + emulator, RSS)', 'MB'],
    ]);
    expect(figures[0]!.median).toBeGreaterThan(0);
    expect(figures[1]!.median).toBeGreaterThan(0);
  }, 120_000);
});
