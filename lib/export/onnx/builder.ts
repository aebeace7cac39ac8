// A small ONNX graph builder over the protobufjs messages of `onnx-proto` (ONNX 1.10 schema).
// Tensors are stored as little-endian raw bytes; attribute types are explicit.
import { onnx } from 'onnx-proto';

/** The opset the exporter targets: QuantizeLinear/DequantizeLinear with per-channel `axis`. */
export const OPSET = 13;
/** IR version 7 (ONNX 1.8), read by every ONNX Runtime since 1.6. */
export const IR_VERSION = 7;
/** ONNX Runtime's contrib-op domain (MatMulNBits), imported at version 1 when a node uses it. */
export const MS_DOMAIN = 'com.microsoft';

export const DataType = onnx.TensorProto.DataType;

/** An ONNX attribute value with its type. */
export type Attr = { int: number } | { float: number } | { ints: readonly number[] } | { str: string };

/** Constant data; int64 (shapes and pads of Reshape and Pad) as BigInt64Array. */
type Data = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

function dataType(d: Data): number {
  if (d instanceof Float32Array) return DataType.FLOAT;
  if (d instanceof Int8Array) return DataType.INT8;
  if (d instanceof Uint8Array) return DataType.UINT8;
  if (d instanceof BigInt64Array) return DataType.INT64;
  return DataType.INT32;
}

function attribute(name: string, a: Attr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in a) return { name, type: T.INT, i: a.int };
  if ('float' in a) return { name, type: T.FLOAT, f: a.float };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.str) };
}

/** Accumulates nodes and initializers, with unique names. */
export class OnnxGraph {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();

  /** A fresh name derived from `base`. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds a constant tensor (dims [] for a scalar) and returns its name. */
  constant(base: string, data: Data, dims: readonly number[]): string {
    const name = this.unique(base);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push({ name, dataType: dataType(data), dims: [...dims], rawData: bytes });
    return name;
  }

  /** Adds a 1-D int64 constant (a shape, pads) and returns its name. */
  int64s(base: string, values: readonly number[]): string {
    return this.constant(
      base,
      BigInt64Array.from(values, (v) => BigInt(v)),
      [values.length],
    );
  }

  /** Adds a node (of the standard domain unless `domain`); returns its output names (fresh names from `base`). */
  node(
    op: string,
    inputs: readonly string[],
    base: string,
    attrs: Record<string, Attr> = {},
    outputs = 1,
    domain?: string,
  ): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.unique(outputs === 1 ? base : `${base}_${i}`));
    this.nodes.push({
      opType: op,
      name: this.unique(`${base}/${op}`),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      ...(domain ? { domain } : {}),
    });
    return outs;
  }

  /** One-output node. */
  op(op: string, inputs: readonly string[], base: string, attrs: Record<string, Attr> = {}, domain?: string): string {
    return this.node(op, inputs, base, attrs, 1, domain)[0] as string;
  }

  /** Serializes to an ONNX model file (float32 input and output with a symbolic batch dimension). */
  encode(
    input: { name: string; shape: readonly number[] },
    output: { name: string; shape: readonly number[] },
    graphName: string,
  ): Uint8Array {
    const valueInfo = (v: { name: string; shape: readonly number[] }): onnx.IValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: DataType.FLOAT,
          shape: { dim: [{ dimParam: 'batch' }, ...v.shape.map((d) => ({ dimValue: d }))] },
        },
      },
    });
    const model: onnx.IModelProto = {
      irVersion: IR_VERSION,
      producerName: 'tfjs-compress',
      producerVersion: '0.1.0',
      opsetImport: [
        { domain: '', version: OPSET },
        ...(this.nodes.some((n) => n.domain === MS_DOMAIN) ? [{ domain: MS_DOMAIN, version: 1 }] : []),
      ],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: [valueInfo(input)],
        output: [valueInfo(output)],
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}
