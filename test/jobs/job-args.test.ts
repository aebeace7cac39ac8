// The library's jobs run whatever arguments a queue holds, so each refuses arguments that are not
// its own with a typed error before any work (the payload schema has already made them plain JSON
// values and typed arrays).
import { expect } from 'chai';
import { InlineExecutor } from '../../lib/exec';
import { CompressionError } from '../../lib/errors';
import '../../lib/jobs';
import '../../course/jobs'; // the course's jobs (defined on import, like any app's)

describe('jobs (arguments from a queue)', () => {
  it('refuse arguments that are not theirs with a typed error, never a TypeError', async () => {
    const garbage: unknown[] = [
      null,
      5,
      'x',
      [],
      {},
      { teacher: {} },
      { teacher: { artifacts: { modelJson: null, weightData: [] } } },
      { dataset: 'mnist', width: 4, seed: 1, recipe: null, setting: 'ce' },
      { dataset: 'mnist', width: 4, seed: 1, recipe: {}, setting: 7 },
      { method: 'finetune', sparsity: 'half' },
    ];
    const ex = new InlineExecutor();
    for (const job of ['nas.candidate', 'course.student', 'course.prunePoint'])
      for (const args of garbage) {
        let err: unknown;
        try {
          await ex.map([{ job, args }]);
        } catch (e) {
          err = e;
        }
        expect(err, `${job} ${JSON.stringify(args)}: ${(err as Error)?.stack}`).to.be.instanceOf(CompressionError);
      }
  });
});
