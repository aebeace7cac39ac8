// The profiler for graph models (tf.loadGraphModel: converted SavedModels and TF Hub models):
// parameters from the weights (by dtype, in memory and as stored, quantized entries included),
// MACs per node from the registry's rules (graph-ops.ts), output shapes from one execution on a
// zero input of the signature's shape, sparsity and peak activation memory. Nodes play the part
// of layers in the same ProfileReport: `className` is the op. Weights (Const nodes) are counted
// in the first node that reads them; integer constants (shapes, axes) are weights but not params.
// A graph model's weights are constants (tfjs cannot train it): trainableParams is 0.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { graphModelToArtifacts } from '../data/model-io';
import { specBytes } from '../data/model-files';
import { AttrValue, graphOpMacs, perExample } from './graph-ops';
import { LayerProfile, ProfileOptions, ProfileReport, profileReport } from './report';

interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, string: 0 };
const NOT_PROFILED = new Set(['Const', 'Placeholder', 'PlaceholderWithDefault', 'NoOp']);
const producerOf = (input: string) => input.split(':')[0] as string;
const dataInputs = (n: NodeDef) => (n.input ?? []).filter((i) => !i.startsWith('^')).map(producerOf);
const prod = (s: readonly number[]) => s.reduce((a, b) => a * Math.max(b, 1), 1);

/** Nodes the outputs depend on (data edges), producers first. */
function topoOrder(nodes: ReadonlyMap<string, NodeDef>, outputs: readonly string[]): NodeDef[] {
  const order: NodeDef[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: [string, boolean][] = outputs.map((o) => [o, false]);
  while (stack.length) {
    const [name, expanded] = stack.pop() as [string, boolean];
    const node = nodes.get(name);
    if (!node || state.get(name) === 'done') continue;
    if (expanded) {
      state.set(name, 'done');
      order.push(node);
      continue;
    }
    if (state.get(name) === 'visiting') continue;
    state.set(name, 'visiting');
    stack.push([name, true]);
    for (const i of dataInputs(node).reverse()) if (state.get(i) !== 'done') stack.push([i, false]);
  }
  return order;
}

/** Zero inputs of the signature's shape at batch 1 (free dimensions from `inputShape`). */
function zeroInputs(model: tf.GraphModel, options: ProfileOptions): tf.NamedTensorMap {
  const feeds: tf.NamedTensorMap = {};
  const keys = model.inputNodes;
  if (options.inputShape && keys.length !== 1) {
    throw new ConfigError(
      `profileModel: inputShape for a model with one input, got ${keys.length} inputs (${keys.join(', ')}). Fix the input shapes in the converter (--control_flow_v2 or a fixed signature).`,
    );
  }
  model.inputs.forEach((info, i) => {
    const shape = info.shape;
    const free = !shape || shape.slice(1).some((d) => d < 0);
    let full: number[];
    if (options.inputShape) full = [1, ...options.inputShape];
    else if (free) {
      throw new ConfigError(
        `profileModel: a graph model input with a fixed shape, got ${shape ? `[${shape.join(', ')}]` : 'no shape'} for input "${info.name}". ` +
          `Pass the shape without the batch dimension, e.g. {inputShape: [224, 224, 3]}.`,
      );
    } else full = [1, ...(shape as number[]).slice(1)];
    if (info.dtype === 'string')
      throw new ConfigError(
        `profileModel: numeric graph model inputs, got a string input "${info.name}". Profile the numeric part of the model.`,
      );
    feeds[keys[i] as string] = tf.zeros(full, info.dtype === 'int32' || info.dtype === 'bool' ? info.dtype : 'float32');
  });
  return feeds;
}

/** Runs the model once and returns each requested node's output shape and dtype. */
async function nodeShapes(
  model: tf.GraphModel,
  names: string[],
  options: ProfileOptions,
): Promise<Map<string, { shape: number[]; dtype: string }>> {
  const weightIds = new Set(
    Object.values(model.weights)
      .flat()
      .map((t) => t.id),
  );
  const feeds = zeroInputs(model, options);
  const out = new Map<string, { shape: number[]; dtype: string }>();
  let results: tf.Tensor[] = [];
  try {
    // execute() refuses control flow (it names executeAsync); executeAsync warns on graphs without it.
    let r: tf.Tensor | tf.Tensor[];
    try {
      r = model.execute(feeds, names);
    } catch (e) {
      if (!/executeAsync/.test((e as Error).message)) throw e;
      r = await model.executeAsync(feeds, names);
    }
    results = Array.isArray(r) ? r : [r];
    names.forEach((n, i) => {
      const t = results[i];
      if (t) out.set(n, { shape: [...t.shape], dtype: t.dtype });
    });
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new DataError(
      `profileModel: a graph model that runs on a zero input of shape ${Object.values(feeds)
        .map((t) => `[${t.shape.join(', ')}]`)
        .join(', ')}, ` +
        `got "${(e as Error).message}". Pass the input shape the model expects with {inputShape: [...]}.`,
    );
  } finally {
    tf.dispose(Object.values(feeds));
    tf.dispose(results.filter((t) => t && !weightIds.has(t.id)));
  }
  return out;
}

/**
 * Profiles a graph model: the same report as for a layers model, with graph nodes as layers.
 * @example (await profileGraphModel(await loadGraphModel(dir))).totals.macs
 */
export async function profileGraphModel(model: tf.GraphModel, options: ProfileOptions = {}): Promise<ProfileReport> {
  const batchSize = options.batchSize ?? 1;
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new ConfigError(
      `profileModel: batchSize a positive integer, got ${describe(options.batchSize)}. Use e.g. 1.`,
    );
  const artifacts = await graphModelToArtifacts(model);
  const defs = (artifacts.modelJson.modelTopology as { node?: NodeDef[] }).node ?? [];
  const nodes = new Map(defs.map((n) => [n.name, n]));
  const order = topoOrder(
    nodes,
    model.outputs.map((o) => producerOf(o.name)),
  );
  const profiled = order.filter((n) => !NOT_PROFILED.has(n.op));
  const shapes = await nodeShapes(
    model,
    profiled.map((n) => n.name),
    options,
  );
  const specs = new Map(artifacts.modelJson.weightsManifest.flatMap((g) => g.weights).map((s) => [s.name, s]));
  const isWeight = (name: string) => nodes.get(name)?.op === 'Const' && specs.has(name);
  const shapeOf = (name: string): number[] => {
    const n = nodes.get(name);
    if (n?.op === 'Const') return [...(specs.get(name)?.shape ?? [])];
    if (n?.op.startsWith('Placeholder')) {
      const info = model.inputs.find((i) => i.name === name);
      return options.inputShape ? [1, ...options.inputShape] : [1, ...(info?.shape ?? []).slice(1)];
    }
    return shapes.get(name)?.shape ?? [];
  };
  const warnings: string[] = [];
  const byDtype: Record<string, number> = {};
  const storedByDtype: Record<string, number> = {};
  const claimed = new Set<string>();
  const layers: LayerProfile[] = [];
  let zeros = 0;
  for (const node of profiled) {
    const inputs = dataInputs(node);
    let params = 0;
    let weightBytes = 0;
    let nodeZeros = 0;
    for (const w of inputs.filter((i) => isWeight(i) && !claimed.has(i))) {
      claimed.add(w);
      const t = model.weights[w]?.[0];
      if (!t) continue;
      weightBytes += t.size * (BYTES[t.dtype] ?? 4);
      byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + t.size * (BYTES[t.dtype] ?? 4);
      const spec = specs.get(w) as tf.io.WeightsManifestEntry;
      const stored = (spec.quantization?.dtype as string | undefined) ?? spec.dtype;
      storedByDtype[stored] = (storedByDtype[stored] ?? 0) + specBytes(spec);
      if (t.dtype !== 'float32') continue;
      params += t.size;
      const values = await t.data();
      for (let k = 0; k < values.length; k++) if (values[k] === 0) nodeZeros++;
    }
    zeros += nodeZeros;
    const out = shapes.get(node.name);
    const macs = out
      ? graphOpMacs(node.op, {
          attr: node.attr ?? {},
          inputs: inputs.map(shapeOf),
          isWeight: inputs.map(isWeight),
          output: out.shape,
        })
      : undefined;
    if (!out)
      warnings.push(
        `profileModel: node '${node.name}' (${node.op}) gave no tensor when run; its shape and MACs are unknown.`,
      );
    else if (macs === undefined)
      warnings.push(
        `profileModel: no MAC counting rule for node '${node.name}' (${node.op}); its MACs are left out of the total.`,
      );
    layers.push({
      name: node.name,
      className: node.op,
      inputs: inputs.filter((i) => !isWeight(i)),
      outputShape: perExample(out?.shape ?? []),
      params,
      trainableParams: 0,
      macs,
      weightBytes,
      activationBytes: out ? prod(out.shape) * (BYTES[out.dtype] ?? 4) : 0,
      sparsity: params ? nodeZeros / params : 0,
    });
  }
  const unread = [...specs.keys()].filter((n) => !claimed.has(n));
  if (unread.length)
    warnings.push(
      `profileModel: ${unread.length} weight(s) read by no node the outputs depend on (e.g. '${unread[0]}'); they are left out of the totals.`,
    );
  const inputBytes = model.inputs.reduce((a, i) => a + prod(shapeOf(i.name)) * (BYTES[i.dtype] ?? 4), 0);
  const weights = { weightBytesByDtype: byDtype, storedWeightBytesByDtype: storedByDtype };
  return profileReport(layers, { inputBytes, batchSize, zeros, ...weights }, warnings);
}
