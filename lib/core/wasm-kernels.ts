// The backward kernels that tfjs's wasm backend lacks, registered through tfjs's public kernel
// API (tf.registerKernel): Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter and
// DepthwiseConv2dNativeBackpropInput. Without them a conv net cannot train on wasm.
// Registering kernels rather than gradients matters: tfjs's fused conv2d (what Conv2D layers
// call) computes its gradient in a customGrad that calls these kernels directly, bypassing any
// registered gradient. Each kernel is built from kernels wasm has (Conv2D, DepthwiseConv2dNative,
// Conv2DBackpropInput) on transposed tensors, and is tested equal to the cpu backend's kernel.
// Layouts: x and dy NHWC; conv filters [kh, kw, inC, outC]; depthwise filters [kh, kw, C, M].
import * as tf from '@tensorflow/tfjs';
import { convPadding, PadAttr } from './conv-padding';
import { ConfigError } from '../errors';
import { registerWasmGradKernels } from './wasm-grad-kernels';
import { overrideWasmKernel } from './wasm-override';
import { pair } from './pair';

type Attrs = Record<string, unknown>;

function padded(x: tf.Tensor4D, pad: PadAttr, kH: number, kW: number, strides: [number, number]): tf.Tensor4D {
  const p = convPadding(pad, [x.shape[1], x.shape[2]], [kH, kW], strides);
  return p.top + p.bottom + p.left + p.right > 0
    ? tf.pad(x, [
        [0, 0],
        [p.top, p.bottom],
        [p.left, p.right],
        [0, 0],
      ])
    : x;
}

/** A filter gradient: dW of `filterShape` from the layer's input `x` and the output gradient `dy`. */
export type FilterGrad = (
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly number[],
  strides: [number, number],
  pad: PadAttr,
) => tf.Tensor4D;

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of xPadded[n, oh*s + kh, ow*s + kw, ci] * dy[n, oh, ow, co]:
 * a valid convolution of x^T (ci, Hp, Wp, n) by dy^T (oh, ow, n, co) with dilation s.
 */
export const conv2dFilterGrad: FilterGrad = (x, dy, filterShape, strides, pad) =>
  tf.tidy(() => {
    const [kH, kW] = filterShape as [number, number];
    const xp = padded(x, pad, kH, kW, strides);
    const xT = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // (ci, Hp, Wp, n)
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // (oh, ow, n, co)
    let out = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', strides); // (ci, >=kh, >=kw, co)
    if (out.shape[1] !== kH || out.shape[2] !== kW) out = tf.slice(out, [0, 0, 0, 0], [-1, kH, kW, -1]);
    return tf.transpose(out, [1, 2, 0, 3]); // (kh, kw, ci, co)
  });

/** dy with s - 1 zeros between its rows and columns (the stride undone): (n, (oh-1)*sh+1, (ow-1)*sw+1, c). */
function dilate(dy: tf.Tensor4D, strides: [number, number]): tf.Tensor4D {
  const [sh, sw] = strides;
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(spread, [n, oh * sh, ow * sw, c]),
    [0, 0, 0, 0],
    [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c],
  ) as tf.Tensor4D;
}

/**
 * The padding of the stride-undone dy that turns dX into a plain 'valid' convolution with the
 * spatially flipped filter, or undefined when the conv's padding cannot be expressed so.
 */
function inputGradPads(
  inputShape: readonly number[],
  dyShape: readonly number[],
  kH: number,
  kW: number,
  strides: [number, number],
  pad: PadAttr,
): [[number, number], [number, number]] | undefined {
  const [, inH, inW] = inputShape as [number, number, number, number];
  const [, oH, oW] = dyShape as [number, number, number, number];
  const p = convPadding(pad, [inH, inW], [kH, kW], strides);
  const top = kH - 1 - p.top;
  const left = kW - 1 - p.left;
  const bottom = inH + kH - 1 - ((oH - 1) * strides[0] + 1) - top;
  const right = inW + kW - 1 - ((oW - 1) * strides[1] + 1) - left;
  return Math.min(top, left, bottom, right) < 0
    ? undefined
    : [
        [top, bottom],
        [left, right],
      ];
}

/**
 * dX of a depthwise conv, any stride: dy with the stride undone (zeros between), padded, then a
 * depthwise conv with the spatially flipped filter, one multiplier at a time (output channel
 * c * M + m reads input channel c). Falls back to a dense block-diagonal transposed conv where the
 * padding cannot be expressed.
 */
export function depthwiseInputGrad(
  xShape: readonly number[],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: [number, number],
  pad: PadAttr,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kH, kW, C, M] = filter.shape;
    const pads = inputGradPads(xShape, dy.shape, kH, kW, strides, pad);
    if (!pads) {
      const eye = tf.reshape(tf.eye(C), [1, 1, C, C, 1]);
      const dense = tf.reshape(tf.mul(tf.reshape(filter, [kH, kW, C, 1, M]), eye), [kH, kW, C, C * M]) as tf.Tensor4D;
      return tf.conv2dTranspose(
        dy,
        dense,
        xShape as [number, number, number, number],
        strides,
        pad as 'same' | 'valid' | number,
      );
    }
    const flipped = tf.reverse(filter, [0, 1]);
    const [n, oH, oW] = dy.shape;
    const dy5 = tf.reshape(dy, [n, oH, oW, C, M]);
    let sum: tf.Tensor4D | undefined;
    for (let m = 0; m < M; m++) {
      const dym =
        M === 1 ? dy : (tf.reshape(tf.slice(dy5, [0, 0, 0, 0, m], [-1, -1, -1, -1, 1]), [n, oH, oW, C]) as tf.Tensor4D);
      const f = tf.slice(flipped, [0, 0, 0, m], [-1, -1, -1, 1]) as tf.Tensor4D;
      const dx = tf.depthwiseConv2d(tf.pad(dilate(dym, strides), [[0, 0], pads[0], pads[1], [0, 0]]), f, 1, 'valid');
      sum = sum ? (tf.add(sum, dx) as tf.Tensor4D) : dx;
    }
    return sum as tf.Tensor4D;
  });
}

/** dFilter of a depthwise conv: per channel multiplier m, a depthwise conv of x by dy with the batch folded into channels. */
export const depthwiseFilterGrad: FilterGrad = (x, dy, filterShape, strides, pad) =>
  tf.tidy(() => {
    const [kH, kW, C, M] = filterShape as [number, number, number, number];
    const n = x.shape[0];
    const xp = padded(x, pad, kH, kW, strides);
    const [, hP, wP] = xp.shape;
    const [, oH, oW] = dy.shape;
    const xT = tf.reshape(tf.transpose(xp, [1, 2, 3, 0]), [1, hP, wP, C * n]) as tf.Tensor4D; // channel c*n + i
    const dy5 = tf.reshape(dy, [n, oH, oW, C, M]);
    const perM: tf.Tensor[] = [];
    for (let m = 0; m < M; m++) {
      const dym = tf.reshape(tf.slice(dy5, [0, 0, 0, 0, m], [-1, -1, -1, -1, 1]), [n, oH, oW, C]);
      const f = tf.reshape(tf.transpose(dym, [1, 2, 3, 0]), [oH, oW, C * n, 1]) as tf.Tensor4D;
      let out = tf.depthwiseConv2d(xT, f, 1, 'valid', 'NHWC', strides); // (1, >=kh, >=kw, C*n)
      if (out.shape[1] !== kH || out.shape[2] !== kW) out = tf.slice(out, [0, 0, 0, 0], [-1, kH, kW, -1]);
      perM.push(tf.sum(tf.reshape(out, [kH, kW, C, n]), 3)); // (kh, kw, C)
    }
    return tf.stack(perM, 3) as tf.Tensor4D; // (kh, kw, C, M)
  });

function unsupported(kernel: string, what: string): never {
  throw new ConfigError(
    `${kernel} (wasm, tfjs-compress): NHWC data and dilation 1, got ${what}. Train this model on the cpu backend (initBackend('cpu')).`,
  );
}

type Grad = (inputs: tf.NamedTensorInfoMap, a: Attrs, strides: [number, number], pad: PadAttr) => tf.Tensor4D;

/** A wasm gradient kernel: `refusal` names an attribute it cannot take (a ConfigError), else `grad` runs. */
function gradKernel(kernelName: string, refusal: (a: Attrs) => string | undefined, grad: Grad): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as Attrs;
      const what = refusal(a);
      if (what) unsupported(kernelName, what);
      return grad(inputs, a, pair(a.strides), a.pad as PadAttr) as unknown as tf.TensorInfo;
    },
  };
}

const nhwcOnly = (a: Attrs) => ((a.dataFormat ?? 'NHWC') !== 'NHWC' ? `dataFormat ${String(a.dataFormat)}` : undefined);
const dilationOne = (a: Attrs) => (pair(a.dilations).some((d) => d !== 1) ? 'dilation > 1' : undefined);
const t4 = (t: tf.TensorInfo | undefined) => t as unknown as tf.Tensor4D;
const filterGradKernel = (kernelName: string, refusal: (a: Attrs) => string | undefined, grad: FilterGrad) =>
  gradKernel(kernelName, refusal, (i, a, strides, pad) =>
    grad(t4(i.x), t4(i.dy), a.filterShape as number[], strides, pad),
  );

const KERNELS: tf.KernelConfig[] = [
  filterGradKernel('Conv2DBackpropFilter', nhwcOnly, conv2dFilterGrad),
  filterGradKernel('DepthwiseConv2dNativeBackpropFilter', dilationOne, depthwiseFilterGrad),
  gradKernel('DepthwiseConv2dNativeBackpropInput', dilationOne, (i, a, strides, pad) =>
    depthwiseInputGrad(a.inputShape as number[], t4(i.dy), t4(i.filter), strides, pad),
  ),
];

/**
 * dX of a conv as a plain convolution: dy with the stride undone (zeros between), padded by
 * (k - 1 - pad), convolved with the filter flipped in space and with in/out channels swapped.
 * wasm's own Conv2DBackpropInput is a naive loop (~1 GFLOP/s); its Conv2D is XNNPACK. Returns
 * undefined where the padding cannot be expressed so.
 */
export function conv2dInputGrad(
  inputShape: readonly number[],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: [number, number],
  pad: PadAttr,
): tf.Tensor4D | undefined {
  const [kH, kW] = filter.shape;
  const pads = inputGradPads(inputShape, dy.shape, kH, kW, strides, pad);
  if (!pads) return undefined;
  return tf.tidy(() => {
    const w = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // (kh, kw, co, ci)
    return tf.conv2d(tf.pad(dilate(dy, strides), [[0, 0], pads[0], pads[1], [0, 0]]), w, 1, 'valid');
  });
}

/** dX of a stride-1 conv (see conv2dInputGrad). */
export function conv2dInputGradStride1(
  inputShape: readonly number[],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  pad: PadAttr,
): tf.Tensor4D | undefined {
  return conv2dInputGrad(inputShape, dy, filter, [1, 1], pad);
}

/** The faster Conv2DBackpropInput where the padding allows; undefined (the stock kernel) elsewhere. */
function fastConv2dBackpropInput(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | undefined {
  const a = args.attrs as Attrs;
  if ((a.dataFormat ?? 'NHWC') !== 'NHWC' || a.dimRoundingMode != null) return undefined;
  return conv2dInputGrad(
    a.inputShape as number[],
    args.inputs.dy as tf.Tensor4D,
    args.inputs.filter as tf.Tensor4D,
    pair(a.strides),
    a.pad as PadAttr,
  ) as unknown as tf.TensorInfo | undefined;
}

let conv2dBackpropInputReplaced = false;

/**
 * Registers the missing wasm backward kernels, the faster Conv2DBackpropInput, and the one-pass
 * MaxPoolGrad and ClipByValue gradient (wasm-grad-kernels.ts) (idempotent). Returns the names it registered now.
 */
export function registerWasmKernels(): string[] {
  const added: string[] = [];
  for (const k of KERNELS) {
    if (tf.getKernel(k.kernelName, 'wasm') === undefined) {
      tf.registerKernel(k);
      added.push(k.kernelName);
    }
  }
  if (!conv2dBackpropInputReplaced) {
    conv2dBackpropInputReplaced = true;
    if (overrideWasmKernel('Conv2DBackpropInput', fastConv2dBackpropInput)) added.push('Conv2DBackpropInput');
  }
  added.push(...registerWasmGradKernels());
  return added;
}
