// Run folders as `tfjs-compress run` writes them (deploy.json at the root, one folder per stage),
// made here from real exported models: a small image classifier (16x16 RGB -> conv -> 3 classes,
// softmax) as a TensorFlow.js layers model, its static INT8 QDQ ONNX export (calibrated), and its
// TFLite export; plus real PNG and JPEG images made with sharp, and the ONNX Runtime oracle that
// the server's answers are checked against.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { saveModel } from '../../lib/data/model-io';
import { Deployment, DeploymentArtifact } from '../../lib/data/deployment';
import { ResolvedPreprocessing, preprocessPixels, resolvePreprocessing } from '../../lib/data/preprocess';
import { postTraining } from '../../lib/quantize/post-training';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { toTflite } from '../../lib/export/tflite/to-tflite';

export const SIZE = 16;
export const CLASS_NAMES = ['cat', 'dog', 'teapot'];
export const MOBILENET: ResolvedPreprocessing = resolvePreprocessing({ preset: 'mobilenet' });

/** A seeded 16x16x`channels` classifier: conv 3x3 (4, ReLU) -> max pool -> flatten -> dense 3 (softmax). */
export function imageClassifier(seed = 1, channels: 1 | 3 = 3): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 10 + s });
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [SIZE, SIZE, channels],
      filters: 4,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: init(1),
      biasInitializer: tf.initializers.constant({ value: 0.05 }),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(2) }));
  return m;
}

/** Which artifact deploy.json recommends. */
export type Recommend = 'onnx-int8' | 'tfjs' | 'tflite' | null;

/** What a run folder holds. */
export interface RunFolder {
  readonly dir: string;
  readonly deployment: Deployment;
  /** Bytes of the INT8 ONNX artifact (the oracle runs them). */
  readonly int8: Uint8Array;
}

const sizeOf = (dir: string): number =>
  fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);

/**
 * Writes a run folder for `model` (a layers model of 16x16 images): 01-baseline (layers),
 * 02-quantize (INT8 QDQ ONNX, calibrated on inputs preprocessed as `preprocessing` says),
 * 03-tflite (fp32 TFLite), and deploy.json recommending `recommend`.
 */
export async function writeRunFolder(
  model: tf.LayersModel,
  options: { recommend?: Recommend; preprocessing?: ResolvedPreprocessing; classNames?: string[]; dir?: string } = {},
): Promise<RunFolder> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-run-'));
  const preprocessing = options.preprocessing ?? MOBILENET;
  const channels = (model.inputs[0]?.shape[3] ?? 3) as number;
  fs.mkdirSync(path.join(dir, '01-baseline'), { recursive: true });
  await saveModel(model, path.join(dir, '01-baseline'));
  const xs = tf.tidy(() =>
    preprocessPixels(tf.randomUniform([32, SIZE, SIZE, channels], 0, 255, 'int32', 7), preprocessing),
  );
  const { model: q } = await postTraining(model, { xs }, { mode: 'static' });
  xs.dispose();
  const int8 = toOnnx(q).bytes;
  q.dispose();
  fs.mkdirSync(path.join(dir, '02-quantize'));
  fs.writeFileSync(path.join(dir, '02-quantize', 'model.onnx'), int8);
  fs.mkdirSync(path.join(dir, '03-tflite'));
  fs.writeFileSync(path.join(dir, '03-tflite', 'model.tflite'), toTflite(model).bytes);
  const artifacts: DeploymentArtifact[] = [
    {
      stage: '01-baseline',
      file: '01-baseline/model.json',
      format: 'tfjs-layers',
      runtime: 'tfjs',
      deployable: true,
      precision: 'fp32',
      sizeBytes: sizeOf(path.join(dir, '01-baseline')),
    },
    {
      stage: '02-quantize',
      file: '02-quantize/model.onnx',
      format: 'onnx',
      runtime: 'ort',
      deployable: true,
      precision: 'int8',
      sizeBytes: int8.length,
      accuracy: 0.5,
    },
    {
      stage: '03-tflite',
      file: '03-tflite/model.tflite',
      format: 'tflite',
      runtime: 'tflite',
      deployable: true,
      precision: 'fp32',
      sizeBytes: sizeOf(path.join(dir, '03-tflite')),
    },
  ];
  const recommend = options.recommend === undefined ? 'onnx-int8' : options.recommend;
  const file = {
    'onnx-int8': '02-quantize/model.onnx',
    tfjs: '01-baseline/model.json',
    tflite: '03-tflite/model.tflite',
  };
  const deployment: Deployment = {
    format: 'tfjs-compress-deployment',
    version: 1,
    recommended: recommend === null ? null : file[recommend],
    reason: 'the smallest deployable artifact within the accuracy check',
    artifacts,
    input: { shape: [SIZE, SIZE, channels], dtype: 'float32', preprocessing },
    output: { classNames: options.classNames ?? CLASS_NAMES, kind: 'probabilities' },
  };
  fs.writeFileSync(path.join(dir, 'deploy.json'), JSON.stringify(deployment, null, 2));
  return { dir, deployment, int8 };
}

/** Seeded RGB pixels (height x width x 3, uint8). */
export function pixels(seed: number, height = SIZE, width = SIZE): Uint8Array {
  let s = seed * 2654435761;
  return Uint8Array.from({ length: height * width * 3 }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s >>> 24;
  });
}

/** A real PNG of `px` (RGB). */
export const png = (px: Uint8Array, height = SIZE, width = SIZE): Promise<Buffer> =>
  sharp(Buffer.from(px), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();

/** A real JPEG of `px` (RGB; lossy). */
export const jpeg = (px: Uint8Array, height = SIZE, width = SIZE): Promise<Buffer> =>
  sharp(Buffer.from(px), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();

/** The model's answer for RGB pixels of the model's size: preprocessing, then ONNX Runtime on `onnx` (the oracle). */
export async function oracle(
  onnx: Uint8Array,
  px: Uint8Array,
  preprocessing: ResolvedPreprocessing,
  channels: 1 | 3 = 3,
): Promise<number[]> {
  const x = tf.tidy(() => {
    let t: tf.Tensor = tf.tensor4d(px, [1, SIZE, SIZE, 3], 'int32');
    if (channels === 1) {
      // ITU-R 601 luma, rounded half up (lib/data/image-decode.ts).
      const grey = Array.from({ length: SIZE * SIZE }, (_, p) =>
        Math.round(
          0.2989 * (px[3 * p] as number) + 0.587 * (px[3 * p + 1] as number) + 0.114 * (px[3 * p + 2] as number),
        ),
      );
      t = tf.tensor4d(grey, [1, SIZE, SIZE, 1], 'int32');
    }
    return preprocessPixels(t, preprocessing);
  });
  const values = x.dataSync() as Float32Array;
  x.dispose();
  const session = await ortSession(onnx);
  try {
    const { data } = await runOrt(session, values, [1, SIZE, SIZE, channels]);
    return Array.from(data);
  } finally {
    await session.release();
  }
}

/** Names and sha256 of every file under `dir` (to show a folder was left as it was). */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)}:${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out.sort();
}
