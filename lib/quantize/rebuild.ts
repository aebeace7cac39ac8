// Rebuilding a layers model from its topology with some layers removed, some configs patched
// and some weights replaced: how BatchNormalization folding and the dequantized (simulated)
// models are made without mutating the input model.
import * as tf from '@tensorflow/tfjs';

/** Edits applied by {@link rebuildModel}. */
export interface RebuildEdits {
  /** Layers to remove, each mapped to the layer whose output replaces it downstream. */
  readonly remove?: ReadonlyMap<string, string>;
  /** Config entries (Keras JSON names, e.g. use_bias) to set, by layer name. */
  readonly patch?: Readonly<Record<string, Record<string, unknown>>>;
  /** New weights by layer name (borrowed: copied into the new model). */
  readonly weights?: Readonly<Record<string, readonly tf.Tensor[]>>;
}

interface LayerJson { class_name: string; name?: string; config: Record<string, unknown>; inbound_nodes?: unknown }

function rename(v: unknown, remove: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(v)) {
    if (typeof v[0] === 'string' && remove.has(v[0])) return [remove.get(v[0]), ...v.slice(1)];
    return v.map((x) => rename(x, remove));
  }
  return v;
}

/** A new model with the edits applied; other layers keep copies of their weights. The caller owns it. */
export async function rebuildModel(model: tf.LayersModel, edits: RebuildEdits): Promise<tf.LayersModel> {
  const remove = edits.remove ?? new Map<string, string>();
  const json = model.toJSON(null, false) as unknown as { class_name: string; config: Record<string, unknown> };
  const cfg = JSON.parse(JSON.stringify(json.config)) as { layers: LayerJson[]; output_layers?: unknown; name?: string };
  cfg.layers = cfg.layers.filter((l) => !remove.has((l.config.name ?? l.name) as string));
  for (const l of cfg.layers) {
    const name = (l.config.name ?? l.name) as string;
    Object.assign(l.config, edits.patch?.[name] ?? {});
    if (l.inbound_nodes) l.inbound_nodes = rename(l.inbound_nodes, remove);
  }
  if (cfg.output_layers) cfg.output_layers = rename(cfg.output_layers, remove);
  const topology = { modelTopology: { class_name: json.class_name, config: cfg } };
  const rebuilt = await tf.models.modelFromJSON(topology as unknown as Parameters<typeof tf.models.modelFromJSON>[0]);
  for (const layer of rebuilt.layers) {
    const w = edits.weights?.[layer.name];
    if (w) layer.setWeights([...w]);
    else if (layer.weights.length) {
      const src = model.getLayer(layer.name).getWeights();
      layer.setWeights(src);
    }
  }
  return rebuilt;
}
