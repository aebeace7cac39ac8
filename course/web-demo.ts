// The course's browser deployment: write the models and sample digits where the static page
// (web/) finds them, and serve page + models + the runtimes on 127.0.0.1: TensorFlow.js's browser
// bundle and its wasm backend, onnxruntime-web and its wasm, all from node_modules (no CDN).
// Three kinds of model: TensorFlow.js files (model.json + weights), a pruned model in its Deep
// Compression encoding (model.json without weights + weights.tfdc, decoded in the page), and
// ONNX files (run by onnxruntime-web). web-demo-browser.ts drives the page in headless Chromium.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, DataError, describe } from '../lib/errors';
import { writeFileAtomic, writeFolderAtomicSync, writeJsonAtomic } from '../lib/core/atomic';
import { resolveOptional } from '../lib/core/optional-package';
import { ImageSet, imageSize } from '../lib/data/image-set';
import { ModelArtifacts, writeArtifacts } from '../lib/data/model-files';
import { OnnxModel } from '../lib/export/onnx/to-onnx';
import { checkRegistryName } from '../lib/serve/registry';
import { startStaticServer, StaticServer } from '../lib/serve/static-server';
import { REPO_ROOT } from './paths';

interface WebModelBase {
  readonly key: string;
  readonly label: string;
  /** e.g. 'fp32 weights' or 'INT8 QDQ, static calibration on 1,000 images'. */
  readonly note?: string;
  /** The key of the model its speed-up is measured against (an earlier model of the page); none for the baseline. */
  readonly reference?: string;
  /** The one change between the reference and this model, e.g. 'quantization: fp32 -> INT8, both in onnxruntime-web'. */
  readonly change?: string;
}

/** One model for the page and how to label it. */
export type WebModel =
  /** TensorFlow.js files (float32 or quantized manifest), run by tfjs. */
  | (WebModelBase & { readonly kind?: 'tfjs'; readonly artifacts: ModelArtifacts })
  /**
   * A model whose weights ship in the Deep Compression encoding (`encodeDeepCompression`): the
   * page decodes them into the topology of `artifacts` (the decoded model's), run by tfjs.
   * `dense` (the same model as plain TensorFlow.js files) is written beside it for comparison.
   */
  | (WebModelBase & {
      readonly kind: 'tfjs-deep-compression';
      readonly artifacts: ModelArtifacts;
      readonly encoded: Uint8Array;
      readonly dense?: ModelArtifacts;
    })
  /** An ONNX model, run by onnxruntime-web. */
  | (WebModelBase & { readonly kind: 'onnx'; readonly onnx: OnnxModel });

/** One model as written for the page (what manifest.json lists). */
export interface WebModelEntry {
  readonly key: string;
  readonly label: string;
  readonly note: string;
  readonly kind: 'tfjs' | 'tfjs-deep-compression' | 'onnx';
  readonly runtime: 'tfjs' | 'onnxruntime-web';
  readonly path: string;
  /** The files the page downloads, with their sizes on disk. */
  readonly files: Record<string, number>;
  readonly fileBytes: number;
  /** Deep Compression: the bytes of the same model as dense TensorFlow.js files (in `<key>-dense/`). */
  readonly denseFileBytes?: number;
  /** What the page shows in its format column. */
  readonly format: string;
  /** The model its speed-up is measured against, and the one change between them (see WebModel). */
  readonly reference?: string;
  readonly change?: string;
  /** ONNX: the graph's input and output names and the input shape without the batch dimension. */
  readonly inputName?: string;
  readonly outputName?: string;
  readonly inputShape?: readonly number[];
}

/** What {@link prepareWebModels} wrote. */
export interface WebModelsInfo {
  readonly dir: string;
  readonly models: WebModelEntry[];
  readonly samples: number;
}

export const DEEP_COMPRESSION_FILE = 'weights.tfdc';

function sizes(dir: string, names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, fs.statSync(path.join(dir, n)).size]));
}

function writeModel(dir: string, m: WebModel): Omit<WebModelEntry, 'key' | 'label' | 'note' | 'path' | 'fileBytes'> {
  const folder = path.join(dir, m.key);
  if (m.kind === 'onnx') {
    writeFileAtomic(path.join(folder, 'model.onnx'), m.onnx.bytes);
    return {
      kind: 'onnx',
      runtime: 'onnxruntime-web',
      files: sizes(folder, ['model.onnx']),
      format: m.onnx.report.mode === 'float32' ? 'ONNX float32' : `ONNX INT8 (${m.onnx.report.mode})`,
      inputName: m.onnx.report.inputName,
      outputName: m.onnx.report.outputName,
      inputShape: m.onnx.report.inputShape,
    };
  }
  if (m.kind === 'tfjs-deep-compression') {
    // model.json without weights: the topology and the weight specs the decoded values fill, in order.
    const specs = m.artifacts.modelJson.weightsManifest.flatMap((g) => g.weights);
    const json = {
      format: 'tfjs-compress/deep-compression',
      modelTopology: m.artifacts.modelJson.modelTopology,
      weightSpecs: specs,
      weightsFile: DEEP_COMPRESSION_FILE,
    };
    writeFolderAtomicSync(
      folder,
      (tmp) => {
        fs.writeFileSync(path.join(tmp, 'model.json'), JSON.stringify(json));
        fs.writeFileSync(path.join(tmp, DEEP_COMPRESSION_FILE), m.encoded);
      },
      { caller: 'prepareWebModels', force: true },
    );
    let denseFileBytes: number | undefined;
    if (m.dense) {
      const w = writeArtifacts(path.join(dir, `${m.key}-dense`), m.dense);
      denseFileBytes = w.modelJsonBytes + w.weightBytes;
    }
    return {
      kind: m.kind,
      runtime: 'tfjs',
      files: sizes(folder, ['model.json', DEEP_COMPRESSION_FILE]),
      denseFileBytes,
      format: 'Deep Compression (CSR + shared weights + Huffman)',
    };
  }
  const w = writeArtifacts(folder, m.artifacts);
  const quantized = m.artifacts.modelJson.weightsManifest.flatMap((g) => g.weights).find((s) => s.quantization)
    ?.quantization?.dtype;
  return {
    kind: 'tfjs',
    runtime: 'tfjs',
    files: sizes(folder, ['model.json', ...w.files]),
    format: quantized ? `${quantized} quantized` : 'float32',
  };
}

/**
 * Writes each model under `<dir>/<key>/`, `<dir>/manifest.json`, and `<dir>/samples.json` with
 * the first `sampleCount` examples of `samples` (pixels 0-255, labels).
 */
export function prepareWebModels(
  dir: string,
  models: readonly WebModel[],
  samples: ImageSet,
  sampleCount = 200,
): WebModelsInfo {
  if (models.length === 0)
    throw new ConfigError(
      `prepareWebModels: at least one model, got none. Pass the baseline and the compressed models.`,
    );
  if (!(Number.isInteger(sampleCount) && sampleCount > 0 && sampleCount <= samples.count)) {
    throw new ConfigError(
      `prepareWebModels: sampleCount in [1, ${samples.count}], got ${describe(sampleCount)}. Use e.g. 200.`,
    );
  }
  const keys = new Set<string>();
  const out: WebModelEntry[] = [];
  for (const m of models) {
    checkRegistryName('prepareWebModels', 'model key', m.key);
    if (keys.has(m.key) || keys.has(`${m.key}-dense`))
      throw new ConfigError(`prepareWebModels: distinct model keys, got "${m.key}" twice. Rename one.`);
    if (m.reference !== undefined && !out.some((e) => e.key === m.reference))
      throw new ConfigError(
        `prepareWebModels: a reference naming an earlier model, got "${m.reference}" for "${m.key}". List the reference first.`,
      );
    keys.add(m.key).add(`${m.key}-dense`);
    const written = writeModel(dir, m);
    out.push({
      key: m.key,
      label: m.label,
      note: m.note ?? '',
      ...(m.reference !== undefined ? { reference: m.reference, change: m.change ?? '' } : {}),
      path: m.key,
      ...written,
      fileBytes: Object.values(written.files).reduce((a, b) => a + b, 0),
    });
  }
  const px = imageSize(samples);
  const images: number[][] = [];
  for (let i = 0; i < sampleCount; i++) images.push(Array.from(samples.images.subarray(i * px, (i + 1) * px)));
  writeJsonAtomic(path.join(dir, 'manifest.json'), { models: out });
  writeFileAtomic(
    path.join(dir, 'samples.json'),
    JSON.stringify({ images, labels: Array.from(samples.labels.subarray(0, sampleCount)) }),
  );
  return { dir, models: out, samples: sampleCount };
}

/** The page's folder (web/ at the repository's root, beside course/ and dist/). */
export function webRoot(): string {
  const dir = path.join(REPO_ROOT, 'web');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new DataError(
      `webRoot: the page at ${dir}/index.html, got no such file. Run the demo from a clone of the repository (web/ is part of it).`,
      dir,
    );
  }
  return dir;
}

/** The folders and files the page loads its runtimes from, all inside node_modules. */
export function webRuntimeFiles(): { mounts: Record<string, string>; files: Record<string, string> } {
  const tfjsWasm = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js'));
  const ort = path.dirname(resolveOptional('onnxruntime-web', 'startWebDemo', '/wasm'));
  const pick = (dir: string, names: string[]) => Object.fromEntries(names.map((n) => [n, path.join(dir, n)]));
  return {
    mounts: {},
    files: {
      '/tf.min.js': require.resolve('@tensorflow/tfjs/dist/tf.min.js'),
      ...Object.fromEntries(
        Object.entries(
          pick(tfjsWasm, [
            'tf-backend-wasm.min.js',
            'tfjs-backend-wasm.wasm',
            'tfjs-backend-wasm-simd.wasm',
            'tfjs-backend-wasm-threaded-simd.wasm',
          ]),
        ).map(([n, p]) => [`/tfjs-backend-wasm/${n}`, p]),
      ),
      ...Object.fromEntries(
        Object.entries(
          pick(ort, ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']),
        ).map(([n, p]) => [`/ort/${n}`, p]),
      ),
    },
  };
}

/**
 * Serves web/ at /, `modelsDir` at /models/, and the runtimes' browser files (tfjs, its wasm
 * backend, onnxruntime-web) from node_modules, on 127.0.0.1.
 * @example const s = await startWebDemo(dir); // open s.url in a browser
 */
export async function startWebDemo(modelsDir: string, port = 0, host = '127.0.0.1'): Promise<StaticServer> {
  if (!fs.existsSync(path.join(modelsDir, 'manifest.json'))) {
    throw new DataError(
      `startWebDemo: a models folder with manifest.json (from prepareWebModels), got ${modelsDir}. Run prepareWebModels first.`,
      modelsDir,
    );
  }
  const runtimes = webRuntimeFiles();
  return startStaticServer({
    mounts: { '/': webRoot(), '/models/': modelsDir, ...runtimes.mounts },
    files: runtimes.files,
    port,
    host,
  });
}
