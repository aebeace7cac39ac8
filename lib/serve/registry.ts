// A model registry on disk: `<registryDir>/<name>/<version>/`, one folder per immutable version,
// holding either a TensorFlow.js layers model (model.json + weights) or an ONNX model (model.onnx
// + serving.json, its serving manifest). The server loads, hot-swaps and rolls back versions;
// publishing writes the version with writeFolderAtomic (a hidden folder, flushed, renamed into
// place, exclusive): a version appears whole or not at all, and of two publishers of one version
// exactly one succeeds.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { loadModel, modelToArtifacts } from '../data/model-io';
import { ModelArtifacts, isGraphArtifacts, writeArtifacts } from '../data/model-files';
import { writeFileAtomic, writeFolderAtomic, writeJsonAtomic } from '../core/atomic';
import { DEPLOYMENT_FILE, Deployment } from '../data/deployment';
import { VersionDeployment, readVersionDeployment } from './version-deployment';
import {
  MANIFEST_FILE,
  ONNX_FILE,
  ServingManifest,
  onnxServingManifest,
  readServingManifest,
} from './serving-manifest';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws a ConfigError unless `value` is a safe registry name or version (no path tricks). */
export function checkRegistryName(fn: string, what: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value) || value.includes('..')) {
    throw new ConfigError(
      `${fn}: a ${what} of letters, digits, '.', '_' or '-' (at most 64), got ${describe(value)}. ` +
        `Use e.g. 'simplenet' and '1'.`,
    );
  }
  return value;
}

/** Orders versions naturally: '2' < '10', 'v2' < 'v10'. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Which runtime a version folder is for. */
export type VersionFormat = 'tfjs' | 'onnx';

function formatOf(dir: string): VersionFormat | undefined {
  if (fs.existsSync(path.join(dir, 'model.json'))) return 'tfjs';
  if (fs.existsSync(path.join(dir, MANIFEST_FILE))) return 'onnx';
  return undefined;
}

/** The versions of `name` in the registry (folders holding a model), oldest first. */
export function listVersions(registryDir: string, name: string): string[] {
  checkRegistryName('listVersions', 'model name', name);
  const dir = path.join(registryDir, name);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DataError(
      `listVersions: a registry folder at ${dir}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Pass the folder publishModel wrote.`,
      dir,
    );
  }
  return entries
    .filter((d) => d.isDirectory() && NAME.test(d.name) && formatOf(path.join(dir, d.name)) !== undefined)
    .map((d) => d.name)
    .sort(compareVersions);
}

/** The newest version of `name`; a DataError when there is none. */
export function latestVersion(registryDir: string, name: string): string {
  const versions = listVersions(registryDir, name);
  const last = versions[versions.length - 1];
  if (last === undefined) {
    throw new DataError(
      `latestVersion: at least one version folder with a model under ${path.join(registryDir, name)}, got none. ` +
        `Publish one with serve.publishModel or serve.publishOnnx.`,
      path.join(registryDir, name),
    );
  }
  return last;
}

/** The folder of one version. */
export function versionDir(registryDir: string, name: string, version: string): string {
  return path.join(
    registryDir,
    checkRegistryName('versionDir', 'model name', name),
    checkRegistryName('versionDir', 'version', version),
  );
}

/** A version as the server loads it: its folder, format, and for ONNX its serving manifest. */
export interface VersionSource {
  readonly version: string;
  readonly dir: string;
  readonly format: VersionFormat;
  readonly manifest?: ServingManifest;
  /** Class names, image preprocessing and output kind from the version's deploy.json, when it has one. */
  readonly deployment?: VersionDeployment;
}

/** Finds one version in the registry (DataError when absent, or its manifest or deploy.json is broken). */
export function versionSource(registryDir: string, name: string, version: string): VersionSource {
  const dir = versionDir(registryDir, name, version);
  const format = formatOf(dir);
  if (!format) {
    throw new DataError(
      `versionSource: version '${version}' of ${name} in the registry (one of [${listVersions(registryDir, name).join(', ')}]), ` +
        `got no model.json or serving.json in ${dir}. Publish it first or pick an existing version.`,
      dir,
    );
  }
  const deployment = readVersionDeployment(dir);
  return {
    version,
    dir,
    format,
    ...(format === 'onnx' ? { manifest: readServingManifest(dir) } : {}),
    ...(deployment ? { deployment } : {}),
  };
}

/** Where and under which version to publish a model. */
export interface PublishOptions {
  readonly registryDir: string;
  readonly name: string;
  readonly version: string;
  /** Free-form JSON stored beside the model as meta.json (accuracy, recipe, ...). */
  readonly meta?: Record<string, unknown>;
  /** The version's deploy.json (class names, preprocessing, output kind), validated when loaded. */
  readonly deployment?: Deployment;
}

/** Writes a version folder as one unit (writeFolderAtomic: hidden folder, fsync, rename; exclusive). */
async function publishFolder(
  fn: string,
  options: PublishOptions,
  write: (dir: string) => Promise<number>,
): Promise<{ dir: string; weightBytes: number }> {
  const dir = versionDir(options.registryDir, options.name, options.version);
  const exists = (): ConfigError =>
    new ConfigError(
      `${fn}: a new version for ${options.name}, got '${options.version}' which exists in ${options.registryDir}. ` +
        `Versions are immutable: publish under a new version.`,
    );
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw exists();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const weightBytes = await writeFolderAtomic(
    dir,
    async (tmp) => {
      const n = await write(tmp);
      if (options.meta) writeJsonAtomic(path.join(tmp, 'meta.json'), options.meta);
      if (options.deployment) writeJsonAtomic(path.join(tmp, DEPLOYMENT_FILE), options.deployment);
      return n;
    },
    { caller: fn, onExists: exists },
  );
  return { dir, weightBytes };
}

/**
 * Saves a layers model as a new version (model.json + weights, and meta.json), as one unit.
 * Refuses to overwrite an existing version, atomically (versions are immutable so rollbacks are
 * exact; of two concurrent publishers of one version, the second gets the ConfigError).
 * @example await publishModel(model, {registryDir: '/srv/models', name: 'simplenet', version: '1'})
 */
export async function publishModel(
  model: tf.LayersModel,
  options: PublishOptions,
): Promise<{ dir: string; weightBytes: number }> {
  return publishArtifacts(await modelToArtifacts(model), options, 'publishModel');
}

/**
 * Saves a layers model's files (model.json and weights, as read by readArtifacts: quantized
 * manifests kept as they are) as a new version, as one unit. Graph models are refused.
 * @example await publishArtifacts(await readArtifactsAsync('run/04-export/tfjs'), {registryDir, name: 'cnn', version: '3'})
 */
export async function publishArtifacts(
  artifacts: ModelArtifacts,
  options: PublishOptions,
  fn = 'publishArtifacts',
): Promise<{ dir: string; weightBytes: number }> {
  if (isGraphArtifacts(artifacts))
    throw new ConfigError(
      `${fn}: a TensorFlow.js layers model, got a graph model. Serve its ONNX export, or the layers model it was converted from.`,
    );
  return publishFolder(fn, options, async (dir) => writeArtifacts(dir, artifacts, { caller: fn }).weightBytes);
}

/**
 * Saves an ONNX model (`exporters.toOnnx(...)` or its bytes) as a new version: model.onnx and
 * serving.json, the serving manifest read from the graph (shapes, dtypes, logits or
 * probabilities, size, sha256). A graph the server cannot serve is refused here, not at swap time.
 * @example await publishOnnx(exporters.toOnnx((await quantize.postTraining(m, calibration, {mode: 'static'})).model), {registryDir, name: 'cnn', version: '2'})
 */
export async function publishOnnx(
  onnxModel: Uint8Array | { readonly bytes: Uint8Array },
  options: PublishOptions,
): Promise<{ dir: string; weightBytes: number; manifest: ServingManifest }> {
  const bytes = onnxModel instanceof Uint8Array ? onnxModel : onnxModel?.bytes;
  if (!(bytes instanceof Uint8Array))
    throw new ConfigError(
      `publishOnnx: ONNX bytes or an OnnxModel, got ${describe(onnxModel)}. Pass exporters.toOnnx(model).`,
    );
  const manifest = onnxServingManifest(bytes);
  const r = await publishFolder('publishOnnx', options, async (dir) => {
    writeFileAtomic(path.join(dir, ONNX_FILE), bytes);
    writeJsonAtomic(path.join(dir, MANIFEST_FILE), manifest);
    return bytes.length;
  });
  return { ...r, manifest };
}

/** Loads a TensorFlow.js version from the registry (caller owns the model). */
export async function loadVersion(registryDir: string, name: string, version: string): Promise<tf.LayersModel> {
  const src = versionSource(registryDir, name, version);
  if (src.format !== 'tfjs') {
    throw new ConfigError(
      `loadVersion: a TensorFlow.js version, got an ONNX one in ${src.dir}. Run it with exporters.ortSession, or serve it with startServer.`,
    );
  }
  return loadModel(src.dir);
}
