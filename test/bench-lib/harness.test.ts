import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError, DataError, ShapeError } from '../../lib/errors';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { quantile } from '../../lib/core/latency';
import { benchmark, interleavedRounds, medianRatio, randomInputs, speedups } from '../../lib/bench/harness';
import { availableTfjsBackends, functionRuntime, ortRuntime, tfjsRuntime } from '../../lib/bench/runtimes';

describe('bench/harness and runtimes', () => {
  it('interleavedRounds measures every subject once per round, back to back (alternating on request); medianRatio pairs rounds', async () => {
    const order: string[] = [];
    const fixed = await interleavedRounds(['a', 'b', 'c'], (s, i, r) => (order.push(`${s}${r}`), i * 10 + r), {
      rounds: 2,
    });
    expect(order).to.deep.equal(['a0', 'b0', 'c0', 'a1', 'b1', 'c1']);
    expect(fixed).to.deep.equal([
      [0, 1],
      [10, 11],
      [20, 21],
    ]);
    order.length = 0;
    await interleavedRounds(['ref', 'cand'], async (s, _i, r) => void order.push(`${s}${r}`), {
      rounds: 3,
      alternate: true,
    });
    expect(order).to.deep.equal(['ref0', 'cand0', 'cand1', 'ref1', 'ref2', 'cand2']);
    expect(medianRatio([2, 4, 9], [1, 2, 3])).to.equal(2); // per-round ratios 2, 2, 3
    expect(medianRatio([10, 1], [1, 1])).to.equal(5.5); // even count: the mean of the middle two
    let err: unknown;
    try {
      await interleavedRounds(['a'], () => 0, { rounds: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/^bench\.interleavedRounds: rounds a positive integer, got 0/);
  });

  it('measures runtimes in interleaved rounds: warm-up and timed runs of each in turn, round after round', async () => {
    const calls: string[] = [];
    const rt = (name: string) =>
      functionRuntime(
        name,
        (_x, n) => {
          calls.push(`${name}${n}`);
        },
        { inputShape: [3] },
      );
    const rows = await benchmark([rt('a'), rt('b')], {
      model: 'm',
      batchSizes: [1, 2],
      rounds: 2,
      warmupRuns: 1,
      runs: 2,
      minTimeMs: 0,
    });
    const round = (n: number) => [`a${n}`, `a${n}`, `a${n}`, `b${n}`, `b${n}`, `b${n}`];
    expect(calls).to.deep.equal([...round(1), ...round(1), ...round(2), ...round(2)]);
    expect(rows.map((r) => `${r.model}/${r.runtime}/${r.batchSize}`)).to.deep.equal([
      'm/a/1',
      'm/a/2',
      'm/b/1',
      'm/b/2',
    ]);
    for (const r of rows) {
      expect(r.roundP50Ms.length).to.equal(2);
      expect(r.p50Ms).to.equal(
        quantile(
          [...r.roundP50Ms].sort((p, q) => p - q),
          0.5,
        ),
      );
      expect(r.runs).to.equal(4);
      expect(r.p99Ms).to.be.at.least(r.p50Ms);
      expect(r.throughput).to.be.closeTo((r.batchSize * 1000) / r.p50Ms, 1e-6);
    }
  });

  it('times tfjs backends, ONNX Runtime and a function together, with the machine, and restores the backend', async () => {
    const model = simpleNet({ seed: 1, hidden: [16], inputSize: 8, numClasses: 3 });
    const before = tf.memory().numTensors;
    let calls = 0;
    const seen: number[] = [];
    const rows = await benchmark(
      [
        tfjsRuntime(model, 'wasm'),
        tfjsRuntime(model, 'cpu'),
        ortRuntime(toOnnx(model), { name: 'ort-fp32', threads: 2, model: 'tiny-onnx' }),
        functionRuntime(
          'noop',
          (x, n) => {
            calls++;
            seen.push(x.length / n);
          },
          { inputShape: [8] },
        ),
      ],
      { model: 'tiny', batchSizes: [1, 4], rounds: 2, runs: 3, minTimeMs: 0, warmupRuns: 1 },
    );
    expect(rows.map((r) => `${r.model}/${r.runtime}/${r.threads}/${r.batchSize}`)).to.deep.equal([
      'tiny/tfjs-wasm/1/1',
      'tiny/tfjs-wasm/1/4',
      'tiny/tfjs-cpu/1/1',
      'tiny/tfjs-cpu/1/4',
      'tiny-onnx/ort-fp32/2/1',
      'tiny-onnx/ort-fp32/2/4',
      'tiny/noop/1/1',
      'tiny/noop/1/4',
    ]);
    expect(calls).to.equal(2 * 2 * 4);
    expect(new Set(seen)).to.deep.equal(new Set([8]));
    for (const r of rows) {
      expect(r.rssBytes).to.be.greaterThan(0);
      expect(r.machine.cores).to.be.greaterThan(0);
    }
    expect(tf.getBackend()).to.equal('wasm');
    expect(tf.memory().numTensors).to.equal(before);
    const s = speedups(rows, 'tfjs-wasm');
    expect(s[0]?.speedup).to.equal(1);
    expect(s[4]?.speedup).to.be.NaN; // another model label: no baseline row
    expect(availableTfjsBackends()).to.include.members(['wasm', 'cpu']);
    model.dispose();
  });

  it("feeds every runtime its model's own input shape (images, ONNX bytes) and repeats given inputs", async () => {
    const conv = cnn({ seed: 1, filters: [2, 2], hidden: 4 });
    const onnx = toOnnx(conv);
    const shapes = [
      tfjsRuntime(conv, 'wasm').inputShape,
      ortRuntime(onnx.bytes).inputShape,
      ortRuntime(onnx).inputShape,
    ];
    expect(shapes).to.deep.equal([
      [28, 28, 1],
      [28, 28, 1],
      [28, 28, 1],
    ]);
    const got: Float32Array[] = [];
    const input = Float32Array.from([0.25, 0.5]);
    await benchmark(
      [
        tfjsRuntime(conv, 'wasm'),
        ortRuntime(onnx.bytes),
        functionRuntime(
          'spy',
          (x) => {
            got.push(x);
          },
          { inputShape: [2, 3] },
        ),
      ],
      { batchSizes: [2], rounds: 1, runs: 1, warmupRuns: 0, minTimeMs: 0, input },
    );
    expect(got[0]?.length).to.equal(12);
    expect(Array.from(got[0] as Float32Array).slice(0, 4)).to.deep.equal([0.25, 0.5, 0.25, 0.5]);
    conv.dispose();
  });

  it('runs tfjs and ONNX Runtime to the same outputs', async () => {
    const model = simpleNet({ seed: 2, hidden: [16], inputSize: 8, numClasses: 3 });
    const x = randomInputs(4, 8, 3);
    const a = tfjsRuntime(model, 'wasm');
    const b = ortRuntime(toOnnx(model).bytes, { name: 'ort-fp32' });
    await a.activate?.();
    await b.activate?.();
    const ya = a.run(x, 4) as Float32Array;
    const yb = (await b.run(x, 4)) as Float32Array;
    ya.forEach((v, i) => expect(v).to.be.closeTo(yb[i] as number, 1e-4));
    a.dispose?.();
    await b.dispose?.();
    model.dispose();
  });

  it('rejects bad batch sizes, rounds, inputs, empty runtime lists and wrong shapes with typed errors', async () => {
    const model = simpleNet({ seed: 1, hidden: [4], inputSize: 8, numClasses: 3 });
    const f = functionRuntime('f', () => 0, { inputShape: [8] });
    for (const opts of [
      { batchSizes: [0] },
      { batchSizes: [1.5] },
      { rounds: 0 },
      { input: new Float32Array(0) },
      { runs: 0 },
      { warmupRuns: -1 },
    ]) {
      let err: unknown;
      try {
        await benchmark([f], opts);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).to.be.instanceOf(ConfigError);
    }
    let err: unknown;
    try {
      await benchmark([]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect(() => tfjsRuntime(model, 'wasm').run(new Float32Array(3), 1)).to.throw(ConfigError, /1 x 8/);
    expect(() => ortRuntime(new Uint8Array(1), { inputShape: [8], threads: 0 })).to.throw(ConfigError);
    err = undefined;
    try {
      await benchmark([ortRuntime(new Uint8Array([1, 2, 3]), { inputShape: [8] })]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataError); // from the one session factory, exporters' ortSession
    expect((err as Error).message).to.match(/^ortSession: an ONNX model ONNX Runtime accepts/);
    expect(() => functionRuntime('g', () => 0, { inputShape: [] })).to.throw(ShapeError, /input shape/);
    const free = tf.sequential({
      layers: [
        // images of any size
        tf.layers.conv2d({ inputShape: [null, null, 1] as unknown as number[], filters: 2, kernelSize: 1 }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 2 }),
      ],
    });
    expect(() => tfjsRuntime(free, 'wasm')).to.throw(ShapeError, /inputShape/);
    expect(tfjsRuntime(free, 'wasm', { inputShape: [5, 5, 1] }).inputShape).to.deep.equal([5, 5, 1]);
    free.dispose();
    model.dispose();
  });
});
