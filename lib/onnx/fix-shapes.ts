// Fixing a model's free input dims (what onnxruntime's make_dynamic_shape_fixed tool does): the
// graph inputs get the dims given (the batch dim may stay free: 'N'), and the graph outputs are
// declared with the dims one ONNX Runtime run at those shapes produces (batch dims left free).
// A model with fixed per-example shapes can be served (the server's contract needs them), and ONNX
// Runtime can plan its memory for them.
import { onnx } from 'onnx-proto';
import { ConfigError, describe } from '../errors';
import { ortSession } from '../export/onnx/runtime';
import { OnnxFeeds, ortFeeds, runSession } from './feeds';
import { cloneModel } from './graph';
import { OnnxFile, ReadOnnxOptions, decodeOnnx, toOnnxFile } from './read';
import { DataType, elementCount, num } from './tensor';

/** Dims of one input: numbers, or a name for a dim left free (the batch). */
export type InputDims = readonly (number | string)[];

const ZEROS: Readonly<Record<number, (n: number) => OnnxFeeds[string]['data']>> = {
  [DataType.FLOAT]: (n) => new Float32Array(n),
  [DataType.INT64]: (n) => new BigInt64Array(n),
  [DataType.INT32]: (n) => new Int32Array(n),
  [DataType.UINT8]: (n) => new Uint8Array(n),
  [DataType.INT8]: (n) => new Int8Array(n),
  [DataType.BOOL]: (n) => new Uint8Array(n),
};

const dimProto = (d: number | string): onnx.TensorShapeProto.IDimension =>
  typeof d === 'number' ? { dimValue: d } : { dimParam: d };

/** Options of {@link fixShapes}. */
export interface FixShapesOptions {
  /** Dims per input name: numbers, or a name for the batch dim left free (e.g. {x: ['N', 3, 224, 224]}). */
  readonly inputs: Readonly<Record<string, InputDims>>;
  readonly read?: ReadOnnxOptions;
}

/** What {@link fixShapes} declared: every graph input's and output's dims. */
export interface FixShapesReport {
  readonly inputs: Record<string, (number | string)[]>;
  readonly outputs: Record<string, (number | string)[]>;
}

const dimsOf = (v: onnx.IValueInfoProto): (number | string)[] =>
  (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : num(d.dimValue ?? 0)));

/**
 * The model with the named inputs' dims fixed and its outputs' dims declared (a path, bytes, or
 * onnx.read's result in; never modified).
 * @example await onnx.fixShapes('rec.onnx', {inputs: {x: ['N', 3, 48, 320]}}) // report.outputs: {y: ['N', 40, 6625]}
 */
export async function fixShapes(
  model: OnnxFile | Uint8Array | string,
  options: FixShapesOptions,
): Promise<{ model: OnnxFile; bytes: Uint8Array; report: FixShapesReport }> {
  const shapes = options?.inputs;
  if (!shapes || typeof shapes !== 'object' || Array.isArray(shapes))
    throw new ConfigError(
      `onnx.fixShapes: options.inputs, dims per input name, got ${describe(shapes)}. Pass e.g. {inputs: {x: ['N', 3, 224, 224]}}.`,
    );
  const file = toOnnxFile(model, options.read, 'onnx.fixShapes');
  const proto = cloneModel(file.proto);
  const graph = proto.graph as onnx.GraphProto;
  const inits = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.filter((v) => !inits.has(v.name));
  const feeds: Record<string, OnnxFeeds[string]> = {};
  for (const [name, dims] of Object.entries(shapes)) {
    const input = inputs.find((v) => v.name === name);
    const ok =
      Array.isArray(dims) &&
      dims.every(
        (d) =>
          (typeof d === 'number' && Number.isInteger(d) && d > 0) ||
          (typeof d === 'string' && d.length > 0 && d.length <= 64),
      );
    if (!input || !ok)
      throw new ConfigError(
        `onnx.fixShapes: dims (positive integers, or a name for the batch) for inputs among ${inputs.map((v) => v.name).join(', ')}, got ${describe(name)}: ${describe(dims)}. Pass e.g. {${inputs[0]?.name ?? 'x'}: ['N', 3, 224, 224]}.`,
      );
    const declared = input.type?.tensorType?.shape?.dim ?? [];
    if (declared.length && declared.length !== dims.length)
      throw new ConfigError(
        `onnx.fixShapes: ${declared.length} dims for input "${name}", got ${dims.length}. Give every dim.`,
      );
    if (input.type?.tensorType) input.type.tensorType.shape = { dim: dims.map(dimProto) };
  }
  for (const v of inputs) {
    const dims = (v.type?.tensorType?.shape?.dim ?? []).map((d) =>
      d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : 1,
    );
    const make = ZEROS[v.type?.tensorType?.elemType ?? 0];
    if (!make)
      throw new ConfigError(
        `onnx.fixShapes: inputs of a numeric type, got "${v.name}" of another. Fix shapes from a script with feeds.`,
      );
    feeds[v.name ?? ''] = {
      data: make(elementCount(dims)),
      dims,
      ...(v.type?.tensorType?.elemType === DataType.BOOL ? { type: 'bool' as const } : {}),
    };
  }
  // Output dims from one run at the fixed shapes; a dim equal to a free input dim's run value stays free.
  const bytes0 = onnx.ModelProto.encode(proto).finish();
  const session = await ortSession(bytes0, { optimization: 'basic' });
  try {
    const out = await runSession(session, ortFeeds(session, feeds, 'onnx.fixShapes'), 'onnx.fixShapes');
    const batchName = Object.values(shapes)
      .map((d) => d[0])
      .find((d): d is string => typeof d === 'string');
    for (const o of graph.output) {
      const t = out[o.name ?? ''];
      if (!t || !o.type?.tensorType) continue;
      o.type.tensorType.shape = {
        dim: t.dims.map((d: number, i: number) => (i === 0 && batchName ? { dimParam: batchName } : { dimValue: d })),
      };
    }
  } finally {
    await session.release();
  }
  graph.valueInfo = [];
  const bytes = onnx.ModelProto.encode(proto).finish();
  const report: FixShapesReport = {
    inputs: Object.fromEntries(inputs.map((v) => [v.name ?? '', dimsOf(v)])),
    outputs: Object.fromEntries(graph.output.map((v) => [v.name ?? '', dimsOf(v)])),
  };
  return { model: decodeOnnx(bytes, { maxBytes: 2 ** 31 }), bytes, report };
}
