// Reads a .tflite file back with the same slot table the writer uses: operators (type, version,
// inputs, outputs, fused activation), tensors (shape, type, quantization) and data sizes. For
// tests and for showing what a file holds; an independent reader is TFLite itself.
import { DataError } from '../../errors';
import { ActivationFunction, BuiltinOperator, BuiltinOptions, FILE_IDENTIFIER, Slots, TensorType } from './schema';
import { TableReader, rootTable } from './flatbuffer';

/** One tensor of a decoded file. */
export interface TfliteTensorSummary {
  readonly name: string;
  readonly shape: number[];
  readonly type: string;
  /** Bytes of constant data (0 for activations). */
  readonly dataBytes: number;
  readonly quantization?: { scale: number[]; zeroPoint: number[]; dimension: number };
}

/** One operator of a decoded file. */
export interface TfliteOperatorSummary {
  readonly op: string;
  readonly version: number;
  readonly inputs: number[];
  readonly outputs: number[];
  /** The fused activation, for ops whose options have one. */
  readonly fusedActivation?: string;
}

/** A decoded file. */
export interface TfliteSummary {
  readonly version: number;
  readonly description?: string;
  readonly inputs: number[];
  readonly outputs: number[];
  readonly tensors: TfliteTensorSummary[];
  readonly operators: TfliteOperatorSummary[];
  /** Number of operators of each type. */
  readonly ops: Record<string, number>;
}

const nameOf = <T extends Record<string, number>>(e: T, v: number): string =>
  Object.keys(e).find((k) => e[k] === v) ?? `#${v}`;

/** Slot of `fused_activation_function` in each options table that has one. */
const FUSED_SLOT: Record<number, number> = {
  [BuiltinOptions.Conv2DOptions]: Slots.Conv2DOptions.fused_activation_function,
  [BuiltinOptions.DepthwiseConv2DOptions]: Slots.DepthwiseConv2DOptions.fused_activation_function,
  [BuiltinOptions.FullyConnectedOptions]: Slots.FullyConnectedOptions.fused_activation_function,
  [BuiltinOptions.AddOptions]: Slots.AddOptions.fused_activation_function,
  [BuiltinOptions.MulOptions]: Slots.MulOptions.fused_activation_function,
  [BuiltinOptions.SubOptions]: Slots.SubOptions.fused_activation_function,
  [BuiltinOptions.Pool2DOptions]: Slots.Pool2DOptions.fused_activation_function,
  [BuiltinOptions.ConcatenationOptions]: Slots.ConcatenationOptions.fused_activation_function,
};

/**
 * Decodes a .tflite file (its first subgraph). DataError when the bytes are not a TFLite file.
 * @example inspectTflite(toTflite(simpleNet({seed: 1})).bytes).ops // {FULLY_CONNECTED: 3}
 */
export function inspectTflite(bytes: Uint8Array): TfliteSummary {
  const model = rootTable(bytes, FILE_IDENTIFIER);
  if (!model)
    throw new DataError(
      `inspectTflite: a TFLite flatbuffer (file identifier "${FILE_IDENTIFIER}"), got ${bytes.length} bytes without it. Pass the bytes of a .tflite file.`,
    );
  const M = Slots.Model;
  const codes = model.tables(M.operator_codes).map((c) => {
    const C = Slots.OperatorCode;
    const code = Math.max(c.int8(C.deprecated_builtin_code), c.int32(C.builtin_code));
    return { op: nameOf(BuiltinOperator, code), version: c.int32(C.version, 1) };
  });
  const buffers = model.tables(M.buffers).map((b) => b.bytes(Slots.Buffer.data).length);
  const graph = model.tables(M.subgraphs)[0] as TableReader | undefined;
  if (!graph) throw new DataError(`inspectTflite: a model with a subgraph, got none. Pass a complete .tflite file.`);
  const S = Slots.SubGraph;
  const T = Slots.Tensor;
  const Q = Slots.QuantizationParameters;
  const tensors = graph.tables(S.tensors).map((t): TfliteTensorSummary => {
    const q = t.table(T.quantization);
    const scale = q ? q.float32s(Q.scale) : [];
    return {
      name: t.string(T.name) ?? '',
      shape: t.int32s(T.shape),
      type: nameOf(TensorType, t.int8(T.type)),
      dataBytes: buffers[t.uint32(T.buffer)] ?? 0,
      ...(q && scale.length
        ? { quantization: { scale, zeroPoint: q.int64s(Q.zero_point), dimension: q.int32(Q.quantized_dimension) } }
        : {}),
    };
  });
  const O = Slots.Operator;
  const operators = graph.tables(S.operators).map((o): TfliteOperatorSummary => {
    const code = codes[o.uint32(O.opcode_index)] ?? { op: '?', version: 0 };
    const type = o.uint8(O.builtin_options_type);
    const opts = o.table(O.builtin_options);
    const slot = FUSED_SLOT[type];
    return {
      ...code,
      inputs: o.int32s(O.inputs),
      outputs: o.int32s(O.outputs),
      ...(opts && slot !== undefined ? { fusedActivation: nameOf(ActivationFunction, opts.int8(slot)) } : {}),
    };
  });
  const ops: Record<string, number> = {};
  for (const o of operators) ops[o.op] = (ops[o.op] ?? 0) + 1;
  const description = model.string(M.description);
  return {
    version: model.uint32(M.version),
    ...(description ? { description } : {}),
    inputs: graph.int32s(S.inputs),
    outputs: graph.int32s(S.outputs),
    tensors,
    operators,
    ops,
  };
}
