import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { cnn } from '../../lib/models/cnn';
import { channels, roundKept } from '../../lib/prune/channels';

describe('prune/channels: roundTo (kept channels in whole tiles)', () => {
  it('roundKept rounds to the nearest multiple, never below one tile nor above the channels', () => {
    expect(roundKept(11, 16, 8)).to.equal(8);
    expect(roundKept(22, 32, 8)).to.equal(24);
    expect(roundKept(12, 16, 8)).to.equal(16); // 1.5 tiles rounds up
    expect(roundKept(3, 16, 8)).to.equal(8);
    expect(roundKept(5, 6, 8)).to.equal(6);
    expect(roundKept(5, 8, 1)).to.equal(5);
  });

  it('channels with roundTo 8 keeps whole tiles of 8 (16/32-filter CNN at sparsity 0.3: 8 and 24 filters)', async () => {
    const model = cnn({ seed: 1, filters: [16, 32] });
    const plain = await channels(model, { sparsity: 0.3 });
    const rounded = await channels(model, { sparsity: 0.3, roundTo: 8 });
    const widths = (r: typeof plain) =>
      r.report.layers.filter((l) => l.className === 'Conv2D').map((l) => l.channelsAfter);
    expect(widths(plain)).to.deep.equal([11, 22]);
    expect(widths(rounded)).to.deep.equal([8, 24]);
    expect(rounded.report.roundTo).to.equal(8);
    expect(plain.report.roundTo).to.equal(1);
    expect((rounded.model.getLayer('fc1').getConfig() as { units: number }).units).to.equal(88); // 128 - 38 = 90 -> 88
    for (const m of [model, plain.model, rounded.model]) m.dispose();
  });

  it('rejects a roundTo that is not a positive integer', async () => {
    const model = cnn({ seed: 1 });
    let err: unknown;
    try {
      await channels(model, { sparsity: 0.3, roundTo: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/prune.channels: roundTo a positive integer, got 0/);
    model.dispose();
  });
});
