// A MobileNetV2-style network (Sandler et al. 2018, arXiv:1801.04381) built layer for layer as
// keras.applications.MobileNetV2 builds it, at any width and input size: ZeroPadding2D before
// every strided convolution ("correct_pad"), a 3x3 stride-2 stem, inverted residual blocks
// (1x1 expansion -> BN -> ReLU(6), 3x3 depthwise -> BN -> ReLU(6), 1x1 projection -> BN, and a
// residual Add when shapes allow), a last 1x1 conv -> BN -> ReLU(6), global average pooling and
// a softmax classifier. Layer names are Keras's. Shapes for 32x32x3 at alpha 0.35 with the
// default blocks: (n, 32, 32, 3) -> stem (n, 16, 16, 16) -> ... -> (n, 1, 1, 112) -> 1x1 conv
// (n, 1, 1, 1280) -> pool (n, 1280) -> (n, classes).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../../lib/errors';
import { Rng } from '../../lib/core/rng';

/** One stage of inverted residual blocks: expansion t, output channels c (before alpha), repeats n, first stride s. */
export type InvertedResidualStage = readonly [t: number, c: number, n: number, s: number];

/** Keras's MobileNetV2 stages. */
export const MOBILENET_V2_STAGES: readonly InvertedResidualStage[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** Options of {@link mobileNetStyle}. */
export interface MobileNetStyleOptions {
  readonly seed: number;
  /** Width multiplier (Keras's alpha); default 1. */
  readonly alpha?: number;
  /** Input [height, width, channels]; default [224, 224, 3]. */
  readonly inputShape?: readonly [number, number, number];
  readonly classes?: number;
  /** Stages of inverted residual blocks; default Keras's. */
  readonly stages?: readonly InvertedResidualStage[];
  /** Filters of the last 1x1 conv before pooling; default 1280 (Keras: x alpha when alpha > 1). */
  readonly lastFilters?: number;
  /** Stride of the stem conv; default 2. */
  readonly stemStride?: 1 | 2;
  /** BatchNormalization momentum; default Keras's 0.999 (0.99 suits short trainings: the moving statistics follow in ~100 steps). */
  readonly batchNormMomentum?: number;
}

/** Keras's _make_divisible: round to a multiple of `divisor`, never more than 10% below `v`. */
export function makeDivisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  return n < 0.9 * v ? n + divisor : n;
}

/** Keras's correct_pad for a 3x3 stride-2 conv: ((top, bottom), (left, right)) on an h x w input. */
function correctPad(h: number, w: number): [[number, number], [number, number]] {
  const adjust = [1 - (h % 2), 1 - (w % 2)];
  return [
    [1 - (adjust[0] as number), 1],
    [1 - (adjust[1] as number), 1],
  ];
}

/**
 * Builds the network with seeded initial weights (He-uniform convs, Glorot-uniform classifier).
 * @example mobileNetStyle({seed: 1, alpha: 0.35, inputShape: [32, 32, 3], classes: 10}).outputs[0].shape // [null, 10]
 */
export function mobileNetStyle(options: MobileNetStyleOptions): tf.LayersModel {
  const alpha = options.alpha ?? 1;
  const [h0, w0, c0] = options.inputShape ?? [224, 224, 3];
  const classes = options.classes ?? 1000;
  for (const [name, v, ok] of [
    ['alpha', alpha, alpha > 0 && alpha <= 4],
    ['classes', classes, Number.isInteger(classes) && classes > 1],
    ['inputShape', h0, [h0, w0, c0].every((d) => Number.isInteger(d) && d > 0)],
  ] as const) {
    if (!ok)
      throw new ConfigError(
        `mobileNetStyle: ${name} valid (alpha in (0, 4], classes an integer > 1, inputShape positive integers), got ${describe(v)}. Use e.g. {alpha: 0.35, inputShape: [32, 32, 3], classes: 10}.`,
      );
  }
  const rng = new Rng(options.seed);
  const he = () => tf.initializers.heUniform({ seed: rng.seed() });
  const sym = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;
  const bn = (name: string) =>
    tf.layers.batchNormalization({ name, epsilon: 1e-3, momentum: options.batchNormMomentum ?? 0.999 });
  const relu6 = (name: string) => tf.layers.reLU({ name, maxValue: 6 });
  const spatial = (x: tf.SymbolicTensor) => [x.shape[1] as number, x.shape[2] as number] as const;
  const input = tf.input({ shape: [h0, w0, c0], name: 'input' });
  const stemStride = options.stemStride ?? 2;
  let x = input;
  if (stemStride === 2) x = sym(tf.layers.zeroPadding2d({ name: 'Conv1_pad', padding: correctPad(...spatial(x)) }), x);
  x = sym(
    tf.layers.conv2d({
      name: 'Conv1',
      filters: makeDivisible(32 * alpha),
      kernelSize: 3,
      strides: stemStride,
      padding: stemStride === 2 ? 'valid' : 'same',
      useBias: false,
      kernelInitializer: he(),
    }),
    x,
  );
  x = sym(relu6('Conv1_relu'), sym(bn('bn_Conv1'), x));
  let block = 0;
  for (const [t, c, n, s] of options.stages ?? MOBILENET_V2_STAGES) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const inC = x.shape[3] as number;
      const outC = makeDivisible(c * alpha);
      const prefix = block === 0 ? 'expanded_conv_' : `block_${block}_`;
      const inputs = x;
      if (block > 0) {
        x = sym(
          tf.layers.conv2d({
            name: `${prefix}expand`,
            filters: t * inC,
            kernelSize: 1,
            padding: 'same',
            useBias: false,
            kernelInitializer: he(),
          }),
          x,
        );
        x = sym(relu6(`${prefix}expand_relu`), sym(bn(`${prefix}expand_BN`), x));
      }
      if (stride === 2)
        x = sym(tf.layers.zeroPadding2d({ name: `${prefix}pad`, padding: correctPad(...spatial(x)) }), x);
      x = sym(
        tf.layers.depthwiseConv2d({
          name: `${prefix}depthwise`,
          kernelSize: 3,
          strides: stride,
          padding: stride === 2 ? 'valid' : 'same',
          useBias: false,
          depthwiseInitializer: he(),
        }),
        x,
      );
      x = sym(relu6(`${prefix}depthwise_relu`), sym(bn(`${prefix}depthwise_BN`), x));
      x = sym(
        tf.layers.conv2d({
          name: `${prefix}project`,
          filters: outC,
          kernelSize: 1,
          padding: 'same',
          useBias: false,
          kernelInitializer: he(),
        }),
        x,
      );
      x = sym(bn(`${prefix}project_BN`), x);
      if (inC === outC && stride === 1) x = sym(tf.layers.add({ name: `${prefix}add` }), [inputs, x]);
      block++;
    }
  }
  const last = options.lastFilters ?? (alpha > 1 ? makeDivisible(1280 * alpha) : 1280);
  x = sym(
    tf.layers.conv2d({ name: 'Conv_1', filters: last, kernelSize: 1, useBias: false, kernelInitializer: he() }),
    x,
  );
  x = sym(relu6('out_relu'), sym(bn('Conv_1_bn'), x));
  x = sym(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
  const out = sym(
    tf.layers.dense({
      name: 'predictions',
      units: classes,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seed() }),
    }),
    x,
  );
  return tf.model({ inputs: input, outputs: out, name: `mobilenet_style_${alpha}_${h0}` });
}
