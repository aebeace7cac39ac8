// Two backward kernels of conv nets that tfjs's wasm backend runs slowly, rewritten as single
// JavaScript passes over the backend's own memory:
// - MaxPoolGrad (max pooling's gradient): each gradient value goes to its window's first maximum,
//   as TensorFlow and tfjs's cpu backend do, bit for bit. tfjs's stock wasm kernel (a naive loop)
//   does not: it starts each window's running maximum at 0 at the window's first position, so a
//   window of negative values sends its gradient to the first position whatever the maximum,
//   and equal positive maxima send it to the last (measured in test/core/wasm-grad-kernels.test.ts).
//   After a ReLU the two agree except on exact ties. Used where windows do not overlap (stride >=
//   pool size, the usual 2x2/2), so each input position receives at most one value; otherwise
//   the stock kernel runs.
// - The gradient of ClipByValue (ReLU6 in MobileNets): tfjs computes it with five kernels
//   (GreaterEqual, LessEqual, LogicalAnd, a zeros tensor and Select), each a pass over the
//   activation; here one pass gives dy where min <= x <= max and 0 elsewhere, the same bits.
import * as tf from '@tensorflow/tfjs';
import { convPadding, PadAttr } from './conv-padding';
import { HeapBackend, overrideWasmKernel } from './wasm-override';
import { pair } from './pair';

/** dx of max pooling over non-overlapping windows (NHWC float32), into a new heap tensor. */
export function maxPoolGradHeap(
  b: HeapBackend,
  dy: tf.TensorInfo,
  x: tf.TensorInfo,
  filter: [number, number],
  strides: [number, number],
  pad: PadAttr,
): tf.TensorInfo {
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [, oH, oW] = dy.shape as [number, number, number, number];
  const [fH, fW] = filter;
  const [sH, sW] = strides;
  const p = convPadding(pad, [H, W], filter, strides);
  // Allocate first: an allocation may grow the heap and detach views made before it.
  const out = b.makeOutput([N, H, W, C], 'float32');
  const xv = b.typedArrayFromHeap(x);
  const dyv = b.typedArrayFromHeap(dy);
  const dx = b.typedArrayFromHeap(out);
  dx.fill(0);
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < oH; oh++) {
      const h0 = oh * sH - p.top;
      for (let ow = 0; ow < oW; ow++) {
        const w0 = ow * sW - p.left;
        best.fill(-Infinity);
        where.fill(-1);
        for (let kh = 0; kh < fH; kh++) {
          const h = h0 + kh;
          if (h < 0 || h >= H) continue;
          for (let kw = 0; kw < fW; kw++) {
            const w = w0 + kw;
            if (w < 0 || w >= W) continue;
            const base = ((n * H + h) * W + w) * C;
            for (let c = 0; c < C; c++) {
              const v = xv[base + c] as number;
              if (v > (best[c] as number)) {
                best[c] = v;
                where[c] = base + c;
              }
            }
          }
        }
        const dyBase = ((n * oH + oh) * oW + ow) * C;
        for (let c = 0; c < C; c++) {
          const at = where[c] as number;
          if (at >= 0) dx[at] = (dx[at] as number) + (dyv[dyBase + c] as number);
        }
      }
    }
  }
  return out;
}

let stockMaxPoolGrad: tf.KernelConfig | undefined;

/** The one-pass MaxPoolGrad where windows do not overlap; undefined (the stock kernel) elsewhere. */
function fastMaxPoolGrad(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | undefined {
  const a = args.attrs as Record<string, unknown>;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const filter = pair(a.filterSize);
  const strides = pair(a.strides);
  const plain =
    a.dimRoundingMode == null && dy.dtype === 'float32' && input.dtype === 'float32' && input.shape.length === 4;
  if (!plain || strides[0] < filter[0] || strides[1] < filter[1]) return undefined;
  return maxPoolGradHeap(args.backend as HeapBackend, dy, input, filter, strides, a.pad as PadAttr);
}

/** The kernel computing ClipByValue's gradient in one pass (wasm only). */
export const CLIP_GRAD_KERNEL = 'TfcClipByValueGrad';

const clipGradKernel: tf.KernelConfig = {
  kernelName: CLIP_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const a = attrs as { clipValueMin: number; clipValueMax: number };
    const b = backend as HeapBackend;
    const out = b.makeOutput([...dy.shape], 'float32');
    const xv = b.typedArrayFromHeap(x);
    const dyv = b.typedArrayFromHeap(dy);
    const o = b.typedArrayFromHeap(out);
    const lo = Math.fround(a.clipValueMin);
    const hi = Math.fround(a.clipValueMax);
    for (let i = 0; i < o.length; i++) {
      const v = xv[i] as number;
      o[i] = v >= lo && v <= hi ? (dyv[i] as number) : 0;
    }
    return out;
  },
};

/** ClipByValue's gradient: the one-pass kernel on wasm, tfjs's own composite elsewhere. */
const clipGradient: tf.GradConfig = {
  kernelName: 'ClipByValue',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
    const g = dy as tf.Tensor;
    if (
      tf.getBackend() === 'wasm' &&
      g.dtype === 'float32' &&
      x.dtype === 'float32' &&
      tf.util.arraysEqual(g.shape, x.shape)
    ) {
      return {
        x: () =>
          tf
            .engine()
            .runKernel(
              CLIP_GRAD_KERNEL,
              { dy: g, x } as unknown as tf.NamedTensorMap,
              { clipValueMin, clipValueMax } as unknown as tf.NamedAttrMap,
            ) as tf.Tensor,
      };
    }
    return {
      x: () =>
        tf.where(tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax)), g, tf.zerosLike(g)),
    };
  },
};

/** The stock wasm MaxPoolGrad kernel that this module replaced (tests compare the two). */
export function stockWasmMaxPoolGrad(): tf.KernelConfig | undefined {
  return stockMaxPoolGrad;
}

let registered = false;

/** Registers the faster MaxPoolGrad on wasm and the one-pass ClipByValue gradient (idempotent). Returns what it registered. */
export function registerWasmGradKernels(): string[] {
  if (registered) return [];
  registered = true;
  const added: string[] = [];
  stockMaxPoolGrad = overrideWasmKernel('MaxPoolGrad', fastMaxPoolGrad);
  if (stockMaxPoolGrad) added.push('MaxPoolGrad');
  if (tf.getKernel(CLIP_GRAD_KERNEL, 'wasm') === undefined) tf.registerKernel(clipGradKernel);
  tf.registerGradient(clipGradient);
  added.push('ClipByValue gradient');
  return added;
}
