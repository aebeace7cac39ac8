// Fuzz targets for model formats read from bytes: ONNX (the serving manifest and the inspector,
// both over onnx-proto's protobuf decoder) and TFLite (the library's own flatbuffer reader).
// Structure-aware ONNX cases decode a valid model, rewrite its input and output declarations
// (dimensions of -5, 0 or 2^40, symbolic dimensions, other element types, extra or missing
// values) and encode it again; the rest flip, overwrite, cut and repeat bytes.
import fc from 'fast-check';
import { onnx } from 'onnx-proto';
import { onnxServingManifest } from '../../lib/serve/serving-manifest';
import { inspectOnnx } from '../../lib/export/onnx/inspect';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { inspectTflite } from '../../lib/export/tflite/inspect';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { simpleNet } from '../../course/models/simplenet';
import { byteInputs } from './mutate';
import { FuzzTarget } from './target';

const TFLITE_ID = Uint8Array.from([0, 0, 0, 0, 0x54, 0x46, 0x4c, 0x33]); // root offset, then "TFL3"

function tinyModelBytes(to: 'onnx' | 'tflite'): Uint8Array {
  const model = simpleNet({ seed: 1, hidden: [4], inputSize: 6, numClasses: 3 });
  try {
    return to === 'onnx' ? toOnnx(model).bytes : toTflite(model).bytes;
  } finally {
    model.dispose();
  }
}

interface Declaration {
  readonly where: 'input' | 'output';
  readonly dim: number;
  readonly value: number | string;
  readonly elemType: number;
  readonly drop: boolean;
  readonly add: boolean;
}

const declaration: fc.Arbitrary<Declaration> = fc.record({
  where: fc.constantFrom('input', 'output'),
  dim: fc.nat(3),
  value: fc.constantFrom(-5, -1, 0, 1, 3, 2 ** 31, 2 ** 40, 'batch', ''),
  elemType: fc.constantFrom(1, 1, 1, 7, 10, 0, 99),
  drop: fc.boolean(),
  add: fc.boolean(),
});

/** A valid ONNX model with its input or output declaration rewritten. */
function redeclared(valid: Uint8Array, d: Declaration): Uint8Array {
  const m = onnx.ModelProto.decode(valid);
  const values = d.where === 'input' ? m.graph?.input : m.graph?.output;
  const v = values?.[0];
  const shape = v?.type?.tensorType?.shape;
  const dims = shape?.dim ?? [];
  const target = dims[d.dim % Math.max(1, dims.length)];
  if (target) {
    if (typeof d.value === 'number') {
      target.dimValue = d.value as never;
      target.dimParam = '';
    } else {
      target.dimParam = d.value;
      target.dimValue = null as never;
    }
  }
  if (v?.type?.tensorType) v.type.tensorType.elemType = d.elemType;
  if (values && d.drop) values.splice(0, 1);
  if (values && d.add && v) values.push(onnx.ValueInfoProto.create({ name: `${v.name}_2`, type: v.type }));
  return onnx.ModelProto.encode(m).finish();
}

function onnxCases(): fc.Arbitrary<Uint8Array> {
  const valid = tinyModelBytes('onnx');
  return fc.oneof(
    { weight: 3, arbitrary: declaration.map((d) => redeclared(valid, d)) },
    { weight: 6, arbitrary: byteInputs([valid]) },
  );
}

const onnxServing: FuzzTarget = {
  name: 'onnx-serving',
  parser: 'lib/serve/serving-manifest.ts onnxServingManifest',
  setup() {
    onnxServingManifest(tinyModelBytes('onnx'));
    return { arbitrary: onnxCases(), run: (b) => onnxServingManifest(b as Uint8Array), save: (b) => b as Uint8Array };
  },
};

const onnxInspect: FuzzTarget = {
  name: 'onnx-inspect',
  parser: 'lib/export/onnx/inspect.ts inspectOnnx',
  setup() {
    inspectOnnx(tinyModelBytes('onnx'));
    return { arbitrary: onnxCases(), run: (b) => inspectOnnx(b as Uint8Array), save: (b) => b as Uint8Array };
  },
};

const tflite: FuzzTarget = {
  name: 'tflite-inspect',
  parser: 'lib/export/tflite/inspect.ts inspectTflite',
  setup() {
    const valid = tinyModelBytes('tflite');
    inspectTflite(valid);
    return {
      arbitrary: byteInputs([valid], TFLITE_ID),
      run: (b) => inspectTflite(b as Uint8Array),
      save: (b) => b as Uint8Array,
    };
  },
};

export const FORMAT_TARGETS: readonly FuzzTarget[] = [onnxServing, onnxInspect, tflite];
