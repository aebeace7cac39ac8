// Model-level fine-grained pruning: `magnitude(model, opts)` zeroes the smallest-|w| kernel
// entries of each prunable layer (or across layers with one global threshold, or at random as
// the control) in a copy of the model. The pruned model carries its masks as its exact zeros:
// `fineTune` keeps them by default, and `masksFromZeros` recovers them for a custom loop.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { globalMagnitudeMasks, magnitudeMask, nonzeroMask, randomMask } from './masks';
import { kernelOf, prunableLayers, resolveTargets } from './prunable';
import { sparsityReport, SparsityReport } from './sparsity';
import { cloneModel } from './clone';

const FN = 'prune.magnitude';

/** Masks by layer name (1 keeps, 0 prunes), shaped like each layer's kernel. Caller owns them. */
export type PruningMasks = Record<string, tf.Tensor>;

/** Options for {@link magnitude}. */
export interface MagnitudeOptions {
  /** Sparsity of every prunable layer not listed in `layers`, in [0, 1). */
  readonly sparsity: number;
  /** Per-layer sparsity by layer name. */
  readonly layers?: Readonly<Record<string, number>>;
  /** Layer-name patterns left dense (`*` matches any text). */
  readonly skip?: readonly string[];
  /** Layer-name patterns of the layers pruned (default every prunable layer). */
  readonly only?: readonly string[];
  /** 'layer' (default): each layer at its own target; 'global': one |w| threshold across the layers at `sparsity` (layers in `layers` keep their own). */
  readonly scope?: 'layer' | 'global';
  /** 'magnitude' (default) or 'random' (the control). */
  readonly method?: 'magnitude' | 'random';
  /** Seed of the random masks (required for method 'random'). */
  readonly seed?: number;
}

/** What {@link magnitude} did. */
export interface MagnitudeReport {
  readonly method: 'magnitude' | 'random';
  readonly scope: 'layer' | 'global';
  /** Target sparsity per pruned layer. */
  readonly targets: Record<string, number>;
  /** Measured sparsity of the pruned model. */
  readonly sparsity: SparsityReport;
}

/** Computes masks for `model`'s prunable layers (model borrowed, masks owned by the caller). A graph model gets a ConfigError. */
export function computeMasks(
  model: tf.LayersModel,
  options: MagnitudeOptions,
  fn = 'computeMasks',
): { masks: PruningMasks; targets: Map<string, number> } {
  const method = options.method ?? 'magnitude';
  const scope = options.scope ?? 'layer';
  if (method !== 'magnitude' && method !== 'random')
    throw new ConfigError(`${fn}: method 'magnitude' or 'random', got ${describe(method)}. Use 'magnitude'.`);
  if (scope !== 'layer' && scope !== 'global')
    throw new ConfigError(`${fn}: scope 'layer' or 'global', got ${describe(scope)}. Use 'layer'.`);
  if (method === 'random' && !Number.isFinite(options.seed))
    throw new ConfigError(
      `${fn}: a numeric seed for method 'random', got ${describe(options.seed)}. Pass e.g. seed: 1.`,
    );
  const targets = resolveTargets(fn, model, options);
  const layers = new Map(prunableLayers(model, fn).map((l) => [l.name, l]));
  const masks: PruningMasks = {};
  const globalNames =
    scope === 'global' && method === 'magnitude'
      ? [...targets.keys()].filter((n) => options.layers?.[n] === undefined)
      : [];
  if (globalNames.length) {
    const ms = globalMagnitudeMasks(
      globalNames.map((n) => kernelOf(layers.get(n) as tf.layers.Layer).read()),
      { sparsity: options.sparsity },
    );
    globalNames.forEach((n, i) => {
      masks[n] = ms[i] as tf.Tensor;
    });
  }
  let k = 0;
  for (const [name, s] of targets) {
    k++;
    if (masks[name]) continue;
    const w = kernelOf(layers.get(name) as tf.layers.Layer).read();
    masks[name] =
      method === 'random'
        ? randomMask(w, { sparsity: s, seed: (options.seed as number) + k })
        : magnitudeMask(w, { sparsity: s });
  }
  return { masks, targets };
}

/** Multiplies each named layer's kernel by its mask, in place (used during fine-tuning). */
export function applyMasks(model: tf.LayersModel, masks: PruningMasks): void {
  for (const [name, mask] of Object.entries(masks)) {
    const v = kernelOf(model.getLayer(name));
    tf.tidy(() => {
      v.write(tf.mul(v.read(), mask));
    });
  }
}

/**
 * Masks of the exact zeros of each prunable kernel of `model` (all its prunable layers): the
 * masks `magnitude` applied (a kept weight that is exactly zero would count as pruned).
 * The caller owns the masks.
 */
export function masksFromZeros(model: tf.LayersModel): PruningMasks {
  const masks: PruningMasks = {};
  for (const l of prunableLayers(model, 'masksFromZeros')) masks[l.name] = nonzeroMask(kernelOf(l).read());
  return masks;
}

/**
 * Prunes a copy of `model`: the brief's `l1_unstructured(amount=0.3)` on every layer is
 * `magnitude(model, {sparsity: 0.3})`. The input is not modified; the caller owns the returned
 * model. Its zeros are the masks: `fineTune(pruned, data, ...)` keeps them.
 * @example const {model: pruned, report} = await magnitude(model, {sparsity: 0.9, skip: ['fc3']})
 */
export async function magnitude(
  model: tf.LayersModel,
  options: MagnitudeOptions,
): Promise<{ model: tf.LayersModel; report: MagnitudeReport }> {
  requireLayersModel(model, FN);
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `${FN}: an options object such as {sparsity: 0.9}, got ${describe(options)}. Pass the target sparsity.`,
    );
  const { masks, targets } = computeMasks(model, options, FN);
  let out: tf.LayersModel | undefined;
  try {
    out = await cloneModel(model);
    applyMasks(out, masks);
  } catch (e) {
    out?.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(masks));
  }
  return {
    model: out,
    report: {
      method: options.method ?? 'magnitude',
      scope: options.scope ?? 'layer',
      targets: Object.fromEntries(targets),
      sparsity: sparsityReport(out),
    },
  };
}

/**
 * A plain model for export: a copy with the masks multiplied in (pass none to keep the zeros
 * as they are). Masks here live beside the model, not in wrapper layers, so nothing else needs
 * removing; the name follows TFMOT's `strip_pruning`.
 */
export async function stripPruning(
  model: tf.LayersModel,
  masks?: PruningMasks,
): Promise<{ model: tf.LayersModel; report: SparsityReport }> {
  requireLayersModel(model, 'prune.stripPruning');
  const prunable = prunableLayers(model, 'prune.stripPruning').map((l) => l.name);
  for (const name of Object.keys(masks ?? {}))
    if (!prunable.includes(name))
      throw new ConfigError(
        `prune.stripPruning: masks by prunable layer name, got a mask for "${name}". Prunable layers are: ${prunable.join(', ')}.`,
      );
  const out = await cloneModel(model);
  if (masks) applyMasks(out, masks);
  return { model: out, report: sparsityReport(out) };
}
