// The search's parts on hand-checkable inputs: option validation, the latency model's fit and its
// leave-one-out error, NNCF's revert loop (ranking by contribution, stopping at the limit), the
// journal (reuse, refusal of another search's or a broken journal), the data split.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError, DataError } from '../../lib/errors';
import { search, splitData } from '../../lib/auto';
import { fitLatencyModel } from '../../lib/auto/latency-model';
import { predictLatency } from '../../lib/auto/latency-model';
import { resolveAutoOptions } from '../../lib/auto/options';
import { int8WithFallback } from '../../lib/auto/fallback';
import { Journal, JOURNAL_FILE } from '../../lib/auto/journal';
import { Candidate, candidateKey, candidateStages } from '../../lib/auto/candidate';
import { Evaluation } from '../../lib/auto/evaluate';
import { validateRecipe } from '../../lib/pipeline/recipe';
import { makeImageSet } from '../../lib/data/image-set';

describe('auto: options', () => {
  it('fills defaults and refuses hostile values with a typed error that says the fix', () => {
    const o = resolveAutoOptions({ target: 'ort', maxDrop: 0.01 });
    expect(o).to.deep.include({
      goal: 'latency',
      sparsities: [0.25, 0.5],
      probeSparsity: 0.5,
      batchSize: 1,
      rounds: 5,
    });
    const bad: [object, RegExp][] = [
      [{ target: 'gpu', maxDrop: 0.01 }, /target one of ort, ort-web, tfjs-wasm, tflite, got .*gpu/],
      [{ target: 'ort', maxDrop: -0.1 }, /maxDrop a fraction in \[0, 1\), got -0.1/],
      [{ target: 'ort', maxDrop: NaN }, /maxDrop .* got NaN/],
      [{ target: 'ort', maxDrop: '0.01' }, /maxDrop/],
      [{ target: 'ort', maxDrop: 0.01, goal: 'speed' }, /goal 'latency' or 'size'/],
      [{ target: 'ort', maxDrop: 0.01, budgetSeconds: 0 }, /budgetSeconds/],
      [{ target: 'ort', maxDrop: 0.01, sparsities: [] }, /sparsities 1 to 8 fractions/],
      [{ target: 'ort', maxDrop: 0.01, sparsities: [0.5, 1] }, /sparsities/],
      [{ target: 'ort', maxDrop: 0.01, rankLayers: 2.5 }, /rankLayers an integer/],
      [{ target: 'ort', maxDrop: 0.01, batchSize: 1e9 }, /batchSize an integer in \[1, 1024\]/],
      [{ target: 'ort', maxDrop: 0.01, onEvaluation: 'print' }, /onEvaluation a function/],
      [{ target: 'ort', maxDrop: 0.01, executor: 'threads' }, /executor an executor/],
    ];
    for (const [opts, message] of bad)
      expect(() => resolveAutoOptions(opts as never), JSON.stringify(opts)).to.throw(ConfigError, message);
    expect(() => resolveAutoOptions(null as never)).to.throw(ConfigError, /an options object/);
    const inherited = Object.create({ target: 'ort', maxDrop: 0.01 }) as never;
    expect(() => resolveAutoOptions(inherited)).to.throw(ConfigError, /target/);
  });

  it("a candidate's stages are a valid recipe: pruning in the target's tiles, INT8 with its float layers skipped", () => {
    const c: Candidate = { sparsity: 0.5, keepWhole: ['conv1'], precision: 'int8', floatLayers: ['fc2'] };
    const stages = candidateStages(c, 'ort', 128);
    expect(stages).to.deep.equal([
      { kind: 'prune', name: 'prune', method: 'channels', sparsity: 0.5, target: 'ort', layers: { conv1: 0 } },
      { kind: 'quantize', name: 'quantize', mode: 'static', calibration: { count: 128 }, skip: ['fc2'] },
    ]);
    expect(validateRecipe({ version: 1, model: 'm', stages }).stages).to.deep.equal(stages);
    expect(candidateStages({ ...c, sparsity: 0, precision: 'float' }, 'tflite', 1)).to.deep.equal([
      { kind: 'export', name: 'export', to: 'tflite' },
    ]);
    expect(candidateKey(c)).to.equal(candidateKey({ ...c, keepWhole: ['conv1'] }));
    expect(candidateKey(c)).to.not.equal(candidateKey({ ...c, floatLayers: [] }));
  });
});

describe('auto: inputs', () => {
  it('takes an ONNX model (bytes, or as onnx.read gives it) with labelled feeds only, refusing tensors with a typed error', async () => {
    const xs = tf.zeros([4, 2]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2);
    const data = { search: { xs, ys }, heldOut: { xs, ys } };
    const onnxLike = [new Uint8Array([8, 7]), { proto: {}, sizeBytes: 2, opset: 17, irVersion: 8 }];
    for (const m of onnxLike) {
      let e: unknown;
      try {
        await search(m as never, data as never, { target: 'ort', maxDrop: 0.01 });
      } catch (x) {
        e = x;
      }
      expect(e).to.be.instanceOf(DataError);
      expect((e as Error).message).to.match(/^auto\.search: data\.search as labelled feeds \{feeds, labels\} .* got /);
    }
    tf.dispose([xs, ys]);
  });
});

describe('auto: latency model', () => {
  it('recovers exact coefficients, with zero leave-one-out error on exact data', () => {
    // ms = 0.5 + 2 per float MMAC + 0.5 per INT8 MMAC.
    const pts = [
      [1, 0],
      [2, 0],
      [0, 2],
      [1, 1],
      [3, 2],
    ].map(([f, q]) => ({
      floatMacs: (f as number) * 1e6,
      int8Macs: (q as number) * 1e6,
      latencyMs: 0.5 + 2 * (f as number) + 0.5 * (q as number),
    }));
    const m = fitLatencyModel(pts);
    expect(m?.intercept).to.be.closeTo(0.5, 1e-6);
    expect(m?.msPerMegaMac.float).to.be.closeTo(2, 1e-6);
    expect(m?.msPerMegaMac.int8).to.be.closeTo(0.5, 1e-6);
    expect(m?.medianAbsErrorPct).to.be.closeTo(0, 1e-4);
    expect(predictLatency(m as never, { floatMacs: 1e6, int8Macs: 0 })).to.be.closeTo(2.5, 1e-6);
    expect(fitLatencyModel(pts.slice(0, 3))).to.equal(undefined);
    // Noisy data: the error is measured, not zero.
    const noisy = pts.map((p, i) => ({ ...p, latencyMs: p.latencyMs * (i % 2 ? 1.2 : 0.8) }));
    expect(fitLatencyModel(noisy)?.medianAbsErrorPct).to.be.greaterThan(5);
  });
});

describe("auto: NNCF's revert loop", () => {
  // Accuracy: 0.9 float; INT8 loses 0.02 for 'a', 0.05 for 'b', 0 for 'c'; SQNR ranks c lowest (a decoy).
  const loss: Record<string, number> = { a: 0.02, b: 0.05, c: 0 };
  const fake = (calls: string[]) => async (c: Candidate, timed: boolean) => {
    calls.push(`${c.floatLayers.join('+') || 'all-int8'}${timed ? ' (timed)' : ''}`);
    const accuracy =
      0.9 -
      Object.keys(loss)
        .filter((l) => !c.floatLayers.includes(l))
        .reduce((s, l) => s + (loss[l] as number), 0);
    return {
      key: candidateKey(c),
      label: '',
      candidate: c,
      accuracy,
      layerSqnrDb: { a: 30, b: 25, c: 10 },
    } as unknown as Evaluation;
  };

  it('ranks by contribution to the drop (not by SQNR) and reverts the most harmful first, until within the limit', async () => {
    const calls: string[] = [];
    const r = await int8WithFallback(
      { sparsity: 0, keepWhole: [] },
      { baseAccuracy: 0.9, maxDrop: 0.025, rankLayers: 3, evaluate: fake(calls) },
    );
    expect(r?.ranking.map((x) => x.layer)).to.deep.equal(['b', 'a', 'c']);
    expect(r?.ranking[0]?.contribution).to.be.closeTo(0.05, 1e-9);
    expect(r?.reverted).to.deep.equal(['b']); // 0.9 - 0.02 = 0.88: within 0.025
    expect(r?.withinDrop).to.equal(true);
    expect(calls).to.deep.equal(['all-int8 (timed)', 'c', 'b', 'a', 'b (timed)']);
  });

  it('spends no ranking when the float model of the same pruning is already over the limit', async () => {
    const calls: string[] = [];
    const r = await int8WithFallback(
      { sparsity: 0.5, keepWhole: [] },
      { baseAccuracy: 0.9, floatAccuracy: 0.85, maxDrop: 0.025, rankLayers: 3, evaluate: fake(calls) },
    );
    expect(calls).to.deep.equal(['all-int8 (timed)']);
    expect(r?.ranking).to.deep.equal([]);
    expect(r?.withinDrop).to.equal(false);
  });

  it('stops at once when all-INT8 is within the limit, and says so when reverting every ranked layer is not enough', async () => {
    expect(
      (
        await int8WithFallback(
          { sparsity: 0, keepWhole: [] },
          { baseAccuracy: 0.9, maxDrop: 0.1, rankLayers: 3, evaluate: fake([]) },
        )
      )?.steps,
    ).to.have.length(1);
    const r = await int8WithFallback(
      { sparsity: 0, keepWhole: [] },
      { baseAccuracy: 0.95, maxDrop: 0.01, rankLayers: 2, evaluate: fake([]) },
    );
    expect(r?.ranking.map((x) => x.layer)).to.deep.equal(['b', 'c']); // the 2 lowest SQNR ranked; 'a' never preselected
    expect(r?.withinDrop).to.equal(false);
  });
});

describe('auto: journal and split', () => {
  it("reuses journaled values, refuses another search's journal and a broken one", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-journal-'));
    const j = new Journal(dir, 'search-1');
    let runs = 0;
    expect((await j.remember('k', async () => ++runs)).value).to.equal(1);
    const k = new Journal(dir, 'search-1');
    expect(k.resumedEntries).to.equal(1);
    expect(await k.remember('k', async () => ++runs)).to.deep.equal({ value: 1, reused: true });
    expect(runs).to.equal(1);
    expect(() => new Journal(dir, 'search-2')).to.throw(ConfigError, /a journal of this search/);
    fs.writeFileSync(
      path.join(dir, JOURNAL_FILE),
      '{"tool": "tfjs-compress auto", "version": 1, "search": "search-1", "entr',
    );
    expect(() => new Journal(dir, 'search-1')).to.throw(ConfigError, /valid JSON/);
    fs.writeFileSync(path.join(dir, JOURNAL_FILE), '{"entries": {"__proto__": 1}}');
    expect(() => new Journal(dir, 'search-1')).to.throw(ConfigError, /written by this tool/);
    fs.rmSync(dir, { recursive: true });
  });

  it('splits images and tensors by a seeded shuffle into disjoint parts, without leaking', () => {
    const set = makeImageSet(
      's',
      new Uint8Array(10 * 4).map((_, i) => i >> 2),
      new Uint8Array(10).map((_, i) => i % 2),
      { height: 2, width: 2, channels: 1 },
      ['a', 'b'],
    );
    const s = splitData(set, { heldOutFraction: 0.3, seed: 3 });
    const firsts = (x: { images: Uint8Array; count: number }) =>
      Array.from({ length: x.count }, (_, i) => x.images[i * 4]);
    const a = firsts(s.search as never);
    const b = firsts(s.heldOut as never);
    expect(b).to.have.length(3);
    expect([...a, ...b].sort((x, y) => (x as number) - (y as number))).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const before = tf.memory().numTensors;
    const xs = tf.tidy(() => tf.range(0, 8).reshape([8, 1]));
    const ys = tf.range(0, 8);
    const t = splitData({ xs, ys }, { heldOutFraction: 0.25 });
    expect((t.heldOut as { xs: tf.Tensor }).xs.shape).to.deep.equal([2, 1]);
    t.dispose();
    tf.dispose([xs, ys]);
    expect(tf.memory().numTensors).to.equal(before);
    expect(() => splitData(set, { heldOutFraction: 1 })).to.throw(ConfigError, /heldOutFraction in \(0, 1\)/);
    expect(() => splitData(tf.data.array([1, 2]) as never)).to.throw(ConfigError, /Split it yourself/);
  });
});
