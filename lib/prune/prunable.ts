// Which layers fine-grained pruning touches: those whose registry entry has a kernel (Dense,
// Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, ...; lib/core/layers.ts), and how per-layer
// options (`layers` overrides, `skip`) are resolved by layer name, with a typed error for names
// the model does not have.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, UnsupportedLayerError } from '../errors';
import { LAYERS, layerEntry } from '../core/layers';
import { requireLayersModel } from '../core/graph';
import { checkSparsity } from './masks';
import { LayerPatterns, selectNames } from '../core/glob';

/** The layer classes with a kernel, from the registry. */
function kernelClasses(): string[] {
  return [...LAYERS.values()].filter((e) => e.kernel).map((e) => e.className);
}

/** Index of a layer's kernel in `layer.weights`, or undefined when it has none. */
function kernelIndex(layer: tf.layers.Layer): number | undefined {
  const index = layerEntry(layer.getClassName())?.kernel?.index;
  return index !== undefined && index < layer.weights.length ? index : undefined;
}

/** The model's layers with a prunable kernel, in model order. A graph model is refused with a ConfigError. */
export function prunableLayers(model: tf.LayersModel, fn = 'prunableLayers'): tf.layers.Layer[] {
  requireLayersModel(model, fn);
  return model.layers.filter((l) => kernelIndex(l) !== undefined);
}

/** Per-layer targets: a default sparsity, overrides by name, and names to skip. */
export interface LayerTargets extends LayerPatterns {
  readonly sparsity: number;
  readonly layers?: Readonly<Record<string, number>>;
}

/**
 * The sparsity for each prunable layer (layers skipped, or not in `only`, are absent; both take
 * `*` patterns). Unknown names give a ConfigError listing the model's prunable layers; a layer
 * without a kernel named gives an UnsupportedLayerError.
 */
export function resolveTargets(fn: string, model: tf.LayersModel, targets: LayerTargets): Map<string, number> {
  const base = checkSparsity(fn, targets.sparsity);
  const prunable = prunableLayers(model, fn);
  const names = new Set(prunable.map((l) => l.name));
  const all = new Map(model.layers.map((l) => [l.name, l]));
  const checkName = (name: string, option: string) => {
    if (names.has(name)) return;
    const layer = all.get(name);
    if (layer) {
      throw new UnsupportedLayerError(
        `${fn}: ${option} to name a layer with a prunable kernel (${kernelClasses().join(', ')}), ` +
          `got "${name}" of class ${layer.getClassName()}. Remove it from ${option}.`,
        name,
        layer.getClassName(),
      );
    }
    throw new ConfigError(
      `${fn}: ${option} to name layers of the model, got unknown layer "${name}". ` +
        `Prunable layers are: ${[...names].join(', ')}.`,
    );
  };
  const selected = new Set(selectNames(fn, [...names], targets, (p, field) => checkName(p, field)));
  for (const [name, s] of Object.entries(targets.layers ?? {})) {
    checkName(name, 'layers');
    checkSparsity(fn, s, `layers.${name}`);
  }
  const out = new Map<string, number>();
  for (const l of prunable) if (selected.has(l.name)) out.set(l.name, targets.layers?.[l.name] ?? base);
  return out;
}

/** The kernel variable of a prunable layer (where its registry entry says it is). */
export function kernelOf(layer: tf.layers.Layer): tf.LayerVariable {
  const index = kernelIndex(layer);
  if (index === undefined) {
    throw new UnsupportedLayerError(
      `kernelOf: a layer with a prunable kernel (${kernelClasses().join(', ')}), got "${layer.name}" of class ${layer.getClassName()}. ` +
        `Pass one of the model's prunable layers (prune.prunableLayers).`,
      layer.name,
      layer.getClassName(),
    );
  }
  return layer.weights[index] as tf.LayerVariable;
}
