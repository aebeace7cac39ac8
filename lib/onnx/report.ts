// What onnx.quantize reports (plain JSON): each rewritten node with the form it took and the
// signal-to-quantization-noise ratio its weights kept, each eligible node left float and why, the
// activation grids of a static quantization, the file sizes, and how the outputs compare with the
// float model's on the user's data.
import type { OnnxQuantMode } from './ops';
import type { SkippedNode } from './select';
import type { OnnxComparison } from './compare';

/** One rewritten node. */
export interface NodeQuantReport {
  readonly name: string;
  readonly op: string;
  /** The graph it is in ('main', or a subgraph's path). */
  readonly graph: string;
  /** What it became: 'MatMulInteger', 'ConvInteger', 'QDQ', 'MatMulNBits', 'DequantizeLinear' or 'float16'. */
  readonly form: string;
  readonly weightBits: number;
  readonly granularity: 'per-tensor' | 'per-channel';
  readonly blockSize?: number;
  /** Weight elements (0 for a product of two activations). */
  readonly params: number;
  /** 10 log10(sum w^2 / sum (w - w_q)^2) of its weights. */
  readonly weightSqnrDb?: number;
}

/** One value on an activation grid (static). */
export interface ActivationPointReport {
  readonly value: string;
  /** The subgraph it is in (absent: the main graph). */
  readonly graph?: string;
  readonly min: number;
  readonly max: number;
  readonly scale: number;
  readonly zeroPoint: number;
}

/** What {@link quantize} reports. */
export interface OnnxQuantizeReport {
  readonly mode: OnnxQuantMode;
  readonly weightBits: number;
  readonly granularity: 'per-tensor' | 'per-channel';
  readonly blockSize?: number;
  /** Static: the calibration method. */
  readonly observer?: string;
  readonly activationSymmetric?: boolean;
  /** Default-domain opset of the input and of the output (raised to 13 for INT8 when older). */
  readonly opset: { readonly from: number; readonly to: number; readonly rewritten: Record<string, number> };
  /** ONNX Runtime's basic optimizations applied first (node counts before and after). */
  readonly preprocess?: { readonly nodesBefore: number; readonly nodesAfter: number };
  readonly nodes: NodeQuantReport[];
  readonly skipped: SkippedNode[];
  readonly points: ActivationPointReport[];
  readonly calibrationExamples: number;
  /** Bytes of the model as given (file plus external data). */
  readonly floatSizeBytes: number;
  /** Bytes of the written model. */
  readonly sizeBytes: number;
  readonly sizeRatio: number;
  /** Node count per op type of the written model (contrib ops carry their domain). */
  readonly ops: Record<string, number>;
  /** The written model's outputs against the float model's, on the data (absent without data). */
  readonly comparison?: OnnxComparison;
  readonly warnings: string[];
}
