// What the TFLite writer reads from a quantization plan, behind one small interface: per layer,
// the kernel's parameters and the int8 grid of its output. The plan is the one the ONNX exporter
// reads (quantize.postTraining / convertQat); a model whose activation points are FakeQuantize
// layers carries its grids in those layers. Layers that only move values (max pooling, flatten,
// padding, dropout, reshape) keep their input's grid. TFLite's int8 activations are signed
// ([-128, 127]): an unsigned uint8 grid becomes the same grid with zero point - 128.
import { ExportError } from '../../errors';
import { GraphNode } from '../../core/graph';
import { QuantPlan } from '../../quantize/plan';
import { QParams } from '../../quantize/qparams';
import { FakeQuantize } from '../../quantize/fake-quantize-layer';

/** Per-layer quantization as the TFLite writer needs it. */
export interface TfliteQuantization {
  /** The int8 grid of a layer's output (signed, per tensor), or undefined when it stays float. */
  grid(layer: string): QParams | undefined;
  /** The kernel's parameters (tfjs layout), or undefined when the kernel stays float. */
  weight(layer: string): QParams | undefined;
}

/** The grid of a FakeQuantize layer (a quantized model's activation point). */
function fakeQuantizeGrid(node: GraphNode): QParams | undefined {
  return node.layer instanceof FakeQuantize ? node.layer.qparams : undefined;
}

/** The signed 8-bit form of an activation grid; ExportError for other widths or per-channel grids. */
export function int8Grid(qp: QParams, where: string): QParams {
  if (qp.bits !== 8 || qp.axis !== undefined) {
    throw new ExportError(
      `toTflite: per-tensor 8-bit activations, got ${qp.bits} bits${qp.axis !== undefined ? ' per channel' : ''} at "${where}". ` +
        `Calibrate activations with activationBits 8 (TFLite's int8 kernels take int8 activations only).`,
    );
  }
  if (qp.signed) return qp;
  return {
    ...qp,
    signed: true,
    qmin: qp.qmin - 128,
    qmax: qp.qmax - 128,
    zeroPoint: Int32Array.from(qp.zeroPoint, (z) => z - 128),
  };
}

/**
 * The quantization of `graph` under `plan` (static mode), or undefined for a float export.
 * ExportError for plans TFLite's integer kernels cannot run (dynamic, weight-only).
 */
export function tfliteQuantization(
  graph: readonly GraphNode[],
  plan: QuantPlan | undefined,
): TfliteQuantization | undefined {
  const hasFakeQuantize = graph.some((n) => fakeQuantizeGrid(n));
  if (!plan && !hasFakeQuantize) return undefined;
  if (plan && plan.mode !== 'static') {
    throw new ExportError(
      `toTflite: a static quantization plan (full-integer INT8) or none (fp32), got mode '${plan.mode}'. ` +
        `Quantize with quantize.postTraining(model, calibration, {mode: 'static'}), or export the float model.`,
    );
  }
  const grids = new Map<string, QParams>();
  for (const node of graph) {
    const fq = node.inputs.length === 1 ? fakeQuantizeGrid(node) : undefined;
    if (fq) grids.set(node.inputs[0] as string, int8Grid(fq, node.inputs[0] as string));
  }
  for (const node of graph) {
    const own = plan?.activations[node.name];
    if (own && !grids.has(node.name)) grids.set(node.name, int8Grid(own, node.name));
    if (fakeQuantizeGrid(node)) grids.set(node.name, grids.get(node.inputs[0] as string) as QParams);
    else if (!grids.has(node.name) && node.entry?.valuePreserving && node.inputs.length === 1) {
      const up = grids.get(node.inputs[0] as string);
      if (up) grids.set(node.name, up);
    }
  }
  const weights = plan?.weights ?? {};
  return { grid: (layer) => grids.get(layer), weight: (layer) => weights[layer] };
}
