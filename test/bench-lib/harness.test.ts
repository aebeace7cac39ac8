import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { simpleNet } from '../../lib/models/simplenet';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { benchmarkRuntimes, randomInputs, speedups } from '../../lib/bench/harness';
import { availableTfjsBackends, functionRuntime, ortRuntime, tfjsRuntime } from '../../lib/bench/runtimes';

describe('bench/harness and runtimes', () => {
  it('times every runtime at every batch size, with the machine, and restores the backend', async () => {
    const model = simpleNet({ seed: 1, hidden: [16], inputSize: 8, numClasses: 3 });
    const before = tf.memory().numTensors;
    let calls = 0;
    const rows = await benchmarkRuntimes([
      tfjsRuntime(model, 'wasm'), tfjsRuntime(model, 'cpu'),
      ortRuntime(toOnnx(model).bytes, { name: 'ort-fp32', inputShape: [8], threads: 2 }),
      functionRuntime('noop', () => { calls++; }),
    ], { model: 'tiny', inputSize: 8, batchSizes: [1, 4], runs: 5, minTimeMs: 0, warmupRuns: 1 });
    expect(rows.map((r) => `${r.runtime}/${r.threads}/${r.batchSize}`)).to.deep.equal(
      ['tfjs-wasm/1/1', 'tfjs-wasm/1/4', 'tfjs-cpu/1/1', 'tfjs-cpu/1/4', 'ort-fp32/2/1', 'ort-fp32/2/4', 'noop/1/1', 'noop/1/4']);
    expect(calls).to.equal(12);
    for (const r of rows) {
      expect(r.p99Ms).to.be.at.least(r.p50Ms);
      expect(r.throughput).to.be.closeTo((r.batchSize * 1000) / r.p50Ms, 1e-6);
      expect(r.rssBytes).to.be.greaterThan(0);
      expect(r.machine.cores).to.be.greaterThan(0);
    }
    expect(tf.getBackend()).to.equal('wasm');
    expect(tf.memory().numTensors).to.equal(before);
    const s = speedups(rows, 'tfjs-wasm');
    expect(s[0]?.speedup).to.equal(1);
    expect(availableTfjsBackends()).to.include.members(['wasm', 'cpu']);
    model.dispose();
  });

  it('runs tfjs and ONNX Runtime to the same outputs', async () => {
    const model = simpleNet({ seed: 2, hidden: [16], inputSize: 8, numClasses: 3 });
    const x = randomInputs(4, 8, 3);
    const a = tfjsRuntime(model, 'wasm');
    const b = ortRuntime(toOnnx(model).bytes, { name: 'ort-fp32', inputShape: [8] });
    await a.activate?.();
    await b.activate?.();
    const ya = a.run(x, 4) as Float32Array;
    const yb = (await b.run(x, 4)) as Float32Array;
    ya.forEach((v, i) => expect(v).to.be.closeTo(yb[i] as number, 1e-4));
    a.dispose?.();
    await b.dispose?.();
    model.dispose();
  });

  it('rejects bad batch sizes, empty runtime lists and wrong input sizes', async () => {
    const model = simpleNet({ seed: 1, hidden: [4], inputSize: 8, numClasses: 3 });
    for (const opts of [{ batchSizes: [0] }, { batchSizes: [1.5] }, { inputSize: 0 }]) {
      let err: unknown;
      try { await benchmarkRuntimes([functionRuntime('f', () => 0)], { model: 'm', inputSize: 8, ...opts }); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(ConfigError);
    }
    let err: unknown;
    try { await benchmarkRuntimes([], { model: 'm', inputSize: 8 }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(ConfigError);
    expect(() => tfjsRuntime(model, 'wasm').run(new Float32Array(3), 1)).to.throw(ConfigError, /1 x 8/);
    expect(() => ortRuntime(new Uint8Array(1), { name: 'x', inputShape: [8], threads: 0 })).to.throw(ConfigError);
    model.dispose();
  });
});
