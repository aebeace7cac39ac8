// The one training loop: seeded (unlike model.fit, which shuffles with Math.random), on any
// DataSource (a tf.data.Dataset as model.fitDataset takes, tensors, or an ImageSet), with the
// model's own loss by default. Its hooks are how the techniques train: pruning re-applies masks
// after each step, distillation swaps the loss, QAT and weight sharing swap the forward pass.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { CheckedSource, DataSource, SourceBatch, checkedSource, readBatches, sourceCount } from '../data/source';
import { Preprocessing, ResolvedPreprocessing } from '../data/preprocess';
import { evaluateChecked } from './evaluate';
import { inputShapeOf, modelLoss, outputUnits } from './model-output';
import { EpochLog, ProgressReporter } from './progress';
import { fusedAdam } from './fused-adam';
import { DataParallel, SINGLE_PROCESS_OPTIONS } from './data-parallel';

/** Options for {@link fit}. */
export interface FitOptions {
  readonly epochs: number;
  /** Seed of the batch order (epoch e uses seed + e; a tf.data.Dataset keeps its own order). */
  readonly seed: number;
  readonly batchSize?: number;
  /** Learning rate (default 1e-3), or a function of the epoch (0-based). */
  readonly learningRate?: number | ((epoch: number) => number);
  /**
   * 'adam' (default: tf.train.adam's update with one kernel per variable, see fusedAdam), 'sgd'
   * (with momentum 0.9), or an optimizer of your own (borrowed: not disposed; a learningRate
   * function sets its `learningRate` field each epoch).
   */
  readonly optimizer?: 'adam' | 'sgd' | tf.Optimizer;
  /** Evaluated after each epoch. */
  readonly validation?: DataSource;
  /** Loss from the model's outputs and the batch; default the model's own loss (see modelLoss). */
  readonly loss?: (outputs: tf.Tensor, batch: SourceBatch) => tf.Scalar;
  /** Forward pass in training mode; default `model.apply(xs, {training: true})`. */
  readonly forward?: (xs: tf.Tensor) => tf.Tensor;
  /** Extra penalty added to the loss (e.g. L1 on BatchNorm gammas), computed inside the step. */
  readonly regularizer?: () => tf.Scalar;
  /** Called after every optimizer step (e.g. to re-apply pruning masks). Step counts from 1. */
  readonly afterStep?: (step: number) => void;
  /** Called before every step (e.g. to update a pruning schedule). */
  readonly beforeStep?: (step: number, batch: SourceBatch) => void;
  readonly progress?: ProgressReporter;
  /** Variables to train; default the model's trainable weights. */
  readonly variables?: tf.Variable[];
  /** How ImageSet pixels become inputs (see data/preprocess.ts); default the set's own, else 'unit' ([0, 1]). */
  readonly preprocessing?: Preprocessing | ResolvedPreprocessing;
  /**
   * Replicas that share each batch (default 1): this thread and workers - 1 worker threads, each
   * with its own backend, gradients averaged every step (data parallelism, see data-parallel.ts).
   * With more than 1, the model's own loss and forward pass are used, the optimizer is 'adam' or
   * 'sgd', and loss, forward, regularizer, afterStep, beforeStep and variables are refused.
   * Measured on a 2-core machine (results/bench-training.json, dataParallel): slower than one
   * worker, because the two replicas slow each other down and each step's exchange costs more
   * than half a small network's step saves; it pays with more cores or larger steps.
   */
  readonly workers?: number;
}

/** What {@link fit} returns. */
export interface FitHistory {
  readonly epochs: EpochLog[];
  readonly steps: number;
}

// tf.Optimizer's instanceof test reads .minimize of its argument: guard null and primitives.
const isOptimizer = (o: unknown): o is tf.Optimizer => typeof o === 'object' && o !== null && o instanceof tf.Optimizer;

/**
 * Throws a typed error naming `fn` (the verb the user called) unless `options` are fit's options;
 * returns the validation data checked ({} without it), for the loop (fitChecked) to evaluate on.
 */
export function checkFitOptions(options: FitOptions, fn = 'fit'): Pick<CheckedFitOptions, 'validation'> {
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `${fn}: an options object such as {epochs: 1, seed: 0}, got ${describe(options)}. Pass the options.`,
    );
  if (!(Number.isInteger(options.epochs) && options.epochs >= 0)) {
    throw new ConfigError(`${fn}: epochs a non-negative integer, got ${describe(options.epochs)}. Use e.g. 3.`);
  }
  if (!Number.isFinite(options.seed))
    throw new ConfigError(`${fn}: seed a number, got ${describe(options.seed)}. Pass e.g. seed: 1.`);
  const lr = options.learningRate;
  if (typeof lr === 'number' && !(lr > 0))
    throw new ConfigError(`${fn}: learningRate > 0, got ${describe(lr)}. Use e.g. 1e-3.`);
  const opt = options.optimizer;
  if (!(opt === undefined || opt === 'adam' || opt === 'sgd' || isOptimizer(opt))) {
    throw new ConfigError(
      `${fn}: optimizer 'adam', 'sgd' or a tf.Optimizer, got ${describe(opt)}. Use e.g. optimizer: 'adam' or tf.train.rmsprop(1e-3).`,
    );
  }
  const bs = options.batchSize ?? 128;
  if (!(Number.isInteger(bs) && bs > 0))
    throw new ConfigError(`${fn}: batchSize a positive integer, got ${describe(bs)}. Use e.g. 128.`);
  const workers = options.workers ?? 1;
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= 64))
    throw new ConfigError(
      `${fn}: workers an integer from 1 to 64, got ${describe(workers)}. Use e.g. 2 (one per core).`,
    );
  if (workers > 1) {
    const set = SINGLE_PROCESS_OPTIONS.filter((k) => options[k] !== undefined);
    if (set.length || isOptimizer(opt)) {
      throw new ConfigError(
        `${fn}: workers > 1 trains with the model's own loss and forward pass and optimizer 'adam' or 'sgd', got ${[...set, ...(isOptimizer(opt) ? ['an optimizer object'] : [])].join(', ')}. ` +
          'Drop those options, or train with workers: 1.',
      );
    }
    if (bs < workers)
      throw new ConfigError(
        `${fn}: a batchSize of at least workers (${workers}), got ${describe(bs)}. Use a larger batch or fewer workers.`,
      );
  }
  return options.validation === undefined ? {} : { validation: checkedSource(options.validation, fn) };
}

/** The model's trainable variables. */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Trains `model` in place (inference-time BatchNormalization statistics are updated).
 * @example await fit(model, loadMnist().train, {epochs: 1, seed: 1, progress: consoleProgress()})
 * @example await fit(model, tf.data.array(items).batch(32), {epochs: 2, seed: 0})
 */
export async function fit(model: tf.LayersModel, data: DataSource, options: FitOptions): Promise<FitHistory> {
  const { validation: _unchecked, ...rest } = options;
  const { validation } = checkFitOptions(options);
  return fitChecked(model, checkedSource(data, 'fit'), { ...rest, ...(validation ? { validation } : {}) }, 'fit');
}

/** fit's options as a verb checked them (checkFitOptions), the validation data included (checkedSource). */
export type CheckedFitOptions = Omit<FitOptions, 'validation'> & { readonly validation?: CheckedSource };

/**
 * The loop of {@link fit} for data and options a verb has checked (checkedSource,
 * checkFitOptions): nothing is checked again. `fn` names that verb in the errors the batches raise.
 */
export async function fitChecked(
  model: tf.LayersModel,
  data: CheckedSource,
  options: CheckedFitOptions,
  fn = 'fit',
): Promise<FitHistory> {
  const inputShape = inputShapeOf(model, fn);
  const classes = outputUnits(model, fn);
  const batchSize = options.batchSize ?? 128;
  const lrAt = (e: number) =>
    typeof options.learningRate === 'function' ? options.learningRate(e) : (options.learningRate ?? 1e-3);
  const own = isOptimizer(options.optimizer)
    ? undefined
    : options.optimizer === 'sgd'
      ? tf.train.momentum(lrAt(0), 0.9)
      : fusedAdam(lrAt(0));
  const optimizer = own ?? (options.optimizer as tf.Optimizer);
  // A borrowed optimizer keeps its own rate unless a learningRate is given.
  const setsRate = own !== undefined || options.learningRate !== undefined;
  let lr = own ? lrAt(0) : NaN;
  const variables = options.variables ?? trainableVariables(model);
  const ownLoss = modelLoss(model);
  const lossFn =
    options.loss ??
    ((out: tf.Tensor, b: SourceBatch) => {
      if (!b.ys)
        throw new ConfigError(
          `${fn}: targets (ys) to train on, got a batch without them. Give the data {xs, ys}, or pass a loss that needs none.`,
        );
      return ownLoss(b.ys, out);
    });
  const forward = options.forward ?? ((xs: tf.Tensor) => model.apply(xs, { training: true }) as tf.Tensor);
  const count = sourceCount(data);
  const nBatches = count === undefined ? undefined : Math.ceil(count / batchSize);
  const history: EpochLog[] = [];
  let step = 0;
  const parallel =
    (options.workers ?? 1) > 1
      ? await DataParallel.start(model, {
          workers: options.workers as number,
          optimizer: options.optimizer === 'sgd' ? 'sgd' : 'adam',
          learningRate: lr,
          batchSize,
          inputShape,
          targetShape: (model.outputs[0]?.shape ?? []).slice(1) as number[],
          own: optimizer,
          variables,
        })
      : undefined;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const want = lrAt(epoch);
      if (setsRate && want !== lr) {
        // Adam keeps its moments in the optimizer; tfjs reads learningRate at each step.
        (optimizer as unknown as { learningRate: number }).learningRate = want;
        lr = want;
      }
      const t0 = performance.now();
      let lossSum = 0;
      let seen = 0;
      let batchIndex = 0;
      const pending: tf.Scalar[] = [];
      const flush = async () => {
        if (!pending.length) return;
        const s = tf.addN(pending);
        lossSum += (await s.data())[0] as number;
        s.dispose();
        pending.forEach((t) => t.dispose());
        pending.length = 0;
      };
      for await (const b of readBatches(data, {
        batchSize,
        seed: options.seed + epoch,
        inputShape,
        classes,
        ...(options.preprocessing ? { preprocessing: options.preprocessing } : {}),
        targets: options.loss ? 'auto' : 'required',
        caller: fn,
      })) {
        step++;
        options.beforeStep?.(step, b);
        const loss = parallel
          ? parallel.step(b, lr)
          : tf.tidy(
              () =>
                optimizer.minimize(
                  () => {
                    const base = lossFn(forward(b.xs), b);
                    return options.regularizer ? (tf.add(base, options.regularizer()) as tf.Scalar) : base;
                  },
                  true,
                  variables,
                ) as tf.Scalar,
            );
        options.afterStep?.(step);
        // Reading the loss every step would sync; keep weighted scalars and read them in groups.
        pending.push(tf.tidy(() => tf.mul(loss, b.size) as tf.Scalar));
        loss.dispose();
        seen += b.size;
        batchIndex++;
        if (pending.length >= 50) await flush();
        options.progress?.({
          kind: 'batch',
          epoch: epoch + 1,
          epochs: options.epochs,
          batch: batchIndex,
          batches: nBatches ?? batchIndex,
        });
      }
      await flush();
      const seconds = (performance.now() - t0) / 1000;
      const val = options.validation
        ? await evaluateChecked(
            model,
            options.validation,
            options.preprocessing ? { preprocessing: options.preprocessing } : {},
            fn,
          )
        : undefined;
      const log: EpochLog = {
        epoch: epoch + 1,
        loss: lossSum / Math.max(seen, 1),
        seconds,
        examplesPerSecond: seen / seconds,
        ...(val ? { valAccuracy: val.accuracy, valLoss: val.loss } : {}),
      };
      history.push(log);
      options.progress?.({ kind: 'epoch', log, epochs: options.epochs });
    }
  } finally {
    await parallel?.close();
    own?.dispose();
  }
  return { epochs: history, steps: step };
}
