// Flatbuffer helpers over the npm `flatbuffers` Builder and ByteBuffer: typed vectors and tables
// written by slot number (the schema's field order, see schema.ts), and a small table reader for
// decoding a file back. A flatbuffer is built back to front: children (vectors, strings, tables)
// are written before the table that points at them.
import { Builder, ByteBuffer } from 'flatbuffers';
import { DataError } from '../../errors';

/** An offset returned by the Builder. */
export type Offset = number;

/** A vector of int32 (shapes, tensor indices). */
export function int32Vector(b: Builder, xs: ArrayLike<number>): Offset {
  b.startVector(4, xs.length, 4);
  for (let i = xs.length - 1; i >= 0; i--) b.addInt32(xs[i] as number);
  return b.endVector();
}

/** A vector of int64 (zero points). */
export function int64Vector(b: Builder, xs: ArrayLike<number>): Offset {
  b.startVector(8, xs.length, 8);
  for (let i = xs.length - 1; i >= 0; i--) b.addInt64(BigInt(xs[i] as number));
  return b.endVector();
}

/** A vector of float32 (scales). */
export function float32Vector(b: Builder, xs: ArrayLike<number>): Offset {
  b.startVector(4, xs.length, 4);
  for (let i = xs.length - 1; i >= 0; i--) b.addFloat32(xs[i] as number);
  return b.endVector();
}

/** A vector of offsets (tables). */
export function offsetVector(b: Builder, xs: readonly Offset[]): Offset {
  b.startVector(4, xs.length, 4);
  for (let i = xs.length - 1; i >= 0; i--) b.addOffset(xs[i] as Offset);
  return b.endVector();
}

/** A ubyte vector whose data starts on an `align`-byte boundary (Buffer.data is force_align 16). */
export function bytesVector(b: Builder, bytes: Uint8Array, align = 16): Offset {
  b.startVector(1, bytes.length, align);
  const bb = b.dataBuffer();
  // Builder writes downwards: reserve the bytes, then copy them in one go.
  const space = (b as unknown as { space: number }).space - bytes.length;
  (b as unknown as { space: number }).space = space;
  bb.bytes().set(bytes, space);
  return b.endVector();
}

/** Scalar field kinds of {@link table}. */
type Scalar = { kind: 'int8' | 'int32' | 'uint32' | 'float32' | 'bool'; value: number | boolean; def?: number };

/** One field of a table: a scalar, or an offset (vector, string, sub-table). */
export type FieldValue = Scalar | { kind: 'offset'; value: Offset };

/** Scalar field helpers: a value equal to the schema default is not written, as flatc does. */
export const f = {
  int8: (value: number, def = 0): FieldValue => ({ kind: 'int8', value, def }),
  int32: (value: number, def = 0): FieldValue => ({ kind: 'int32', value, def }),
  uint32: (value: number, def = 0): FieldValue => ({ kind: 'uint32', value, def }),
  float32: (value: number, def = 0): FieldValue => ({ kind: 'float32', value, def }),
  bool: (value: boolean): FieldValue => ({ kind: 'bool', value, def: 0 }),
  offset: (value: Offset): FieldValue => ({ kind: 'offset', value }),
};

/** Writes a table with `fields` keyed by slot; children must already be in the buffer. */
export function table(b: Builder, numFields: number, fields: Readonly<Record<number, FieldValue | undefined>>): Offset {
  b.startObject(numFields);
  for (const [k, v] of Object.entries(fields)) {
    if (!v) continue;
    const slot = Number(k);
    switch (v.kind) {
      case 'offset':
        if (v.value) b.addFieldOffset(slot, v.value, 0);
        break;
      case 'int8':
        b.addFieldInt8(slot, v.value as number, v.def ?? 0);
        break;
      case 'bool':
        b.addFieldInt8(slot, v.value ? 1 : 0, 0);
        break;
      case 'int32':
      case 'uint32':
        b.addFieldInt32(slot, v.value as number, v.def ?? 0);
        break;
      case 'float32':
        b.addFieldFloat32(slot, v.value as number, v.def ?? 0);
        break;
    }
  }
  return b.endObject();
}

/** Reads one table of a flatbuffer by slot number. */
export class TableReader {
  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
  ) {}

  /** Position of a field's data, or 0 when absent. */
  private field(slot: number): number {
    const o = this.bb.__offset(this.pos, 4 + 2 * slot);
    return o ? this.pos + o : 0;
  }
  has(slot: number): boolean {
    return this.field(slot) !== 0;
  }
  /** A scalar field read by `read` at its position, or `def` when absent. */
  private scalar(slot: number, def: number, read: (p: number) => number): number {
    const p = this.field(slot);
    return p ? read(p) : def;
  }
  int8(slot: number, def = 0): number {
    return this.scalar(slot, def, (p) => this.bb.readInt8(p));
  }
  uint8(slot: number, def = 0): number {
    return this.scalar(slot, def, (p) => this.bb.readUint8(p));
  }
  int32(slot: number, def = 0): number {
    return this.scalar(slot, def, (p) => this.bb.readInt32(p));
  }
  uint32(slot: number, def = 0): number {
    return this.scalar(slot, def, (p) => this.bb.readUint32(p));
  }
  float32(slot: number, def = 0): number {
    return this.scalar(slot, def, (p) => this.bb.readFloat32(p));
  }
  string(slot: number): string | undefined {
    const p = this.field(slot);
    return p ? (this.bb.__string(p) as string) : undefined;
  }
  table(slot: number): TableReader | undefined {
    const p = this.field(slot);
    return p ? new TableReader(this.bb, this.bb.__indirect(p)) : undefined;
  }
  /**
   * Start and length of a vector field of `elementBytes`-byte entries. A length read from a hostile
   * file is bounded by the file's size before anything walks it (a DataError otherwise).
   */
  private vector(slot: number, elementBytes: number): { start: number; length: number } {
    const p = this.field(slot);
    if (!p) return { start: 0, length: 0 };
    const capacity = this.bb.capacity();
    const v = p + this.bb.readInt32(p);
    const length = v >= 0 && v + 4 <= capacity ? this.bb.readInt32(v) : -1;
    if (length < 0 || v + 4 + length * elementBytes > capacity) {
      throw new DataError(
        `inspectTflite: a vector inside the file, got ${length < 0 ? 'an offset' : `${length} entries`} past its ` +
          `${capacity} bytes (at byte ${v}). The file is truncated or corrupt: export it again.`,
      );
    }
    return { start: v + 4, length };
  }
  tables(slot: number): TableReader[] {
    const { start, length } = this.vector(slot, 4);
    return Array.from({ length }, (_, i) => new TableReader(this.bb, this.bb.__indirect(start + 4 * i)));
  }
  int32s(slot: number): number[] {
    const { start, length } = this.vector(slot, 4);
    return Array.from({ length }, (_, i) => this.bb.readInt32(start + 4 * i));
  }
  int64s(slot: number): number[] {
    const { start, length } = this.vector(slot, 8);
    return Array.from({ length }, (_, i) => Number(this.bb.readInt64(start + 8 * i)));
  }
  float32s(slot: number): number[] {
    const { start, length } = this.vector(slot, 4);
    return Array.from({ length }, (_, i) => this.bb.readFloat32(start + 4 * i));
  }
  /** A ubyte vector as a view on the file's bytes (not copied). */
  bytes(slot: number): Uint8Array {
    const { start, length } = this.vector(slot, 1);
    return this.bb.bytes().subarray(start, start + length);
  }
}

/** The root table of a finished flatbuffer, after checking its file identifier. */
export function rootTable(bytes: Uint8Array, identifier: string): TableReader | undefined {
  if (bytes.length < 8) return undefined;
  const bb = new ByteBuffer(bytes);
  if (!bb.__has_identifier(identifier)) return undefined;
  return new TableReader(bb, bb.readInt32(bb.position()) + bb.position());
}
