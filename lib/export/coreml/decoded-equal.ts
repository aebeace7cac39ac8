// Structural validation of an exported .mlmodel (there is no Core ML runtime on Linux, so the
// file is checked, not run): decode the bytes, then check every field against the tfjs model,
// re-deriving each expectation from the layer's own config and weights: the specification
// version, input and output features, that the layers form a graph from 'input' to 'output',
// and for each tfjs layer its Core ML layer's type, sizes, strides, padding, activation and
// weights, decoded as Core ML reads them (float16 halves, linear w = scale * q + bias, lookup
// table entries) within what the storage allows.
import * as tf from '@tensorflow/tfjs';
import { GraphNode, modelGraph } from '../../core/graph';
import { LayerClass } from '../../core/layers';
import { pair } from '../../core/pair';
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

/** What a per-class check sees: the comparison, the weight storage asked for, and every Core ML layer by name. */
interface CheckContext {
  readonly expect: (ok: boolean, what: string) => void;
  readonly mismatch: (what: string) => void;
  readonly count: (n: number) => void;
  readonly mode: CoreMLWeightMode;
  readonly byName: ReadonlyMap<string, Layer>;
}

/** Checks the Core ML layer `l` written for the tfjs layer `node`. */
type Check = (node: GraphNode, l: Layer | undefined, ctx: CheckContext) => void;

type KernelParams = Record<string, unknown> & {
  weights: WeightParamsMessage;
  bias?: WeightParamsMessage;
  hasBias: boolean;
};

const storedAs = (w: WeightParamsMessage): CoreMLWeightMode =>
  w.float16Value?.length
    ? 'float16'
    : w.quantization?.linearQuantization
      ? 'linear8'
      : w.quantization?.lookupTableQuantization
        ? 'lut'
        : 'float32';

/** The kernel as Core ML stores it, and its output channels: Dense [in, units] -> [units, in]; conv HWIO -> OIHW. */
function expectedKernel(
  node: GraphNode,
  k: { data: Float32Array; shape: number[] },
  p: KernelParams,
  ctx: CheckContext,
) {
  if (k.shape.length === 2) {
    const [inF, units] = k.shape as [number, number];
    ctx.expect(
      p.inputChannels === inF && p.outputChannels === units,
      `${node.name}: innerProduct ${String(p.inputChannels)}x${String(p.outputChannels)}`,
    );
    return { want: transpose4(k.data, [1, 1, inF, units], [0, 1, 3, 2]), channels: units };
  }
  const [kh, kw, inC, last] = k.shape as [number, number, number, number];
  const depthwise = node.entry?.role === 'tied'; // [kh, kw, inC, multiplier]
  const channels = depthwise ? inC * last : last;
  ctx.expect(
    p.outputChannels === channels &&
      p.kernelChannels === (depthwise ? 1 : inC) &&
      (p.nGroups as number) === (depthwise ? inC : 1),
    `${node.name}: channels ${String(p.outputChannels)}/${String(p.kernelChannels)}/${String(p.nGroups)}`,
  );
  ctx.expect(
    JSON.stringify(p.kernelSize) === JSON.stringify([kh, kw]) &&
      JSON.stringify(p.stride) === JSON.stringify(pair(node.config.strides)),
    `${node.name}: kernel ${JSON.stringify(p.kernelSize)} stride ${JSON.stringify(p.stride)}`,
  );
  ctx.expect(
    (node.config.padding === 'same') === !!p.same && (node.config.padding === 'valid') === !!p.valid,
    `${node.name}: padding`,
  );
  return { want: transpose4(k.data, k.shape, depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1]), channels };
}

/** Dense, Conv2D, DepthwiseConv2D: sizes, the kernel and bias within their storage, the activation layer. */
const kernelLayer =
  (field: 'innerProduct' | 'convolution'): Check =>
  (node, l, ctx) => {
    if (!l) return ctx.mismatch(`no Core ML layer for ${node.name}`);
    const ws = layerWeights(node, 'decodedEqual');
    const p = l[field] as KernelParams | undefined;
    ctx.expect(!!p, `${node.name}: ${field} layer`);
    if (!p) return;
    const { want, channels } = expectedKernel(node, ws[0] as { data: Float32Array; shape: number[] }, p, ctx);
    const decoded = decodeWeightParams(p.weights, want.length, channels);
    ctx.expect(decoded.length === want.length, `${node.name}: ${decoded.length} weights, want ${want.length}`);
    ctx.expect(
      storedAs(p.weights) === ctx.mode,
      `${node.name}: kernel stored as ${storedAs(p.weights)}, asked ${ctx.mode}`,
    );
    const err = withinStorage(p.weights, decoded, want, channels);
    ctx.count(want.length);
    if (err) ctx.mismatch(`${node.name} kernel ${err}`);
    const bias = ws[1]?.data;
    ctx.expect(p.hasBias === !!bias, `${node.name}: hasBias`);
    if (bias && p.bias) {
      const err2 = withinStorage(p.bias, decodeWeightParams(p.bias, bias.length, bias.length), bias, bias.length);
      ctx.count(bias.length);
      if (err2) ctx.mismatch(`${node.name} bias ${err2}`);
    }
    const act = node.entry?.activation?.(node.config);
    if (act) ctx.expect(ctx.byName.has(`${node.name}/activation`), `${node.name}: its ${act} activation layer`);
  };

const batchNorm: Check = (node, l, ctx) => {
  if (!l) return ctx.mismatch(`no Core ML layer for ${node.name}`);
  const ws = layerWeights(node, 'decodedEqual');
  const bn = l.batchnorm as Record<string, WeightParamsMessage> | undefined;
  ctx.expect(!!bn, `${node.name}: batchnorm layer`);
  if (!bn) return;
  const mean = (ws[ws.length - 2] as { data: Float32Array }).data;
  const variance = (ws[ws.length - 1] as { data: Float32Array }).data;
  const c = variance.length;
  for (const [field, want] of [
    ['mean', mean],
    ['variance', variance],
  ] as const) {
    const w = bn[field] as WeightParamsMessage;
    const err = withinStorage(w, decodeWeightParams(w, c, c), want, c);
    ctx.count(c);
    if (err) ctx.mismatch(`${node.name} ${field} ${err}`);
  }
};

/** Pooling of Core ML `type` (0 max, 1 average), global or windowed. */
const pooling =
  (type: 0 | 1, global: boolean): Check =>
  (node, l, ctx) => {
    const p = l?.pooling as Record<string, unknown> | undefined;
    ctx.expect(!!p && p.type === type && !!p.globalPooling === global, `${node.name}: pooling type`);
  };

/** An element-wise or concatenation layer (Core ML field `field`) over the node's inputs. */
const merge =
  (field: string): Check =>
  (node, l, ctx) =>
    ctx.expect(
      !!l?.[field] && (l.input ?? []).length === node.inputs.length,
      `${node.name}: ${field} of ${node.inputs.length} inputs`,
    );

/** What each class's Core ML layer must hold (classes without a check are covered by the graph checks only). */
const CHECKS: { readonly [K in LayerClass]?: Check } = {
  Dense: kernelLayer('innerProduct'),
  Conv2D: kernelLayer('convolution'),
  DepthwiseConv2D: kernelLayer('convolution'),
  BatchNormalization: batchNorm,
  MaxPooling2D: pooling(0, false),
  AveragePooling2D: pooling(1, false),
  GlobalMaxPooling2D: pooling(0, true),
  GlobalAveragePooling2D: pooling(1, true),
  Add: merge('add'),
  Multiply: merge('multiply'),
  Concatenate: merge('concat'),
  ZeroPadding2D: (node, l, ctx) => ctx.expect(!!l?.padding, `${node.name}: padding layer`),
};

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
  const ctx: CheckContext = {
    expect,
    mismatch: (what) => mismatches.push(what),
    count: (n) => (checked += n),
    mode: options.weights ?? 'float32',
    byName,
  };
  for (const node of graph) CHECKS[node.className as LayerClass]?.(node, byName.get(node.name), ctx);
  return { equal: mismatches.length === 0, checked, mismatches };
}
