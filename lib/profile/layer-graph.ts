// The layer graph of a tfjs layers model as plain data: layers in execution order, each with the
// layers it reads from. Works for Sequential and functional models.
import * as tf from '@tensorflow/tfjs';

/** One layer of the graph. */
export interface GraphNode {
  readonly name: string;
  readonly className: string;
  readonly inputs: string[];
  /** Output shape without the batch dimension. */
  readonly outputShape: number[];
  /** Input shapes without the batch dimension (one per input). */
  readonly inputShapes: number[][];
}

type Shape = (number | null)[];

function dropBatch(shape: Shape): number[] {
  return shape.slice(1).map((d) => (d == null ? -1 : d));
}

function shapesOf(x: tf.SymbolicTensor | tf.SymbolicTensor[]): number[][] {
  return (Array.isArray(x) ? x : [x]).map((t) => dropBatch(t.shape as Shape));
}

/** Layers in the model's (topological) order, with their inbound layer names and shapes. */
export function layerGraph(model: tf.LayersModel): GraphNode[] {
  return model.layers.map((layer) => {
    const inbound = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes ?? [];
    const inputs = [...new Set(inbound.flatMap((n) => n.inboundLayers.map((l) => l.name)))];
    const isInput = layer.getClassName() === 'InputLayer';
    const out = isInput ? [(layer as unknown as { batchInputShape: Shape }).batchInputShape] : [layer.output as tf.SymbolicTensor].flat().map((t) => t.shape as Shape);
    return {
      name: layer.name,
      className: layer.getClassName(),
      inputs,
      outputShape: dropBatch(out[0] ?? []),
      inputShapes: isInput ? [] : shapesOf(layer.input as tf.SymbolicTensor | tf.SymbolicTensor[]),
    };
  });
}
