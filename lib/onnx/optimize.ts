// onnx.optimize: the float model made ready for quantization, and a change worth measuring on its
// own. ONNX Runtime's basic (portable) graph optimizations written back to ONNX (constants folded,
// BatchNormalization folded into the convolution before it, redundant nodes removed), Constant
// nodes turned into initializers, identical weights stored once, fused nodes given back the names
// the user knows. The arithmetic stays float32; the opset stays the model's.
import { onnx } from 'onnx-proto';
import { dedupeInitializers, hoistConstants } from './constants';
import { allGraphs, cloneModel } from './graph';
import { optimizeBasic } from './ort';
import { OnnxFile, ReadOnnxOptions, decodeOnnx, toOnnxFile } from './read';
import { finalize } from './rewrite';

/** What {@link optimize} reports. */
export interface OnnxOptimizeReport {
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  /** Bytes of identical weights stored once (ONNX Runtime's folding can copy a weight into each If branch). */
  readonly dedupedBytes: number;
  readonly floatSizeBytes: number;
  readonly sizeBytes: number;
  readonly sizeRatio: number;
}

/** Nodes in every graph of a model. */
export const nodeCount = (m: onnx.IModelProto): number =>
  allGraphs(m).reduce((a, s) => a + (s.graph.node?.length ?? 0), 0);

/**
 * ONNX Runtime names a fused node after the node it started from plus the fusion
 * ('fc1/MatMulAddFusion'); give it back the name the user knows, when that name is free.
 */
function restoreNames(working: onnx.ModelProto, original: onnx.IModelProto): void {
  const known = new Set(allGraphs(original).flatMap((s) => (s.graph.node ?? []).map((n) => n.name ?? '')));
  const used = new Set(allGraphs(working).flatMap((s) => (s.graph.node ?? []).map((n) => n.name ?? '')));
  for (const { graph } of allGraphs(working))
    for (const n of graph.node ?? []) {
      const at = n.name?.lastIndexOf('/') ?? -1;
      const origin = at > 0 ? (n.name as string).slice(0, at) : undefined;
      if (origin && known.has(origin) && !used.has(origin)) {
        used.add(origin);
        n.name = origin;
      }
    }
}

/** The optimized proto of `file` (a new model; `basic`: run ONNX Runtime's basic optimizations first). */
export async function optimizedProto(
  file: OnnxFile,
  basic = true,
): Promise<{ proto: onnx.ModelProto; dedupedBytes: number }> {
  const proto = basic
    ? onnx.ModelProto.decode(await optimizeBasic(onnx.ModelProto.encode(file.proto).finish()))
    : cloneModel(file.proto);
  hoistConstants(proto);
  const dedupedBytes = dedupeInitializers(proto);
  if (basic) restoreNames(proto, file.proto);
  return { proto, dedupedBytes };
}

/**
 * The model after ONNX Runtime's basic optimizations, saved as ONNX (a path, bytes, or onnx.read's
 * result in; never modified).
 * @example const { bytes, report } = await onnx.optimize('det.onnx'); report.nodesAfter // fewer: BatchNormalization folded
 */
export async function optimize(
  model: OnnxFile | Uint8Array | string,
  options: { readonly read?: ReadOnnxOptions } = {},
): Promise<{ model: OnnxFile; bytes: Uint8Array; report: OnnxOptimizeReport }> {
  const file = toOnnxFile(model, options.read, 'onnx.optimize');
  const { proto, dedupedBytes } = await optimizedProto(file);
  const nodesAfter = nodeCount(proto);
  const bytes = finalize(proto, 'onnx.optimize');
  return {
    model: decodeOnnx(bytes, { maxBytes: 2 ** 31 }),
    bytes,
    report: {
      nodesBefore: nodeCount(file.proto),
      nodesAfter,
      dedupedBytes,
      floatSizeBytes: file.sizeBytes,
      sizeBytes: bytes.length,
      sizeRatio: bytes.length / file.sizeBytes,
    },
  };
}
