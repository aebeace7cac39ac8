// BatchNormalization as an affine map, and its fold into the layer before it: the one place for
// this arithmetic (quantize.foldBatchNorm, the inference form and TFLite's float fusion use it).
// In inference mode y = gamma * (x - mean) / sqrt(var + eps) + beta = x * scale + shift with
// scale = gamma / sqrt(var + eps) and shift = beta - mean * scale. Folded into a kernel whose
// last axes carry the output channels: W'[..., c] = W[..., c] * scale[c], b' = b * scale + shift
// (Jacob et al. 2018, arXiv:1712.05877, section 3.2).

/** BatchNormalization's per-channel parameters. */
export interface BatchNormParams {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  readonly epsilon: number;
}

/** The per-channel affine map y = x * scale + shift of a BatchNormalization in inference mode. */
export interface BatchNormAffine {
  readonly scale: Float32Array;
  readonly shift: Float32Array;
}

/**
 * The parameters from a BatchNormalization's config and weights in layer order ([gamma] [beta]
 * mean variance: gamma and beta only when `scale` and `center` are not false; 1 and 0 otherwise).
 */
export function batchNormParamsOf(
  config: Readonly<Record<string, unknown>>,
  weights: readonly Float32Array[],
): BatchNormParams {
  const c = (weights[weights.length - 1] as Float32Array).length;
  let i = 0;
  const gamma = config.scale !== false ? (weights[i++] as Float32Array) : new Float32Array(c).fill(1);
  const beta = config.center !== false ? (weights[i++] as Float32Array) : new Float32Array(c);
  const mean = weights[i++] as Float32Array;
  const variance = weights[i++] as Float32Array;
  return { gamma, beta, mean, variance, epsilon: (config.epsilon as number | undefined) ?? 1e-3 };
}

/**
 * scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
 * @example batchNormAffine({gamma: [2], beta: [1], mean: [3], variance: [3], epsilon: 1}) // scale [1], shift [-2]
 */
export function batchNormAffine(p: BatchNormParams): BatchNormAffine {
  const scale = Float32Array.from(p.gamma, (g, k) => g / Math.sqrt((p.variance[k] as number) + p.epsilon));
  const shift = Float32Array.from(p.beta, (b, k) => b - (p.mean[k] as number) * (scale[k] as number));
  return { scale, shift };
}

/**
 * `kernel` and `bias` with `affine` folded in: W'[i] = W[i] * scale[i % channels] (the output
 * channel of entry i in Dense [in, units], conv HWIO and depthwise [kh, kw, in, mult] layouts),
 * b' = b * scale + shift (b = 0 when the layer has no bias). The inputs are not modified.
 * @example foldBatchNormInto(Float32Array.of(1, 2, 3, 4), undefined, 2, {scale: Float32Array.of(2, 3), shift: Float32Array.of(1, 0)}) // kernel [2, 6, 6, 12], bias [1, 0]
 */
export function foldBatchNormInto(
  kernel: Float32Array,
  bias: Float32Array | undefined,
  channels: number,
  affine: BatchNormAffine,
): { kernel: Float32Array; bias: Float32Array } {
  const { scale, shift } = affine;
  // (A plain loop: Float32Array.from with a map function is ~10x slower on ResNet50's 25M weights.)
  const out = new Float32Array(kernel.length);
  for (let i = 0, c = 0; i < out.length; i++, c = c + 1 === channels ? 0 : c + 1)
    out[i] = (kernel[i] as number) * (scale[c] as number);
  const b = Float32Array.from(
    { length: channels },
    (_, c) => (bias?.[c] ?? 0) * (scale[c] as number) + (shift[c] as number),
  );
  return { kernel: out, bias: b };
}
