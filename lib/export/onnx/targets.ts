// ONNX target profiles: what each runtime's published rules accept in a quantized ONNX file, in
// one table that both the exporter (toOnnx's `target`) and the checker (checkOnnxTarget) read.
// Checked against the vendor's published rules and run in ONNX Runtime; not run in
// TensorRT/OpenVINO here (neither installs on this machine). Sources:
// - TensorRT: onnx/onnx-tensorrt docs/operators.md (TensorRT 8.5 support matrix: QuantizeLinear /
//   DequantizeLinear INT8 with zero point 0; DynamicQuantizeLinear, MatMulInteger, ConvInteger,
//   QLinearConv, QLinearMatMul unsupported) and NVIDIA's explicit-quantization guide (symmetric
//   signed INT8, per-tensor activations, per-channel weights along the output-channel axis).
// - OpenVINO: ov::pass::ConvertQuantizeDequantize (a QuantizeLinear -> DequantizeLinear pair
//   becomes one FakeQuantize: i8 or u8, 256 levels, constant scale and zero point),
//   WeightsDequantizeToFakeQuantize (i8 weight constants), and its ONNX frontend's
//   com.microsoft MatMulNBits importer (zero points read as one per block: [N, nBlocks, 1]).
import { ConfigError, ExportError, describe } from '../../errors';
import { GraphNode } from '../../core/graph';
import { QuantMode } from '../../quantize/plan';
import { QParams, qparamsFromRange } from '../../quantize/qparams';
import { ZeroPointStorage } from './matmul-nbits';

/** The runtimes toOnnx can shape a file for. */
export type OnnxTarget = 'ort' | 'tensorrt' | 'openvino';
export const ONNX_TARGETS: readonly OnnxTarget[] = ['ort', 'tensorrt', 'openvino'];

/** One target's rules (plain data). */
export interface TargetProfile {
  readonly target: OnnxTarget;
  readonly runtime: string;
  /** Quantization modes whose ONNX form the target takes. */
  readonly modes: readonly QuantMode[];
  /** Integer types of activation QuantizeLinear / DequantizeLinear. */
  readonly activationTypes: readonly ('int8' | 'uint8')[];
  /** Integer types of DequantizeLinear on a kernel constant. */
  readonly weightTypes: readonly ('int8' | 'uint8')[];
  /** int32 biases as DequantizeLinear (ONNX Runtime's QGemm / QLinearConv form); float biases otherwise. */
  readonly int32Bias: boolean;
  /** Every zero point 0 (symmetric quantization only). */
  readonly zeroPointZero: boolean;
  /** Activations per tensor only. */
  readonly perTensorActivations: boolean;
  /** Per-channel kernels only along the consuming op's output-channel axis. */
  readonly outputChannelAxis: boolean;
  /** Each QuantizeLinear feeds only DequantizeLinear nodes with its own scale and zero point. */
  readonly qdqPairs: boolean;
  /** Standard-domain ops the target does not take. */
  readonly refusedOps: readonly string[];
  /** com.microsoft ops the target takes ('*': all). */
  readonly contribOps: '*' | readonly string[];
  /** How MatMulNBits zero points are written (and, for 'float', the only form accepted). */
  readonly zeroPoints: ZeroPointStorage;
  readonly sources: readonly string[];
}

const INTEGER_OPS = ['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QLinearConv', 'QLinearMatMul'];

export const TARGETS: Readonly<Record<OnnxTarget, TargetProfile>> = {
  ort: {
    target: 'ort',
    runtime: 'ONNX Runtime',
    modes: ['weight-only', 'dynamic', 'static'],
    activationTypes: ['int8', 'uint8'],
    weightTypes: ['int8', 'uint8'],
    int32Bias: true,
    zeroPointZero: false,
    perTensorActivations: false,
    outputChannelAxis: false,
    qdqPairs: false,
    refusedOps: [],
    contribOps: '*',
    zeroPoints: 'packed',
    sources: [
      'ONNX Runtime runs the file itself (onnxruntime-node); MatMulNBits as in microsoft/onnxruntime docs/ContribOperators.md',
    ],
  },
  tensorrt: {
    target: 'tensorrt',
    runtime: 'TensorRT',
    modes: ['weight-only', 'static'],
    activationTypes: ['int8'],
    weightTypes: ['int8'],
    int32Bias: false,
    zeroPointZero: true,
    perTensorActivations: true,
    outputChannelAxis: true,
    qdqPairs: false,
    refusedOps: INTEGER_OPS,
    contribOps: [],
    zeroPoints: 'packed',
    sources: [
      'onnx/onnx-tensorrt docs/operators.md: QuantizeLinear/DequantizeLinear INT8 only, zero point must be 0; integer ops unsupported',
      'NVIDIA TensorRT, explicit quantization: symmetric signed INT8, per-tensor activations, per-channel weights on the output-channel axis',
    ],
  },
  openvino: {
    target: 'openvino',
    runtime: 'OpenVINO',
    modes: ['weight-only', 'static'],
    activationTypes: ['int8', 'uint8'],
    weightTypes: ['int8'],
    int32Bias: false,
    zeroPointZero: false,
    perTensorActivations: true,
    outputChannelAxis: true,
    qdqPairs: true,
    refusedOps: INTEGER_OPS,
    contribOps: ['MatMulNBits'],
    zeroPoints: 'float',
    sources: [
      'OpenVINO ConvertQuantizeDequantize: a Q/DQ pair becomes one FakeQuantize (i8 or u8, 256 levels, constant scale and zero point)',
      'OpenVINO WeightsDequantizeToFakeQuantize: i8 weight constants',
      'OpenVINO ONNX frontend com.microsoft/matmulnbits.cpp: zero points one per block ([N, n_blocks, 1])',
    ],
  },
};

/** The profile of `target`; ConfigError for an unknown name (`fn` names the caller). */
export function targetProfile(target: unknown, fn: string): TargetProfile {
  if (!ONNX_TARGETS.includes(target as OnnxTarget)) {
    throw new ConfigError(
      `${fn}: target 'ort', 'tensorrt' or 'openvino', got ${describe(target)}. Use 'ort' for ONNX Runtime.`,
    );
  }
  return TARGETS[target as OnnxTarget];
}

/**
 * The grid an activation is written on for `p`: the planned one when the target takes it, else
 * the symmetric int8 grid (zero point 0) covering the same range, as TensorRT requires.
 */
export function targetGrid(p: TargetProfile, qp: QParams): QParams {
  const type = qp.signed ? 'int8' : 'uint8';
  const zeroOk = !p.zeroPointZero || qp.zeroPoint.every((z) => z === 0);
  if (p.activationTypes.includes(type) && zeroOk) return qp;
  const lo = (qp.qmin - (qp.zeroPoint[0] as number)) * (qp.scale[0] as number);
  const hi = (qp.qmax - (qp.zeroPoint[0] as number)) * (qp.scale[0] as number);
  return qparamsFromRange([lo], [hi], { bits: 8, symmetric: true, signed: true });
}

/** Refuses a quantization mode the target has no form for. */
export function checkTargetMode(p: TargetProfile, mode: QuantMode | undefined): void {
  if (mode && !p.modes.includes(mode)) {
    throw new ExportError(
      `toOnnx: a quantization mode ${p.runtime} takes (${p.modes.join(', ')}), got '${mode}' for target '${p.target}'. ` +
        `Quantize with mode 'static' (QDQ) for ${p.runtime}, or export for target 'ort'.`,
    );
  }
}

/** Refuses a kernel's quantization the target does not take (the layer named). */
export function checkTargetKernel(p: TargetProfile, node: GraphNode, wq: QParams): void {
  const fail = (what: string, fix: string) =>
    new ExportError(
      `toOnnx: kernels ${p.runtime} takes for target '${p.target}', got ${what} in layer "${node.name}" (${node.className}). ${fix}.`,
    );
  if (wq.blockSize !== undefined && p.contribOps !== '*' && !p.contribOps.includes('MatMulNBits')) {
    throw fail(
      'blockwise int4 weights (MatMulNBits, an ONNX Runtime contrib op)',
      `Export weight-only int4 for target 'ort' or 'openvino', or quantize to int8 for ${p.runtime}`,
    );
  }
  if (wq.blockSize !== undefined) return;
  if (!p.weightTypes.includes(wq.signed ? 'int8' : 'uint8') || (p.zeroPointZero && wq.zeroPoint.some((z) => z !== 0))) {
    throw fail(
      `${wq.signed ? 'signed' : 'unsigned'} ${wq.symmetric ? 'symmetric' : 'asymmetric'} weights`,
      'Quantize with weightSymmetric true (the default: int8, zero point 0)',
    );
  }
}
