import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { makeImageSet } from '../../lib/data/image-set';
import { simpleNet } from '../../course/models/simplenet';
import { sensitivityScan } from '../../lib/prune/sensitivity';
import { Rng } from '../../lib/core/rng';
import { expectNoLeak } from '../helpers/leak';

function tinyData(n = 50) {
  const rng = new Rng(9);
  const images = new Uint8Array(n * 16).map(() => rng.int(256));
  const labels = new Uint8Array(n).map(() => rng.int(3));
  return makeImageSet('tiny', images, labels, { height: 4, width: 4 }, ['a', 'b', 'c']);
}

describe('prune/sensitivity', () => {
  it('scans each layer alone, sparsity 0 matches the baseline, and restores the weights', async () => {
    const model = simpleNet({ seed: 1, hidden: [16], inputSize: 16, numClasses: 3 });
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const report = await sensitivityScan(model, tinyData(), { sparsities: [0, 0.5, 0.99] });
    expect(report.rows.map((r) => `${r.layer}@${r.sparsity}`)).to.deep.equal([
      'fc1@0',
      'fc1@0.5',
      'fc1@0.99',
      'fc2@0',
      'fc2@0.5',
      'fc2@0.99',
    ]);
    expect(report.rows[0]!.accuracy).to.equal(report.baseline.accuracy);
    expect(report.rows[0]!.loss).to.be.closeTo(report.baseline.loss, 1e-6);
    expect(report.rows[2]!.loss).to.not.be.closeTo(report.baseline.loss, 1e-6);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).to.deep.equal(before);
    model.dispose();
  });

  it('rejects bad options and unknown layers', async () => {
    const model = simpleNet({ seed: 1, hidden: [4], inputSize: 16, numClasses: 3 });
    for (const [opts, message] of [
      [{ sparsities: [] }, /a non-empty sparsities list, got \[\]/],
      [{ sparsities: [1.2] }, /sparsity in \[0, 1\), got 1.2/],
      [{ sparsities: [0.5], skip: ['nope'] }, /skip to name layers of the model, got unknown layer "nope"/],
      [
        { sparsities: [0.5], layers: ['fc2'] },
        /skip \(the prunable layers left out of the scan.*got layers: \["fc2"\]/,
      ],
      [{ sparsities: [0.5], method: 'l1' }, /method 'magnitude' or 'random', got "l1"/],
      [{ sparsities: [0.5], method: 'random' }, /a numeric seed for method 'random', got undefined/],
    ] as const) {
      let err: unknown;
      try {
        await sensitivityScan(model, tinyData(), opts as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).to.be.instanceOf(ConfigError);
      expect((err as Error).message)
        .to.match(/^prune\.sensitivityScan: /)
        .and.to.match(message);
    }
    model.dispose();
  });

  it('does not leak', async () => {
    const model = simpleNet({ seed: 1, hidden: [4], inputSize: 16, numClasses: 3 });
    await expectNoLeak(() => sensitivityScan(model, tinyData(), { sparsities: [0.5], skip: ['fc1'] }));
    model.dispose();
  });
});
