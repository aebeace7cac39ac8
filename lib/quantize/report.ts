// The per-layer error of a quantized model against its float model, measured batch by batch:
// both models run side by side, layer by layer, over the same inputs; each layer's float and
// quantized outputs are reduced on the device to sums (signal energy, error energy) and freed
// after their last consumer. Memory: two forward passes' live activations, whatever the number
// of examples (nothing is kept per layer but two numbers).
import * as tf from '@tensorflow/tfjs';
import { GraphNode, consumersOf, modelGraph, runGraph } from '../core/graph';
import { CheckedSource } from '../data/source';
import { CheckedCalibrationOptions, forEachCalibrationBatch } from './calibrate';
import { FakeQuantize, DynamicQuantize } from './fake-quantize-layer';
import { MemoryBudget } from './memory-budget';
import { QuantPlan } from './plan';
import { sqnr } from './affine';
import { valuesOf } from '../core/values';
import { isModelInput } from '../core/layers';

/** Per-layer error of a quantized kernel layer. */
export interface LayerQuantReport {
  readonly layer: string;
  readonly className: string;
  readonly params: number;
  readonly bits: number;
  readonly granularity: 'per-tensor' | 'per-channel' | 'per-block';
  /** Blockwise kernels: values per block along the input axis. */
  readonly blockSize?: number;
  /** SQNR (dB) of the dequantized kernel against the float kernel. */
  readonly weightSqnrDb: number;
  /** SQNR (dB) of this layer's output in the quantized model against the float model (when data was given). */
  readonly outputSqnrDb?: number;
}

/** Output SQNR (dB) of every layer, and of every quantization point. */
export interface OutputErrors {
  /** By layer name of the quantized model. */
  readonly sqnrDb: Record<string, number>;
  /** Each point's (its FakeQuantize's output) by the name of the layer it quantizes. */
  readonly pointSqnrDb: Record<string, number>;
  readonly examples: number;
  readonly memory: MemoryBudget;
}

const db = (signal: number, noise: number) => (noise === 0 ? Infinity : 10 * Math.log10(signal / noise));

/**
 * Streams `data` through `float` and its quantized model `q` side by side and returns each
 * layer's output SQNR (a FakeQuantize's under the name of the layer it quantizes).
 */
export async function outputErrors(
  float: tf.LayersModel,
  q: tf.LayersModel,
  data: CheckedSource,
  options: CheckedCalibrationOptions,
): Promise<OutputErrors> {
  const graph: GraphNode[] = modelGraph(q, options.caller);
  const readers = consumersOf(graph);
  const isQuant = (n: GraphNode) => n.layer instanceof FakeQuantize || n.layer instanceof DynamicQuantize;
  const sums = new Map<string, [number, number]>();
  const { examples, memory } = await forEachCalibrationBatch(float, data, { ...options, passes: 2 }, (x) => {
    const twins = new Map<string, tf.Tensor>();
    const left = new Map<string, number>();
    const pending: [string, tf.Tensor][] = [];
    tf.tidy(() => {
      runGraph(
        graph,
        x,
        {
          after: (node, y) => {
            let f: tf.Tensor;
            if (isModelInput(node.className)) f = x;
            else {
              const ins = node.inputs.map((n) => twins.get(n) as tf.Tensor);
              // Each step in its own tidy: a layer's (or a sum's) intermediates must not pile up over the whole batch.
              f = isQuant(node)
                ? (ins[0] as tf.Tensor)
                : tf.tidy(
                    () =>
                      float
                        .getLayer(node.name)
                        .apply(ins.length === 1 ? (ins[0] as tf.Tensor) : ins, { training: false }) as tf.Tensor,
                  );
              for (const n of node.inputs) {
                const l = (left.get(n) ?? 1) - 1;
                left.set(n, l);
                const t = twins.get(n);
                if (l === 0 && t && t !== x && t !== f) {
                  twins.delete(n);
                  // A FakeQuantize's twin is its input's tensor: free it only when no other name holds it.
                  if (![...twins.values()].includes(t)) t.dispose();
                }
              }
            }
            twins.set(node.name, f);
            left.set(node.name, (readers.get(node.name) ?? []).length);
            if (!isModelInput(node.className) && !(node.layer instanceof DynamicQuantize)) {
              pending.push([
                node.name,
                tf.keep(tf.tidy(() => tf.stack([tf.sum(tf.square(f)), tf.sum(tf.square(tf.sub(f, y)))]))),
              ]);
            }
            return y;
          },
        },
        { release: true },
      );
    });
    const values = valuesOf(() => tf.stack(pending.map(([, t]) => t)));
    pending.forEach(([key, t], i) => {
      const s = sums.get(key) ?? [0, 0];
      sums.set(key, [s[0] + (values[2 * i] as number), s[1] + (values[2 * i + 1] as number)]);
      t.dispose();
    });
  });
  const sqnrDb = Object.fromEntries([...sums].map(([k, [s, n]]) => [k, db(s, n)]));
  const pointSqnrDb = Object.fromEntries(
    graph.filter((n) => n.layer instanceof FakeQuantize).map((n) => [n.inputs[0] as string, sqnrDb[n.name] as number]),
  );
  return { sqnrDb, pointSqnrDb, examples, memory };
}

/** Kernel SQNR of each quantized layer of `q` against `float`, with the output SQNR when measured. */
export function layerReports(
  float: tf.LayersModel,
  q: tf.LayersModel,
  plan: QuantPlan,
  outputs?: OutputErrors,
): LayerQuantReport[] {
  return modelGraph(float, 'quantize')
    .filter((n) => plan.weights[n.name])
    .map((n) => {
      const qp = plan.weights[n.name] as NonNullable<QuantPlan['weights'][string]>;
      const k = n.entry?.kernel?.index ?? 0;
      const out = outputs?.sqnrDb[n.name];
      return {
        layer: n.name,
        className: n.className,
        params: n.layer.countParams(),
        bits: qp.bits,
        granularity: qp.blockSize !== undefined ? 'per-block' : qp.axis === undefined ? 'per-tensor' : 'per-channel',
        ...(qp.blockSize !== undefined ? { blockSize: qp.blockSize } : {}),
        weightSqnrDb: sqnr(n.layer.getWeights()[k] as tf.Tensor, q.getLayer(n.name).getWeights()[k] as tf.Tensor)
          .sqnrDb,
        ...(out !== undefined ? { outputSqnrDb: out } : {}),
      } as LayerQuantReport;
    });
}
