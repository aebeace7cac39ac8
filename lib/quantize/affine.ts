// Quantize, dequantize and fake-quantize with {@link QParams}. Fake quantization rounds in
// float32 (x -> dequantize(quantize(x))) and passes gradients straight through inside the range
// (the straight-through estimator of Bengio et al. 2013, as TensorFlow's fake_quant ops do).
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';
import { QParams, blockParams, broadcastParams, checkBlocks } from './qparams';
import { fromBlocks, toBlocks } from './blockwise';

function checkChannels(fn: string, x: tf.Tensor, qp: QParams): void {
  if (qp.blockSize !== undefined) return checkBlocks(fn, x.shape, qp);
  if (qp.axis === undefined) return;
  if (qp.axis >= x.rank || x.shape[qp.axis] !== qp.scale.length) {
    throw new ShapeError(
      `${fn}: ${qp.scale.length} channels on axis ${qp.axis}, got shape [${x.shape.join(', ')}]. ` +
        `Choose the parameters from a tensor of this shape.`,
    );
  }
}

/**
 * How parameters meet a tensor: per tensor and per channel broadcast directly; blockwise
 * parameters broadcast against the blocked view (`into`), and results come back with `back`.
 */
interface ParamView {
  readonly scale: tf.Tensor;
  readonly zeroPoint: tf.Tensor;
  into(t: tf.Tensor): tf.Tensor;
  back(t: tf.Tensor): tf.Tensor;
}

/** The parameter view of `qp` for tensors of `shape` (call inside tidy). */
function paramView(qp: QParams, shape: readonly number[]): ParamView {
  if (qp.blockSize === undefined) return { ...broadcastParams(qp, shape.length), into: (t) => t, back: (t) => t };
  const axis = qp.axis as number;
  return {
    ...blockParams(qp, shape),
    into: (t) => toBlocks(t, axis, qp.blockSize as number),
    back: (t) => fromBlocks(t, shape, axis),
  };
}

/**
 * Integers q = clamp(round(x / scale) + zeroPoint, qmin, qmax), as an int32 tensor.
 * Rounding is half to even (tfjs `round`), as ONNX QuantizeLinear rounds.
 * @example quantize(tf.tensor1d([-1, 0, 3]), qparamsFromRange([-1], [3], {bits: 8})) // [0, 64, 255]
 */
export function quantize(x: tf.Tensor, qp: QParams): tf.Tensor {
  checkChannels('quantize', x, qp);
  return tf.tidy(() => {
    const v = paramView(qp, x.shape);
    const q = tf.add(tf.round(tf.div(v.into(x), v.scale)), v.zeroPoint);
    return tf.cast(v.back(tf.clipByValue(q, qp.qmin, qp.qmax)), 'int32');
  });
}

/** Real values scale * (q - zeroPoint), float32. */
export function dequantize(q: tf.Tensor, qp: QParams): tf.Tensor {
  checkChannels('dequantize', q, qp);
  return tf.tidy(() => {
    const v = paramView(qp, q.shape);
    return v.back(tf.mul(tf.sub(v.into(tf.cast(q, 'float32')), v.zeroPoint), v.scale));
  });
}

/**
 * Runs `steps` one after another, freeing each intermediate as soon as the next exists, so a
 * chain over a large activation holds at most two of its intermediates at once.
 */
export function chain(x: tf.Tensor, steps: readonly ((t: tf.Tensor) => tf.Tensor)[]): tf.Tensor {
  let t = x;
  for (const step of steps) {
    const next = step(t);
    if (t !== x) t.dispose();
    t = next;
  }
  return t;
}

/**
 * dequantize(quantize(x)) in float32, with the straight-through gradient: dy passes unchanged
 * where x is inside the representable range, and is zero where x was clipped. The forward pass
 * holds at most two full-size intermediates (the range mask is computed only for the gradient).
 */
export function fakeQuantize(x: tf.Tensor, qp: QParams): tf.Tensor {
  checkChannels('fakeQuantize', x, qp);
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const { scale, zeroPoint, into, back } = paramView(qp, input.shape);
    save([input]);
    const blocked = into(input);
    const value = chain(blocked, [
      (t) => tf.div(t, scale),
      tf.round,
      (t) => tf.add(t, zeroPoint),
      (t) => tf.clipByValue(t, qp.qmin, qp.qmax),
      (t) => tf.sub(t, zeroPoint),
      (t) => tf.mul(t, scale),
      ...(qp.blockSize === undefined ? [] : [back]),
    ]);
    if (blocked !== input) blocked.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const p = paramView(qp, dy.shape);
          const lo = tf.mul(tf.sub(qp.qmin, p.zeroPoint), p.scale);
          const hi = tf.mul(tf.sub(qp.qmax, p.zeroPoint), p.scale);
          const v = p.into(saved[0] as tf.Tensor);
          return tf.mul(dy, p.back(tf.cast(tf.logicalAnd(tf.greaterEqual(v, lo), tf.lessEqual(v, hi)), 'float32')));
        }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(() => f(x));
}

/** Mean squared error and SQNR (dB) of approximating `x` by `y` (plain numbers). */
export function sqnr(x: tf.Tensor, y: tf.Tensor): { mse: number; sqnrDb: number } {
  const [signal, noise] = tf.tidy(() => [tf.mean(tf.square(x)), tf.mean(tf.square(tf.sub(x, y)))]);
  const s = signal.dataSync()[0] as number;
  const n = noise.dataSync()[0] as number;
  signal.dispose();
  noise.dispose();
  return { mse: n, sqnrDb: n === 0 ? Infinity : 10 * Math.log10(s / n) };
}
