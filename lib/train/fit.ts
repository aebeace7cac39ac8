// A seeded training loop for logits classifiers. Unlike model.fit (which shuffles with
// Math.random), every batch order comes from the seed, so a run is reproducible; hooks let
// pruning keep masks applied after each step and distillation swap the loss.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { Dataset } from '../data/dataset';
import { batches, Batch, InputLayout } from '../data/tensors';
import { evaluate, inferLayout } from './evaluate';
import { EpochLog, ProgressReporter } from './progress';

/** Options for {@link fit}. */
export interface FitOptions {
  readonly epochs: number;
  /** Seed of the batch order (epoch e uses seed + e). */
  readonly seed: number;
  readonly batchSize?: number;
  /** Adam learning rate (default 1e-3), or a function of the epoch (0-based). */
  readonly learningRate?: number | ((epoch: number) => number);
  /** 'adam' (default) or 'sgd' (with momentum 0.9). */
  readonly optimizer?: 'adam' | 'sgd';
  readonly layout?: InputLayout;
  /** Evaluated after each epoch. */
  readonly validation?: Dataset;
  /** Loss from logits and batch; default softmax cross-entropy on the one-hot labels. */
  readonly loss?: (logits: tf.Tensor, batch: Batch) => tf.Scalar;
  /** Extra penalty added to the loss (e.g. L1 on BatchNorm gammas), computed inside the step. */
  readonly regularizer?: () => tf.Scalar;
  /** Called after every optimizer step (e.g. to re-apply pruning masks). Step counts from 1. */
  readonly afterStep?: (step: number) => void;
  /** Called before every step (e.g. to update a pruning schedule). */
  readonly beforeStep?: (step: number) => void;
  readonly progress?: ProgressReporter;
  /** Variables to train; default the model's trainable weights. */
  readonly variables?: tf.Variable[];
}

/** What {@link fit} returns. */
export interface FitHistory {
  readonly epochs: EpochLog[];
  readonly steps: number;
}

function check(options: FitOptions): void {
  if (!(Number.isInteger(options.epochs) && options.epochs >= 0)) {
    throw new ConfigError(`fit: epochs a non-negative integer, got ${describe(options.epochs)}. Use e.g. 3.`);
  }
  if (!Number.isFinite(options.seed)) throw new ConfigError(`fit: seed a number, got ${describe(options.seed)}. Pass e.g. seed: 1.`);
  const lr = options.learningRate;
  if (typeof lr === 'number' && !(lr > 0)) throw new ConfigError(`fit: learningRate > 0, got ${describe(lr)}. Use e.g. 1e-3.`);
}

/** The model's trainable variables. */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Trains `model` in place on `train` (inference-time BatchNormalization statistics are updated).
 * @example await fit(model, loadMnist().train, {epochs: 1, seed: 1, progress: consoleProgress()})
 */
export async function fit(model: tf.LayersModel, train: Dataset, options: FitOptions): Promise<FitHistory> {
  check(options);
  const batchSize = options.batchSize ?? 128;
  const layout = options.layout ?? inferLayout(model);
  const lrAt = (e: number) => (typeof options.learningRate === 'function' ? options.learningRate(e) : options.learningRate ?? 1e-3);
  const makeOptimizer = (lr: number) => (options.optimizer === 'sgd' ? tf.train.momentum(lr, 0.9) : tf.train.adam(lr));
  let lr = lrAt(0);
  let optimizer = makeOptimizer(lr);
  const variables = options.variables ?? trainableVariables(model);
  const lossFn = options.loss ?? ((logits: tf.Tensor, b: Batch) => tf.losses.softmaxCrossEntropy(b.y, logits) as tf.Scalar);
  const history: EpochLog[] = [];
  const nBatches = Math.ceil(train.count / batchSize);
  let step = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const want = lrAt(epoch);
      if (want !== lr) {
        // Adam keeps its moments in the optimizer; tfjs's learningRate is read at each step.
        (optimizer as unknown as { learningRate: number }).learningRate = want;
        lr = want;
      }
      const t0 = performance.now();
      let lossSum = 0;
      let seen = 0;
      let batchIndex = 0;
      const pending: tf.Scalar[] = [];
      for (const b of batches(train, { batchSize, seed: options.seed + epoch, layout })) {
        step++;
        options.beforeStep?.(step);
        const loss = tf.tidy(() => optimizer.minimize(() => {
          const logits = model.apply(b.x, { training: true }) as tf.Tensor;
          const base = lossFn(logits, b);
          return options.regularizer ? tf.add(base, options.regularizer()) as tf.Scalar : base;
        }, true, variables) as tf.Scalar);
        options.afterStep?.(step);
        // Reading the loss every step would sync; keep a weighted scalar and read at epoch end.
        pending.push(tf.tidy(() => tf.mul(loss, b.labels.length) as tf.Scalar));
        loss.dispose();
        seen += b.labels.length;
        batchIndex++;
        if (pending.length >= 50) {
          const s = tf.addN(pending);
          lossSum += (await s.data())[0] as number;
          s.dispose();
          pending.forEach((t) => t.dispose());
          pending.length = 0;
        }
        options.progress?.({ kind: 'batch', epoch: epoch + 1, epochs: options.epochs, batch: batchIndex, batches: nBatches });
      }
      if (pending.length) {
        const s = tf.addN(pending);
        lossSum += (await s.data())[0] as number;
        s.dispose();
        pending.forEach((t) => t.dispose());
      }
      const seconds = (performance.now() - t0) / 1000;
      const val = options.validation ? await evaluate(model, options.validation, { layout }) : undefined;
      const log: EpochLog = {
        epoch: epoch + 1, loss: lossSum / Math.max(seen, 1), seconds, examplesPerSecond: seen / seconds,
        ...(val ? { valAccuracy: val.accuracy, valLoss: val.loss } : {}),
      };
      history.push(log);
      options.progress?.({ kind: 'epoch', log, epochs: options.epochs });
    }
  } finally {
    optimizer.dispose();
  }
  return { epochs: history, steps: step };
}
