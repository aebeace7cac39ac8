// Which layers fine-grained pruning touches (their first weight, the kernel), and how per-layer
// options are resolved by layer name, with a typed error for names the model does not have.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, UnsupportedLayerError } from '../errors';
import { checkSparsity } from './masks';

/** Layer classes whose kernel (first weight) can be pruned. */
export const PRUNABLE_CLASSES: readonly string[] = ['Dense', 'Conv1D', 'Conv2D', 'DepthwiseConv2D'];

/** The model's layers with a prunable kernel, in model order. */
export function prunableLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => PRUNABLE_CLASSES.includes(l.getClassName()) && l.weights.length > 0);
}

/** Per-layer targets: a default sparsity, overrides by name, and names to skip. */
export interface LayerTargets {
  readonly sparsity: number;
  readonly layers?: Readonly<Record<string, number>>;
  readonly skip?: readonly string[];
}

/**
 * The sparsity for each prunable layer (layers skipped are absent). Unknown names give a
 * ConfigError listing the model's prunable layers; a non-prunable layer named gives an
 * UnsupportedLayerError.
 */
export function resolveTargets(fn: string, model: tf.LayersModel, targets: LayerTargets): Map<string, number> {
  const base = checkSparsity(fn, targets.sparsity);
  const prunable = prunableLayers(model);
  const names = new Set(prunable.map((l) => l.name));
  const all = new Map(model.layers.map((l) => [l.name, l]));
  const checkName = (name: string, option: string) => {
    if (names.has(name)) return;
    const layer = all.get(name);
    if (layer) {
      throw new UnsupportedLayerError(`${fn}: ${option} to name a layer with a prunable kernel (${PRUNABLE_CLASSES.join(', ')}), ` +
        `got "${name}" of class ${layer.getClassName()}. Remove it from ${option}.`, name, layer.getClassName());
    }
    throw new ConfigError(`${fn}: ${option} to name layers of the model, got unknown layer "${name}". ` +
      `Prunable layers are: ${[...names].join(', ')}.`);
  };
  for (const name of targets.skip ?? []) checkName(name, 'skip');
  for (const [name, s] of Object.entries(targets.layers ?? {})) {
    checkName(name, 'layers');
    checkSparsity(fn, s, `layers.${name}`);
  }
  const out = new Map<string, number>();
  for (const l of prunable) {
    if (targets.skip?.includes(l.name)) continue;
    out.set(l.name, targets.layers?.[l.name] ?? base);
  }
  return out;
}

/** The kernel variable of a prunable layer. */
export function kernelOf(layer: tf.layers.Layer): tf.LayerVariable {
  return layer.weights[0] as tf.LayerVariable;
}
