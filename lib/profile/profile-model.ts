// The profiler: per layer and total parameters, MACs, weight bytes by dtype, activation bytes,
// sparsity, and the peak memory of a forward pass. Graph models are profiled by graph-profile.ts.
import * as tf from '@tensorflow/tfjs';
import { isGraphModel, modelGraph } from '../core/graph';
import { isModelInput } from '../core/layers';
import { LayerProfile, ProfileOptions, ProfileReport, profileReport } from './report';
import { profileGraphModel } from './graph-profile';

export type { LayerProfile, ProfileOptions, ProfileReport } from './report';
export { peakActivationBytes } from './report';

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, string: 0 };

/**
 * Profiles a layers model, or a graph model (tf.loadGraphModel / loadGraphModel: nodes as layers).
 * @example (await profileModel(simpleNet({seed: 0}))).totals // {params: 235146, macs: 234752, ...}
 */
export async function profileModel(
  model: tf.LayersModel | tf.GraphModel,
  options: ProfileOptions = {},
): Promise<ProfileReport> {
  if (isGraphModel(model)) return profileGraphModel(model, options);
  const graph = modelGraph(model, 'profileModel');
  const batchSize = options.batchSize ?? 1;
  const warnings: string[] = [];
  const layers: LayerProfile[] = [];
  const byDtype: Record<string, number> = {};
  let zeros = 0;
  // The model input is accounted by peakActivationBytes, not as a layer.
  for (const node of graph.filter((n) => !isModelInput(n.className))) {
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
    if (macs === undefined)
      warnings.push(
        `profileModel: no MAC counting rule for layer '${layer.name}' (${node.className}); its MACs are left out of the total.`,
      );
    layers.push({
      name: layer.name,
      className: node.className,
      inputs: [...node.inputs],
      outputShape: [...node.outputShape],
      params,
      trainableParams: trainable,
      macs,
      weightBytes,
      activationBytes: node.outputShape.reduce((a, b) => a * Math.max(b, 1), 1) * 4,
      sparsity: params ? layerZeros / params : 0,
    });
  }
  const inputBytes = model.inputs.reduce(
    (a, t) => a + (t.shape.slice(1) as number[]).reduce((x, d) => x * Math.max(d ?? 1, 1), 1) * 4,
    0,
  );
  return profileReport(layers, { inputBytes, batchSize, zeros, weightBytesByDtype: byDtype }, warnings);
}
