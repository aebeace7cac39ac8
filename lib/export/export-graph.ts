// The start every model exporter shares (toOnnx, toTflite, toCoreML): a layers model, options as
// an object, one input and one output, then the model's graph; for the formats with static shapes,
// an input of fixed shape; and each layer's converter looked up before anything is written.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ExportError, describe } from '../errors';
import { GraphNode, modelGraph, requireLayersModel } from '../core/graph';
import { isModelInput } from '../core/layers';
import { Refusal, converterFor } from './layer-data';

/**
 * The graph of a single-input, single-output layers model, in topological order (the input
 * first). `fn` names the exporter in errors: ConfigError for a non-model or non-object options,
 * ExportError for several inputs or outputs.
 */
export function exportGraph(model: tf.LayersModel, options: unknown, fn: string): GraphNode[] {
  requireLayersModel(model, fn);
  if (!options || typeof options !== 'object' || Array.isArray(options))
    throw new ConfigError(`${fn}: options as an object, got ${describe(options)}. Pass {} or leave them out.`);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ExportError(
      `${fn}: a model with one input and one output, got ${model.inputs.length} and ${model.outputs.length}. Export each head as its own model.`,
    );
  }
  return modelGraph(model, fn);
}

/** The graph's input node, whose shape (batch aside) must be fixed: ExportError otherwise. */
export function fixedInput(graph: readonly GraphNode[], fn: string): GraphNode {
  const input = graph[0] as GraphNode;
  if (input.outputShape.some((d) => !(d > 0))) {
    throw new ExportError(
      `${fn}: a model input of fixed shape, got [${input.outputShape.join(', ')}]. Build the model with a full inputShape.`,
    );
  }
  return input;
}

/**
 * Each layer's converter from `table`, by layer name (input layers have none): the first layer
 * without one throws converterFor's ExportError before anything is written.
 */
export function layerConverters<C extends (...args: never[]) => unknown>(
  graph: readonly GraphNode[],
  table: Readonly<Record<string, C | Refusal>>,
  fn: string,
  folder: string,
): Map<string, C> {
  return new Map(
    graph.filter((n) => !isModelInput(n.className)).map((n) => [n.name, converterFor<C>(table, n, fn, folder)]),
  );
}
