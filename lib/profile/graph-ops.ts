// MAC rules for the ops of a graph model (a TensorFlow GraphDef as tensorflowjs_converter
// writes it). An op that computes what a Keras layer computes is counted by that layer's entry
// in the registry (core/layers.ts), so a converted model and its Keras original count alike:
// Conv2D / _FusedConv2D as Conv2D, DepthwiseConv2dNative as DepthwiseConv2D, MatMul /
// _FusedMatMul as Dense, pooling, Mean as global pooling, FusedBatchNorm as BatchNormalization,
// Mul as Multiply, Add / BiasAdd as Add (zero, as a layer's bias is not counted in its MACs).
// Ops that only move values (Identity, Reshape, Transpose, slicing, casts, shapes) count zero;
// other ops have no rule and are reported. Layouts: NHWC, conv filters [kh, kw, inC, outC].
import { LayerClass, layerEntry } from '../core/layers';

/** A GraphDef attr value in its JSON form ({i: "1"}, {list: {i: [...]}}, {b: true}, ...). */
export type AttrValue = {
  i?: string | number;
  f?: number;
  b?: boolean;
  s?: string;
  list?: { i?: (string | number)[] };
};

/** What a MAC rule sees of a node: attrs and shapes at batch 1, weights' shapes included. */
export interface OpShapes {
  readonly attr: Readonly<Record<string, AttrValue>>;
  /** Shapes of the node's inputs in order (activations and weights), batch dimension included. */
  readonly inputs: readonly (readonly number[])[];
  /** Which inputs are weights (Const nodes). */
  readonly isWeight: readonly boolean[];
  /** The node's output shape, batch dimension included. */
  readonly output: readonly number[];
}

interface OpRule {
  /** The registry class whose MAC rule counts the op. */
  readonly layer: LayerClass;
  /** The layer config the rule reads (kernelSize, poolSize). */
  readonly config?: (s: OpShapes) => Record<string, unknown>;
  /** The activation input whose shape the rule reads as inputShapes[0] (default: the first non-weight). */
  readonly input?: (s: OpShapes) => readonly number[];
}

const ints = (a: AttrValue | undefined): number[] => (a?.list?.i ?? []).map(Number);
const flag = (a: AttrValue | undefined): boolean => a?.b === true;

/** Drops the batch dimension of a batch-1 shape (a leading 1); other shapes are kept whole. */
export function perExample(shape: readonly number[]): number[] {
  return shape.length > 0 && shape[0] === 1 ? shape.slice(1) : [...shape];
}

const conv = (layer: LayerClass): OpRule => ({
  layer,
  config: (s) => ({ kernelSize: (s.inputs[1] ?? [1, 1]).slice(0, 2) }),
});
const pool = (layer: LayerClass): OpRule => ({ layer, config: (s) => ({ poolSize: ints(s.attr.ksize).slice(1, 3) }) });
// (..., M, K) x (K, N): K is a's last axis, or its second last when a is transposed.
const matmul = (transposeA: string): OpRule => ({
  layer: 'Dense',
  input: (s) => {
    const a = s.inputs[0] ?? [1];
    return [(flag(s.attr[transposeA]) ? a[a.length - 2] : a[a.length - 1]) ?? 1];
  },
});
const as = (layer: LayerClass): OpRule => ({ layer });

const RULES: Readonly<Record<string, OpRule>> = {
  Conv2D: conv('Conv2D'),
  _FusedConv2D: conv('Conv2D'),
  DepthwiseConv2dNative: conv('DepthwiseConv2D'),
  DepthwiseConv2d: conv('DepthwiseConv2D'),
  FusedDepthwiseConv2dNative: conv('DepthwiseConv2D'),
  // Inputs (output_shape, filter, x); filter [kh, kw, outC, inC].
  Conv2DBackpropInput: {
    layer: 'Conv2DTranspose',
    config: (s) => ({ kernelSize: (s.inputs[1] ?? [1, 1]).slice(0, 2) }),
    input: (s) => perExample(s.inputs[2] ?? []),
  },
  MatMul: matmul('transpose_a'),
  _FusedMatMul: matmul('transpose_a'),
  BatchMatMul: matmul('adj_x'),
  BatchMatMulV2: matmul('adj_x'),
  MaxPool: pool('MaxPooling2D'),
  AvgPool: pool('AveragePooling2D'),
  Mean: as('GlobalAveragePooling2D'),
  Max: as('GlobalMaxPooling2D'),
  FusedBatchNorm: as('BatchNormalization'),
  FusedBatchNormV2: as('BatchNormalization'),
  FusedBatchNormV3: as('BatchNormalization'),
  Mul: as('Multiply'),
  Add: as('Add'),
  AddV2: as('Add'),
  AddN: as('Add'),
  BiasAdd: as('Add'),
  Sub: as('Subtract'),
  Maximum: as('Maximum'),
  Minimum: as('Minimum'),
  Relu: as('Activation'),
  Relu6: as('Activation'),
  Elu: as('Activation'),
  Selu: as('Activation'),
  LeakyRelu: as('Activation'),
  Sigmoid: as('Activation'),
  Tanh: as('Activation'),
  Softplus: as('Activation'),
  Softsign: as('Activation'),
  Softmax: as('Softmax'),
  LogSoftmax: as('Softmax'),
  Prelu: as('PReLU'),
  Reshape: as('Reshape'),
  Squeeze: as('Reshape'),
  ExpandDims: as('Reshape'),
  Pad: as('ZeroPadding2D'),
  PadV2: as('ZeroPadding2D'),
  MirrorPad: as('ZeroPadding2D'),
  ConcatV2: as('Concatenate'),
  Concat: as('Concatenate'),
  Pack: as('Concatenate'),
  Transpose: as('Permute'),
  ResizeNearestNeighbor: as('UpSampling2D'),
};

/** Ops that only move, copy or describe values: zero MACs, with no layer counterpart. */
const MOVES: ReadonlySet<string> = new Set([
  'Identity',
  'IdentityN',
  'StopGradient',
  'Snapshot',
  'Cast',
  'Shape',
  'ShapeN',
  'Size',
  'Rank',
  'StridedSlice',
  'Slice',
  'Unpack',
  'Split',
  'SplitV',
  'Tile',
  'Fill',
  'ZerosLike',
  'OnesLike',
  'GatherV2',
  'Gather',
  'Range',
  'BroadcastTo',
  'NoOp',
]);

/** The graph ops with a MAC rule (registry-backed or zero), for documentation and tests. */
export const GRAPH_OPS_WITH_RULES: readonly string[] = [...Object.keys(RULES), ...MOVES];

/**
 * MACs of one example through a graph node (FLOPs = 2 x MACs), or undefined when the op has no rule.
 * @example graphOpMacs('MatMul', {attr: {}, inputs: [[1, 576], [576, 32]], isWeight: [false, true], output: [1, 32]}) // 18432
 */
export function graphOpMacs(op: string, s: OpShapes): number | undefined {
  if (MOVES.has(op)) return 0;
  const rule = RULES[op];
  const entry = rule && layerEntry(rule.layer);
  if (!rule || !entry) return undefined;
  const firstActivation = s.inputs.find((_, i) => !s.isWeight[i]) ?? s.inputs[0] ?? [];
  return entry.macs({
    config: rule.config?.(s) ?? {},
    inputShapes: [rule.input ? rule.input(s) : perExample(firstActivation)],
    outputShape: perExample(s.output),
  });
}
