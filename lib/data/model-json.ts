// model.json as a hostile document: parsed with a nesting limit (a 2 MB file of 10^6 nested
// arrays overflows JSON.parse's stack with an untyped RangeError), checked to be a TensorFlow.js
// model (modelTopology and weightsManifest), and its input shapes checked when the model is
// opened (a dimension of 0 or -5 is refused here, not later as a wasm out-of-bounds). Input
// shapes live in two places:
//   - layers models (Keras configs, any nesting of Sequential/Functional models):
//     `batch_input_shape` / `batch_shape` / `input_shape` of a layer config: null or a positive integer;
//   - graph models: the signature's `tensorShape.dim[].size` and the Placeholder nodes'
//     `attr.shape.shape.dim[].size` (strings): -1 (free) or a positive integer.
import { DataError, describe } from '../errors';
import { ModelJson } from './model-files';

/** Deepest nesting of arrays and objects accepted in a model.json (Keras topologies nest ~20 deep). */
export const MAX_JSON_DEPTH = 256;
const MAX_DIM = 2 ** 31 - 1;

/** Nesting depth of a JSON text (brackets outside strings), stopping past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * Parses and checks the text of a model.json; every failure is a DataError naming `file`.
 * @example parseModelJson('{"modelTopology": {}, "weightsManifest": []}', 'model.json', 'readArtifacts')
 */
export function parseModelJson(text: string, file: string, fn: string): ModelJson {
  const depth = jsonDepth(text, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) {
    throw new DataError(
      `${fn}: a model.json nested at most ${MAX_JSON_DEPTH} levels deep in ${file}, got more than ${MAX_JSON_DEPTH}. ` +
        `The file is damaged or hostile: convert or save the model again.`,
      file,
    );
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (e) {
    const msg = e instanceof RangeError ? 'nesting too deep to parse' : (e as Error).message;
    throw new DataError(`${fn}: valid JSON in ${file}, got ${msg}. The file is damaged: save the model again.`, file);
  }
  if (
    !json ||
    typeof json !== 'object' ||
    Array.isArray(json) ||
    !json.modelTopology ||
    typeof json.modelTopology !== 'object' ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new DataError(
      `${fn}: a model.json with modelTopology and weightsManifest in ${file}, got ` +
        `${json && typeof json === 'object' && !Array.isArray(json) ? `keys [${Object.keys(json).slice(0, 8).join(', ')}]` : Array.isArray(json) ? 'an array' : typeof json}. ` +
        `Is this a TensorFlow.js model (layers-model or graph-model)?`,
      file,
    );
  }
  checkModelInputs(json, file, fn);
  return json;
}

function badDim(fn: string, file: string, where: string, got: unknown): DataError {
  return new DataError(
    `${fn}: input dimensions that are positive integers (or free: null, -1) in ${file}, got ${describe(got)} in ${where}. ` +
      `The model.json is damaged or hostile: convert the model again with a valid input shape.`,
    file,
  );
}

const SHAPE_KEYS = new Set(['batch_input_shape', 'batch_shape', 'input_shape']);

/** Layers topologies: every shape key of every (nested) layer config. */
function checkLayerShapes(value: unknown, fn: string, file: string, where: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH || !value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkLayerShapes(v, fn, file, `${where}[${i}]`, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (SHAPE_KEYS.has(k) && Array.isArray(v)) {
      for (const d of v)
        if (!(d === null || d === -1 || (Number.isInteger(d) && d >= 1 && d <= MAX_DIM)))
          throw badDim(fn, file, `${where}.${k}`, v);
    } else checkLayerShapes(v, fn, file, `${where}.${k}`, depth + 1);
  }
}

/** Graph models: dims of a TensorShapeProto ({dim: [{size: '-1'}, ...]}). */
function checkShapeProto(shape: unknown, fn: string, file: string, where: string): void {
  const dims = (shape as { dim?: unknown } | null)?.dim;
  if (dims === undefined) return;
  if (!Array.isArray(dims)) throw badDim(fn, file, where, dims);
  for (const d of dims) {
    const size = Number((d as { size?: unknown } | null)?.size ?? NaN);
    if (!(size === -1 || (Number.isInteger(size) && size >= 1 && size <= MAX_DIM)))
      throw badDim(fn, file, where, (d as { size?: unknown } | null)?.size);
  }
}

/** Throws a DataError when an input dimension of the model is 0, negative (other than -1) or not an integer. */
export function checkModelInputs(json: ModelJson, file: string, fn: string): void {
  const topology = json.modelTopology as { node?: unknown };
  if (json.format === 'graph-model' || Array.isArray(topology.node)) {
    const inputs = (json.signature as { inputs?: unknown } | undefined)?.inputs;
    if (inputs && typeof inputs === 'object')
      for (const [k, v] of Object.entries(inputs))
        checkShapeProto((v as { tensorShape?: unknown } | null)?.tensorShape, fn, file, `signature input "${k}"`);
    for (const n of Array.isArray(topology.node) ? (topology.node as unknown[]) : []) {
      const node = n as { op?: unknown; name?: unknown; attr?: { shape?: { shape?: unknown } } } | null;
      if (node?.op === 'Placeholder')
        checkShapeProto(node.attr?.shape?.shape, fn, file, `placeholder "${String(node.name).slice(0, 60)}"`);
    }
    return;
  }
  checkLayerShapes(json.modelTopology, fn, file, 'modelTopology', 0);
}
