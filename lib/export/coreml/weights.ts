// Core ML WeightParams: float32 values, float16 bytes, linear 8-bit (per output channel c,
// w = scale[c] * q + bias[c] with q an unsigned byte) or a lookup table (w = table[q] with q an
// n-bit index, the table found by k-means: palettization). Quantized indices are packed most
// significant bit first, as coremltools packs them (neural_network/quantization_utils.py).
// Weights arrive in Core ML's layout with the output channel on axis 0 (conv OIHW,
// innerProduct [C_out, C_in]).
import { ConfigError, ExportError, describe } from '../../errors';
import { QParams } from '../../quantize/qparams';
import { fromFloat16Bits, toFloat16Bits } from '../../quantize/float16';
import { kmeansCluster } from '../../quantize/kmeans';

/** How kernels are stored. */
export type CoreMLWeightMode = 'float32' | 'float16' | 'linear8' | 'lut';

/** A WeightParams message as a plain object (protobufjs field names). */
export interface WeightParamsMessage {
  floatValue?: number[];
  float16Value?: Uint8Array;
  rawValue?: Uint8Array;
  quantization?: {
    numberOfBits: number;
    linearQuantization?: { scale: number[]; bias: number[] };
    lookupTableQuantization?: { floatValue: number[] };
  };
}

/** Options of {@link kernelParams}. */
export interface KernelWeightOptions {
  readonly mode: CoreMLWeightMode;
  /** Number of output channels (axis 0). */
  readonly channels: number;
  /** Lookup table: index bits (1-8). */
  readonly lutBits: number;
  readonly seed: number;
  /** linear8: the plan's kernel parameters (symmetric int8), reused instead of each channel's min/max. */
  readonly planned?: QParams;
  /** The layer, for error messages. */
  readonly layer: string;
}

/** Values stored at full precision, or as float16 when `mode` is 'float16' (biases and normalization parameters). */
export function plainParams(values: Float32Array, mode: CoreMLWeightMode): WeightParamsMessage {
  if (mode !== 'float16') return { floatValue: Array.from(values) };
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setUint16(2 * i, toFloat16Bits(v), true));
  return { float16Value: bytes };
}

/** Packs `codes` of `bits` each, most significant bit first, into whole bytes. */
export function packBits(codes: ArrayLike<number>, bits: number): Uint8Array {
  if (bits === 8) return Uint8Array.from(codes);
  const out = new Uint8Array(Math.max(1, Math.ceil((codes.length * bits) / 8)));
  let bit = 0;
  for (let i = 0; i < codes.length; i++) {
    for (let b = bits - 1; b >= 0; b--, bit++) {
      if (((codes[i] as number) >> b) & 1) out[bit >> 3] = (out[bit >> 3] as number) | (0x80 >> (bit & 7));
    }
  }
  return out;
}

/** Unpacks `n` codes of `bits` each (inverse of {@link packBits}). */
export function unpackBits(bytes: Uint8Array, bits: number, n: number): Uint16Array {
  const out = new Uint16Array(n);
  let bit = 0;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++, bit++) v = (v << 1) | (((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1);
    out[i] = v;
  }
  return out;
}

/** Rounds half to even (as the library's quantize and ONNX QuantizeLinear do). */
function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** linear8 per output channel: the plan's symmetric parameters, or each channel's [min, max] over 255 steps. */
function linear8(values: Float32Array, channels: number, layer: string, planned?: QParams): WeightParamsMessage {
  const per = values.length / channels;
  if (planned?.blockSize !== undefined) {
    throw new ExportError(
      `toCoreML: kernel parameters with one scale per output channel (NeuralNetwork linear quantization), got blockwise int4 parameters (blocks of ${planned.blockSize}) ` +
        `for layer "${layer}". Export weight-only int4 to ONNX (MatMulNBits), or use weights 'lut' (4-bit palettization) without the plan.`,
    );
  }
  if (planned && planned.axis !== undefined && planned.scale.length !== channels) {
    throw new ExportError(
      `toCoreML: a plan whose kernel parameters fit layer "${layer}" (${channels} output channels), got ${planned.scale.length} scales. ` +
        `Export the model the plan was made for (the model quantize.postTraining returns, BatchNormalization folded).`,
    );
  }
  const scale: number[] = [];
  const bias: number[] = [];
  const q = new Uint8Array(values.length);
  for (let c = 0; c < channels; c++) {
    const row = values.subarray(c * per, (c + 1) * per);
    let s: number;
    let b: number;
    if (planned) {
      // Symmetric int8 q' in [-127, 127], w = s * q'; unsigned q = q' + 128, so w = s * q - 128 * s.
      s = planned.scale[planned.axis === undefined ? 0 : c] as number;
      b = -128 * s;
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of row) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      s = (hi - lo) / 255;
      b = lo;
    }
    scale.push(s);
    bias.push(b);
    for (let i = 0; i < per; i++) {
      const code = s > 0 ? roundEven(((row[i] as number) - b) / s) : 0;
      if (planned && (code < 1 || code > 255)) {
        throw new ExportError(
          `toCoreML: kernel values inside the plan's int8 range, got ${row[i]} in layer "${layer}" (plan scale ${s}). ` +
            `Export the model the plan was made for (the model quantize.postTraining returns, BatchNormalization folded).`,
        );
      }
      q[c * per + i] = Math.min(255, Math.max(0, code));
    }
  }
  return { rawValue: q, quantization: { numberOfBits: 8, linearQuantization: { scale, bias } } };
}

/** Lookup table of 2^bits entries by k-means (quantize's kmeansCluster), each weight on its nearest entry. */
function lookupTable(values: Float32Array, bits: number, seed: number): WeightParamsMessage {
  const { codebook } = kmeansCluster(values, [values.length], { bits, seed });
  const size = 2 ** bits;
  // Core ML wants exactly 2^bits entries: fewer distinct weights than entries repeat the last one.
  const table = Float32Array.from({ length: size }, (_, i) => codebook[Math.min(i, codebook.length - 1)] as number);
  const order = Array.from(table.keys()).sort((a, b) => (table[a] as number) - (table[b] as number));
  const sorted = order.map((i) => table[i] as number);
  const codes = new Uint16Array(values.length);
  values.forEach((v, i) => {
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (v > ((sorted[m] as number) + (sorted[m + 1] as number)) / 2) lo = m + 1;
      else hi = m;
    }
    codes[i] = order[lo] as number;
  });
  return {
    rawValue: packBits(codes, bits),
    quantization: { numberOfBits: bits, lookupTableQuantization: { floatValue: Array.from(table) } },
  };
}

/** A kernel's WeightParams in `options.mode`. */
export function kernelParams(values: Float32Array, options: KernelWeightOptions): WeightParamsMessage {
  switch (options.mode) {
    case 'float32':
    case 'float16':
      return plainParams(values, options.mode);
    case 'linear8':
      return linear8(values, options.channels, options.layer, options.planned);
    case 'lut':
      if (!(Number.isInteger(options.lutBits) && options.lutBits >= 1 && options.lutBits <= 8)) {
        throw new ConfigError(
          `toCoreML: lutBits an integer in [1, 8], got ${describe(options.lutBits)}. Use 4 (16-entry tables) or 6.`,
        );
      }
      return lookupTable(values, options.lutBits, options.seed);
  }
}

/** The float32 values a WeightParams message stands for (as Core ML reads it); `n` values. */
export function decodeWeightParams(w: WeightParamsMessage, n: number, channels: number): Float32Array {
  if (w.floatValue && w.floatValue.length) return Float32Array.from(w.floatValue);
  if (w.float16Value && w.float16Value.length) {
    const view = new DataView(w.float16Value.buffer, w.float16Value.byteOffset, w.float16Value.byteLength);
    return Float32Array.from({ length: w.float16Value.length / 2 }, (_, i) =>
      fromFloat16Bits(view.getUint16(2 * i, true)),
    );
  }
  const q = w.quantization;
  const raw = w.rawValue ?? new Uint8Array(0);
  if (q?.linearQuantization) {
    const { scale, bias } = q.linearQuantization;
    const codes = unpackBits(raw, q.numberOfBits, n);
    const per = n / channels;
    return Float32Array.from(codes, (c, i) => {
      const ch = scale.length === 1 ? 0 : Math.floor(i / per);
      return (scale[ch] as number) * c + (bias[ch] as number);
    });
  }
  if (q?.lookupTableQuantization) {
    const table = q.lookupTableQuantization.floatValue;
    return Float32Array.from(unpackBits(raw, q.numberOfBits, n), (c) => table[c] as number);
  }
  return new Float32Array(0);
}
