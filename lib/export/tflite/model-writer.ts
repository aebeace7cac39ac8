// The TFLite model being written: buffers, tensors (with quantization), operators and their
// operator codes, gathered in plain arrays by the converters and serialized to one flatbuffer
// (one subgraph, schema version 3) by `encode`. Layout: NHWC activations, CONV_2D weights
// OHWI [outC, kh, kw, inC], DEPTHWISE_CONV_2D weights [1, kh, kw, inC * multiplier],
// FULLY_CONNECTED weights [units, in].
import { Builder } from 'flatbuffers';
import {
  BuiltinOperator,
  FILE_IDENTIFIER,
  OperatorName,
  SCHEMA_VERSION,
  Slots,
  TensorType,
  TensorTypeValue,
} from './schema';
import { Offset, bytesVector, f, float32Vector, int32Vector, int64Vector, offsetVector, table } from './flatbuffer';

/** Per-tensor or per-channel (`dimension`) quantization of a TFLite tensor: real = scale * (q - zeroPoint). */
export interface TensorQuantization {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly dimension?: number;
}

/** A tensor of the subgraph. */
export interface TfliteTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly type: TensorTypeValue;
  /** Index into the buffers (0: no data, an activation). */
  readonly buffer: number;
  readonly quantization?: TensorQuantization;
}

/** Builtin options of an operator: the union member and a function writing its table. */
export interface OperatorOptions {
  readonly type: number;
  readonly write: (b: Builder) => Offset;
}

/** An operator of the subgraph, in execution order. */
export interface TfliteOperator {
  readonly op: OperatorName;
  readonly version: number;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly options?: OperatorOptions;
}

/** Constant data of a tensor. */
export type TensorData = Float32Array | Int8Array | Int32Array | Uint8Array;

function tensorType(data: TensorData): TensorTypeValue {
  if (data instanceof Float32Array) return TensorType.FLOAT32;
  if (data instanceof Int8Array) return TensorType.INT8;
  if (data instanceof Int32Array) return TensorType.INT32;
  return TensorType.UINT8;
}

/** Accumulates one subgraph; tensor names are made unique. */
export class TfliteModelWriter {
  readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  readonly tensors: TfliteTensor[] = [];
  readonly operators: TfliteOperator[] = [];
  private readonly names = new Set<string>();

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** A tensor without data (an activation); returns its index. */
  activation(name: string, shape: readonly number[], type: TensorTypeValue, quantization?: TensorQuantization): number {
    this.tensors.push({
      name: this.unique(name),
      shape: [...shape],
      type,
      buffer: 0,
      ...(quantization ? { quantization } : {}),
    });
    return this.tensors.length - 1;
  }

  /** A constant tensor holding `data` (little-endian, row-major); returns its index. */
  constant(name: string, data: TensorData, shape: readonly number[], quantization?: TensorQuantization): number {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.buffers.push(bytes);
    this.tensors.push({
      name: this.unique(name),
      shape: [...shape],
      type: tensorType(data),
      buffer: this.buffers.length - 1,
      ...(quantization ? { quantization } : {}),
    });
    return this.tensors.length - 1;
  }

  /** Appends an operator (execution order is insertion order). */
  operator(
    op: OperatorName,
    version: number,
    inputs: readonly number[],
    outputs: readonly number[],
    options?: OperatorOptions,
  ): void {
    this.operators.push({ op, version, inputs, outputs, ...(options ? { options } : {}) });
  }

  /** Serializes the model with `inputs` and `outputs` as the subgraph's tensor indices. */
  encode(inputs: readonly number[], outputs: readonly number[], description: string): Uint8Array {
    // Sized for everything up front: growing doubles and copies the whole buffer.
    const dataBytes = this.buffers.reduce((a, x) => a + x.length + 48, 0);
    const b = new Builder(Math.max(1024, dataBytes + 256 * this.tensors.length + 128 * this.operators.length + 4096));
    const codes: { op: OperatorName; version: number }[] = [];
    const codeIndex = new Map<string, number>();
    for (const o of this.operators) {
      const key = `${o.op}/${o.version}`;
      if (!codeIndex.has(key)) {
        codeIndex.set(key, codes.length);
        codes.push({ op: o.op, version: o.version });
      }
    }
    // Buffers first (the bulk of the file), each 16-byte aligned.
    const buffers = this.buffers.map((bytes) =>
      table(b, Slots.Buffer.numFields, {
        [Slots.Buffer.data]: bytes.length ? f.offset(bytesVector(b, bytes)) : undefined,
      }),
    );
    const tensors = this.tensors.map((t) => {
      const shape = int32Vector(b, t.shape);
      const name = b.createString(t.name);
      let quantization: Offset = 0;
      if (t.quantization) {
        const q = t.quantization;
        const S = Slots.QuantizationParameters;
        const scale = float32Vector(b, q.scale);
        const zero = int64Vector(b, q.zeroPoint);
        quantization = table(b, S.numFields, {
          [S.scale]: f.offset(scale),
          [S.zero_point]: f.offset(zero),
          [S.quantized_dimension]: q.dimension !== undefined ? f.int32(q.dimension) : undefined,
        });
      }
      const T = Slots.Tensor;
      return table(b, T.numFields, {
        [T.shape]: f.offset(shape),
        [T.type]: f.int8(t.type),
        [T.buffer]: f.uint32(t.buffer),
        [T.name]: f.offset(name),
        [T.quantization]: quantization ? f.offset(quantization) : undefined,
      });
    });
    const operators = this.operators.map((o) => {
      const ins = int32Vector(b, o.inputs);
      const outs = int32Vector(b, o.outputs);
      const options = o.options ? o.options.write(b) : 0;
      const O = Slots.Operator;
      return table(b, O.numFields, {
        [O.opcode_index]: f.uint32(codeIndex.get(`${o.op}/${o.version}`) as number),
        [O.inputs]: f.offset(ins),
        [O.outputs]: f.offset(outs),
        [O.builtin_options_type]: o.options ? f.int8(o.options.type) : undefined,
        [O.builtin_options]: options ? f.offset(options) : undefined,
      });
    });
    const S = Slots.SubGraph;
    const subgraph = table(b, S.numFields, {
      [S.tensors]: f.offset(offsetVector(b, tensors)),
      [S.inputs]: f.offset(int32Vector(b, inputs)),
      [S.outputs]: f.offset(int32Vector(b, outputs)),
      [S.operators]: f.offset(offsetVector(b, operators)),
      [S.name]: f.offset(b.createString('main')),
    });
    const C = Slots.OperatorCode;
    const opcodes = codes.map(({ op, version }) => {
      const code = BuiltinOperator[op];
      // Codes below 127 also go in the original byte field, which older runtimes read.
      return table(b, C.numFields, {
        [C.deprecated_builtin_code]: f.int8(Math.min(code, 127)),
        [C.version]: f.int32(version, 1),
        [C.builtin_code]: f.int32(code),
      });
    });
    const M = Slots.Model;
    const desc = b.createString(description);
    const model = table(b, M.numFields, {
      [M.version]: f.uint32(SCHEMA_VERSION),
      [M.operator_codes]: f.offset(offsetVector(b, opcodes)),
      [M.subgraphs]: f.offset(offsetVector(b, [subgraph])),
      [M.description]: f.offset(desc),
      [M.buffers]: f.offset(offsetVector(b, buffers)),
    });
    b.finish(model, FILE_IDENTIFIER);
    return b.asUint8Array().slice();
  }

  /** Number of operators of each type. */
  opCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const o of this.operators) out[o.op] = (out[o.op] ?? 0) + 1;
    return out;
  }
}
