// The in-memory form of image classification sets (MNIST, Fashion-MNIST, a user's image
// folder): raw uint8 pixels NHWC and labels, kept out of tfjs until a batch is needed, so a
// 60k-image set costs 47 MB and no tensors. It is one of the sources of the data contract
// (source.ts): everything that trains, calibrates or evaluates takes it as it takes tensors or a
// tf.data.Dataset. A set may be unlabelled (`labelled: false`, e.g. a flat folder of calibration
// images): its labels are zeros that mean nothing, and only what needs no labels accepts it.
// A set may carry the preprocessing its pixels need (an image folder loaded for a model), so
// every batch of it reaches the model the same way.
import { ConfigError, DataError, describe } from '../errors';
import { ResolvedPreprocessing } from './preprocess';

/** Integer labels: one byte each up to 256 classes, two bytes up to 65,536 (e.g. ImageNet's 1,000). */
export type Labels = Uint8Array | Uint16Array;

/** `count` images of `height x width x channels` uint8 values (row-major, NHWC) and their labels. */
export interface ImageSet {
  readonly name: string;
  readonly images: Uint8Array;
  readonly labels: Labels;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Name of label i (for an unlabelled set: the model's class names when known, else empty). */
  readonly classNames: readonly string[];
  /** False for images without labels (a flat folder); absent or true otherwise. */
  readonly labelled?: boolean;
  /** How the pixels become model inputs; absent: 'unit' ([0, 1]) unless the caller says otherwise. */
  readonly preprocessing?: ResolvedPreprocessing;
}

/** A train/test pair. */
export interface ImageSetSplits {
  readonly train: ImageSet;
  readonly test: ImageSet;
}

/** What {@link makeImageSet} may add. */
export interface ImageSetExtras {
  readonly labelled?: boolean;
  readonly preprocessing?: ResolvedPreprocessing;
}

/** True for an ImageSet (a plain object with uint8 images and labels). */
export function isImageSet(value: unknown): value is ImageSet {
  const v = value as Partial<ImageSet> | null;
  return (
    !!v &&
    typeof v === 'object' &&
    v.images instanceof Uint8Array &&
    (v.labels instanceof Uint8Array || v.labels instanceof Uint16Array) &&
    typeof v.height === 'number'
  );
}

/** True unless the set says it has no labels. */
export const isLabelled = (set: ImageSet): boolean => set.labelled !== false;

/** Values of one image. */
export const imageSize = (s: Pick<ImageSet, 'height' | 'width' | 'channels'>): number =>
  s.height * s.width * s.channels;

/** Labels storage for `classes` classes. */
export function labelsFor(count: number, classes: number): Labels {
  return classes > 256 ? new Uint16Array(count) : new Uint8Array(count);
}

/** Builds an ImageSet and checks that its arrays agree with its counts. */
export function makeImageSet(
  name: string,
  images: Uint8Array,
  labels: Labels,
  shape: { readonly height: number; readonly width: number; readonly channels?: number },
  classNames: readonly string[],
  extras: ImageSetExtras = {},
): ImageSet {
  const count = labels.length;
  const channels = shape.channels ?? 1;
  for (const [k, v] of [
    ['height', shape.height],
    ['width', shape.width],
    ['channels', channels],
  ] as const) {
    if (!(Number.isInteger(v) && v > 0))
      throw new ConfigError(`makeImageSet: ${k} a positive integer, got ${describe(v)}. Pass the images' shape.`);
  }
  const size = shape.height * shape.width * channels;
  if (images.length !== count * size) {
    throw new DataError(
      `makeImageSet: ${count} images of ${shape.height}x${shape.width}x${channels} values for '${name}', got ${images.length} bytes. ` +
        `The image and label arrays do not belong together: check the files (or reinstall the data package).`,
    );
  }
  if (extras.labelled !== false) {
    for (let i = 0; i < count; i++) {
      if ((labels[i] as number) >= classNames.length) {
        throw new DataError(
          `makeImageSet: labels in [0, ${classNames.length}) for '${name}', got ${labels[i]} at index ${i}. ` +
            `The labels are corrupt or the class list is short: check the label file.`,
        );
      }
    }
  }
  return {
    name,
    images,
    labels,
    count,
    height: shape.height,
    width: shape.width,
    channels,
    classNames,
    ...(extras.labelled === false ? { labelled: false } : {}),
    ...(extras.preprocessing ? { preprocessing: extras.preprocessing } : {}),
  };
}

/** The examples `start..end` (end exclusive) as a new ImageSet sharing no memory with the source. */
export function sliceImageSet(set: ImageSet, start: number, end: number = set.count): ImageSet {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= set.count && start <= end)) {
    throw new ConfigError(
      `sliceImageSet: integers 0 <= start <= end <= ${set.count}, got start ${describe(start)}, end ${describe(end)}. ` +
        `Pass indices inside the set.`,
    );
  }
  const px = imageSize(set);
  return {
    ...set,
    images: set.images.slice(start * px, end * px),
    labels: set.labels.slice(start, end),
    count: end - start,
  };
}

/** The examples at `indices`, in that order. */
export function selectExamples(set: ImageSet, indices: ArrayLike<number>, name = set.name): ImageSet {
  const px = imageSize(set);
  const images = new Uint8Array(indices.length * px);
  const labels = set.labels instanceof Uint16Array ? new Uint16Array(indices.length) : new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i] as number;
    if (!(Number.isInteger(j) && j >= 0 && j < set.count)) {
      throw new ConfigError(
        `selectExamples: integer indices in [0, ${set.count}), got ${describe(j)}. Pass indices inside the set.`,
      );
    }
    images.set(set.images.subarray(j * px, (j + 1) * px), i * px);
    labels[i] = set.labels[j] as number;
  }
  return { ...set, name, images, labels, count: indices.length };
}

/** Examples per class ([] for an unlabelled set). */
export function classCounts(set: ImageSet): number[] {
  if (!isLabelled(set)) return [];
  const counts = new Array<number>(set.classNames.length).fill(0);
  for (const l of set.labels) counts[l] = (counts[l] as number) + 1;
  return counts;
}
