// The profiler: per layer and total parameters, MACs, weight bytes by dtype, activation bytes,
// sparsity, and the peak memory of a forward pass.
import * as tf from '@tensorflow/tfjs';
import { modelGraph } from '../core/graph';

/** One layer's profile. Byte counts are for one example unless named otherwise. */
export interface LayerProfile {
  readonly name: string;
  readonly className: string;
  readonly inputs: string[];
  readonly outputShape: number[];
  readonly params: number;
  readonly trainableParams: number;
  /** MACs for one example; 0 for layers without arithmetic; undefined when unknown. */
  readonly macs: number | undefined;
  readonly weightBytes: number;
  /** Bytes of this layer's float32 output for one example. */
  readonly activationBytes: number;
  /** Zero weights / weights (all of the layer's weights), 0 when it has none. */
  readonly sparsity: number;
}

/** What {@link profileModel} returns. */
export interface ProfileReport {
  readonly layers: LayerProfile[];
  readonly totals: {
    readonly params: number;
    readonly trainableParams: number;
    readonly macs: number;
    readonly flops: number;
    readonly weightBytes: number;
    readonly weightBytesByDtype: Record<string, number>;
    readonly zeroWeights: number;
    readonly sparsity: number;
    /** Peak bytes of live activations in a forward pass at `batchSize` (tensors freed after their last use). */
    readonly peakActivationBytes: number;
    /** Weights plus peak activations. */
    readonly peakMemoryBytes: number;
    readonly batchSize: number;
  };
  /** Layers without a MAC counting rule (their MACs are left out of the total). */
  readonly warnings: string[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, string: 0 };

/**
 * Profiles a layers model.
 * @example (await profileModel(simpleNet({seed: 0}))).totals // {params: 235146, macs: 234752, ...}
 */
export async function profileModel(model: tf.LayersModel, options: { readonly batchSize?: number } = {}): Promise<ProfileReport> {
  const graph = modelGraph(model, 'profileModel');
  const batchSize = options.batchSize ?? 1;
  const warnings: string[] = [];
  const layers: LayerProfile[] = [];
  const byDtype: Record<string, number> = {};
  let zeros = 0;
  // The model input is accounted by peakActivationBytes, not as a layer.
  for (const node of graph.filter((n) => n.className !== 'InputLayer')) {
    const layer = node.layer;
    let params = 0;
    let trainable = 0;
    let weightBytes = 0;
    let layerZeros = 0;
    for (const w of layer.weights) {
      const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      params += n;
      if (w.trainable) trainable += n;
      const bytes = n * (BYTES[w.dtype] ?? 4);
      weightBytes += bytes;
      byDtype[w.dtype] = (byDtype[w.dtype] ?? 0) + bytes;
      const values = await w.read().data();
      for (let k = 0; k < values.length; k++) if (values[k] === 0) layerZeros++;
    }
    zeros += layerZeros;
    const macs = node.entry?.macs(node);
    if (macs === undefined) warnings.push(`profileModel: no MAC counting rule for layer '${layer.name}' (${node.className}); its MACs are left out of the total.`);
    layers.push({
      name: layer.name, className: node.className, inputs: [...node.inputs], outputShape: [...node.outputShape],
      params, trainableParams: trainable, macs, weightBytes,
      activationBytes: node.outputShape.reduce((a, b) => a * Math.max(b, 1), 1) * 4,
      sparsity: params ? layerZeros / params : 0,
    });
  }
  const params = layers.reduce((a, l) => a + l.params, 0);
  const macs = layers.reduce((a, l) => a + (l.macs ?? 0), 0);
  const weightBytes = layers.reduce((a, l) => a + l.weightBytes, 0);
  const inputBytes = model.inputs.reduce((a, t) => a + (t.shape.slice(1) as number[]).reduce((x, d) => x * Math.max(d ?? 1, 1), 1) * 4, 0);
  const peak = peakActivationBytes(layers, inputBytes) * batchSize;
  return {
    layers,
    totals: {
      params, trainableParams: layers.reduce((a, l) => a + l.trainableParams, 0), macs, flops: 2 * macs, weightBytes,
      weightBytesByDtype: byDtype, zeroWeights: zeros, sparsity: params ? zeros / params : 0,
      peakActivationBytes: peak, peakMemoryBytes: weightBytes + peak, batchSize,
    },
    warnings,
  };
}

/**
 * Peak live activation bytes for one example, executing layers in order and freeing each output
 * after its last consumer (model outputs are kept to the end). `inputBytes`: the model input.
 */
export function peakActivationBytes(layers: readonly LayerProfile[], inputBytes = 0): number {
  const lastUse = new Map<string, number>();
  layers.forEach((l, i) => l.inputs.forEach((name) => lastUse.set(name, i)));
  const produced = new Set(layers.map((l) => l.name));
  // The model input (read by layers whose inbound layer is not in the list, as in Sequential models).
  const alive = new Map<string, number>();
  const external = [...lastUse.keys()].filter((n) => !produced.has(n));
  external.forEach((n) => alive.set(n, inputBytes / Math.max(external.length, 1)));
  let live = inputBytes;
  let peak = live;
  layers.forEach((l, i) => {
    alive.set(l.name, l.activationBytes);
    live += l.activationBytes;
    peak = Math.max(peak, live);
    for (const [name, bytes] of [...alive]) {
      const last = lastUse.get(name);
      if (last !== undefined && last <= i) {
        alive.delete(name);
        live -= bytes;
      }
    }
  });
  return peak;
}
