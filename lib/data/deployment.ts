// The deployment descriptor of a compressed run: `deploy.json` at the root of the folder that
// `tfjs-compress run` writes, beside report.json. It is the one place that says which artifact to
// ship, what each artifact is (deployable as it is, or an intermediate plan that nothing should
// load), and what the model expects and gives: input shape and dtype, the preprocessing that turns
// 8-bit pixels into inputs, and class names. `tfjs-compress serve <run folder>` reads it and
// serves the recommended artifact with that preprocessing and those names.
//
// It is plain JSON, read from a folder that may be hostile: `validateDeployment` checks own
// properties only, bounds every number and list, and keeps every path a relative path inside the
// run folder (no '..', no absolute path, no backslash).
import { DataError, describe } from '../errors';
import { PREPROCESS_PRESETS, Preprocessing, ResolvedPreprocessing, resolvePreprocessing } from './preprocess';

export const DEPLOYMENT_FILE = 'deploy.json';

/** How an artifact is stored. 'plan' marks a simulation that only the exporters read. */
export const ARTIFACT_FORMATS = ['onnx', 'tflite', 'tfjs-layers', 'tfjs-graph', 'coreml', 'plan'] as const;
export type ArtifactFormat = (typeof ARTIFACT_FORMATS)[number];

/** What runs an artifact as written ('none' for a plan). */
export const ARTIFACT_RUNTIMES = ['ort', 'tfjs', 'tflite', 'coreml', 'none'] as const;
export type ArtifactRuntime = (typeof ARTIFACT_RUNTIMES)[number];

/** One artifact of a run. */
export interface DeploymentArtifact {
  /** The stage that wrote it (its folder name, one path segment). */
  readonly stage: string;
  /** The file to load, relative to the run folder: 'NN-stage/model.onnx', 'NN-stage/model.json', ... */
  readonly file: string;
  readonly format: ArtifactFormat;
  readonly runtime: ArtifactRuntime;
  /** False for intermediate plans (e.g. a FakeQuantize simulation): never ship those. */
  readonly deployable: boolean;
  /** Weight precision as stored: 'fp32', 'int8', 'int4', 'float16', 'uint8-weights', ... */
  readonly precision: string;
  /** Bytes of every file of the artifact as written. */
  readonly sizeBytes: number;
  /** Accuracy on the run's evaluation data, in [0, 1], when it was scored. */
  readonly accuracy?: number;
  /** Layers an exporter left in float (named so nobody is surprised). */
  readonly floatLayers?: readonly string[];
  readonly note?: string;
}

/** `deploy.json`. */
export interface Deployment {
  readonly format: 'tfjs-compress-deployment';
  readonly version: 1;
  /** `file` of the artifact to ship, or null when the run wrote nothing deployable. */
  readonly recommended: string | null;
  /** Why that one (e.g. 'the smallest deployable artifact within the accuracy check, INT8 in ONNX Runtime'). */
  readonly reason: string;
  readonly artifacts: readonly DeploymentArtifact[];
  readonly input: {
    /** Per-example shape (no batch dimension), e.g. [224, 224, 3]. */
    readonly shape: readonly number[];
    readonly dtype: 'float32' | 'int32';
    /** How 8-bit RGB pixels become this input (image models only). */
    readonly preprocessing?: ResolvedPreprocessing;
  };
  readonly output: {
    /** Name of class i, when known (a labels file or the evaluation folder's class order). */
    readonly classNames?: readonly string[];
    readonly kind?: 'logits' | 'probabilities';
  };
}

const MAX_ARTIFACTS = 256;
const MAX_CLASSES = 100_000;
const MAX_TEXT = 4096;

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(where: string, want: string, got: unknown): never {
  throw new DataError(
    `validateDeployment: ${where} ${want}, got ${describe(got)}. Re-create deploy.json with \`tfjs-compress run\`.`,
    DEPLOYMENT_FILE,
  );
}

function fields(where: string, v: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (!isObject(v)) bad(where, 'must be an object', v);
  for (const k of Object.keys(v)) if (!allowed.includes(k)) bad(`${where}.${k}`, 'is not a known field', k);
  const out: Record<string, unknown> = Object.create(null);
  for (const k of allowed) if (own(v, k)) out[k] = v[k];
  return out;
}

function text(where: string, v: unknown, max = MAX_TEXT): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    bad(where, `must be a string of 1 to ${max} characters`, v);
  return v;
}

/** A relative path inside the run folder: segments of [A-Za-z0-9._-], none '.' or '..'. */
export function isRunRelativePath(p: string): boolean {
  const parts = p.split('/');
  return (
    p.length <= 512 &&
    parts.length <= 4 &&
    parts.every((s) => /^[A-Za-z0-9._-]{1,128}$/.test(s) && s !== '.' && s !== '..')
  );
}

function artifact(where: string, v: unknown): DeploymentArtifact {
  const f = fields(where, v, [
    'stage',
    'file',
    'format',
    'runtime',
    'deployable',
    'precision',
    'sizeBytes',
    'accuracy',
    'floatLayers',
    'note',
  ]);
  const stage = text(`${where}.stage`, f.stage, 128);
  if (!isRunRelativePath(stage) || stage.includes('/')) bad(`${where}.stage`, 'must be one folder name', stage);
  const file = text(`${where}.file`, f.file, 512);
  if (!isRunRelativePath(file)) bad(`${where}.file`, 'must be a relative path inside the run folder', file);
  if (!(ARTIFACT_FORMATS as readonly unknown[]).includes(f.format))
    bad(`${where}.format`, `must be one of ${ARTIFACT_FORMATS.join(', ')}`, f.format);
  if (!(ARTIFACT_RUNTIMES as readonly unknown[]).includes(f.runtime))
    bad(`${where}.runtime`, `must be one of ${ARTIFACT_RUNTIMES.join(', ')}`, f.runtime);
  if (typeof f.deployable !== 'boolean') bad(`${where}.deployable`, 'must be true or false', f.deployable);
  const size = f.sizeBytes;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    bad(`${where}.sizeBytes`, 'must be a non-negative integer', size);
  const acc = f.accuracy;
  if (acc !== undefined && (typeof acc !== 'number' || !(acc >= 0 && acc <= 1)))
    bad(`${where}.accuracy`, 'must be a number in [0, 1]', acc);
  const floatLayers = f.floatLayers;
  if (floatLayers !== undefined && (!Array.isArray(floatLayers) || floatLayers.length > 10_000))
    bad(`${where}.floatLayers`, 'must be a list of layer names', floatLayers);
  return {
    stage,
    file,
    format: f.format as ArtifactFormat,
    runtime: f.runtime as ArtifactRuntime,
    deployable: f.deployable as boolean,
    precision: text(`${where}.precision`, f.precision, 64),
    sizeBytes: size as number,
    ...(acc !== undefined ? { accuracy: acc as number } : {}),
    ...(floatLayers !== undefined
      ? { floatLayers: (floatLayers as unknown[]).map((l, i) => text(`${where}.floatLayers[${i}]`, l, 256)) }
      : {}),
    ...(f.note !== undefined ? { note: text(`${where}.note`, f.note) } : {}),
  };
}

/**
 * Checks parsed `deploy.json` and returns it typed (a DataError naming the field otherwise).
 * @example validateDeployment(JSON.parse(fs.readFileSync('out/deploy.json', 'utf8'))).recommended // '03-export-onnx/model.onnx'
 */
export function validateDeployment(json: unknown): Deployment {
  const f = fields('deploy.json', json, ['format', 'version', 'recommended', 'reason', 'artifacts', 'input', 'output']);
  if (f.format !== 'tfjs-compress-deployment') bad('format', 'must be "tfjs-compress-deployment"', f.format);
  if (f.version !== 1) bad('version', 'must be 1', f.version);
  if (!Array.isArray(f.artifacts) || f.artifacts.length > MAX_ARTIFACTS)
    bad('artifacts', `must be a list of at most ${MAX_ARTIFACTS}`, f.artifacts);
  const artifacts = f.artifacts.map((a, i) => artifact(`artifacts[${i}]`, a));
  const recommended = f.recommended === null ? null : text('recommended', f.recommended, 512);
  if (recommended !== null && !artifacts.some((a) => a.file === recommended && a.deployable)) {
    bad('recommended', 'must name the file of a deployable artifact', recommended);
  }
  const input = fields('input', f.input, ['shape', 'dtype', 'preprocessing']);
  const shape = input.shape;
  if (
    !Array.isArray(shape) ||
    shape.length < 1 ||
    shape.length > 8 ||
    !shape.every((d) => Number.isSafeInteger(d) && d > 0 && d <= 1 << 20)
  ) {
    bad('input.shape', 'must be 1 to 8 positive integers', shape);
  }
  if (input.dtype !== 'float32' && input.dtype !== 'int32')
    bad('input.dtype', 'must be "float32" or "int32"', input.dtype);
  let preprocessing: ResolvedPreprocessing | undefined;
  if (input.preprocessing !== undefined) {
    const p = fields('input.preprocessing', input.preprocessing, ['preset', 'scale', 'mean', 'std', 'channelOrder']);
    for (const k of ['preset', 'scale', 'mean', 'std', 'channelOrder']) {
      if (p[k] === undefined)
        bad(`input.preprocessing.${k}`, 'is required (a resolved preprocessing spells out every number)', undefined);
    }
    if (p.preset !== 'custom' && !(PREPROCESS_PRESETS as readonly unknown[]).includes(p.preset)) {
      bad('input.preprocessing.preset', `must be "custom" or one of ${PREPROCESS_PRESETS.join(', ')}`, p.preset);
    }
    const resolved = resolvePreprocessing(
      { scale: p.scale, mean: p.mean, std: p.std, channelOrder: p.channelOrder } as Preprocessing,
      'validateDeployment',
    );
    preprocessing = { ...resolved, preset: p.preset as ResolvedPreprocessing['preset'] };
  }
  const output = fields('output', f.output, ['classNames', 'kind']);
  const names = output.classNames;
  if (names !== undefined && (!Array.isArray(names) || names.length > MAX_CLASSES))
    bad('output.classNames', `must be a list of at most ${MAX_CLASSES} names`, names);
  if (output.kind !== undefined && output.kind !== 'logits' && output.kind !== 'probabilities')
    bad('output.kind', 'must be "logits" or "probabilities"', output.kind);
  return {
    format: 'tfjs-compress-deployment',
    version: 1,
    recommended,
    reason: text('reason', f.reason),
    artifacts,
    input: {
      shape: shape as number[],
      dtype: input.dtype as 'float32' | 'int32',
      ...(preprocessing ? { preprocessing } : {}),
    },
    output: {
      ...(names !== undefined
        ? { classNames: (names as unknown[]).map((n, i) => text(`output.classNames[${i}]`, n, 256)) }
        : {}),
      ...(output.kind !== undefined ? { kind: output.kind as 'logits' | 'probabilities' } : {}),
    },
  };
}
