// What the library knows about each ONNX operator, in one table (the ONNX counterpart of
// core/layers.ts): its MAC rule (glossary: multiply-accumulates of one example; convolutions and
// matrix products count their multiply-adds, BatchNormalization one per output element, pooling
// one per window element, elementwise ops zero), which input holds its weights and which weight
// axis carries the output channels (quantized per channel), which quantization forms apply, and
// whether it is an activation that runtimes fuse into the convolution or matrix product before it
// (ONNX Runtime's Relu/Clip + QuantizeLinear fusions: quantize after it, not before).
// Opset changes live in opset.ts; an operator absent from both tables is refused by name.

/** Shapes of one run of a node: its inputs' and outputs' dims (undefined where unknown or not a tensor). */
export interface NodeShapes {
  readonly inputs: readonly (readonly number[] | undefined)[];
  readonly outputs: readonly (readonly number[] | undefined)[];
}

/** The node attributes a MAC rule reads. */
export interface MacAttrs {
  readonly group: number;
  readonly kernelShape?: readonly number[];
  readonly transA: number;
}

/** The quantization modes of ONNX-in (the tfjs verb's words, and float16 weights). */
export type OnnxQuantMode = 'dynamic' | 'static' | 'weight-only' | 'float16';

/** One operator's entry. */
export interface OpEntry {
  /** MACs of the run (whole batch); undefined: counted as zero (elementwise, data movement). */
  readonly macs?: (s: NodeShapes, a: MacAttrs) => number | undefined;
  /** The weight input and the axis of its output channels (`transB` for Gemm decides). */
  readonly weight?: { readonly input: number; readonly channelAxis: (transB: number) => number };
  /** The modes quantize can rewrite the node in when its weight is a constant. */
  readonly modes?: readonly OnnxQuantMode[];
  /** Weight-only 4-bit as ONNX Runtime's MatMulNBits (blockwise; MatMul and Gemm weights). */
  readonly int4?: boolean;
  /** An activation that fuses into a preceding Conv/Gemm/MatMul (quantized after, not before). */
  readonly fusesIntoProducer?: boolean;
  /** Moves values without changing them (its output may share its input's quantization grid). */
  readonly movesValues?: boolean;
}

const prod = (d: readonly number[] | undefined, from = 0, to?: number): number | undefined =>
  d ? d.slice(from, to).reduce((a, b) => a * b, 1) : undefined;

const convMacs = (s: NodeShapes): number | undefined => {
  const w = s.inputs[1];
  const y = s.outputs[0];
  if (!w || !y) return undefined;
  // Each output element: (inC / group) * kernel multiply-adds; W is [outC, inC/group, k...].
  return (prod(y) as number) * (prod(w, 1) as number);
};

const convTransposeMacs = (s: NodeShapes): number | undefined => {
  const x = s.inputs[0];
  const w = s.inputs[1];
  if (!x || !w) return undefined;
  // Each input element scatters into (outC / group) * kernel outputs; W is [inC, outC/group, k...].
  return (prod(x) as number) * (prod(w, 1) as number);
};

const matMulMacs = (s: NodeShapes): number | undefined => {
  const a = s.inputs[0];
  const y = s.outputs[0];
  if (!a || !y || a.length === 0) return undefined;
  // Every output element is a dot product over K (A's last dim; 1-D A is [K]).
  return (prod(y) as number) * (a[a.length - 1] as number);
};

const gemmMacs = (s: NodeShapes, a: MacAttrs): number | undefined => {
  const x = s.inputs[0];
  const y = s.outputs[0];
  if (!x || !y || x.length !== 2) return undefined;
  return (prod(y) as number) * (x[a.transA ? 0 : 1] as number);
};

const perOutput = (s: NodeShapes): number | undefined => prod(s.outputs[0]);
const perInput = (s: NodeShapes): number | undefined => prod(s.inputs[0]);
const poolMacs = (s: NodeShapes, a: MacAttrs): number | undefined =>
  a.kernelShape ? (prod(s.outputs[0]) ?? 0) * (prod(a.kernelShape) as number) : undefined;

const recurrentMacs = (s: NodeShapes): number | undefined => {
  // X [seq, batch, in] (layout 0), W [dirs, gates*hidden, in], R [dirs, gates*hidden, hidden]:
  // every step multiplies the input by W and the state by R, in each direction.
  const x = s.inputs[0];
  const w = s.inputs[1];
  const r = s.inputs[2];
  if (!x || !w || !r) return undefined;
  return (x[0] as number) * (x[1] as number) * ((prod(w) as number) + (prod(r) as number));
};

const ALL: readonly OnnxQuantMode[] = ['dynamic', 'static', 'weight-only', 'float16'];
const WEIGHT_B = { input: 1, channelAxis: (transB: number) => (transB ? 0 : 1) };

/** The operator table (default ONNX domain). */
export const OPS: Readonly<Record<string, OpEntry>> = {
  Conv: { macs: convMacs, weight: { input: 1, channelAxis: () => 0 }, modes: ALL },
  ConvTranspose: {
    macs: convTransposeMacs,
    weight: { input: 1, channelAxis: () => 1 },
    modes: ['static', 'weight-only', 'float16'],
  },
  MatMul: { macs: matMulMacs, weight: WEIGHT_B, modes: ALL, int4: true },
  Gemm: { macs: gemmMacs, weight: WEIGHT_B, modes: ALL, int4: true },
  // W [dirs, 4*hidden, in]: its rows (axis 1) are the output channels; dynamic INT8 is ONNX Runtime's DynamicQuantizeLSTM.
  LSTM: { macs: recurrentMacs, weight: { input: 1, channelAxis: () => 1 }, modes: ['dynamic', 'float16'] },
  GRU: { macs: recurrentMacs, modes: ['float16'] },
  RNN: { macs: recurrentMacs, modes: ['float16'] },
  BatchNormalization: { macs: perOutput },
  InstanceNormalization: { macs: perOutput },
  LayerNormalization: { macs: perOutput },
  MaxPool: { macs: poolMacs, movesValues: true },
  AveragePool: { macs: poolMacs },
  GlobalAveragePool: { macs: perInput },
  GlobalMaxPool: { macs: perInput, movesValues: true },
  Relu: { fusesIntoProducer: true },
  Clip: { fusesIntoProducer: true },
  Reshape: { movesValues: true },
  Flatten: { movesValues: true },
  Transpose: { movesValues: true },
  Squeeze: { movesValues: true },
  Unsqueeze: { movesValues: true },
  Identity: { movesValues: true },
};

/** The entry of an operator (an empty entry for the many that need nothing here). */
export function opEntry(opType: string | null | undefined, domain?: string | null): OpEntry {
  if (domain && domain !== 'ai.onnx') return {};
  return OPS[opType ?? ''] ?? {};
}
