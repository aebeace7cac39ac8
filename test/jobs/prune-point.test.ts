import { expect } from 'chai';
import { prunedSimpleNet, prunePointJob } from '../../course/jobs/prune-point';
import { findJob } from '../../lib/exec/job';
import { ConfigError } from '../../lib/errors';

describe('jobs/prune-point', () => {
  it('is a registered executor job, and refuses bad points with ConfigError before training', async () => {
    expect(findJob('course.prunePoint', undefined)).to.equal(prunePointJob);
    const bad: [unknown, RegExp][] = [
      [{ method: 'magic', sparsity: 0.5 }, /method 'finetune' or 'polynomial'/],
      [{ method: 'finetune', sparsity: 1 }, /sparsity in \(0, 1\)/],
      [{ method: 'finetune', sparsity: 0.5, scope: 'row' }, /scope 'global' or 'layer'/],
      [{ method: 'polynomial', sparsity: 0.5, scope: 'layer' }, /scope 'layer' with method 'finetune'/],
    ];
    for (const [args, pattern] of bad) {
      let err: unknown;
      try {
        await prunedSimpleNet(args as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(args)).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(pattern);
    }
  });
});
