// Empirical bias correction (Nagel et al. 2019, "Data-Free Quantization through Weight
// Equalization and Bias Correction", arXiv:1906.04721, Sec. 4.2). Rounding a kernel to its grid
// changes the expected output of every channel by E[x] . dW, where dW = dequantize(quantize(W)) - W:
// a systematic shift, not noise, that depthwise kernels with few taps per channel show most and
// that every following layer carries on. The correction measures E[x] per input channel of each
// quantized layer on the calibration data (float model) and subtracts the shift from the layer's
// bias, so the quantized layer's mean output is the float layer's again. The kernel's grid is
// untouched; the simulation and every exporter read the corrected bias like any other.
//   a producer (Dense [in, out], Conv1D [k, in, out], Conv2D [kh, kw, in, out]):
//       shift[o] = sum_i E[x_i] sum_{taps} dW[..., i, o]
//   a tied layer (DepthwiseConv2D [kh, kw, C, m]): shift[c m + j] = E[x_c] sum_{taps} dW[., ., c, j]
// The kernel's axes and the layer's role are the registry's (core/layers.ts).
// (Padding is ignored: border outputs see fewer taps than the sums assume.)
import * as tf from '@tensorflow/tfjs';
import { GraphHooks, GraphNode, modelGraph, runGraph } from '../core/graph';
import { CheckedSource } from '../data/source';
import { CheckedCalibrationOptions, forEachCalibrationBatch } from './calibrate';
import { QParams } from './qparams';
import { dequantize, quantize } from './affine';

/** What bias correction changed in one layer. */
export interface BiasCorrectionLayer {
  readonly layer: string;
  /** Largest |shift| subtracted from a channel's bias, and the mean |shift|. */
  readonly maxShift: number;
  readonly meanAbsShift: number;
}

/** The layers bias correction corrects: quantized kernel layers (registry: a kernel PTQ quantizes) with a bias, not blockwise. */
function corrected(graph: readonly GraphNode[], weights: Readonly<Record<string, QParams>>): GraphNode[] {
  return graph.filter((n) => {
    const qp = weights[n.name];
    const k = n.entry?.kernel;
    return (
      k?.index === 0 &&
      n.entry?.quantizeAxis &&
      (k.inAxis !== undefined || n.entry.role === 'tied') &&
      qp &&
      qp.blockSize === undefined &&
      n.layer.getWeights().length === 2
    );
  });
}

/** The expected output shift E[x] . dW of a corrected layer (`ex`: per-input-channel means). */
function outputShift(node: GraphNode, ex: tf.Tensor1D, dW: tf.Tensor): tf.Tensor {
  const k = node.entry?.kernel as NonNullable<NonNullable<GraphNode['entry']>['kernel']>;
  const channelAxes = k.inAxis === undefined ? [k.outAxis, dW.rank - 1] : [k.inAxis, k.outAxis];
  const tapAxes = [...Array(dW.rank).keys()].filter((a) => !channelAxes.includes(a));
  const summed = tapAxes.length ? tf.sum(dW, tapAxes) : dW; // the two channel axes, in kernel order
  if (k.inAxis === undefined) return tf.mul(ex.reshape([-1, 1]), summed).reshape([-1]); // tied: [C, m]
  const taps = k.inAxis < k.outAxis ? summed : tf.transpose(summed); // [in, out]
  return tf.matMul(ex.reshape([1, -1]), taps as tf.Tensor2D).reshape([-1]);
}

/** Per-channel input means of the corrected layers, gathered by a runGraph hook over float forward passes. */
export interface InputMeans {
  /** runGraph's `before` hook (returns the inputs unchanged); add it to a pass over the calibration data. */
  readonly hooks: Pick<GraphHooks, 'before'>;
  /** E[x] per input channel of each corrected layer seen so far, by layer name. */
  means(): Map<string, Float32Array>;
}

/** Starts gathering the input means of the layers of `model` that `weights` quantizes (see correctBias). */
export function inputMeans(model: tf.LayersModel, weights: Readonly<Record<string, QParams>>, fn: string): InputMeans {
  const names = new Set(corrected(modelGraph(model, fn), weights).map((n) => n.name));
  // Per layer: the sum over examples of the per-channel input means, and the examples seen.
  const sums = new Map<string, { sum: Float64Array; examples: number }>();
  return {
    hooks: {
      before: (node, ins) => {
        if (!names.has(node.name)) return ins;
        const input = ins[0] as tf.Tensor;
        const batch = input.shape[0] as number;
        const axes = input.shape.map((_, i) => i).slice(0, -1);
        // Mean over positions, summed over the batch: batch x E[x] of this batch.
        const m = tf.tidy(() => tf.mul(tf.mean(input, axes), batch).dataSync() as Float32Array);
        const acc = sums.get(node.name) ?? { sum: new Float64Array(m.length), examples: 0 };
        for (let i = 0; i < m.length; i++) acc.sum[i] = (acc.sum[i] as number) + (m[i] as number);
        acc.examples += batch;
        sums.set(node.name, acc);
        return ins;
      },
    },
    means: () =>
      new Map(
        [...sums]
          .filter(([, a]) => a.examples > 0)
          .map(([k, a]) => [k, Float32Array.from(a.sum, (s) => s / a.examples)]),
      ),
  };
}

/**
 * The input means of {@link inputMeans} in a pass of their own over the calibration data (the
 * modes without calibration; static mode gathers them in its calibration pass).
 */
export async function measureInputMeans(
  model: tf.LayersModel,
  weights: Readonly<Record<string, QParams>>,
  data: CheckedSource,
  options: CheckedCalibrationOptions,
): Promise<Map<string, Float32Array>> {
  const graph = modelGraph(model, options.caller);
  if (corrected(graph, weights).length === 0) return new Map(); // nothing to correct: no pass
  const gather = inputMeans(model, weights, options.caller);
  await forEachCalibrationBatch(model, data, options, (x) => {
    tf.tidy(() => {
      runGraph(graph, x, gather.hooks, { release: true });
    });
  });
  return gather.means();
}

/**
 * Subtracts the expected output shift that quantizing its kernel under `weights` causes from the
 * bias of every quantized Dense, Conv2D and DepthwiseConv2D layer with a bias, in place: `model`
 * must be the caller's own copy (postTraining's folded model). `means`: the float model's
 * per-channel input means of those layers (inputMeans). Layers without a bias, blockwise kernels
 * and other classes are left as they are. Returns the corrected layers.
 */
export function correctBias(
  model: tf.LayersModel,
  weights: Readonly<Record<string, QParams>>,
  means: ReadonlyMap<string, Float32Array>,
  fn: string,
): BiasCorrectionLayer[] {
  const out: BiasCorrectionLayer[] = [];
  for (const node of corrected(modelGraph(model, fn), weights)) {
    const mean = means.get(node.name);
    if (!mean) continue;
    const [kernel, bias] = node.layer.getWeights() as [tf.Tensor, tf.Tensor];
    const qp = weights[node.name] as QParams;
    const shift = tf.tidy(() => {
      const dW = tf.sub(dequantize(quantize(kernel, qp), qp), kernel);
      return outputShift(node, tf.tensor1d(mean), dW);
    });
    const s = shift.dataSync() as Float32Array;
    const fixed = tf.sub(bias, shift);
    node.layer.setWeights([kernel, fixed]);
    tf.dispose([shift, fixed]);
    let maxShift = 0;
    let sumAbs = 0;
    for (const v of s) {
      maxShift = Math.max(maxShift, Math.abs(v));
      sumAbs += Math.abs(v);
    }
    out.push({ layer: node.name, maxShift, meanAbsShift: sumAbs / s.length });
  }
  return out;
}
