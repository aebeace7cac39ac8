// What the exporters read from a tfjs layer, with their shared refusals: its weights as plain
// arrays (non-finite values refused, naming the layer), its config, a rank-4 transpose for
// kernel layouts (tfjs [kh, kw, in, out] -> OHWI for TFLite, OIHW for Core ML) and
// BatchNormalization's parameters. `fn` is the exporter named in error messages.
import { ExportError } from '../errors';
import { GraphNode } from '../core/graph';
import { BatchNormParams, batchNormParamsOf } from '../core/batchnorm';

/** A layer's weights as plain arrays (tfjs layout). ExportError on NaN or Infinity. */
export function layerWeights(node: GraphNode, fn: string): { data: Float32Array; shape: number[] }[] {
  return node.layer.getWeights().map((w) => {
    const data = w.dataSync() as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i] as number)) {
        throw new ExportError(
          `${fn}: finite weights, got ${data[i]} in layer "${node.name}" (${node.className}). Repair or retrain that layer before exporting.`,
        );
      }
    }
    return { data, shape: w.shape.slice() };
  });
}

/** The layer's config value `key`. */
export function config<T>(node: GraphNode, key: string): T {
  return node.config[key] as T;
}

/** ExportError for a layer configuration an exporter does not handle, naming the layer and the way out. */
export function unsupportedConfig(fn: string, node: GraphNode, what: string, fix: string): ExportError {
  return new ExportError(
    `${fn}: a ${node.className} configuration it supports, got layer "${node.name}" with ${what}. ${fix}.`,
  );
}

/** Transposes a rank-4 array of `shape` by `perm` (e.g. HWIO -> OHWI: perm [3, 0, 1, 2]). */
export function transpose4<T extends Float32Array | Int8Array | Uint8Array | Int32Array>(
  data: T,
  shape: readonly number[],
  perm: readonly number[],
): T {
  const [, s1, s2, s3] = shape as [number, number, number, number];
  const strides = [s1 * s2 * s3, s2 * s3, s3, 1];
  const [n0, n1, n2, n3] = perm.map((p) => shape[p] as number) as [number, number, number, number];
  const [t0, t1, t2, t3] = perm.map((p) => strides[p] as number) as [number, number, number, number];
  const out = new (data.constructor as new (n: number) => T)(data.length);
  let o = 0;
  for (let a = 0; a < n0; a++)
    for (let b = 0; b < n1; b++)
      for (let c = 0; c < n2; c++) {
        const base = a * t0 + b * t1 + c * t2;
        for (let d = 0; d < n3; d++) out[o++] = data[base + d * t3] as number;
      }
  return out;
}

/** BatchNormalization's per-channel parameters (gamma 1 and beta 0 when the layer has none); weights checked finite. */
export function batchNormParams(node: GraphNode, fn: string): BatchNormParams {
  return batchNormParamsOf(
    node.config,
    layerWeights(node, fn).map((w) => w.data),
  );
}

/**
 * The readers above bound to one exporter's name `fn` (what its error messages start with).
 * @example const { layerWeights, unsupported } = exporterReaders('toTflite');
 */
export function exporterReaders(fn: string) {
  return {
    layerWeights: (node: GraphNode) => layerWeights(node, fn),
    batchNormParams: (node: GraphNode) => batchNormParams(node, fn),
    unsupported: (node: GraphNode, what: string, fix: string) => unsupportedConfig(fn, node, what, fix),
  };
}

/** A layer class an exporter refuses: why, and what to do instead. */
export interface Refusal {
  readonly refused: string;
  readonly fix: string;
}

/** A refusal entry of a converter table. */
export const refuse = (refused: string, fix: string): Refusal => ({ refused, fix });

/**
 * The converter of `node` in `table` (keyed by layer class), or an ExportError naming the layer,
 * why, and what to do. `folder` is where a new converter would go (e.g. lib/export/tflite).
 */
export function converterFor<C extends (...args: never[]) => unknown>(
  table: Readonly<Record<string, C | Refusal>>,
  node: GraphNode,
  fn: string,
  folder: string,
): C {
  const c = table[node.className];
  if (c === undefined) {
    throw new ExportError(
      `${fn}: layers of classes the library knows, got layer "${node.name}" of class ${node.className}, which has no registry entry. ` +
        `Replace it with supported layers before exporting, or add it to lib/core/layers.ts and a converter in ${folder}.`,
    );
  }
  if (typeof c !== 'function')
    throw new ExportError(
      `${fn}: a layer it can export, got layer "${node.name}" of class ${node.className} (${(c as Refusal).refused}). ${(c as Refusal).fix}.`,
    );
  return c as C;
}

/**
 * The refusals every exporter shares (layer classes none converts yet), worded for one exporter:
 * `none` says why, `replace` what to do. Spread into each converter table.
 */
export function sharedRefusals(none: string, replace: string) {
  return {
    Conv1D: refuse(none, 'Use Conv2D on a [1, width, channels] image'),
    Conv2DTranspose: refuse(none, replace),
    SeparableConv2D: refuse(none, 'Rebuild it as DepthwiseConv2D followed by a 1x1 Conv2D (the same computation)'),
    LayerNormalization: refuse(none, replace),
    ThresholdedReLU: refuse(none, replace),
    PReLU: refuse(none, 'Use LeakyReLU (one slope) or ReLU'),
    Cropping2D: refuse(none, replace),
    UpSampling2D: refuse(none, replace),
    MaxPooling1D: refuse(none, 'Use MaxPooling2D on a [1, width, channels] image'),
    AveragePooling1D: refuse(none, 'Use AveragePooling2D on a [1, width, channels] image'),
    GlobalMaxPooling1D: refuse(none, replace),
    GlobalAveragePooling1D: refuse(none, replace),
    Permute: refuse(none, replace),
    RepeatVector: refuse(none, replace),
  } as const;
}

/** The dropout and noise layers, the identity at inference: the same converter for each. */
export function inferenceIdentities<C>(identity: C) {
  return {
    Dropout: identity,
    SpatialDropout1D: identity,
    SpatialDropout2D: identity,
    GaussianNoise: identity,
    GaussianDropout: identity,
    AlphaDropout: identity,
  } as const;
}
