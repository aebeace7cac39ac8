// Where activations are quantized: the one rule that the plan, the calibration, the simulated
// model, the ONNX QDQ placement and the report all read. Deployment runtimes (TFLite, ONNX
// Runtime, PyTorch) run conv/dense (+ folded BatchNormalization) + ReLU/ReLU6, and Add + ReLU, as
// one integer op whose int32 accumulator is requantized after the activation: so the output of
// such an op is not quantized when its only consumer is a fusable activation; the activation's
// output is. Layers that only move values (max pooling, flatten, padding, dropout) keep their
// input's grid. Everything else (non-fusable activations such as swish or sigmoid, average
// pooling, concatenation, unfolded BatchNormalization) gets its own point. Concatenate gets its
// own grid, as ONNX Runtime's QLinearConcat does (it requantizes each input); TFLite instead
// forces one scale on the inputs and the output.
import { FUSABLE_ACTIVATIONS, fusableActivation, isModelInput } from '../core/layers';
import { GraphNode, consumersOf } from '../core/graph';

/**
 * 'fused' (default): points after fused activations, as runtimes run the model. 'layer-output':
 * a point on every layer output, including before a separate ReLU (the naive placement; kept to
 * show what it costs).
 */
export type ActivationPlacement = 'fused' | 'layer-output';

/** Options of {@link activationPoints}. */
export interface PlacementOptions {
  readonly placement?: ActivationPlacement;
  /** Layers left float: their own output is not a point (a fused activation after them still is). */
  readonly skip?: readonly string[];
}

/** What the rule decided for one layer's output. */
export interface PointDecision {
  readonly layer: string;
  readonly className: string;
  /** The output is quantized with its own calibrated range. */
  readonly point: boolean;
  /** The point whose grid the output lies on: the layer itself, an upstream point (value-moving layers), or undefined (float). */
  readonly grid?: string;
  readonly reason: string;
}

/** True when a layer's output lies on its (single) input's grid: it only moves values. */
export function inheritsGrid(node: Pick<GraphNode, 'entry' | 'inputs'>): boolean {
  return Boolean(node.entry?.valuePreserving) && node.inputs.length === 1;
}

/** The activation a consumer would fuse, or undefined when it cannot be fused into its producer. */
function fusableConsumer(c: GraphNode): string | undefined {
  return c.inputs.length === 1 ? fusableActivation(c.entry, c.config) : undefined;
}

/**
 * The quantization point decision of every layer of `graph` (static quantization), in graph order.
 * @example activationPoints(modelGraph(m)).filter((d) => d.point).map((d) => d.layer) // ['input', 'relu1', ...]
 */
export function activationPoints(graph: readonly GraphNode[], options: PlacementOptions = {}): PointDecision[] {
  const placement = options.placement ?? 'fused';
  const skip = new Set(options.skip ?? []);
  const consumers = consumersOf(graph);
  const decided = new Map<string, PointDecision>();
  for (const node of graph) {
    const base = { layer: node.name, className: node.className };
    const own = (reason: string): PointDecision => ({ ...base, point: true, grid: node.name, reason });
    const float = (reason: string): PointDecision => ({ ...base, point: false, reason });
    const outs = consumers.get(node.name) ?? [];
    const only = outs.length === 1 ? (outs[0] as GraphNode) : undefined;
    const inlineAct = node.entry?.activation?.(node.config);
    let d: PointDecision;
    if (isModelInput(node.className)) d = own('model input');
    else if (inheritsGrid(node)) {
      const up = decided.get(node.inputs[0] as string);
      d = {
        ...base,
        point: false,
        ...(up?.grid ? { grid: up.grid } : {}),
        reason: up?.grid ? `only moves values: on the grid of ${up.grid}` : 'only moves values; its input is float',
      };
    } else if (
      placement === 'fused' &&
      node.entry?.fusesActivation &&
      (!inlineAct || FUSABLE_ACTIVATIONS.has(inlineAct)) &&
      only &&
      fusableConsumer(only)
    ) {
      d = float(`fused with ${only.name} (${fusableConsumer(only)}): quantized after the activation`);
    } else if (skip.has(node.name)) d = float('in skip: left float');
    else if (!node.entry) d = own(`output of ${node.className} (no registry entry: treated as opaque)`);
    else if (node.entry.activation && !node.entry.kernel && node.entry.role === 'pass')
      d = own(`activation output (${inlineAct ?? 'activation'})`);
    else if (node.entry.role === 'concat')
      d = own('concatenation: own grid (ONNX Runtime QLinearConcat requantizes each input)');
    else if (placement === 'layer-output') d = own('layer output (layer-output placement)');
    else if (
      node.entry.fusesActivation &&
      only &&
      only.entry?.role === 'pass' &&
      only.entry.activation &&
      !only.entry.kernel
    ) {
      d = own(
        `output of ${node.className}: its consumer ${only.name} (${only.entry.activation(only.config) ?? only.className}) is not fusable`,
      );
    } else d = own(`output of ${node.className}${inlineAct ? ` (${inlineAct})` : ''}`);
    decided.set(node.name, d);
  }
  return graph.map((n) => decided.get(n.name) as PointDecision);
}

/**
 * Dynamic quantization's points: the input of each quantized Dense layer, quantized per batch at
 * run time (PyTorch's quantize_dynamic and ONNX Runtime's DynamicQuantizeLinear + MatMulInteger).
 */
export function dynamicPoints(
  graph: readonly GraphNode[],
  quantized: (name: string) => boolean,
): { layer: string; input: string }[] {
  return graph
    .filter((n) => n.entry?.matMul && quantized(n.name))
    .map((n) => ({ layer: n.name, input: n.inputs[0] as string }));
}
