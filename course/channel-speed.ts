// What channel pruning buys in time, measured like for like (notebook 03 and the pruning
// benchmark share this): the sparsity that keeps about half the MACs, the pruned model
// fine-tuned once and cached, and the original against the pruned model on three runtimes in
// the same interleaved rounds (bench.benchmark):
//   - tfjs-wasm, both models as trained (BatchNormalization and ReLU as their own layers);
//   - tfjs-wasm, both in inference form (BatchNormalization folded, ReLU fused: exporters.inferenceForm);
//   - ONNX Runtime, both exported in inference form.
// A speed-up is the median over rounds of each round's ratio (original / pruned), so machine
// load that hits one round hits both models of it.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../lib/errors';
import { ImageSet } from '../lib/data/image-set';
import { channels, ChannelOptions } from '../lib/prune/channels';
import { layerEntry } from '../lib/core/layers';
import { resolveRounding } from '../lib/prune/tiles';
import { fit } from '../lib/train/fit';
import { evaluate } from '../lib/train/evaluate';
import { cachedModel } from '../lib/data/model-cache';
import { inferenceForm } from '../lib/export/inference-form';
import { toOnnx } from '../lib/export/onnx/to-onnx';
import { benchmark, interleavedRounds, medianRatio } from '../lib/bench/harness';
import { median } from '../lib/core/latency';
import { BenchRuntime, ortRuntime, tfjsRuntime } from '../lib/bench/runtimes';

/** A convolution: a layer that makes new channels (registry role 'producer') with a kernel that is not a MatMul. */
const isConvolution = (className: string): boolean => {
  const e = layerEntry(className);
  return e?.role === 'producer' && !e.matMul;
};

/** One candidate of {@link sparsityForMacs}. */
export interface MacsCandidate {
  readonly sparsity: number;
  readonly macsRatio: number;
  readonly paramsRatio: number;
  /** Output channels of each convolution (Conv2D, Conv1D, ...) after pruning. */
  readonly convChannels: number[];
}

/**
 * Prunes `model` at each candidate sparsity (with the other options) and returns the candidate
 * whose MACs are closest to `target` (a fraction of the original's), and all of them.
 * @example (await sparsityForMacs(model, 0.5, [0.3, 0.35, 0.4])).best.sparsity
 */
export async function sparsityForMacs(
  model: tf.LayersModel,
  target: number,
  sparsities: readonly number[],
  options: Omit<ChannelOptions, 'sparsity'> = {},
): Promise<{ best: MacsCandidate; candidates: MacsCandidate[] }> {
  if (!(target > 0 && target <= 1) || sparsities.length === 0) {
    throw new ConfigError(
      `sparsityForMacs: a target in (0, 1] and at least one sparsity, got target ${describe(target)} and ${describe(sparsities)}. Use e.g. 0.5 and [0.3, 0.35, 0.4].`,
    );
  }
  const candidates: MacsCandidate[] = [];
  for (const sparsity of sparsities) {
    const { model: pruned, report } = await channels(model, { ...options, sparsity });
    pruned.dispose();
    candidates.push({
      sparsity,
      macsRatio: report.macs.after / report.macs.before,
      paramsRatio: report.params.after / report.params.before,
      convChannels: report.layers.filter((l) => isConvolution(l.className)).map((l) => l.channelsAfter),
    });
  }
  const best = candidates.reduce((a, b) => (Math.abs(b.macsRatio - target) < Math.abs(a.macsRatio - target) ? b : a));
  return { best, candidates };
}

/** What {@link prunedAndTuned} measured when it fine-tuned (cached with the model). */
export interface TunedMeta {
  readonly accuracyBeforeFineTune: number;
  readonly testAccuracy: number;
  readonly seconds: number;
}

/** Options for {@link prunedAndTuned}. */
export interface PrunedAndTunedOptions {
  readonly prune: ChannelOptions;
  /** Fine-tuning data and test data (ImageSets, so the cache key can name them). */
  readonly train: ImageSet;
  readonly test: ImageSet;
  readonly epochs: number;
  /** Learning rate of the first epoch; later epochs use 0.3 of it. Default 1e-3. */
  readonly learningRate?: number;
  /** Anything that identifies the original model's weights (e.g. its recipe and accuracy). */
  readonly baseKey: unknown;
  readonly label: string;
}

/**
 * `model` pruned with `options.prune` and fine-tuned, from the cache or made now (then cached).
 * The caller owns the returned model; the input is not modified.
 */
export async function prunedAndTuned(
  model: tf.LayersModel,
  options: PrunedAndTunedOptions,
): Promise<{ model: tf.LayersModel; meta: TunedMeta; fromCache: boolean }> {
  const lr = options.learningRate ?? 1e-3;
  // The cache key names the rounding that applies (the default follows the measured tile table).
  const { target: _target, ...prune } = options.prune;
  const key = {
    version: 1,
    base: options.baseKey,
    prune: { ...prune, roundTo: resolveRounding('prunedAndTuned', options.prune).roundTo },
    epochs: options.epochs,
    lr,
    train: [options.train.name, options.train.count],
    test: [options.test.name, options.test.count],
  };
  const entry = await cachedModel<TunedMeta>(key, options.label, async () => {
    const t0 = performance.now();
    const { model: pruned } = await channels(model, options.prune);
    const accuracyBeforeFineTune = (await evaluate(pruned, options.test)).accuracy;
    await fit(pruned, options.train, { epochs: options.epochs, seed: 1, learningRate: (e) => (e < 1 ? lr : 0.3 * lr) });
    const testAccuracy = (await evaluate(pruned, options.test)).accuracy;
    return { model: pruned, meta: { accuracyBeforeFineTune, testAccuracy, seconds: (performance.now() - t0) / 1000 } };
  });
  return { model: entry.model, meta: entry.meta, fromCache: entry.fromCache };
}

/** Original vs pruned on one runtime at one batch size. */
export interface SpeedFigure {
  /** Median over rounds of original p50 / pruned p50 in the same round. */
  readonly speedup: number;
  readonly roundSpeedups: number[];
  readonly originalP50Ms: number;
  readonly prunedP50Ms: number;
}

/** Runtime -> `batch<N>` -> figure. */
export type PruningSpeedups = Record<'tfjsWasm' | 'tfjsWasmInferenceForm' | 'ort', Record<string, SpeedFigure>>;

/** Options for {@link pruningSpeedups}. */
export interface PruningSpeedupOptions {
  readonly batchSizes?: readonly number[];
  /** Interleaved rounds (default 9). */
  readonly rounds?: number;
  /** Timed runs per round, at least (default 5), and at least this much time per round (default 200 ms). */
  readonly runs?: number;
  readonly minTimeMs?: number;
}

/**
 * Times `original` against `pruned` on tfjs-wasm as trained, on tfjs-wasm in inference form and on
 * ONNX Runtime (inference form exported), all six in the same interleaved rounds. Models are borrowed.
 * @example (await pruningSpeedups(cnnModel, pruned, {batchSizes: [256]})).tfjsWasm.batch256.speedup
 */
export async function pruningSpeedups(
  original: tf.LayersModel,
  pruned: tf.LayersModel,
  options: PruningSpeedupOptions = {},
): Promise<PruningSpeedups> {
  const [fo, fp] = [await inferenceForm(original), await inferenceForm(pruned)];
  try {
    const runtimes: BenchRuntime[] = [
      tfjsRuntime(original, 'wasm', { model: 'tfjsWasm/original' }),
      tfjsRuntime(pruned, 'wasm', { model: 'tfjsWasm/pruned' }),
      tfjsRuntime(fo.model, 'wasm', { model: 'tfjsWasmInferenceForm/original' }),
      tfjsRuntime(fp.model, 'wasm', { model: 'tfjsWasmInferenceForm/pruned' }),
      ortRuntime(toOnnx(fo.model), { model: 'ort/original' }),
      ortRuntime(toOnnx(fp.model), { model: 'ort/pruned' }),
    ];
    const batchSizes = options.batchSizes ?? [1, 256];
    const rows = await benchmark(runtimes, {
      batchSizes,
      rounds: options.rounds ?? 9,
      runs: options.runs ?? 5,
      warmupRuns: 2,
      minTimeMs: options.minTimeMs ?? 200,
    });
    const row = (model: string, batch: number) => rows.find((r) => r.model === model && r.batchSize === batch);
    const figures = {} as PruningSpeedups;
    for (const runtime of ['tfjsWasm', 'tfjsWasmInferenceForm', 'ort'] as const) {
      figures[runtime] = {};
      for (const b of batchSizes) {
        const o = row(`${runtime}/original`, b);
        const p = row(`${runtime}/pruned`, b);
        if (!o || !p) continue;
        const roundSpeedups = o.roundP50Ms.map((t, i) => t / (p.roundP50Ms[i] as number));
        figures[runtime][`batch${b}`] = {
          speedup: medianRatio(o.roundP50Ms, p.roundP50Ms),
          roundSpeedups,
          originalP50Ms: o.p50Ms,
          prunedP50Ms: p.p50Ms,
        };
      }
    }
    return figures;
  } finally {
    fo.model.dispose();
    fp.model.dispose();
  }
}

/**
 * Each layer's time (ms) in each model on a batch of `batchSize` random inputs, layer by layer
 * with its output read back, the models interleaved in `rounds` rounds; per layer the median over
 * rounds, and the median over rounds of each round's ratio to the first model's time.
 */
export async function layerTimes(
  models: readonly tf.LayersModel[],
  options: { readonly batchSize?: number; readonly rounds?: number; readonly seed?: number } = {},
): Promise<{ ms: Record<string, number>[]; ratioToFirst: Record<string, number>[] }> {
  const rounds = options.rounds ?? 9;
  const shape = [options.batchSize ?? 256, ...(models[0]?.inputs[0]?.shape.slice(1) as number[])];
  const x0 = tf.randomUniform(shape, 0, 1, 'float32', options.seed ?? 1);
  let perRound: Record<string, number>[][];
  try {
    perRound = await interleavedRounds(
      models,
      (model) => {
        const times: Record<string, number> = {};
        let x: tf.Tensor = x0;
        for (const layer of model.layers) {
          const t0 = performance.now();
          const input = x;
          const y = tf.tidy(() => layer.apply(input) as tf.Tensor);
          y.dataSync();
          times[layer.name] = performance.now() - t0;
          if (x !== x0) x.dispose();
          x = y;
        }
        if (x !== x0) x.dispose();
        return times;
      },
      { rounds },
    );
  } finally {
    x0.dispose();
  }
  const names = (m: number) => Object.keys(perRound[m]?.[0] ?? {});
  const ms = perRound.map((rs, m) =>
    Object.fromEntries(names(m).map((n) => [n, median(rs.map((t) => t[n] as number))])),
  );
  const ratioToFirst = perRound.map((rs, m) =>
    Object.fromEntries(
      names(m)
        .filter((n) => n in (perRound[0]?.[0] ?? {}))
        .map((n) => [n, median(rs.map((t, r) => (t[n] as number) / (perRound[0]?.[r]?.[n] as number)))]),
    ),
  );
  return { ms, ratioToFirst };
}
