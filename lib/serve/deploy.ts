// Deploy what a run made, in one step: `tfjs-compress serve ./compressed` reads the run folder's
// deploy.json (data/deployment.ts), picks the artifact to serve, publishes it into a registry as
// an immutable version named by its content (the same run served twice is the same version), with
// its class names and preprocessing, and hands the server the registry, name and version.
// Which artifact: the one `recommended`, when this server runs it (ONNX on ONNX Runtime, or a
// TensorFlow.js layers model); otherwise the best one it runs (ONNX INT8 first, then any ONNX,
// then a layers model), said in the result; or the one the user names. A model folder or an
// .onnx file without a run is published the same way, with the class names and preprocessing
// given. Everything read is hostile until checked: deploy.json is capped and validated, every
// file stays inside its folder (core/read-file.ts), sizes are capped before reading. Nothing is
// written inside the run folder and nothing of the user's is deleted.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, DataError, describe } from '../errors';
import { cacheDir } from '../core/cache-dir';
import { isInside, readRegularFileAsync } from '../core/read-file';
import { DEPLOYMENT_FILE, Deployment, DeploymentArtifact, validateDeployment } from '../data/deployment';
import { artifactsToModel } from '../data/model-io';
import { ModelArtifacts } from '../data/model-files';
import { readArtifactsAsync } from '../data/model-read';
import { layersModelContract } from './contract';
import { onnxServingManifest } from './serving-manifest';
import { Preprocessing, resolvePreprocessing } from '../data/preprocess';
import { listVersions, publishArtifacts, publishOnnx, versionDir } from './registry';
import { readDeploymentFile } from './version-deployment';

/** Options of {@link publishForServing}. */
export interface PublishForServingOptions {
  /** The registry to publish into. Default: `registry/` in the cache folder (never inside the run folder). */
  readonly registryDir?: string;
  /** Model name in the registry. Default: the run folder's (or model's) name, made safe. */
  readonly name?: string;
  /** A run's artifact to serve instead of the recommended one: its `file` in deploy.json. */
  readonly artifact?: string;
  /** Largest model read, in bytes. Default 512 MiB. */
  readonly maxModelBytes?: number;
  /** For a model folder or .onnx file (a run's deploy.json says these itself): class names, in output order. */
  readonly classNames?: readonly string[];
  /** For a model folder or .onnx file: how 8-bit pixels become inputs (default 'unit'). */
  readonly preprocessing?: Preprocessing;
}

/** What was published, and why that artifact. */
export interface PublishedForServing {
  readonly registryDir: string;
  readonly name: string;
  readonly version: string;
  /** False when the registry already held this exact version (served before). */
  readonly published: boolean;
  /** The artifact served: its file (relative to the run folder, or the path given), format and precision. */
  readonly artifact: { readonly file: string; readonly format: 'onnx' | 'tfjs-layers'; readonly precision: string };
  /** One sentence for the user: which artifact and why. */
  readonly reason: string;
}

const SERVABLE = ['onnx', 'tfjs-layers'] as const;
const FN = 'serve';

/** A registry name from a folder or file name: letters, digits, '.', '_' and '-', at most 64. */
export function registryNameOf(p: string): string {
  const base = path.basename(path.resolve(p)).replace(/\.onnx$|\.json$/i, '');
  const safe = base
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return safe === '' ? 'model' : safe;
}

/** Reads and validates `runDir/deploy.json`; a DataError that says what to do when it is missing or broken. */
export function readDeployment(runDir: string): Deployment {
  const file = path.join(runDir, DEPLOYMENT_FILE);
  if (!fs.existsSync(file))
    throw new DataError(
      `${FN}: a run folder with ${DEPLOYMENT_FILE} (written by \`tfjs-compress run\`) at ${runDir}, got none. ` +
        `Run \`tfjs-compress run\` with --out ${runDir} first, or serve a model folder or an .onnx file directly.`,
      file,
    );
  return readDeploymentFile(file, runDir, {
    fn: FN,
    fix: 'Re-create it with `tfjs-compress run`',
    tooLargeAdvice: 'Re-create it with `tfjs-compress run`.',
  });
}

const servable = (a: DeploymentArtifact): boolean =>
  a.deployable && (SERVABLE as readonly string[]).includes(a.format) && (a.runtime === 'ort' || a.runtime === 'tfjs');
const rank = (a: DeploymentArtifact): number =>
  a.format === 'onnx' ? (/int8/i.test(a.precision) ? 0 : 1) : a.format === 'tfjs-layers' ? 2 : 3;
const show = (a: DeploymentArtifact): string => `${a.file} (${a.format}, ${a.precision})`;

/** The artifact to serve, and why. */
export function chooseArtifact(d: Deployment, wanted?: string): { artifact: DeploymentArtifact; reason: string } {
  const options = d.artifacts.filter(servable);
  const listed = options.map((a) => a.file).join(', ') || 'none';
  if (wanted !== undefined) {
    const a = d.artifacts.find((x) => x.file === wanted);
    if (!a || !servable(a))
      throw new ConfigError(
        `${FN}: --artifact one of the run's deployable ONNX or TensorFlow.js layers artifacts (${listed}), got ${describe(wanted)}${a ? ` (${a.format}, ${a.deployable ? 'deployable' : 'not deployable'})` : ''}. Pick one from deploy.json.`,
      );
    return { artifact: a, reason: `${show(a)}, as asked` };
  }
  const recommended = d.artifacts.find((a) => a.file === d.recommended);
  if (recommended && servable(recommended))
    return { artifact: recommended, reason: `${show(recommended)}, the run's recommendation: ${d.reason}` };
  const best = [...options].sort((a, b) => rank(a) - rank(b) || a.sizeBytes - b.sizeBytes)[0];
  if (!best)
    throw new DataError(
      `${FN}: a deployable ONNX or TensorFlow.js layers artifact in ${DEPLOYMENT_FILE}, got ${d.artifacts.length} artifacts (${d.artifacts.map(show).join(', ') || 'none'}) and none this server runs. ` +
        `Add an ONNX export stage to the recipe and run it again.`,
      DEPLOYMENT_FILE,
    );
  const why = recommended
    ? `the recommended ${show(recommended)} runs on ${recommended.runtime}, not in this server`
    : 'the run recommends no artifact';
  return { artifact: best, reason: `${show(best)}, because ${why}` };
}

/** Model bytes (ONNX) or artifacts (layers), read safely from inside `root`. */
async function readModel(
  root: string,
  file: string,
  format: 'onnx' | 'tfjs-layers',
  maxModelBytes: number,
): Promise<{ onnx?: Uint8Array; layers?: ModelArtifacts; digest: string }> {
  const hash = createHash('sha256');
  if (format === 'onnx') {
    const bytes = await readRegularFileAsync(file, {
      fn: FN,
      what: 'an ONNX model',
      maxBytes: maxModelBytes,
      tooLargeAdvice: 'Raise --max-model-bytes if the model is that large.',
      root,
    });
    return { onnx: bytes, digest: hash.update(bytes).digest('hex') };
  }
  let real: string | undefined;
  try {
    real = fs.realpathSync(path.dirname(file));
  } catch {
    real = undefined;
  }
  if (!real || !isInside(fs.realpathSync(root), real))
    throw new DataError(
      `${FN}: a model folder inside ${root}, got ${path.dirname(file)} ${real ? `leading to ${real}` : 'missing'}. Keep the run's files inside its folder.`,
      file,
    );
  const layers = await readArtifactsAsync(path.dirname(file), {
    maxWeightBytes: maxModelBytes,
    maxModelJsonBytes: Math.min(maxModelBytes, 64 * 1024 * 1024),
    caller: FN,
  });
  hash.update(JSON.stringify(layers.modelJson)).update(layers.weightData);
  return { layers, digest: hash.digest('hex') };
}

/** The model's per-example input shape (its serving contract is checked on the way: one input, fixed sizes). */
async function inputShape(model: { onnx?: Uint8Array; layers?: ModelArtifacts }, source: string): Promise<number[]> {
  if (model.onnx) return [...onnxServingManifest(model.onnx).contract.input.shape];
  const m = await artifactsToModel(model.layers as ModelArtifacts, source);
  try {
    return [...layersModelContract(m).input.shape];
  } finally {
    m.dispose();
  }
}

/** Publishes one model (bytes or artifacts) with its deployment, under a version named by its content. */
async function publish(
  model: { onnx?: Uint8Array; layers?: ModelArtifacts; digest: string },
  deployment: Deployment,
  registryDir: string,
  name: string,
): Promise<{ version: string; published: boolean }> {
  const version = `sha-${createHash('sha256').update(model.digest).update(JSON.stringify(deployment)).digest('hex').slice(0, 12)}`;
  if (listVersions(registryDir, name).includes(version)) return { version, published: false };
  const options = { registryDir, name, version, deployment };
  try {
    if (model.onnx) await publishOnnx(model.onnx, options);
    else await publishArtifacts(model.layers as ModelArtifacts, options, FN);
  } catch (e) {
    // Another process published the same content first: the same version, whole.
    if (e instanceof ConfigError && fs.existsSync(versionDir(registryDir, name, version)))
      return { version, published: false };
    throw e;
  }
  return { version, published: true };
}

/** The version's deploy.json: the one artifact published, renamed to its file in the version folder. */
function versionDeployment(d: Deployment, a: DeploymentArtifact, reason: string): Deployment {
  const file = a.format === 'onnx' ? 'model.onnx' : 'model.json';
  return { ...d, recommended: file, reason: reason.slice(0, 4096), artifacts: [{ ...a, file }] };
}

/**
 * Publishes what `target` holds for serving: a run folder (deploy.json), a TensorFlow.js layers
 * model folder (or its model.json), or an .onnx file. Resolves with the registry coordinates.
 * @example const p = await publishForServing('./compressed'); await startServer({registryDir: p.registryDir, model: p.name, version: p.version})
 */
export async function publishForServing(
  target: string,
  options: PublishForServingOptions = {},
): Promise<PublishedForServing> {
  const maxModelBytes = options.maxModelBytes ?? 512 * 1024 * 1024;
  const abs = path.resolve(target);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    throw new ConfigError(
      `${FN}: a run folder, a model folder or an .onnx file at ${target}, got ${(e as NodeJS.ErrnoException).code ?? 'nothing'}. Check the path.`,
    );
  }
  const registryDir = path.resolve(options.registryDir ?? cacheDir('registry'));
  const name = options.name ?? registryNameOf(st.isFile() && /model\.json$/i.test(abs) ? path.dirname(abs) : abs);
  const isRun = st.isDirectory() && fs.existsSync(path.join(abs, DEPLOYMENT_FILE));
  if (isRun) {
    if (options.classNames || options.preprocessing)
      throw new ConfigError(
        `${FN}: class names and preprocessing from the run's ${DEPLOYMENT_FILE}, got them given as well. Leave --labels and --preprocessing out for a run folder.`,
      );
    const d = readDeployment(abs);
    const { artifact, reason } = chooseArtifact(d, options.artifact);
    if (d.input.dtype !== 'float32')
      throw new DataError(
        `${FN}: a model with a float32 input, got ${d.input.dtype} in ${DEPLOYMENT_FILE}. Serve a model that takes float32 inputs.`,
        DEPLOYMENT_FILE,
      );
    const file = path.join(abs, artifact.file);
    const model = await readModel(abs, file, artifact.format as 'onnx', maxModelBytes);
    const shape = await inputShape(model, file);
    if (shape.join(',') !== d.input.shape.join(','))
      throw new DataError(
        `${FN}: the input shape ${DEPLOYMENT_FILE} states ([${d.input.shape.join(', ')}]) in ${artifact.file}, got [${shape.join(', ')}]. Re-create the run folder with \`tfjs-compress run\`.`,
        file,
      );
    const r = await publish(model, versionDeployment(d, artifact, reason), registryDir, name);
    return {
      registryDir,
      name,
      ...r,
      artifact: { file: artifact.file, format: artifact.format as 'onnx', precision: artifact.precision },
      reason,
    };
  }
  if (options.artifact !== undefined)
    throw new ConfigError(
      `${FN}: --artifact with a run folder, got ${target}, which has no ${DEPLOYMENT_FILE}. Leave --artifact out.`,
    );
  const onnx = st.isFile() && /\.onnx$/i.test(abs);
  const folder = st.isDirectory() ? abs : path.dirname(abs);
  const modelJson = path.join(folder, 'model.json');
  if (!onnx && !(fs.existsSync(modelJson) && (st.isDirectory() || path.basename(abs) === 'model.json')))
    throw new DataError(
      `${FN}: a run folder (with ${DEPLOYMENT_FILE}), a TensorFlow.js model folder (with model.json) or an .onnx file, got ${target}. ` +
        `Pass the folder \`tfjs-compress run\` wrote, or a model.`,
      abs,
    );
  const format = onnx ? 'onnx' : 'tfjs-layers';
  const file = onnx ? abs : modelJson;
  const model = await readModel(folder, file, format, maxModelBytes);
  const resolved = resolvePreprocessing(options.preprocessing, FN);
  const names = options.classNames;
  const sizeBytes = onnx ? (model.onnx as Uint8Array).length : (model.layers as ModelArtifacts).weightData.length;
  const reason = `${path.basename(file)} (${format}), as given`;
  const artifact: DeploymentArtifact = {
    stage: 'model',
    file: onnx ? 'model.onnx' : 'model.json',
    format,
    runtime: onnx ? 'ort' : 'tfjs',
    deployable: true,
    precision: 'as stored',
    sizeBytes,
  };
  const deployment = validateDeployment({
    format: 'tfjs-compress-deployment',
    version: 1,
    recommended: artifact.file,
    reason,
    artifacts: [artifact],
    input: {
      shape: await inputShape(model, file),
      dtype: 'float32',
      ...(options.preprocessing ? { preprocessing: resolved } : {}),
    },
    output: { ...(names ? { classNames: [...names] } : {}) },
  });
  const r = await publish(model, deployment, registryDir, name);
  return { registryDir, name, ...r, artifact: { file, format, precision: 'as stored' }, reason };
}
