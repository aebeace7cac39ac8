// TensorFlow.js models to and from their artifacts and folders, without tfjs-node: layers
// models (`saveModel` / `loadModel`, what stock `tf.loadLayersModel` reads) and graph models
// (`loadGraphModel`, the converter's output for SavedModels and TF Hub, built by stock
// `tf.loadGraphModel`). Reading goes through model-read.ts (paths, file types, sizes and manifests
// checked; asynchronous), writing through model-files.ts (one atomic folder).
// A model that fails to build is disposed before the error is thrown: no half-built model leaks.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ShapeError } from '../errors';
import { ModelArtifacts, ModelJson, isGraphArtifacts, shardNames, writeArtifacts } from './model-files';
import { ReadOptions, modelPaths, readArtifactsAsync } from './model-read';

const WEIGHTS_FILE = 'weights.bin';

function concat(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

const toBuffer = (w: Uint8Array) => w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
const specsOf = (a: ModelArtifacts) => a.modelJson.weightsManifest.flatMap((g) => g.weights);

/** What `tf.io` loaders take, from our artifacts (signature and metadata included). */
function toTfArtifacts(a: ModelArtifacts): tf.io.ModelArtifacts {
  return tf.io.getModelArtifactsForJSONSync(
    a.modelJson as unknown as tf.io.ModelJSON,
    specsOf(a),
    toBuffer(a.weightData),
  );
}

/** Our artifacts from what a tfjs save handler receives (one weights group). */
function fromTfArtifacts(a: tf.io.ModelArtifacts, defaultFormat: string, paths?: string[]): ModelArtifacts {
  const weightData = concat((a.weightData ?? new ArrayBuffer(0)) as ArrayBuffer | ArrayBuffer[]);
  const modelJson: ModelJson = {
    modelTopology: a.modelTopology,
    format: a.format ?? defaultFormat,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: paths ?? shardNames(1, weightData.length), weights: a.weightSpecs ?? [] }],
  };
  for (const key of [
    'signature',
    'userDefinedMetadata',
    'modelInitializer',
    'initializerSignature',
    'trainingConfig',
  ] as const) {
    if (a[key] != null) modelJson[key] = a[key];
  }
  return { modelJson, weightData };
}

/** Serializes a layers model to artifacts (float32 weights, one weights.bin). */
export async function modelToArtifacts(model: tf.LayersModel): Promise<ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return fromTfArtifacts(captured as tf.io.ModelArtifacts, 'layers-model', [WEIGHTS_FILE]);
}

/** The artifacts a graph model was loaded from (its topology, signature and stored, possibly quantized, weights). */
export async function graphModelToArtifacts(model: tf.GraphModel): Promise<ModelArtifacts> {
  if (!(model instanceof tf.GraphModel))
    throw new ConfigError(
      `graphModelToArtifacts: a tf.GraphModel, got ${typeof model}. Load it with loadGraphModel or tf.loadGraphModel.`,
    );
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return fromTfArtifacts(captured as tf.io.ModelArtifacts, 'graph-model');
}

/**
 * Saves a layers model to `dir` (model.json + weights.bin) as one unit: a new folder flushed and
 * renamed into place, so a crash leaves the old model or the new one (see writeArtifacts).
 * @example await saveModel(model, '/tmp/simplenet'); // then stock tfjs can load it
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
): Promise<{ modelJsonBytes: number; weightBytes: number }> {
  const { modelJsonBytes, weightBytes } = writeArtifacts(dir, await modelToArtifacts(model));
  return { modelJsonBytes, weightBytes };
}

/** Names of the variables tfjs holds now. */
const variableNames = () => new Set(Object.keys(tf.engine().registeredVariables));

/** The topology with every initializer replaced by Zeros: the probe model builds as fast as tfjs's own fast init. */
function zeroInitializers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(zeroInitializers);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k.endsWith('_initializer') && v && typeof v === 'object'
        ? { class_name: 'Zeros', config: {} }
        : zeroInitializers(v),
    ]),
  );
}

/**
 * Checks that the weights fit the layers (names and shapes) on a probe model built with zero
 * initializers, with tfjs's own `loadWeights`, then disposes the probe and the decoded weights:
 * a mismatch is a typed error and leaves nothing behind (stock tf.loadLayersModel leaks the
 * half-built model and the decoded weights when it fails there).
 */
async function checkWeightsFit(artifacts: ModelArtifacts, source: string): Promise<void> {
  const before = variableNames();
  // modelFromJSON builds synchronously (no weightsManifest given): the variables it made are known now.
  const pending = tf.models.modelFromJSON({
    modelTopology: zeroInitializers(artifacts.modelJson.modelTopology),
  } as never);
  const made = [...variableNames()].filter((n) => !before.has(n));
  let probe: tf.LayersModel;
  try {
    probe = await pending;
  } catch (e) {
    const vars = tf.engine().registeredVariables;
    for (const n of made) vars[n]?.dispose();
    throw new DataError(
      `loadModel: a layers model tfjs can build from ${source}, got "${(e as Error).message}". ` +
        `Check that model.json was written by saveModel or the tfjs converter (format layers-model), and register custom layers with tf.serialization.registerClass.`,
      source,
    );
  }
  const specs = specsOf(artifacts).filter((s) => s.group !== 'optimizer');
  let weights: tf.NamedTensorMap = {};
  try {
    weights = tf.io.decodeWeights(toBuffer(artifacts.weightData), specsOf(artifacts));
    const modelWeights = Object.fromEntries(specs.map((s) => [s.name, weights[s.name] as tf.Tensor]));
    probe.loadWeights(modelWeights, true);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/shape/i.test(msg)) {
      throw new ShapeError(
        `loadModel: weights whose shapes match the layers of ${source}, got a mismatch (${msg}). ` +
          `The weights belong to another architecture: save the model again.`,
      );
    }
    throw new DataError(
      `loadModel: one weight per layer variable in ${source}, got "${msg}". The weights belong to another model: save the model again.`,
      source,
    );
  } finally {
    tf.dispose(Object.values(weights));
    probe.dispose();
  }
}

/** Builds a layers model from artifacts with stock tfjs (`tf.loadLayersModel` + `tf.io.fromMemory`); disposes everything on failure. */
export async function artifactsToModel(artifacts: ModelArtifacts, source = '<memory>'): Promise<tf.LayersModel> {
  if (isGraphArtifacts(artifacts)) {
    throw new ConfigError(
      `loadModel: a layers model, got a graph model (format graph-model) in ${source}. Load it with loadGraphModel; ` +
        `profile.profileModel and exporters.quantizeGraphArtifacts work on it.`,
    );
  }
  await checkWeightsFit(artifacts, source);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(toTfArtifacts(artifacts)));
  } catch (e) {
    throw new DataError(
      `loadModel: a layers model tfjs can build from ${source}, got "${(e as Error).message}". ` +
        `Check that model.json was written by saveModel or the tfjs converter (format layers-model).`,
      source,
    );
  }
}

/**
 * Loads a layers model saved by {@link saveModel} (or by the tfjs converter) from `dir` (its folder, or its model.json).
 * @example const model = await loadModel('/tmp/simplenet'); // or '/tmp/simplenet/model.json'
 */
export async function loadModel(dir: string, options: ReadOptions = {}): Promise<tf.LayersModel> {
  return artifactsToModel(await readArtifactsAsync(dir, { caller: 'loadModel', ...options }), modelPaths(dir).jsonFile);
}

interface GraphNodeDef {
  name?: unknown;
  op?: unknown;
  input?: unknown;
}

/** Checks a GraphDef topology so that tfjs's graph builder cannot fail half-way (it would leak the decoded weights). */
function checkGraphTopology(artifacts: ModelArtifacts, source: string): void {
  const fn = 'loadGraphModel';
  const nodes = (artifacts.modelJson.modelTopology as { node?: GraphNodeDef[] }).node;
  if (!Array.isArray(nodes) || nodes.length === 0)
    throw new DataError(
      `${fn}: a GraphDef with a node list in ${source}, got ${Array.isArray(nodes) ? 'no nodes' : 'no node list'}. Convert the model again.`,
      source,
    );
  const names = new Set<string>();
  for (const n of nodes) {
    if (!n || typeof n.name !== 'string' || typeof n.op !== 'string') {
      throw new DataError(
        `${fn}: graph nodes with a name and an op in ${source}, got ${JSON.stringify(n).slice(0, 80)}. Convert the model again.`,
        source,
      );
    }
    names.add(n.name);
  }
  const weights = new Set(specsOf(artifacts).map((s) => s.name));
  for (const n of nodes) {
    for (const i of Array.isArray(n.input) ? (n.input as unknown[]) : []) {
      const producer = typeof i === 'string' ? (i.replace(/^\^/, '').split(':')[0] as string) : '';
      if (!names.has(producer)) {
        throw new DataError(
          `${fn}: node inputs that name graph nodes in ${source}, got "${String(i)}" as an input of "${n.name as string}". Convert the model again.`,
          source,
        );
      }
    }
    if (n.op === 'Const' && !weights.has(n.name as string)) {
      throw new DataError(
        `${fn}: a weight for every Const node in ${source}, got none for "${n.name as string}". The weights manifest belongs to another model: convert it again.`,
        source,
      );
    }
  }
}

/**
 * Builds a graph model from artifacts with stock `tf.loadGraphModelSync`; nothing is left
 * behind when it fails (the load is synchronous, inside an engine scope that keeps only the
 * model's weights).
 */
export function artifactsToGraphModel(artifacts: ModelArtifacts, source = '<memory>'): tf.GraphModel {
  if (!isGraphArtifacts(artifacts)) {
    throw new ConfigError(
      `loadGraphModel: a graph model (format graph-model), got a ${artifacts.modelJson.format ?? 'layers'} model in ${source}. Load it with loadModel.`,
    );
  }
  checkGraphTopology(artifacts, source);
  const engine = tf.engine();
  engine.startScope();
  let model: tf.GraphModel;
  try {
    // The sync loader types its model by the sync handler; it is the same class as tf.loadGraphModel returns.
    model = tf.loadGraphModelSync(toTfArtifacts(artifacts)) as unknown as tf.GraphModel;
  } catch (e) {
    engine.endScope();
    throw new DataError(
      `loadGraphModel: a graph model tfjs can build from ${source}, got "${(e as Error).message}". Convert the model again.`,
      source,
    );
  }
  engine.endScope(Object.values(model.weights).flat());
  return model;
}

/**
 * Loads a graph model (tensorflowjs_converter output: model.json with format graph-model and its
 * shards, quantized ones included) from `dir` (its folder, or its model.json) with stock tfjs.
 * @example const model = await loadGraphModel('/models/mobilenet_v2'); model.predict(tf.zeros([1, 224, 224, 3]));
 */
export async function loadGraphModel(dir: string, options: ReadOptions = {}): Promise<tf.GraphModel> {
  return artifactsToGraphModel(
    await readArtifactsAsync(dir, { caller: 'loadGraphModel', ...options }),
    modelPaths(dir).jsonFile,
  );
}
