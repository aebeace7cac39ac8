// The layer registry: everything the library knows about a tfjs layer class, in one entry per
// class (after TFMOT's prune_registry and Torch-Pruning's op-type table). Profile (MACs), the
// pruning dependency graph (channel roles and kernel axes), quantization (which kernel, which
// axis, which activation fuses) and the exporters (one converter table per format, typed by
// `LayerClass` so a new entry must be decided in each) all read it. Adding a layer type means
// adding one entry here. Layouts: tfjs NHWC, conv kernels [kh, kw, inC, outC].
import * as tf from '@tensorflow/tfjs';
import { pair } from './pair';

/** How a layer treats the channel (last) axis, for structured pruning. */
export type ChannelRole =
  /** The model input. */
  | 'input'
  /** Makes new channels from all input channels (its kernel has an input and an output axis). */
  | 'producer'
  /** Per-channel weights that follow the input's channels (BatchNormalization, depthwise conv). */
  | 'tied'
  /** Output channels are the input channels (activations, pooling, padding, dropout). */
  | 'pass'
  /** Element-wise over inputs of one shape (Add, Multiply, ...): their channels are one group. */
  | 'merge'
  /** Channel-axis concatenation: the output channels are the inputs' side by side. */
  | 'concat'
  /** NHWC to flat: the channel space repeats once per spatial position. */
  | 'flatten'
  /** Channels cannot be followed through the layer: the graph freezes them on both sides. */
  | 'opaque';

/** Where a layer's kernel is and which of its axes carry the input and output channels. */
export interface KernelAxes {
  /** Index of the kernel in `layer.weights`. */
  readonly index: number;
  /** Axis of the kernel over input channels (producers). */
  readonly inAxis?: number;
  /** Axis over output channels (producers), or over the tied channels (depthwise). */
  readonly outAxis: number;
}

/** What the MAC rules see of a layer: its config and shapes without the batch dimension. */
export interface LayerShapes {
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
}

/** One registry entry. */
export interface LayerEntry {
  readonly className: string;
  readonly role: ChannelRole;
  /** The weight multiplying the input, for layers that have one. */
  readonly kernel?: KernelAxes;
  /** Multiply-accumulates of one example (FLOPs = 2 x MACs); the glossary's rules. */
  readonly macs: (s: LayerShapes) => number;
  /** The kernel is quantized by PTQ and QAT; its per-channel axis, or undefined for per tensor. */
  readonly quantizeAxis?: (kernelShape: readonly number[]) => number | undefined;
  /** Only moves or copies values (no arithmetic): an output on its input's quantization grid. */
  readonly valuePreserving?: boolean;
  /** The activation the layer applies, as a Keras name ('relu', 'relu6', ...), when it is one or has one inline. */
  readonly activation?: (config: Readonly<Record<string, unknown>>) => string | undefined;
  /**
   * Deployment runtimes fuse a following activation of FUSABLE_ACTIVATIONS into this op
   * (conv/dense + ReLU, Add + ReLU): no quantization point sits between them.
   */
  readonly fusesActivation?: boolean;
  /**
   * A BatchNormalization after it folds into its kernel and bias (W' = W * s on the output axis,
   * b' = (b - mean) * s + beta). One answer for quantize.foldBatchNorm, the inference form and
   * TFLite's float fusion (a format may narrow it with its own allow-list).
   */
  readonly foldsBatchNorm?: boolean;
  /**
   * A batch normalization (per-channel gamma * (x - mean) / sqrt(var + eps) + beta, weights
   * [gamma if config.scale, beta if config.center, mean, variance]): what folds into a kernel that
   * `foldsBatchNorm`, whose gamma is Network Slimming's channel importance, and whose missing gamma
   * or beta ONNX stores as ones or zeros.
   */
  readonly batchNorm?: boolean;
  /**
   * The kernel op is a matrix multiply (ONNX MatMul): what dynamic quantization
   * (DynamicQuantizeLinear + MatMulInteger), blockwise int4 (ONNX Runtime's MatMulNBits) and a
   * sparse MLP run; the other kernel layers are convolutions.
   */
  readonly matMul?: boolean;
  /**
   * The layer's linear op run with its kernel replaced by `kernel` (no bias, no activation): what
   * quantization-aware training runs with a fake-quantized kernel. Inputs borrowed; caller owns the result.
   */
  readonly kernelOp?: (x: tf.Tensor, kernel: tf.Tensor, config: Readonly<Record<string, unknown>>) => tf.Tensor;
  /**
   * Why a configuration cannot be followed channel-wise, or undefined when it can
   * (e.g. BatchNormalization over another axis); the dependency graph reports it.
   */
  readonly channelCheck?: (s: LayerShapes) => string | undefined;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * Math.max(b, 1), 1);
const last = (xs: readonly number[]) => xs[xs.length - 1] as number;
const zero = () => 0;

function single(v: unknown): number {
  return Array.isArray(v) ? Number(v[0]) : Number(v ?? 1);
}
const inlineActivation = (c: Readonly<Record<string, unknown>>) => {
  const a = c.activation as string | undefined;
  return a && a !== 'linear' ? a : undefined;
};
const lastAxis = (c: Readonly<Record<string, unknown>>, rank: number) =>
  c.axis === undefined || c.axis === -1 || c.axis === rank;

function entry(
  className: string,
  role: ChannelRole,
  rest: Omit<LayerEntry, 'className' | 'role'> = { macs: zero },
): LayerEntry {
  return { className, role, ...rest };
}
const pass = (className: string, extra: Partial<LayerEntry> = {}) => entry(className, 'pass', { macs: zero, ...extra });
const moves = (className: string) => pass(className, { valuePreserving: true });
const activationLayer = (className: string, name: (c: Readonly<Record<string, unknown>>) => string | undefined) =>
  pass(className, { activation: name });

const pooling2d = (className: string, max: boolean) =>
  pass(className, {
    valuePreserving: max,
    macs: ({ config, outputShape }) => prod(outputShape) * prod(pair(config.poolSize)),
  });
const pooling1d = (className: string, max: boolean) =>
  pass(className, {
    valuePreserving: max,
    macs: ({ config, outputShape }) => prod(outputShape) * single(config.poolSize),
  });
const globalPooling = (className: string, max: boolean) =>
  pass(className, {
    valuePreserving: max,
    macs: ({ inputShapes }) => prod(inputShapes[0] ?? []),
  });

const padding = (c: Readonly<Record<string, unknown>>) => (c.padding ?? 'valid') as 'same' | 'valid';
// (..., in) x [in, units] -> (..., units): Dense on a rank-3+ input applies to the last axis.
const dense = (x: tf.Tensor, k: tf.Tensor): tf.Tensor =>
  x.rank === 2
    ? tf.matMul(x as tf.Tensor2D, k as tf.Tensor2D)
    : tf.tidy(() =>
        tf.reshape(tf.matMul(tf.reshape(x, [-1, k.shape[0] as number]), k as tf.Tensor2D), [
          ...x.shape.slice(0, -1),
          k.shape[1] as number,
        ]),
      );

/** Conv2D's and DepthwiseConv2D's kernel op (NHWC) from the layer's config. */
const conv2dOp =
  (op: typeof tf.conv2d | typeof tf.depthwiseConv2d): NonNullable<LayerEntry['kernelOp']> =>
  (x, k, c) =>
    op(x as tf.Tensor4D, k as tf.Tensor4D, pair(c.strides), padding(c), 'NHWC', pair(c.dilationRate));

/**
 * Conv2DTranspose's kernel op (NHWC, kernel [kh, kw, outC, inC]); the output size is tfjs-layers'
 * (in * stride, plus max(k - stride, 0) with 'valid' padding). tfjs has no dilated transposed conv.
 */
const conv2dTransposeOp: NonNullable<LayerEntry['kernelOp']> = (x, k, c) => {
  const [n, h, w] = x.shape as [number, number, number, number];
  const [kh, kw, outC] = k.shape as [number, number, number, number];
  const [sh, sw] = pair(c.strides);
  const size = (d: number, kd: number, s: number) => d * s + (padding(c) === 'valid' ? Math.max(kd - s, 0) : 0);
  return tf.conv2dTranspose(
    x as tf.Tensor4D,
    k as tf.Tensor4D,
    [n, size(h, kh, sh), size(w, kw, sw), outC],
    [sh, sw],
    padding(c),
  );
};

const ENTRIES = {
  InputLayer: entry('InputLayer', 'input'),
  Dense: entry('Dense', 'producer', {
    kernel: { index: 0, inAxis: 0, outAxis: 1 },
    // (..., in) -> (..., units): each output element takes `in` MACs.
    macs: ({ inputShapes, outputShape }) => prod(outputShape) * last(inputShapes[0] ?? [1]),
    quantizeAxis: () => 1,
    activation: inlineActivation,
    fusesActivation: true,
    foldsBatchNorm: true,
    matMul: true,
    kernelOp: (x, k) => dense(x, k),
    channelCheck: ({ inputShapes }) =>
      (inputShapes[0]?.length ?? 1) === 1 ? undefined : 'Dense on a rank-2 input (add a Flatten first)',
  }),
  Conv1D: entry('Conv1D', 'producer', {
    kernel: { index: 0, inAxis: 1, outAxis: 2 },
    macs: ({ config, inputShapes, outputShape }) =>
      prod(outputShape) * single(config.kernelSize) * last(inputShapes[0] ?? [1]),
    quantizeAxis: () => 2,
    activation: inlineActivation,
    fusesActivation: true,
    foldsBatchNorm: true,
    kernelOp: (x, k, c) =>
      tf.conv1d(x as tf.Tensor3D, k as tf.Tensor3D, single(c.strides), padding(c), 'NWC', single(c.dilationRate)),
  }),
  Conv2D: entry('Conv2D', 'producer', {
    kernel: { index: 0, inAxis: 2, outAxis: 3 },
    macs: ({ config, inputShapes, outputShape }) =>
      prod(outputShape) * prod(pair(config.kernelSize)) * last(inputShapes[0] ?? [1]),
    quantizeAxis: () => 3,
    activation: inlineActivation,
    fusesActivation: true,
    foldsBatchNorm: true,
    kernelOp: conv2dOp(tf.conv2d),
    channelCheck: ({ config }) =>
      config.dataFormat === 'channelsFirst' ? 'Conv2D with dataFormat channelsLast' : undefined,
  }),
  Conv2DTranspose: entry('Conv2DTranspose', 'producer', {
    // Kernel [kh, kw, outC, inC]: each input element is spread over a kh x kw window of every output channel.
    kernel: { index: 0, inAxis: 3, outAxis: 2 },
    macs: ({ config, inputShapes, outputShape }) =>
      prod(inputShapes[0] ?? []) * prod(pair(config.kernelSize)) * last(outputShape),
    activation: inlineActivation,
    fusesActivation: true,
    kernelOp: conv2dTransposeOp,
  }),
  DepthwiseConv2D: entry('DepthwiseConv2D', 'tied', {
    // Kernel [kh, kw, inC, multiplier]: channel c of the output is c * multiplier + m.
    kernel: { index: 0, outAxis: 2 },
    macs: ({ config, outputShape }) => prod(outputShape) * prod(pair(config.kernelSize)),
    quantizeAxis: (shape) => (shape[3] === 1 ? 2 : undefined),
    activation: inlineActivation,
    fusesActivation: true,
    foldsBatchNorm: true,
    kernelOp: conv2dOp(tf.depthwiseConv2d),
    channelCheck: ({ config }) =>
      Number(config.depthMultiplier ?? 1) !== 1 ? 'DepthwiseConv2D with depthMultiplier 1' : undefined,
  }),
  SeparableConv2D: entry('SeparableConv2D', 'opaque', {
    macs: ({ config, inputShapes, outputShape }) => {
      const inC = last(inputShapes[0] ?? [1]);
      const mult = Number(config.depthMultiplier ?? 1);
      const spatial = prod(outputShape.slice(0, -1));
      return spatial * inC * mult * prod(pair(config.kernelSize)) + spatial * inC * mult * last(outputShape);
    },
    activation: inlineActivation,
    fusesActivation: true,
  }),
  BatchNormalization: entry('BatchNormalization', 'tied', {
    batchNorm: true,
    macs: ({ outputShape }) => prod(outputShape),
    channelCheck: ({ config, outputShape }) =>
      lastAxis(config, outputShape.length) ? undefined : 'BatchNormalization over the last (channel) axis',
  }),
  LayerNormalization: entry('LayerNormalization', 'opaque', { macs: ({ outputShape }) => prod(outputShape) }),
  Activation: activationLayer('Activation', inlineActivation),
  ReLU: activationLayer('ReLU', (c) =>
    c.maxValue === 6 ? 'relu6' : c.maxValue == null ? 'relu' : `relu(maxValue=${String(c.maxValue)})`,
  ),
  LeakyReLU: activationLayer('LeakyReLU', () => 'leaky_relu'),
  ELU: activationLayer('ELU', () => 'elu'),
  ThresholdedReLU: activationLayer('ThresholdedReLU', () => 'thresholded_relu'),
  Softmax: activationLayer('Softmax', () => 'softmax'),
  PReLU: entry('PReLU', 'tied', { macs: ({ outputShape }) => prod(outputShape), activation: () => 'prelu' }),
  Dropout: moves('Dropout'),
  SpatialDropout1D: moves('SpatialDropout1D'),
  SpatialDropout2D: moves('SpatialDropout2D'),
  GaussianNoise: moves('GaussianNoise'),
  GaussianDropout: moves('GaussianDropout'),
  AlphaDropout: moves('AlphaDropout'),
  ZeroPadding2D: moves('ZeroPadding2D'),
  Cropping2D: moves('Cropping2D'),
  UpSampling2D: moves('UpSampling2D'),
  MaxPooling2D: pooling2d('MaxPooling2D', true),
  AveragePooling2D: pooling2d('AveragePooling2D', false),
  MaxPooling1D: pooling1d('MaxPooling1D', true),
  AveragePooling1D: pooling1d('AveragePooling1D', false),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPooling2D', true),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePooling2D', false),
  GlobalMaxPooling1D: globalPooling('GlobalMaxPooling1D', true),
  GlobalAveragePooling1D: globalPooling('GlobalAveragePooling1D', false),
  Flatten: entry('Flatten', 'flatten', { macs: zero, valuePreserving: true }),
  Reshape: entry('Reshape', 'pass', {
    macs: zero,
    valuePreserving: true,
    // Followable only when the channel (last) axis is untouched, as in squeeze-excite's (C) -> (1, 1, C).
    channelCheck: ({ inputShapes, outputShape }) =>
      last(inputShapes[0] ?? [0]) === last(outputShape) ? undefined : 'Reshape that keeps the last (channel) axis',
  }),
  Permute: entry('Permute', 'opaque', { macs: zero, valuePreserving: true }),
  RepeatVector: entry('RepeatVector', 'opaque', { macs: zero, valuePreserving: true }),
  Rescaling: entry('Rescaling', 'pass', { macs: ({ outputShape }) => prod(outputShape) }),
  Add: entry('Add', 'merge', { macs: zero, fusesActivation: true }),
  Subtract: entry('Subtract', 'merge', { macs: zero }),
  Multiply: entry('Multiply', 'merge', { macs: ({ outputShape }) => prod(outputShape) }),
  Average: entry('Average', 'merge', { macs: zero }),
  Maximum: entry('Maximum', 'merge', { macs: zero }),
  Minimum: entry('Minimum', 'merge', { macs: zero }),
  Concatenate: entry('Concatenate', 'concat', {
    macs: zero,
    valuePreserving: true,
    channelCheck: ({ config, outputShape }) =>
      lastAxis(config, outputShape.length) ? undefined : 'Concatenate on the last (channel) axis',
  }),
  // The fake-quantization layers a quantized model carries (lib/quantize/fake-quantize-layer.ts):
  // identity with rounding, so no channel change and no MACs; rounding is arithmetic, so a
  // FakeQuantize output is its own grid, not its input's.
  FakeQuantize: pass('FakeQuantize'),
  DynamicQuantize: pass('DynamicQuantize'),
} satisfies Record<string, LayerEntry>;

/** The registry: one entry per supported tfjs layer class. */
export const LAYERS: ReadonlyMap<string, LayerEntry> = new Map(Object.entries(ENTRIES));

/** The class names the registry knows. */
export type LayerClass = keyof typeof ENTRIES;

/** The entry of a layer class, or undefined when the library has no rule for it. */
export function layerEntry(className: string): LayerEntry | undefined {
  return LAYERS.get(className);
}

/** Activations that deployment runtimes fuse into the convolution or matmul before them (TFLite, ONNX Runtime, PyTorch). */
export const FUSABLE_ACTIVATIONS: ReadonlySet<string> = new Set(['relu', 'relu6']);

/** True for the model input's class (tfjs' InputLayer): its node reads nothing and carries the input shape. */
export function isModelInput(className: string): boolean {
  return layerEntry(className)?.role === 'input';
}

/**
 * The activation of a standalone activation layer (ReLU, Activation, ...) when runtimes fuse it
 * into the op before it (FUSABLE_ACTIVATIONS), else undefined.
 */
export function fusableActivation(
  entry: LayerEntry | undefined,
  config: Readonly<Record<string, unknown>>,
): string | undefined {
  if (entry?.role !== 'pass' || entry.kernel) return undefined;
  const act = entry.activation?.(config);
  return act && FUSABLE_ACTIVATIONS.has(act) ? act : undefined;
}

/** Output channels of a kernel: its out axis, times the depth multiplier for a tied (depthwise) kernel [kh, kw, inC, mult]. */
export function kernelOutputChannels(entry: LayerEntry | undefined, kernelShape: readonly number[]): number {
  const axis = entry?.kernel?.outAxis ?? kernelShape.length - 1;
  const n = kernelShape[axis] as number;
  return entry?.role === 'tied' ? n * prod(kernelShape.slice(axis + 1)) : n;
}

/** The layers of `model` with a kernel (the registry's), each with its kernel's index in its weights. */
export function kernelLayers(model: tf.LayersModel): { layer: tf.layers.Layer; index: number }[] {
  return model.layers.flatMap((layer) => {
    const index = layerEntry(layer.getClassName())?.kernel?.index;
    return index !== undefined && index < layer.weights.length ? [{ layer, index }] : [];
  });
}
