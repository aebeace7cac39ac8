// The one model-rewrite primitive: rebuilding a layers model from its topology with edits
// (layers removed, configs patched, weights replaced, new layers inserted on an edge). How
// BatchNormalization folding, the inference form, the quantized models (kernels replaced,
// FakeQuantize layers inserted), weight sharing and channel pruning (widths patched, weights
// sliced) make a new model without mutating the input model. The result is a functional model
// (a Sequential input is rewritten as the equivalent functional graph) unless `keepSequential`
// asks otherwise; built by tfjs's own deserializer.
import * as tf from '@tensorflow/tfjs';
import { modelGraph } from './graph';
import { isModelInput } from './layers';

/** A layer to insert after `after` (Keras JSON: class name and snake_case config with a unique name). */
export interface InsertedLayer {
  readonly after: string;
  readonly className: string;
  readonly config: Record<string, unknown>;
  /** Consumers of `after` that read the new layer instead (default: all of them, and the model output). */
  readonly consumers?: readonly string[];
}

/** Edits applied by {@link rebuildModel}. */
export interface RebuildEdits {
  /** Layers to remove, each mapped to the layer whose output replaces it downstream. */
  readonly remove?: ReadonlyMap<string, string>;
  /** Config entries (Keras JSON names, e.g. use_bias) to set, by layer name. */
  readonly patch?: Readonly<Record<string, Record<string, unknown>>>;
  /** New weights by layer name (borrowed: copied into the new model). */
  readonly weights?: Readonly<Record<string, readonly tf.Tensor[]>>;
  readonly insert?: readonly InsertedLayer[];
  /** A Sequential input stays Sequential (with patch and weights edits only; what prune.channels returns). */
  readonly keepSequential?: boolean;
}

interface LayerJson {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

const edge = (name: string) => [name, 0, 0, {}];

/** A new model with the edits applied; other layers keep copies of their weights. The caller owns it. */
export async function rebuildModel(
  model: tf.LayersModel,
  edits: RebuildEdits,
  fn = 'rebuildModel',
): Promise<tf.LayersModel> {
  const graph = modelGraph(model, fn);
  const remove = edits.remove ?? new Map<string, string>();
  const json = model.toJSON(null, false) as unknown as {
    config: { name?: string; layers: { class_name: string; name?: string; config: Record<string, unknown> }[] };
  };
  // Asked to stay Sequential, and its layers stay in line (only configs and weights change).
  if (edits.keepSequential && model instanceof tf.Sequential && !remove.size && !edits.insert?.length) {
    for (const l of json.config.layers) Object.assign(l.config, edits.patch?.[l.config.name as string] ?? {});
    return withWeights(await tf.models.modelFromJSON({ modelTopology: json } as never), model, edits);
  }
  const configs = new Map(json.config.layers.map((l) => [(l.config.name ?? l.name) as string, l]));
  const resolve = (name: string): string => {
    let n = name;
    for (let i = 0; remove.has(n) && i < graph.length; i++) n = remove.get(n) as string;
    return n;
  };
  // Inserted layers: what each consumer reads instead of a producer, and what follows each producer.
  const reroute = new Map<string, string>(); // `${consumer}\u0000${producer}` -> inserted layer
  const after = new Map<string, InsertedLayer[]>();
  const outputReroute = new Map<string, string>();
  for (const ins of edits.insert ?? []) {
    after.set(ins.after, [...(after.get(ins.after) ?? []), ins]);
    const name = ins.config.name as string;
    const readers = ins.consumers ?? graph.filter((n) => n.inputs.includes(ins.after)).map((n) => n.name);
    for (const c of readers) reroute.set(`${c}\u0000${ins.after}`, name);
    if (!ins.consumers) outputReroute.set(ins.after, name);
  }
  const layers: LayerJson[] = [];
  for (const node of graph) {
    if (remove.has(node.name)) continue;
    let entry: LayerJson;
    if (isModelInput(node.className)) {
      const c = node.layer.getConfig() as { batchInputShape?: (number | null)[]; dtype?: string };
      entry = {
        name: node.name,
        class_name: node.className,
        inbound_nodes: [],
        config: {
          batch_input_shape: c.batchInputShape ?? [null, ...node.outputShape.map((d) => (d < 0 ? null : d))],
          dtype: c.dtype ?? 'float32',
          sparse: false,
          name: node.name,
        },
      };
    } else {
      const src = configs.get(node.name) as { class_name: string; config: Record<string, unknown> };
      const config: Record<string, unknown> = {
        ...JSON.parse(JSON.stringify(src.config)),
        ...(edits.patch?.[node.name] ?? {}),
      };
      delete config.batch_input_shape; // a Sequential model's first layer: the InputLayer above carries it
      delete config.input_shape;
      const inputs = node.inputs.map((p) => {
        const q = resolve(p);
        return edge(reroute.get(`${node.name}\u0000${q}`) ?? q);
      });
      entry = { name: node.name, class_name: src.class_name, config, inbound_nodes: [inputs] };
    }
    layers.push(entry);
    for (const ins of after.get(node.name) ?? []) {
      layers.push({
        name: ins.config.name as string,
        class_name: ins.className,
        config: ins.config,
        inbound_nodes: [[edge(node.name)]],
      });
    }
  }
  const outputs = (model.outputs as unknown as { sourceLayer: tf.layers.Layer }[]).map((o) => {
    const q = resolve(o.sourceLayer.name);
    return [outputReroute.get(q) ?? q, 0, 0];
  });
  const inputs = (model.inputs as unknown as { sourceLayer: tf.layers.Layer }[]).map((i) => [i.sourceLayer.name, 0, 0]);
  const topology = {
    class_name: 'Model',
    config: { name: json.config.name ?? model.name, layers, input_layers: inputs, output_layers: outputs },
  };
  const rebuilt = await tf.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<
    typeof tf.models.modelFromJSON
  >[0]);
  return withWeights(rebuilt, model, edits);
}

/** `rebuilt` with the edited weights, and copies of `model`'s for every other layer (disposed on failure). */
function withWeights(rebuilt: tf.LayersModel, model: tf.LayersModel, edits: RebuildEdits): tf.LayersModel {
  try {
    for (const layer of rebuilt.layers) {
      const w = edits.weights?.[layer.name];
      if (w) layer.setWeights([...w]);
      else if (layer.weights.length) layer.setWeights(model.getLayer(layer.name).getWeights());
    }
  } catch (e) {
    rebuilt.dispose();
    throw e;
  }
  return rebuilt;
}
