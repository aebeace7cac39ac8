// ONNX tensors (TensorProto) as plain typed arrays and back. A TensorProto keeps its values either
// as little-endian `raw_data` bytes or in a typed field (`float_data`, `int32_data` for the 8/16-bit
// types and float16, `int64_data`, `double_data`); external data is loaded into `raw_data` by the
// reader before anything here sees it. 64-bit integers decode as Long objects (protobufjs): `num`
// turns them into numbers.
import { onnx } from 'onnx-proto';
import { DataError, ShapeError } from '../errors';
import { fromFloat16Bits } from '../quantize/float16';

export const DataType = onnx.TensorProto.DataType;

/** Element bytes of each data type the library reads (0: not a fixed-width numeric type). */
const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  1: 4, // FLOAT
  2: 1, // UINT8
  3: 1, // INT8
  4: 2, // UINT16
  5: 2, // INT16
  6: 4, // INT32
  7: 8, // INT64
  9: 1, // BOOL
  10: 2, // FLOAT16
  11: 8, // DOUBLE
  12: 4, // UINT32
  13: 8, // UINT64
  16: 2, // BFLOAT16
};

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
};

/** The name of an ONNX data type, e.g. 1 -> 'float32'. */
export function typeName(dataType: number): string {
  return TYPE_NAMES[dataType] ?? `type ${dataType}`;
}

/** A protobuf integer (number or Long) as a number. */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/** The dims of a tensor as numbers. */
export function dimsOf(t: onnx.ITensorProto): number[] {
  return (t.dims ?? []).map(num);
}

/** Number of elements of `dims` (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, d) => a * d, 1);
}

/** Bytes the tensor's values take (raw or typed fields), without the proto's framing. */
export function tensorBytes(t: onnx.ITensorProto): number {
  if (t.rawData?.length) return t.rawData.length;
  const per = ELEMENT_BYTES[t.dataType ?? 0] ?? 0;
  return per * elementCount(dimsOf(t));
}

function aligned(raw: Uint8Array, bytes: number): ArrayBuffer {
  // Typed-array views need their element alignment: copy into a fresh buffer.
  const copy = new Uint8Array(bytes);
  copy.set(raw.subarray(0, bytes));
  return copy.buffer;
}

function checkRaw(t: onnx.ITensorProto, count: number, per: number, fn: string): Uint8Array {
  const raw = t.rawData as Uint8Array;
  if (raw.length !== count * per) {
    throw new DataError(
      `${fn}: ${count * per} bytes of values for tensor "${t.name}" of shape [${dimsOf(t).join(', ')}], got ${raw.length}. The model file is corrupt; export it again.`,
    );
  }
  return raw;
}

/**
 * The values of a numeric tensor as float32 (float, float16, double and the integer types).
 * @example tensorFloats({dataType: 1, dims: [2], floatData: [1, 2]}) // Float32Array [1, 2]
 */
export function tensorFloats(t: onnx.ITensorProto, fn = 'onnx'): Float32Array {
  const type = t.dataType ?? 0;
  const count = elementCount(dimsOf(t));
  if (type === DataType.FLOAT) {
    if (t.rawData?.length) return new Float32Array(aligned(checkRaw(t, count, 4, fn), count * 4));
    return Float32Array.from(t.floatData ?? []);
  }
  if (type === DataType.FLOAT16) {
    const bits = t.rawData?.length
      ? new Uint16Array(aligned(checkRaw(t, count, 2, fn), count * 2))
      : Uint16Array.from(t.int32Data ?? []);
    return Float32Array.from(bits, fromFloat16Bits);
  }
  return Float32Array.from(tensorNumbers(t, fn));
}

/**
 * Where a TensorProto keeps the values of each non-float numeric type when they are not in
 * rawData (the ONNX spec's field per type), and the typed view that reads them from rawData.
 */
const NUMBER_STORAGE: Readonly<
  Record<
    number,
    {
      readonly view: { new (b: ArrayBuffer): ArrayLike<number | bigint>; readonly BYTES_PER_ELEMENT: number };
      readonly field: 'doubleData' | 'int64Data' | 'uint64Data' | 'int32Data';
    }
  >
> = {
  [DataType.DOUBLE]: { view: Float64Array, field: 'doubleData' },
  [DataType.INT64]: { view: BigInt64Array, field: 'int64Data' },
  [DataType.UINT64]: { view: BigUint64Array, field: 'uint64Data' },
  [DataType.INT32]: { view: Int32Array, field: 'int32Data' },
  [DataType.UINT32]: { view: Uint32Array, field: 'uint64Data' },
  [DataType.INT8]: { view: Int8Array, field: 'int32Data' },
  [DataType.UINT8]: { view: Uint8Array, field: 'int32Data' },
  [DataType.BOOL]: { view: Uint8Array, field: 'int32Data' },
  [DataType.INT16]: { view: Int16Array, field: 'int32Data' },
  [DataType.UINT16]: { view: Uint16Array, field: 'int32Data' },
};

/** The values of an integer, bool or float tensor as plain numbers (int64 beyond 2^53 loses precision). */
export function tensorNumbers(t: onnx.ITensorProto, fn = 'onnx'): number[] {
  const type = t.dataType ?? 0;
  if (type === DataType.FLOAT || type === DataType.FLOAT16) return Array.from(tensorFloats(t, fn));
  const storage = NUMBER_STORAGE[type];
  if (!storage)
    throw new DataError(
      `${fn}: a numeric tensor, got tensor "${t.name}" of type ${typeName(type)}. Keep such tensors out of the quantized nodes.`,
    );
  if (!t.rawData?.length) return (t[storage.field] ?? []).map(num);
  const count = elementCount(dimsOf(t));
  const per = storage.view.BYTES_PER_ELEMENT;
  return Array.from(new storage.view(aligned(checkRaw(t, count, per, fn), count * per)), Number);
}

/** Values a constant tensor may be built from, typed by ONNX element type. */
export type TensorData =
  Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array | Uint16Array | { readonly float16: Uint16Array };

/** A TensorProto holding `data` as raw little-endian bytes. float16 values are passed as `{float16: bits}`. */
export function makeTensor(name: string, data: TensorData, dims: readonly number[]): onnx.TensorProto {
  const count = elementCount(dims);
  let dataType: number;
  let view: ArrayBufferView;
  if ('float16' in data) {
    dataType = DataType.FLOAT16;
    view = data.float16;
  } else {
    view = data;
    if (data instanceof Float32Array) dataType = DataType.FLOAT;
    else if (data instanceof Int8Array) dataType = DataType.INT8;
    else if (data instanceof Uint8Array) dataType = DataType.UINT8;
    else if (data instanceof Int32Array) dataType = DataType.INT32;
    else if (data instanceof BigInt64Array) dataType = DataType.INT64;
    else dataType = DataType.UINT16;
  }
  const length = (view as unknown as { length: number }).length;
  if (length !== count)
    throw new ShapeError(
      `makeTensor: ${count} values for shape [${dims.join(', ')}], got ${length}. Pass one value per element.`,
    );
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  return onnx.TensorProto.create({ name, dataType, dims: [...dims], rawData: bytes });
}

/** An int64 tensor (shapes, axes, pads). */
export function int64Tensor(
  name: string,
  values: readonly number[],
  dims: readonly number[] = [values.length],
): onnx.TensorProto {
  return makeTensor(
    name,
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}
