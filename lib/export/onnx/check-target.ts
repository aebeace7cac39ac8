// Checks an ONNX file against a target's published rules (targets.ts): every node that breaks
// one, the tensor concerned, the rule and the fix. A rule check, not a run: TensorRT and OpenVINO
// do not run on this machine; ONNX Runtime runs every file the tests write.
import { onnx } from 'onnx-proto';
import { DataError } from '../../errors';
import { DataType, MS_DOMAIN } from './builder';
import { OnnxTarget, TargetProfile, targetProfile } from './targets';

/** One broken rule. */
export interface TargetViolation {
  /** The node's name and op type (`com.microsoft.` prefixed for contrib ops). */
  readonly node: string;
  readonly op: string;
  /** The tensor the rule is about ('' when the op itself is the problem). */
  readonly tensor: string;
  readonly rule: string;
  readonly fix: string;
}

const TYPE_NAMES: Record<number, string> = {
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.INT32]: 'int32',
  [DataType.FLOAT]: 'float32',
};

/** Integer values of an initializer (raw little-endian data or the typed fields). */
function values(t: onnx.ITensorProto): number[] {
  const raw = t.rawData;
  if (raw && raw.length) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (t.dataType === DataType.INT8) return Array.from(raw, (_, i) => view.getInt8(i));
    if (t.dataType === DataType.UINT8) return Array.from(raw);
    if (t.dataType === DataType.INT32)
      return Array.from({ length: raw.length / 4 }, (_, i) => view.getInt32(4 * i, true));
    if (t.dataType === DataType.FLOAT)
      return Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
    return [];
  }
  return [...(t.int32Data ?? []), ...(t.floatData ?? [])].map(Number);
}

const attr = (n: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined =>
  n.attribute?.find((a) => a.name === name);
const intAttr = (n: onnx.INodeProto, name: string, fallback: number) => Number(attr(n, name)?.i ?? fallback);

/**
 * The rules `bytes` (an ONNX model) breaks for `target`; an empty list when it follows them all.
 * @example checkOnnxTarget(toOnnx(q, {target: 'tensorrt'}).bytes, 'tensorrt') // []
 */
export function checkOnnxTarget(bytes: Uint8Array, target: OnnxTarget): TargetViolation[] {
  const p = targetProfile(target, 'checkOnnxTarget');
  let m: onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new DataError(
      `checkOnnxTarget: an ONNX model file, got "${(e as Error).message}". Pass the bytes toOnnx wrote.`,
    );
  }
  const nodes = m.graph?.node ?? [];
  const inits = new Map((m.graph?.initializer ?? []).map((t) => [t.name as string, t]));
  const readers = new Map<string, { node: onnx.INodeProto; index: number }[]>();
  for (const n of nodes)
    (n.input ?? []).forEach((name, index) => {
      if (name) readers.set(name, [...(readers.get(name) ?? []), { node: n, index }]);
    });
  const out: TargetViolation[] = [];
  for (const n of nodes) {
    const domain = n.domain && n.domain !== 'ai.onnx' ? n.domain : '';
    const op = domain ? `${domain}.${n.opType}` : (n.opType as string);
    const add = (tensor: string, rule: string, fix: string) =>
      out.push({ node: n.name ?? '', op, tensor, rule: `${p.runtime}: ${rule}`, fix });
    if (domain && !(domain === MS_DOMAIN && (p.contribOps === '*' || p.contribOps.includes(n.opType as string)))) {
      add(
        '',
        `no ${domain} contrib ops (${n.opType} is an ONNX Runtime extension)`,
        p.target === 'tensorrt' && n.opType === 'MatMulNBits'
          ? 'Export weight-only int4 for ONNX Runtime or OpenVINO, or quantize to int8 for TensorRT'
          : `Export with toOnnx(model, {target: '${p.target}'})`,
      );
      continue;
    }
    if (!domain && p.refusedOps.includes(n.opType as string)) {
      add(
        '',
        `no ${n.opType} (integer-arithmetic ops are not the QDQ form it reads)`,
        `Quantize with mode 'static' and export with toOnnx(q, {target: '${p.target}'}) (QuantizeLinear/DequantizeLinear only)`,
      );
      continue;
    }
    if (n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear') checkQdq(p, n, inits, readers, add);
    if (op === `${MS_DOMAIN}.MatMulNBits`) checkMatMulNBits(p, n, inits, add);
  }
  return out;
}

type Add = (tensor: string, rule: string, fix: string) => void;

/** The rules of one QuantizeLinear / DequantizeLinear node. */
function checkQdq(
  p: TargetProfile,
  n: onnx.INodeProto,
  inits: Map<string, onnx.ITensorProto>,
  readers: Map<string, { node: onnx.INodeProto; index: number }[]>,
  add: Add,
): void {
  const [x = '', scale = '', zp = ''] = n.input ?? [];
  const dq = n.opType === 'DequantizeLinear';
  const constant = dq && inits.has(x);
  const zpInit = zp ? inits.get(zp) : undefined;
  // The integer type: a constant's own, else the zero point's (ONNX's default without one is uint8).
  const typeCode = constant ? inits.get(x)?.dataType : zp ? zpInit?.dataType : DataType.UINT8;
  const type = TYPE_NAMES[typeCode as number] ?? `type ${typeCode}`;
  if (!inits.has(scale) || (zp && !zpInit))
    add(
      scale,
      'scale and zero point must be constants (initializers)',
      'Export with toOnnx, which writes them as initializers',
    );
  if (type === 'int32') {
    if (!p.int32Bias)
      add(
        x,
        'no int32 DequantizeLinear (biases stay float)',
        `Export with toOnnx(q, {target: '${p.target}'}) (float biases)`,
      );
    return;
  }
  const allowed: readonly string[] = constant ? p.weightTypes : p.activationTypes;
  if (!allowed.includes(type)) {
    add(
      constant ? x : (n.output?.[0] ?? ''),
      `${constant ? 'weights' : 'activations'} as ${allowed.join(' or ')}, got ${type}${!zp && !constant ? ' (no zero point: uint8)' : ''}`,
      constant
        ? 'Quantize with weightSymmetric true (int8, zero point 0)'
        : `Export with toOnnx(q, {target: '${p.target}'}) (symmetric int8 activations), or quantize with activationSymmetric`,
    );
  }
  if (p.zeroPointZero && zpInit && values(zpInit).some((v) => v !== 0))
    add(
      zp,
      'zero points must be 0 (symmetric quantization only)',
      `Export with toOnnx(q, {target: '${p.target}'}), or quantize with activationSymmetric`,
    );
  const perChannel = (inits.get(scale)?.dims ?? []).length > 0 && Number(inits.get(scale)?.dims?.[0] ?? 1) > 1;
  if (perChannel && !constant && p.perTensorActivations)
    add(
      scale,
      'activations quantized per tensor (one scale)',
      'Calibrate activations per tensor (quantize.postTraining does)',
    );
  if (perChannel && constant && p.outputChannelAxis) {
    const reader = readers.get(n.output?.[0] ?? '')?.[0];
    const rank = (inits.get(x)?.dims ?? []).length;
    const want =
      reader?.node.opType === 'Conv' && reader.index === 1
        ? 0
        : reader?.node.opType === 'Gemm' && reader.index === 1
          ? intAttr(reader.node, 'transB', 0)
            ? 0
            : 1
          : reader?.node.opType === 'MatMul' && reader.index === 1
            ? rank - 1
            : undefined;
    const axis = intAttr(n, 'axis', 1);
    if (want !== undefined && (axis < 0 ? axis + rank : axis) !== want) {
      add(
        x,
        `per-channel weights along the output-channel axis (${want} for ${reader?.node.opType}), got axis ${axis}`,
        'Quantize kernels per output channel (the default granularity)',
      );
    }
  }
  if (!dq && p.qdqPairs) {
    const next = readers.get(n.output?.[0] ?? '') ?? [];
    if (
      !next.length ||
      next.some(
        (r) => r.node.opType !== 'DequantizeLinear' || r.node.input?.[1] !== scale || (r.node.input?.[2] ?? '') !== zp,
      )
    ) {
      add(
        n.output?.[0] ?? '',
        'each QuantizeLinear read only by DequantizeLinear with the same scale and zero point (the pair that becomes one FakeQuantize)',
        `Export with toOnnx(q, {target: '${p.target}'})`,
      );
    }
  }
}

/** The rules of a MatMulNBits node (block size, and the zero-point form the target reads). */
function checkMatMulNBits(p: TargetProfile, n: onnx.INodeProto, inits: Map<string, onnx.ITensorProto>, add: Add): void {
  const bs = intAttr(n, 'block_size', 0);
  if (!(bs >= 16 && (bs & (bs - 1)) === 0))
    add('', `block_size a power of two >= 16, got ${bs}`, 'Quantize with blockSize 32, 64 or 128');
  const zp = n.input?.[3];
  if (zp && p.zeroPoints === 'float' && inits.get(zp)?.dataType !== DataType.FLOAT) {
    add(
      zp,
      'MatMulNBits zero points one float per block (packed 4-bit zero points are not read as such)',
      `Export with toOnnx(q, {target: '${p.target}'}), or quantize with weightSymmetric true (no zero points)`,
    );
  }
}
