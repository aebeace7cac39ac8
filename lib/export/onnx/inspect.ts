// Reading an ONNX file back: op counts and initializer bytes, e.g. to see what ONNX Runtime
// fused after optimization (QGemm, QLinearConv, DynamicQuantizeMatMul).
import * as fs from 'fs';
import { onnx } from 'onnx-proto';
import { DataError } from '../../errors';

/** Summary of an ONNX model file. */
export interface OnnxSummary {
  readonly opset: number;
  /** Node count per op type; contrib ops carry their domain (`com.microsoft.QGemm`). */
  readonly ops: Record<string, number>;
  readonly nodes: number;
  readonly initializerBytes: number;
  /** Shape of the first graph input, batch dimension excluded; null where a dimension is symbolic. */
  readonly inputShape: (number | null)[];
  /** Name of the first graph input ('' when the graph has none). */
  readonly inputName: string;
}

/**
 * Decodes an ONNX model (bytes or a file path) and counts its ops.
 * @example inspectOnnx(toOnnx(model).bytes).ops // {Gemm: 3, Relu: 2, Identity: 1}
 */
export function inspectOnnx(source: Uint8Array | string): OnnxSummary {
  let m: onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(typeof source === 'string' ? fs.readFileSync(source) : source);
  } catch (e) {
    throw new DataError(
      `inspectOnnx: an ONNX model file, got "${(e as Error).message}". Pass bytes written by toOnnx or ONNX Runtime.`,
    );
  }
  const ops: Record<string, number> = {};
  for (const n of m.graph?.node ?? []) {
    const key = n.domain ? `${n.domain}.${n.opType}` : (n.opType as string);
    ops[key] = (ops[key] ?? 0) + 1;
  }
  const initializerBytes = (m.graph?.initializer ?? []).reduce((a, t) => a + (t.rawData?.length ?? 0), 0);
  const opset = Number(m.opsetImport?.find((o) => !o.domain)?.version ?? 0);
  const initializers = new Set((m.graph?.initializer ?? []).map((t) => t.name));
  const input = (m.graph?.input ?? []).find((v) => !initializers.has(v.name));
  const dims = input?.type?.tensorType?.shape?.dim ?? [];
  const inputShape = dims
    .slice(1)
    .map((d) =>
      d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : null,
    );
  return { opset, ops, nodes: m.graph?.node?.length ?? 0, initializerBytes, inputShape, inputName: input?.name ?? '' };
}
