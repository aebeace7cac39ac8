// Raising a model's default-domain opset (to 13: the first with per-channel QuantizeLinear and
// DequantizeLinear). Most operators only widened their types between opsets 7 and 13; those whose
// meaning or signature changed are rewritten here, each as ONNX's own version converter does
// (onnx/version_converter/adapters): attributes that became inputs (Clip 11, Slice 10, Pad 11,
// TopK 10, Squeeze/Unsqueeze/ReduceSum/Split 13), Softmax's axis (13: one axis, not the flattened
// tail), Upsample (gone in 10: Resize), Resize 10 -> 11 (asymmetric coordinates), Dropout (an
// Identity at inference), BatchNormalization's `spatial` (gone in 9), Scatter (ScatterElements).
// An operator in neither list is refused by name: the library does not guess a semantics.
import { onnx } from 'onnx-proto';
import { ConfigError, UnsupportedLayerError, describe } from '../errors';
import {
  GraphScope,
  Names,
  allGraphs,
  attr,
  attrFloat,
  attrInt,
  attrInts,
  attrs,
  defaultOpset,
  cloneModel,
  makeNode,
} from './graph';
import { OnnxFile, ReadOnnxOptions, decodeOnnx, toOnnxFile } from './read';
import { int64Tensor, makeTensor, num } from './tensor';

/** The opset quantized models are written in when their own is older. */
export const QUANT_OPSET = 13;

/** Operators whose meaning and inputs did not change from opset 7 to 13 (types only, or new optional attributes with old defaults). */
const UNCHANGED = new Set(
  (
    'Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BitShift Cast Ceil Celu Compress Concat ' +
    'Constant ConstantOfShape Conv ConvInteger ConvTranspose Cos Cosh CumSum DepthToSpace DequantizeLinear Det Div ' +
    'DynamicQuantizeLinear Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor GRU Gather GatherElements GatherND Gemm ' +
    'GlobalAveragePool GlobalLpPool GlobalMaxPool Greater GreaterOrEqual HardSigmoid Identity If InstanceNormalization ' +
    'IsInf IsNaN LRN LSTM LeakyRelu Less LessOrEqual Log Loop LpNormalization LpPool MatMul MatMulInteger Max MaxPool ' +
    'MaxRoiPool MaxUnpool Mean MeanVarianceNormalization Min Mod Mul Multinomial Neg NonMaxSuppression NonZero Not OneHot ' +
    'Or PRelu Pow QLinearConv QLinearMatMul QuantizeLinear RNN RandomNormal RandomNormalLike RandomUniform ' +
    'RandomUniformLike Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ' +
    'ReduceProd ReduceSumSquare Relu Reshape ReverseSequence RoiAlign Round Scan ScatterElements ScatterND Selu Shape ' +
    'Shrink Sigmoid Sign Sin Sinh Size Softplus Softsign SpaceToDepth Sqrt Sub Sum Tan Tanh ThresholdedRelu Tile ' +
    'Transpose Unique Where Xor'
  ).split(' '),
);

/** What an upgrade may use: fresh names and the node's graph (for new constants). */
interface UpgradeContext {
  readonly names: Names;
  readonly scope: GraphScope;
  readonly from: number;
}

/** Rewrites `node` for the newer opset; returns the nodes that replace it. */
type Upgrade = (node: onnx.NodeProto, ctx: UpgradeContext) => onnx.NodeProto[];

function constant(ctx: UpgradeContext, base: string, t: (name: string) => onnx.TensorProto): string {
  const name = ctx.names.fresh(base);
  (ctx.scope.graph.initializer ??= []).push(t(name));
  return name;
}

function dropAttrs(node: onnx.NodeProto, names: readonly string[]): void {
  node.attribute = (node.attribute ?? []).filter((a) => !names.includes(a.name ?? '')) as onnx.AttributeProto[];
}

/** Moves int-list attributes into int64 constant inputs at the given input slots ('' keeps a slot empty). */
function attrsToInputs(keys: readonly (string | undefined)[]): Upgrade {
  return (node, ctx) => {
    const inputs = [...(node.input ?? [])];
    for (const key of keys) {
      const values = key ? attrInts(node, key) : undefined;
      inputs.push(values ? constant(ctx, `${node.name}_${key}`, (n) => int64Tensor(n, values)) : '');
    }
    while (inputs.length && inputs[inputs.length - 1] === '') inputs.pop();
    node.input = inputs;
    dropAttrs(
      node,
      keys.filter((k): k is string => !!k),
    );
    return [node];
  };
}

const UPGRADES: Readonly<Record<string, readonly { at: number; upgrade: Upgrade }[]>> = {
  Clip: [
    {
      at: 11,
      upgrade: (node, ctx) => {
        const lo = attr(node, 'min') ? attrFloat(node, 'min', -3.4028234663852886e38) : undefined;
        const hi = attr(node, 'max') ? attrFloat(node, 'max', 3.4028234663852886e38) : undefined;
        const scalar = (v: number, k: string) =>
          constant(ctx, `${node.name}_${k}`, (n) => makeTensor(n, Float32Array.of(v), []));
        node.input = [
          node.input?.[0] ?? '',
          lo !== undefined ? scalar(lo, 'min') : '',
          ...(hi !== undefined ? [scalar(hi, 'max')] : []),
        ];
        while (node.input.length > 1 && node.input[node.input.length - 1] === '') node.input.pop();
        dropAttrs(node, ['min', 'max']);
        return [node];
      },
    },
  ],
  Slice: [{ at: 10, upgrade: attrsToInputs(['starts', 'ends', 'axes']) }],
  Squeeze: [{ at: 13, upgrade: attrsToInputs(['axes']) }],
  Unsqueeze: [{ at: 13, upgrade: attrsToInputs(['axes']) }],
  ReduceSum: [{ at: 13, upgrade: attrsToInputs(['axes']) }],
  Split: [{ at: 13, upgrade: attrsToInputs(['split']) }],
  TopK: [
    {
      at: 10,
      upgrade: (node, ctx) => {
        const k = attrInt(node, 'k', -1);
        node.input = [node.input?.[0] ?? '', constant(ctx, `${node.name}_k`, (n) => int64Tensor(n, [k]))];
        dropAttrs(node, ['k']);
        return [node];
      },
    },
  ],
  Pad: [
    {
      at: 11,
      upgrade: (node, ctx) => {
        const pads = attrInts(node, 'pads', []) as number[];
        const value = attrFloat(node, 'value', 0);
        node.input = [
          node.input?.[0] ?? '',
          constant(ctx, `${node.name}_pads`, (n) => int64Tensor(n, pads)),
          constant(ctx, `${node.name}_value`, (n) => makeTensor(n, Float32Array.of(value), [])),
        ];
        dropAttrs(node, ['pads', 'value']);
        return [node];
      },
    },
  ],
  Softmax: [{ at: 13, upgrade: softmax13 }],
  LogSoftmax: [{ at: 13, upgrade: softmax13 }],
  Hardmax: [{ at: 13, upgrade: softmax13 }],
  Upsample: [
    {
      at: 10,
      upgrade: (node, ctx) => {
        // Upsample (7-9) scales every axis from a scales attribute (7) or input (9), asymmetric coordinates.
        const scales = attr(node, 'scales')?.floats;
        const scaleInput = scales?.length
          ? constant(ctx, `${node.name}_scales`, (n) => makeTensor(n, Float32Array.from(scales), [scales.length]))
          : (node.input?.[1] ?? '');
        const mode = attr(node, 'mode')?.s ? new TextDecoder().decode(attr(node, 'mode')?.s as Uint8Array) : 'nearest';
        const resize = makeNode('Resize', [node.input?.[0] ?? '', scaleInput], node.output ?? [], node.name ?? '', [
          attrs.string('mode', mode),
        ]);
        return resize10to11(resize, ctx);
      },
    },
  ],
  Resize: [{ at: 11, upgrade: resize10to11 }],
  Dropout: [
    {
      at: 10,
      upgrade: (node, ctx) => {
        // At inference Dropout passes its input through; its mask output must be unused.
        if ((node.output ?? []).filter(Boolean).length > 1)
          throw refusal(node, ctx.from, 'a Dropout whose mask output is used', 'Remove the mask output');
        return [makeNode('Identity', [node.input?.[0] ?? ''], [node.output?.[0] ?? ''], node.name ?? '')];
      },
    },
  ],
  BatchNormalization: [
    {
      at: 9,
      upgrade: (node, ctx) => {
        if (attrInt(node, 'spatial', 1) !== 1)
          throw refusal(
            node,
            ctx.from,
            'BatchNormalization with spatial = 0',
            'Export the model with opset 9 or later',
          );
        dropAttrs(node, ['spatial', 'is_test', 'consumed_inputs']);
        node.output = (node.output ?? []).slice(0, 1);
        return [node];
      },
    },
  ],
  Scatter: [
    {
      at: 11,
      upgrade: (node) => {
        node.opType = 'ScatterElements';
        return [node];
      },
    },
  ],
};

function resize10to11(node: onnx.NodeProto, ctx: UpgradeContext): onnx.NodeProto[] {
  // Resize 10 took (X, scales) with asymmetric coordinates; 11 takes (X, roi, scales[, sizes]).
  const mode = attr(node, 'mode')?.s ? new TextDecoder().decode(attr(node, 'mode')?.s as Uint8Array) : 'nearest';
  const roi = constant(ctx, `${node.name}_roi`, (n) => makeTensor(n, new Float32Array(0), [0]));
  node.input = [node.input?.[0] ?? '', roi, node.input?.[1] ?? ''];
  dropAttrs(node, ['coordinate_transformation_mode', 'nearest_mode']);
  node.attribute = [
    ...(node.attribute ?? []),
    attrs.string('coordinate_transformation_mode', 'asymmetric'),
    ...(mode === 'nearest' ? [attrs.string('nearest_mode', 'floor')] : []),
  ] as onnx.AttributeProto[];
  return [node];
}

function softmax13(node: onnx.NodeProto, ctx: UpgradeContext): onnx.NodeProto[] {
  // Before 13: softmax over the input flattened to 2-D at `axis` (default 1). From 13: over one
  // axis (default -1). The same when `axis` is the last one; otherwise Flatten -> op -> Reshape.
  const axis = attrInt(node, 'axis', 1);
  dropAttrs(node, ['axis']);
  const rank = rankOf(ctx.scope, node.output?.[0] ?? '') ?? rankOf(ctx.scope, node.input?.[0] ?? '');
  if (axis === -1 || (rank !== undefined && axis === rank - 1)) {
    node.attribute = [...(node.attribute ?? []), attrs.int('axis', axis)] as onnx.AttributeProto[];
    return [node];
  }
  const x = node.input?.[0] ?? '';
  const y = node.output?.[0] ?? '';
  const base = node.name ?? node.opType ?? 'Softmax';
  const flat = ctx.names.fresh(`${base}_flat`);
  const shape = ctx.names.fresh(`${base}_shape`);
  const soft = ctx.names.fresh(`${base}_2d`);
  node.input = [flat];
  node.output = [soft];
  node.attribute = [...(node.attribute ?? []), attrs.int('axis', 1)] as onnx.AttributeProto[];
  return [
    makeNode('Shape', [x], [shape], ctx.names.fresh(`${base}/Shape`)),
    makeNode('Flatten', [x], [flat], ctx.names.fresh(`${base}/Flatten`), [attrs.int('axis', axis)]),
    node,
    makeNode('Reshape', [soft, shape], [y], ctx.names.fresh(`${base}/Reshape`)),
  ];
}

/** The rank a graph declares for a value (inputs, outputs, value_info), if any. */
function rankOf(scope: GraphScope, name: string): number | undefined {
  for (let s: GraphScope | undefined = scope; s; s = s.parent) {
    const g = s.graph;
    const v = [...(g.output ?? []), ...(g.valueInfo ?? []), ...(g.input ?? [])].find((i) => i.name === name);
    const dims = v?.type?.tensorType?.shape?.dim;
    if (dims) return dims.length;
  }
  return undefined;
}

function refusal(node: onnx.INodeProto, from: number, what: string, fix: string): UnsupportedLayerError {
  return new UnsupportedLayerError(
    `onnx.upgradeOpset: operators the library can carry from opset ${from} to ${QUANT_OPSET}, got ${what} in node "${node.name}". ` +
      `${fix}, or convert the model to opset ${QUANT_OPSET} first (onnx.version_converter).`,
    node.name ?? undefined,
    node.opType ?? undefined,
  );
}

/** What {@link upgradeOpset} did. */
export interface OpsetUpgrade {
  readonly from: number;
  readonly to: number;
  /** Nodes rewritten, by op type. */
  readonly rewritten: Record<string, number>;
}

/**
 * Raises the default-domain opset of the proto `model` to `to` in place (call on a copy; the public
 * verb is {@link upgradeOpset}). A model already at or above it is left as is. Refuses, naming the
 * node, an operator whose change it does not know.
 */
export function upgradeProto(model: onnx.ModelProto, to = QUANT_OPSET, names = new Names(model)): OpsetUpgrade {
  const from = defaultOpset(model);
  const rewritten: Record<string, number> = {};
  if (from >= to) return { from, to: from, rewritten };
  if (model.functions?.length) {
    throw new UnsupportedLayerError(
      `onnx.upgradeOpset: a model without model-local functions (their bodies are written for opset ${from}), got ${model.functions.length} (${model.functions
        .map((f) => f.name)
        .slice(0, 3)
        .join(', ')}). Inline them, or convert the model to opset ${to} first (onnx.version_converter).`,
    );
  }
  for (const scope of allGraphs(model)) {
    const out: onnx.NodeProto[] = [];
    for (const node of (scope.graph.node ?? []) as onnx.NodeProto[]) {
      if (node.domain && node.domain !== 'ai.onnx') {
        out.push(node);
        continue;
      }
      const op = node.opType ?? '';
      const steps = (UPGRADES[op] ?? []).filter((s) => s.at > from && s.at <= to);
      if (!UNCHANGED.has(op) && !UPGRADES[op]) throw refusal(node, from, `operator ${op}`, 'Replace the operator');
      let nodes = [node];
      for (const s of steps) nodes = nodes.flatMap((n) => s.upgrade(n, { names, scope, from }));
      if (steps.length) rewritten[op] = (rewritten[op] ?? 0) + 1;
      out.push(...nodes);
    }
    scope.graph.node = out;
  }
  const o = (model.opsetImport ?? []).find((i) => !i.domain || i.domain === 'ai.onnx');
  if (o) o.version = to;
  if (num(model.irVersion) < 7) model.irVersion = 7;
  return { from, to, rewritten };
}

/** Options of {@link upgradeOpset}. */
export interface UpgradeOpsetOptions {
  /** The default-domain opset to write, 8 to 13 (default 13: per-channel QuantizeLinear and DequantizeLinear). */
  readonly opset?: number;
  readonly read?: ReadOnnxOptions;
}

/**
 * The model at a newer default-domain opset (a path, bytes, or onnx.read's result in; never
 * modified), each changed operator rewritten as ONNX's version converter does.
 * @example const { bytes, report } = await onnx.upgradeOpset('old.onnx'); report.rewritten // {Clip: 2, Softmax: 1}
 */
export async function upgradeOpset(
  model: OnnxFile | Uint8Array | string,
  options: UpgradeOpsetOptions = {},
): Promise<{ model: OnnxFile; bytes: Uint8Array; report: OpsetUpgrade }> {
  const to = options.opset ?? QUANT_OPSET;
  if (!(Number.isInteger(to) && to >= 8 && to <= QUANT_OPSET))
    throw new ConfigError(
      `onnx.upgradeOpset: opset an integer from 8 to ${QUANT_OPSET}, got ${describe(to)}. Omit it for ${QUANT_OPSET}.`,
    );
  const proto = cloneModel(toOnnxFile(model, options.read, 'onnx.upgradeOpset').proto);
  const report = upgradeProto(proto, to);
  const bytes = onnx.ModelProto.encode(proto).finish();
  return { model: decodeOnnx(bytes, { maxBytes: 2 ** 31 }), bytes, report };
}
