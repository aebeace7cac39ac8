// bench.tfliteRuntime: the model's .tflite export in TFLite's interpreter, one export per batch
// size (TFLite shapes are fixed in the file), timed by the harness like any runtime.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { benchmark } from '../../lib/bench/harness';
import { tfliteRuntime } from '../../lib/bench/runtimes';
import { ConfigError } from '../../lib/errors';

describe('bench.tfliteRuntime', () => {
  it('runs the exported model at each batch size and returns its outputs', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [3], units: 2, kernelInitializer: 'ones', biasInitializer: 'ones' })],
    });
    const rt = tfliteRuntime(model, { threads: 1 });
    expect([rt.name, rt.threads, rt.inputShape]).to.deep.equal(['tflite-fp32', 1, [3]]);
    // x = [1, 2, 3] and [0, 0, 0]: each output is sum(x) + 1.
    expect(Array.from(rt.run(Float32Array.of(1, 2, 3, 0, 0, 0), 2) as Float32Array)).to.deep.equal([7, 7, 1, 1]);
    expect(Array.from(rt.run(Float32Array.of(1, 1, 1), 1) as Float32Array)).to.deep.equal([4, 4]);
    const rows = await benchmark([rt], {
      model: 'dense',
      batchSizes: [1, 4],
      rounds: 2,
      runs: 3,
      minTimeMs: 1,
      warmupRuns: 1,
    });
    expect(rows.map((r) => [r.runtime, r.batchSize])).to.deep.equal([
      ['tflite-fp32', 1],
      ['tflite-fp32', 4],
    ]);
    expect(rows.every((r) => r.p50Ms > 0)).to.equal(true);
    expect(() => tfliteRuntime(model, { threads: 0 })).to.throw(ConfigError, /threads a positive integer/);
    model.dispose();
  });
});
