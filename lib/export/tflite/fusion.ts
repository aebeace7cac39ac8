// Which layers become one TFLite op, as TFLite's converter fuses them: a ReLU or ReLU6 (inline,
// or a separate ReLU / Activation layer that is the op's only consumer) becomes the
// `fused_activation_function` of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED or ADD, and in a
// float export a BatchNormalization that is a convolution's or a Dense's only consumer is folded
// into its kernel and bias. The fused layers write nothing: their output is the op's, and the
// op's output takes the grid of the last fused layer (quantized after the activation).
import { GraphNode, consumersOf } from '../../core/graph';
import { FUSABLE_ACTIVATIONS, LayerClass, fusableActivation } from '../../core/layers';
import { FusedActivation } from './schema';
import { batchNormAffine, lastAxisBatchNorm } from './weights';

/**
 * TFLite's allow-list, narrowing the registry's `fusesActivation` and `foldsBatchNorm`: the classes
 * whose TFLite op (FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, ADD) has a fused activation.
 */
const TFLITE_FUSED_OPS: ReadonlySet<LayerClass> = new Set<LayerClass>(['Dense', 'Conv2D', 'DepthwiseConv2D', 'Add']);
const fusesActivation = (n: GraphNode): boolean =>
  n.entry?.fusesActivation === true && TFLITE_FUSED_OPS.has(n.className as LayerClass);
const foldsBatchNorm = (n: GraphNode): boolean => n.entry?.foldsBatchNorm === true && fusesActivation(n);

/** What fusion decided for one op. */
export interface FusedOp {
  readonly activation: FusedActivation;
  readonly batchNorm?: { readonly scale: Float32Array; readonly shift: Float32Array };
  /** The layer whose output grid the op's output takes (the last fused layer). */
  readonly gridOf: string;
  /** An inline activation the op cannot fuse (written after it). */
  readonly after?: string;
}

/** Fusion of a whole graph: per op, and the fused layers pointing at the op they joined. */
export interface Fusion {
  readonly ops: ReadonlyMap<string, FusedOp>;
  readonly aliases: ReadonlyMap<string, string>;
}

const toFused = (act: string | undefined): FusedActivation =>
  act === 'relu' ? 'RELU' : act === 'relu6' ? 'RELU6' : 'NONE';

/** Decides the fusions of `graph`; `foldBatchNorm` only for float exports (INT8 plans fold it before calibrating). */
export function fuse(graph: readonly GraphNode[], foldBatchNorm: boolean): Fusion {
  const consumers = consumersOf(graph);
  const ops = new Map<string, FusedOp>();
  const aliases = new Map<string, string>();
  const only = (name: string): GraphNode | undefined => {
    const cs = consumers.get(name) ?? [];
    return cs.length === 1 ? cs[0] : undefined;
  };
  for (const node of graph) {
    if (!fusesActivation(node) || aliases.has(node.name)) continue;
    const inline = node.entry?.activation?.(node.config);
    let last = node.name;
    let batchNorm: FusedOp['batchNorm'];
    const next = only(node.name);
    if (foldBatchNorm && !inline && foldsBatchNorm(node) && next?.entry?.batchNorm && lastAxisBatchNorm(next)) {
      batchNorm = batchNormAffine(next);
      aliases.set(next.name, node.name);
      last = next.name;
    }
    let activation: FusedActivation = 'NONE';
    let after: string | undefined;
    if (inline) {
      if (FUSABLE_ACTIVATIONS.has(inline)) activation = toFused(inline);
      else after = inline;
    } else {
      const act = only(last);
      const a = act ? fusableActivation(act.entry, act.config) : undefined;
      if (act && a) {
        activation = toFused(a);
        aliases.set(act.name, node.name);
        last = act.name;
      }
    }
    ops.set(node.name, { activation, gridOf: last, ...(batchNorm ? { batchNorm } : {}), ...(after ? { after } : {}) });
  }
  return { ops, aliases };
}
