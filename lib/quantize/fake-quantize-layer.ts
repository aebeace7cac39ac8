// The layers a quantized model carries at its activation quantization points (TFMOT's
// quantize_apply inserts the same kind of layer into a Keras model): FakeQuantize rounds its
// input to a fixed per-tensor grid (static quantization), DynamicQuantize to a grid chosen from
// each batch's own range (dynamic quantization, as ONNX Runtime's DynamicQuantizeLinear). Both
// are identity-with-rounding in predict, pass gradients straight through, and serialize with
// the model (registered with tf.serialization, so tf.loadLayersModel rebuilds them once this
// module is imported).
import * as tf from '@tensorflow/tfjs';
import { chain, fakeQuantize } from './affine';
import { QParams, integerRange } from './qparams';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Arguments of {@link FakeQuantize}: one per-tensor grid. */
export interface FakeQuantizeArgs extends LayerArgs {
  readonly bits: number;
  readonly signed?: boolean;
  readonly symmetric?: boolean;
  readonly scale: number;
  readonly zeroPoint: number;
}

const single = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor =>
  Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;

/** Static fake quantization: x -> scale * (clamp(round(x / scale) + zeroPoint) - zeroPoint). */
export class FakeQuantize extends tf.layers.Layer {
  static readonly className = 'FakeQuantize';
  readonly qparams: QParams;

  constructor(args: FakeQuantizeArgs) {
    super({ ...args, trainable: false });
    const signed = args.signed ?? false;
    const symmetric = args.symmetric ?? false;
    const { qmin, qmax } = integerRange({ bits: args.bits, signed, symmetric });
    this.qparams = {
      bits: args.bits,
      signed,
      symmetric,
      qmin,
      qmax,
      scale: Float32Array.of(args.scale),
      zeroPoint: Int32Array.of(args.zeroPoint),
    };
  }

  /** A layer for the per-tensor grid `qp`. */
  static of(qp: QParams, name: string): FakeQuantize {
    return new FakeQuantize({
      name,
      bits: qp.bits,
      signed: qp.signed,
      symmetric: qp.symmetric,
      scale: qp.scale[0] as number,
      zeroPoint: qp.zeroPoint[0] as number,
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return fakeQuantize(single(inputs), this.qparams);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const qp = this.qparams;
    return {
      ...super.getConfig(),
      bits: qp.bits,
      signed: qp.signed,
      symmetric: qp.symmetric,
      scale: qp.scale[0] as number,
      zeroPoint: qp.zeroPoint[0] as number,
    };
  }
}

/**
 * Per-batch asymmetric quantization over [min(x, 0), max(x, 0)] with 2^bits - 1 steps, exactly
 * as ONNX's DynamicQuantizeLinear (round half to even), computed on the device; straight-through gradient.
 */
export function dynamicFakeQuantize(x: tf.Tensor, bits: number): tf.Tensor {
  const qmax = 2 ** bits - 1;
  const f = tf.customGrad(((input: tf.Tensor) => {
    const lo = tf.minimum(tf.min(input), 0);
    const hi = tf.maximum(tf.max(input), 0);
    const range = tf.sub(hi, lo);
    const scale = tf.where(tf.greater(range, 0), tf.div(range, qmax), tf.onesLike(range));
    const zero = tf.clipByValue(tf.round(tf.neg(tf.div(lo, scale))), 0, qmax);
    const value = chain(input, [
      (t) => tf.div(t, scale),
      tf.round,
      (t) => tf.add(t, zero),
      (t) => tf.clipByValue(t, 0, qmax),
      (t) => tf.sub(t, zero),
      (t) => tf.mul(t, scale),
    ]);
    return { value, gradFunc: (dy: tf.Tensor) => dy };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(() => f(x));
}

/** Arguments of {@link DynamicQuantize}. */
export interface DynamicQuantizeArgs extends LayerArgs {
  readonly bits: number;
}

/** Dynamic fake quantization of the input of a weight layer, with a grid chosen per batch. */
export class DynamicQuantize extends tf.layers.Layer {
  static readonly className = 'DynamicQuantize';
  readonly bits: number;

  constructor(args: DynamicQuantizeArgs) {
    super({ ...args, trainable: false });
    this.bits = args.bits;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return dynamicFakeQuantize(single(inputs), this.bits);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), bits: this.bits };
  }
}

tf.serialization.registerClass(FakeQuantize);
tf.serialization.registerClass(DynamicQuantize);
