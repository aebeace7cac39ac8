// Structural validation of an exported .mlmodel (there is no Core ML runtime on Linux, so the
// file is checked, not run): decode the bytes, then check every field against the tfjs model,
// re-deriving each expectation from the layer's own config and weights: the specification
// version, input and output features, that the layers form a graph from 'input' to 'output',
// and for each tfjs layer its Core ML layer's type, sizes, strides, padding, activation and
// weights, decoded as Core ML reads them (float16 halves, linear w = scale * q + bias, lookup
// table entries) within what the storage allows.
import * as tf from '@tensorflow/tfjs';
import { modelGraph } from '../../core/graph';
import { layerWeights, transpose4 } from '../layer-data';
import { COREML_SPEC_VERSION, modelType } from './proto';
import { CoreMLWeightMode, WeightParamsMessage, decodeWeightParams } from './weights';
import { coremlShape } from './context';

/** What {@link decodedEqual} found. */
export interface DecodedEqualReport {
  /** True when no check failed. */
  readonly equal: boolean;
  /** Number of fields and weight values compared. */
  readonly checked: number;
  readonly mismatches: string[];
}

type Layer = { name: string; input?: string[]; output?: string[] } & Record<string, unknown>;

/** How far a stored kernel value may be from the float weight, per storage mode. */
function withinStorage(
  w: WeightParamsMessage,
  decoded: Float32Array,
  want: Float32Array,
  channels: number,
): string | undefined {
  const q = w.quantization;
  const per = want.length / channels;
  for (let i = 0; i < want.length; i++) {
    const a = decoded[i] as number;
    const b = want[i] as number;
    let tol = 0;
    if (w.float16Value?.length) tol = Math.abs(b) * 2 ** -11 + 2 ** -24;
    else if (q?.linearQuantization) {
      const s = q.linearQuantization.scale;
      tol = (s[s.length === 1 ? 0 : Math.floor(i / per)] as number) / 2 + 1e-6 * Math.abs(b) + 1e-9;
    } else if (q?.lookupTableQuantization) {
      // Each weight stored as the table entry nearest to it.
      tol = Math.min(...q.lookupTableQuantization.floatValue.map((t) => Math.abs(t - b))) + 1e-7;
    }
    if (!(Math.abs(a - b) <= tol)) return `value ${i}: stored ${a}, weight ${b} (allowed ${tol})`;
  }
  return undefined;
}

/**
 * Decodes `bytes` (from toCoreML) and checks every field against `model`. Structural validation
 * only; not run in Core ML here.
 * @example decodedEqual(toCoreML(m).bytes, m).equal // true
 */
export function decodedEqual(
  bytes: Uint8Array,
  model: tf.LayersModel,
  options: { readonly weights?: CoreMLWeightMode } = {},
): DecodedEqualReport {
  const mismatches: string[] = [];
  let checked = 0;
  const expect = (ok: boolean, what: string) => {
    checked++;
    if (!ok) mismatches.push(what);
  };
  let spec: Record<string, unknown>;
  try {
    spec = modelType().toObject(modelType().decode(bytes), {
      longs: Number,
      defaults: true,
      arrays: true,
      oneofs: true,
    }) as Record<string, unknown>;
  } catch (e) {
    return { equal: false, checked: 1, mismatches: [`not a Core ML model: ${(e as Error).message}`] };
  }
  const graph = modelGraph(model, 'decodedEqual');
  type Feature = { name: string; type: { multiArrayType: { shape: number[]; dataType: number } } };
  const description = spec.description as { input: Feature[]; output: Feature[] };
  expect(
    spec.specificationVersion === COREML_SPEC_VERSION,
    `specificationVersion ${String(spec.specificationVersion)}`,
  );
  const inShape = coremlShape(graph[0] as (typeof graph)[number], (graph[0] as (typeof graph)[number]).outputShape);
  expect(description.input.length === 1 && description.input[0]?.name === 'input', 'one input feature named input');
  expect(
    JSON.stringify(description.input[0]?.type.multiArrayType.shape) === JSON.stringify(inShape),
    `input shape ${JSON.stringify(description.input[0]?.type.multiArrayType.shape)} vs ${JSON.stringify(inShape)}`,
  );
  expect(
    description.output.length === 1 && description.output[0]?.name === 'output',
    'one output feature named output',
  );
  const nn = spec.neuralNetwork as { layers: Layer[]; arrayInputShapeMapping: number } | undefined;
  if (!nn) return { equal: false, checked, mismatches: [...mismatches, 'no neuralNetwork'] };
  expect(nn.arrayInputShapeMapping === 1, 'EXACT_ARRAY_MAPPING');
  // Graph: every input produced before, every output new, 'output' produced once.
  const produced = new Set(['input']);
  for (const l of nn.layers) {
    for (const i of l.input ?? []) expect(produced.has(i), `layer ${l.name} reads ${i} before it is produced`);
    for (const o of l.output ?? []) {
      expect(!produced.has(o), `layer ${l.name} writes ${o} twice`);
      produced.add(o);
    }
  }
  expect(produced.has('output'), 'a layer writes output');
  const byName = new Map(nn.layers.map((l) => [l.name, l]));
  const mode = options.weights ?? 'float32';
  for (const node of graph) {
    const l = byName.get(node.name);
    const kernelLayer = ['Dense', 'Conv2D', 'DepthwiseConv2D'].includes(node.className);
    if (kernelLayer || node.className === 'BatchNormalization') {
      if (!l) {
        mismatches.push(`no Core ML layer for ${node.name}`);
        continue;
      }
      const ws = layerWeights(node, 'decodedEqual');
      if (kernelLayer) {
        const k = ws[0] as { data: Float32Array; shape: number[] };
        const p = (l.innerProduct ?? l.convolution) as Record<string, unknown> & {
          weights: WeightParamsMessage;
          bias?: WeightParamsMessage;
          hasBias: boolean;
        };
        expect(!!p, `${node.name}: ${node.className === 'Dense' ? 'innerProduct' : 'convolution'} layer`);
        if (!p) continue;
        let want: Float32Array;
        let channels: number;
        if (node.className === 'Dense') {
          const [inF, units] = k.shape as [number, number];
          want = transpose4(k.data, [1, 1, inF, units], [0, 1, 3, 2]);
          channels = units;
          expect(
            p.inputChannels === inF && p.outputChannels === units,
            `${node.name}: innerProduct ${String(p.inputChannels)}x${String(p.outputChannels)}`,
          );
        } else {
          const [kh, kw, inC, last] = k.shape as [number, number, number, number];
          const depthwise = node.className === 'DepthwiseConv2D';
          want = transpose4(k.data, k.shape, depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1]);
          channels = depthwise ? inC * last : last;
          const strides = node.config.strides as number[] | number;
          const s = Array.isArray(strides) ? strides : [strides, strides];
          expect(
            p.outputChannels === channels &&
              p.kernelChannels === (depthwise ? 1 : inC) &&
              (p.nGroups as number) === (depthwise ? inC : 1),
            `${node.name}: channels ${String(p.outputChannels)}/${String(p.kernelChannels)}/${String(p.nGroups)}`,
          );
          expect(
            JSON.stringify(p.kernelSize) === JSON.stringify([kh, kw]) && JSON.stringify(p.stride) === JSON.stringify(s),
            `${node.name}: kernel ${JSON.stringify(p.kernelSize)} stride ${JSON.stringify(p.stride)}`,
          );
          expect(
            (node.config.padding === 'same') === !!p.same && (node.config.padding === 'valid') === !!p.valid,
            `${node.name}: padding`,
          );
        }
        const decoded = decodeWeightParams(p.weights, want.length, channels);
        expect(decoded.length === want.length, `${node.name}: ${decoded.length} weights, want ${want.length}`);
        const storedAs = p.weights.float16Value?.length
          ? 'float16'
          : p.weights.quantization?.linearQuantization
            ? 'linear8'
            : p.weights.quantization?.lookupTableQuantization
              ? 'lut'
              : 'float32';
        expect(storedAs === mode, `${node.name}: kernel stored as ${storedAs}, asked ${mode}`);
        const err = withinStorage(p.weights, decoded, want, channels);
        checked += want.length;
        if (err) mismatches.push(`${node.name} kernel ${err}`);
        const bias = ws[1]?.data;
        expect(p.hasBias === !!bias, `${node.name}: hasBias`);
        if (bias && p.bias) {
          const err2 = withinStorage(p.bias, decodeWeightParams(p.bias, bias.length, bias.length), bias, bias.length);
          checked += bias.length;
          if (err2) mismatches.push(`${node.name} bias ${err2}`);
        }
        const act = node.entry?.activation?.(node.config);
        if (act) expect(byName.has(`${node.name}/activation`), `${node.name}: its ${act} activation layer`);
      } else {
        const bn = l.batchnorm as Record<string, WeightParamsMessage> | undefined;
        expect(!!bn, `${node.name}: batchnorm layer`);
        if (!bn) continue;
        const c = (ws[ws.length - 1] as { data: Float32Array }).data.length;
        const mean = (ws[ws.length - 2] as { data: Float32Array }).data;
        const variance = (ws[ws.length - 1] as { data: Float32Array }).data;
        for (const [field, want] of [
          ['mean', mean],
          ['variance', variance],
        ] as const) {
          const err = withinStorage(
            bn[field] as WeightParamsMessage,
            decodeWeightParams(bn[field] as WeightParamsMessage, c, c),
            want,
            c,
          );
          checked += c;
          if (err) mismatches.push(`${node.name} ${field} ${err}`);
        }
      }
    } else if (
      ['MaxPooling2D', 'AveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAveragePooling2D'].includes(node.className)
    ) {
      const p = l?.pooling as Record<string, unknown> | undefined;
      expect(
        !!p &&
          p.type === (node.className.includes('Max') ? 0 : 1) &&
          !!p.globalPooling === node.className.startsWith('Global'),
        `${node.name}: pooling type`,
      );
    } else if (['Add', 'Multiply', 'Concatenate'].includes(node.className)) {
      const type = node.className === 'Concatenate' ? 'concat' : node.className.toLowerCase();
      expect(
        !!l?.[type] && (l.input ?? []).length === node.inputs.length,
        `${node.name}: ${type} of ${node.inputs.length} inputs`,
      );
    } else if (node.className === 'ZeroPadding2D') {
      expect(!!l?.padding, `${node.name}: padding layer`);
    }
  }
  return { equal: mismatches.length === 0, checked, mismatches };
}
