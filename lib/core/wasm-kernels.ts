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

type Attrs = Record<string, unknown>;

function pair(v: unknown): [number, number] {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  const n = v == null ? 1 : Number(v);
  return [n, n];
}

function padded(x: tf.Tensor4D, pad: PadAttr, kH: number, kW: number, strides: [number, number]): tf.Tensor4D {
  const p = convPadding(pad, [x.shape[1], x.shape[2]], [kH, kW], strides);
  return p.top + p.bottom + p.left + p.right > 0 ? tf.pad(x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]) : x;
}

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of xPadded[n, oh*s + kh, ow*s + kw, ci] * dy[n, oh, ow, co]:
 * a valid convolution of x^T (ci, Hp, Wp, n) by dy^T (oh, ow, n, co) with dilation s.
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], strides: [number, number], pad: PadAttr): tf.Tensor4D {
  return tf.tidy(() => {
    const [kH, kW] = filterShape as [number, number];
    const xp = padded(x, pad, kH, kW, strides);
    const xT = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // (ci, Hp, Wp, n)
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // (oh, ow, n, co)
    let out = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', strides); // (ci, >=kh, >=kw, co)
    if (out.shape[1] !== kH || out.shape[2] !== kW) out = tf.slice(out, [0, 0, 0, 0], [-1, kH, kW, -1]);
    return tf.transpose(out, [1, 2, 0, 3]); // (kh, kw, ci, co)
  });
}

/** dX of a depthwise conv: a transposed conv with the block-diagonal filter W[kh, kw, c, c*M + m] = f[kh, kw, c, m]. */
export function depthwiseInputGrad(xShape: readonly number[], dy: tf.Tensor4D, filter: tf.Tensor4D, strides: [number, number], pad: PadAttr): tf.Tensor4D {
  return tf.tidy(() => {
    const [kH, kW, C, M] = filter.shape;
    const eye = tf.reshape(tf.eye(C), [1, 1, C, C, 1]);
    const dense = tf.reshape(tf.mul(tf.reshape(filter, [kH, kW, C, 1, M]), eye), [kH, kW, C, C * M]) as tf.Tensor4D;
    return tf.conv2dTranspose(dy, dense, xShape as [number, number, number, number], strides, pad as 'same' | 'valid' | number);
  });
}

/** dFilter of a depthwise conv: per channel multiplier m, a depthwise conv of x by dy with the batch folded into channels. */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], strides: [number, number], pad: PadAttr): tf.Tensor4D {
  return tf.tidy(() => {
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
}

function unsupported(kernel: string, what: string): never {
  throw new ConfigError(`${kernel} (wasm, tfjs-compress): NHWC data and dilation 1, got ${what}. Train this model on the cpu backend (initBackend('cpu')).`);
}

const KERNELS: tf.KernelConfig[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as Attrs;
      if ((a.dataFormat ?? 'NHWC') !== 'NHWC') unsupported('Conv2DBackpropFilter', `dataFormat ${String(a.dataFormat)}`);
      return conv2dFilterGrad(inputs.x as tf.Tensor4D, inputs.dy as tf.Tensor4D, a.filterShape as number[], pair(a.strides), a.pad as PadAttr) as unknown as tf.TensorInfo;
    },
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as Attrs;
      if (pair(a.dilations).some((d) => d !== 1)) unsupported('DepthwiseConv2dNativeBackpropFilter', 'dilation > 1');
      return depthwiseFilterGrad(inputs.x as tf.Tensor4D, inputs.dy as tf.Tensor4D, a.filterShape as number[], pair(a.strides), a.pad as PadAttr) as unknown as tf.TensorInfo;
    },
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrs as Attrs;
      if (pair(a.dilations).some((d) => d !== 1)) unsupported('DepthwiseConv2dNativeBackpropInput', 'dilation > 1');
      return depthwiseInputGrad(a.inputShape as number[], inputs.dy as tf.Tensor4D, inputs.filter as tf.Tensor4D, pair(a.strides), a.pad as PadAttr) as unknown as tf.TensorInfo;
    },
  },
];

/**
 * dX of a stride-1 conv as a plain convolution: dy padded by (k - 1 - pad) and convolved with the
 * filter flipped in space and with in/out channels swapped. wasm's own Conv2DBackpropInput is a
 * naive loop (~1 GFLOP/s); its Conv2D is XNNPACK. Returns undefined where this does not apply.
 */
export function conv2dInputGradStride1(inputShape: readonly number[], dy: tf.Tensor4D, filter: tf.Tensor4D, pad: PadAttr): tf.Tensor4D | undefined {
  const [, inH, inW] = inputShape as [number, number, number, number];
  const [kH, kW] = filter.shape;
  const [, oH, oW] = dy.shape;
  const p = convPadding(pad, [inH, inW], [kH, kW], [1, 1]);
  const top = kH - 1 - p.top;
  const left = kW - 1 - p.left;
  const bottom = inH + kH - 1 - oH - top;
  const right = inW + kW - 1 - oW - left;
  if (Math.min(top, left, bottom, right) < 0) return undefined;
  return tf.tidy(() => {
    const w = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // (kh, kw, co, ci)
    const dyp = tf.pad(dy, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    return tf.conv2d(dyp, w, 1, 'valid');
  });
}

let stockConv2dBackpropInput: tf.KernelConfig | undefined;

function fastConv2dBackpropInput(): tf.KernelConfig {
  const stockKernel = stockConv2dBackpropInput as tf.KernelConfig;
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const a = args.attrs as Attrs;
      if ((a.dataFormat ?? 'NHWC') === 'NHWC' && pair(a.strides).every((s) => s === 1) && a.dimRoundingMode == null) {
        const out = conv2dInputGradStride1(a.inputShape as number[], args.inputs.dy as tf.Tensor4D, args.inputs.filter as tf.Tensor4D, a.pad as PadAttr);
        if (out) return out as unknown as tf.TensorInfo;
      }
      return stockKernel.kernelFunc(args);
    },
  };
}

/**
 * Registers the missing wasm backward kernels and the faster stride-1 Conv2DBackpropInput
 * (idempotent). Returns the names it registered now.
 */
export function registerWasmKernels(): string[] {
  const added: string[] = [];
  for (const k of KERNELS) {
    if (tf.getKernel(k.kernelName, 'wasm') === undefined) {
      tf.registerKernel(k);
      added.push(k.kernelName);
    }
  }
  if (stockConv2dBackpropInput === undefined) {
    stockConv2dBackpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
    if (stockConv2dBackpropInput) {
      tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
      tf.registerKernel(fastConv2dBackpropInput());
      added.push('Conv2DBackpropInput');
    }
  }
  return added;
}
