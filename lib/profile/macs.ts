// Multiply-accumulates of one example's forward pass, per layer (FLOPs = 2 x MACs). Counting
// rules (the glossary in lib/core/README.md): Dense and convolutions count their multiply-adds;
// BatchNormalization one per output element; pooling one per window element of each output;
// elementwise products one per output element per extra input (Multiply, e.g. squeeze-excite's
// scaling); Rescaling (x * scale + offset) one per element; activations (swish included),
// Flatten, Dropout, Reshape, ZeroPadding2D, Add, Concatenate zero. Papers count only the
// convolutions and dense layers: these rules add a few percent on ImageNet CNNs.
import * as tf from '@tensorflow/tfjs';
import { GraphNode } from './layer-graph';

const ZERO = new Set(['InputLayer', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'Flatten', 'Dropout', 'SpatialDropout2D',
  'Reshape', 'Permute', 'Add', 'Concatenate', 'Average', 'Maximum', 'Minimum', 'Subtract', 'ZeroPadding2D', 'Cropping2D', 'RepeatVector']);

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

function pair(v: unknown): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  return [Number(v), Number(v)];
}

/**
 * MACs of one layer for one example, or undefined when the layer type has no counting rule.
 * @example layerMacs(denseLayer784to256, node) // 200704
 */
export function layerMacs(layer: tf.layers.Layer, node: GraphNode): number | undefined {
  const cls = node.className;
  const cfg = layer.getConfig() as Record<string, unknown>;
  const out = node.outputShape;
  const inp = node.inputShapes[0] ?? [];
  if (ZERO.has(cls)) return 0;
  switch (cls) {
    case 'Dense': {
      const inUnits = inp[inp.length - 1] as number;
      return prod(out) * inUnits; // out = (..., units); each output unit takes inUnits MACs
    }
    case 'Conv2D':
    case 'Conv1D': {
      const [kh, kw] = cls === 'Conv1D' ? [Number((cfg.kernelSize as number[])[0] ?? cfg.kernelSize), 1] : pair(cfg.kernelSize);
      const inC = inp[inp.length - 1] as number;
      return prod(out) * kh * kw * inC;
    }
    case 'DepthwiseConv2D': {
      const [kh, kw] = pair(cfg.kernelSize);
      return prod(out) * kh * kw;
    }
    case 'SeparableConv2D': {
      const [kh, kw] = pair(cfg.kernelSize);
      const inC = inp[2] as number;
      const mult = Number(cfg.depthMultiplier ?? 1);
      const spatial = (out[0] as number) * (out[1] as number);
      return spatial * inC * mult * kh * kw + spatial * inC * mult * (out[2] as number);
    }
    case 'Conv2DTranspose': {
      const [kh, kw] = pair(cfg.kernelSize);
      return prod(inp) * kh * kw * (out[2] as number);
    }
    case 'BatchNormalization':
    case 'Rescaling':
      return prod(out);
    case 'Multiply':
      return prod(out) * Math.max(node.inputShapes.length - 1, 0);
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [ph, pw] = pair(cfg.poolSize);
      return prod(out) * ph * pw;
    }
    case 'MaxPooling1D':
    case 'AveragePooling1D':
      return prod(out) * Number((cfg.poolSize as number[])[0] ?? cfg.poolSize);
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
      return prod(inp);
    default:
      return undefined;
  }
}
