// Training with masks (Han et al.'s prune-retrain; TFMOT's UpdatePruningStep): after every
// optimizer step the masks are multiplied back in, so pruned weights stay exactly zero; with a
// schedule, the masks are recomputed from the current magnitudes at the schedule's steps.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { CheckedSource, DataSource, checkedSource } from '../data/source';
import { CheckedFitOptions, checkFitOptions, fitChecked, FitHistory, FitOptions } from '../train/fit';
import { applyMasks, computeMasks, magnitude, masksFromZeros, PruningMasks } from './magnitude';
import { PruningSchedule } from './schedule';
import { sparsityReport, SparsityReport } from './sparsity';
import { cloneModel } from './clone';
import { checkSparsity } from './masks';

/** The verb's own check of an epoch count (before fit, whose error would name fit). */
function checkEpochs(fn: string, field: string, epochs: unknown): void {
  if (!(Number.isInteger(epochs) && (epochs as number) >= 0))
    throw new ConfigError(`${fn}: ${field} a non-negative integer, got ${describe(epochs)}. Use e.g. 1.`);
}

/** What a training verb checked once: its training data and fit's validation data. */
interface CheckedTraining {
  readonly train: CheckedSource;
  readonly fit: Pick<CheckedFitOptions, 'validation'>;
}

/**
 * A training verb's one check of its data and fit's options, naming the verb: the data comes back
 * checked for the loop (fitChecked), which checks nothing again. Masks are re-applied after every
 * step in this thread, so the verbs train with one worker.
 */
function checkTraining(fn: string, train: DataSource, options: Omit<FitOptions, 'afterStep'>): CheckedTraining {
  const checked = { train: checkedSource(train, fn), fit: checkFitOptions(options, fn) };
  if ((options.workers ?? 1) !== 1)
    throw new ConfigError(
      `${fn}: workers 1 (the pruning masks are re-applied after every step in this thread), got ${describe(options.workers)}. Omit workers.`,
    );
  return checked;
}

/** Options for {@link pruningHooks}. */
export interface PruningHooksOptions {
  /** Fixed masks to keep applied (e.g. `masksFromZeros(pruned)`). Borrowed. */
  readonly masks?: PruningMasks;
  /** Or a schedule: masks recomputed by magnitude at its pruning steps. */
  readonly schedule?: PruningSchedule;
  /** With a schedule: per-layer final sparsity by layer name (followed in proportion), as in `magnitude`. */
  readonly layers?: Readonly<Record<string, number>>;
  /** With a schedule: layers left dense, as in `magnitude`. */
  readonly skip?: readonly string[];
  readonly scope?: 'layer' | 'global';
}

/** Hooks for `fit`, and the masks they maintain. */
export interface PruningHooks {
  readonly afterStep: (step: number) => void;
  /** The current masks (owned by the hooks until dispose). */
  masks(): PruningMasks;
  /** Frees the masks the hooks computed (not the ones passed in). */
  dispose(): void;
}

/**
 * `afterStep` for {@link fit} that keeps `model` (trained in place) pruned.
 * @example const h = pruningHooks(model, {schedule: new PolynomialDecay({...})}); await fit(model, train, {..., afterStep: h.afterStep}); h.dispose();
 */
export function pruningHooks(model: tf.LayersModel, options: PruningHooksOptions): PruningHooks {
  requireLayersModel(model, 'prune.pruningHooks');
  if (!options || (!options.masks && !options.schedule) || (options.masks && options.schedule)) {
    throw new ConfigError(
      `pruningHooks: exactly one of masks or schedule, got ${options?.masks ? 'masks' : ''}${options?.masks && options?.schedule ? ' and ' : ''}${options?.schedule ? 'schedule' : ''}${!options?.masks && !options?.schedule ? 'neither' : ''}. ` +
        `Pass the masks from magnitude(), or a ConstantSparsity / PolynomialDecay schedule.`,
    );
  }
  let owned: PruningMasks | undefined;
  let current: PruningMasks = options.masks ?? {};
  const schedule = options.schedule;
  const free = () => {
    if (owned) Object.values(owned).forEach((m) => m.dispose());
  };
  return {
    afterStep(step: number) {
      if (schedule?.shouldPrune(step)) {
        const s = schedule.sparsityAt(step);
        const next = computeMasks(
          model,
          {
            sparsity: s,
            ...(options.layers ? { layers: scaleLayers(options.layers, schedule, step) } : {}),
            ...(options.skip ? { skip: options.skip } : {}),
            ...(options.scope ? { scope: options.scope } : {}),
          },
          'pruningHooks',
        ).masks;
        free();
        owned = next;
        current = next;
      }
      applyMasks(model, current);
    },
    masks: () => current,
    dispose: free,
  };
}

/** Per-layer targets follow the schedule in proportion (layer target x schedule progress). */
function scaleLayers(
  layers: Readonly<Record<string, number>>,
  schedule: PruningSchedule,
  step: number,
): Record<string, number> {
  const final = schedule.sparsityAt(Number.MAX_SAFE_INTEGER);
  const f = final > 0 ? schedule.sparsityAt(step) / final : 1;
  return Object.fromEntries(Object.entries(layers).map(([k, v]) => [k, Math.min(v * f, 0.999)]));
}

/** Options for {@link fineTune}: fit's options plus what keeps the model pruned. */
export type FineTuneOptions = Omit<FitOptions, 'afterStep'> & PruningHooksOptions;

/** What {@link fineTune} did. */
export interface FineTuneReport {
  readonly history: FitHistory;
  readonly sparsity: SparsityReport;
}

/**
 * Fine-tunes a copy of `model` on any DataSource with its pruning kept: with `masks`, or a
 * `schedule`, or (neither) the masks of the model's exact zeros, which is what `magnitude`
 * left. The input is not modified.
 * @example const {model: tuned} = await fineTune(pruned, mnist.train, {epochs: 2, seed: 1})
 */
export async function fineTune(
  model: tf.LayersModel,
  train: DataSource,
  options: FineTuneOptions,
): Promise<{ model: tf.LayersModel; report: FineTuneReport }> {
  requireLayersModel(model, 'prune.fineTune');
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `prune.fineTune: an options object such as {epochs: 2, seed: 1}, got ${describe(options)}. Pass fit's options.`,
    );
  checkEpochs('prune.fineTune', 'epochs', options.epochs);
  return fineTuneChecked(model, checkTraining('prune.fineTune', train, options), options, 'prune.fineTune');
}

/** {@link fineTune} on data and options its verb (`fn`) checked. */
async function fineTuneChecked(
  model: tf.LayersModel,
  checked: CheckedTraining,
  options: FineTuneOptions,
  fn: string,
): Promise<{ model: tf.LayersModel; report: FineTuneReport }> {
  const out = await cloneModel(model);
  let zeroMasks: PruningMasks | undefined;
  let hooks: PruningHooks;
  try {
    zeroMasks = !options.masks && !options.schedule ? masksFromZeros(out) : undefined;
    hooks = pruningHooks(out, zeroMasks ? { ...options, masks: zeroMasks } : options);
  } catch (e) {
    out.dispose();
    if (zeroMasks) tf.dispose(Object.values(zeroMasks));
    throw e;
  }
  try {
    const { masks: _m, schedule: _s, layers: _l, skip: _k, scope: _c, validation: _v, ...fitOptions } = options;
    const history = await fitChecked(
      out,
      checked.train,
      { ...fitOptions, ...checked.fit, afterStep: hooks.afterStep },
      fn,
    );
    return { model: out, report: { history, sparsity: sparsityReport(out) } };
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    hooks.dispose();
    if (zeroMasks) Object.values(zeroMasks).forEach((m) => m.dispose());
  }
}

/** Options for {@link iterativePrune}. */
export interface IterativePruneOptions extends Omit<FitOptions, 'afterStep' | 'epochs'> {
  /** Sparsity after each round, increasing (e.g. [0.5, 0.75, 0.9]). */
  readonly sparsities: readonly number[];
  /** Fine-tuning epochs after each pruning round. */
  readonly epochsPerRound: number;
  readonly skip?: readonly string[];
  readonly scope?: 'layer' | 'global';
}

/**
 * Han et al.'s iterative pruning: prune by magnitude to each sparsity in turn and retrain on any
 * DataSource with the masks kept. Returns a new model; the input is not modified.
 */
export async function iterativePrune(
  model: tf.LayersModel,
  train: DataSource,
  options: IterativePruneOptions,
): Promise<{
  model: tf.LayersModel;
  report: { rounds: { sparsity: number; history: FitHistory }[]; sparsity: SparsityReport };
}> {
  requireLayersModel(model, 'prune.iterativePrune');
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `prune.iterativePrune: an options object such as {sparsities: [0.5, 0.8], epochsPerRound: 1, seed: 1}, got ${describe(options)}. Pass the rounds.`,
    );
  const { sparsities, epochsPerRound, skip, scope, ...fitOptions } = options;
  if (
    !Array.isArray(sparsities) ||
    sparsities.length === 0 ||
    sparsities.some((s, i) => i > 0 && s < (sparsities[i - 1] as number))
  ) {
    throw new ConfigError(
      `prune.iterativePrune: a non-empty increasing list of sparsities, got ${describe(sparsities)}. Use e.g. [0.5, 0.75, 0.9].`,
    );
  }
  sparsities.forEach((s, i) => checkSparsity('prune.iterativePrune', s, `sparsities[${i}]`));
  checkEpochs('prune.iterativePrune', 'epochsPerRound', epochsPerRound);
  const checked = checkTraining('prune.iterativePrune', train, { ...fitOptions, epochs: epochsPerRound });
  let current = model;
  const rounds: { sparsity: number; history: FitHistory }[] = [];
  try {
    for (const [i, s] of sparsities.entries()) {
      const pruned = await magnitude(current, { sparsity: s, ...(skip ? { skip } : {}), ...(scope ? { scope } : {}) });
      if (current !== model) current.dispose();
      current = model;
      try {
        const tuned = await fineTuneChecked(
          pruned.model,
          checked,
          { ...fitOptions, seed: fitOptions.seed + 1000 * i, epochs: epochsPerRound },
          'prune.iterativePrune',
        );
        current = tuned.model;
        rounds.push({ sparsity: s, history: tuned.report.history });
      } finally {
        pruned.model.dispose();
      }
    }
  } catch (e) {
    if (current !== model) current.dispose();
    throw e;
  }
  return { model: current, report: { rounds, sparsity: sparsityReport(current) } };
}
