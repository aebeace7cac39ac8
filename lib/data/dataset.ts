// The in-memory form of an image classification data set: raw uint8 pixels and labels, kept
// out of tfjs until a batch is needed, so a 60k-image set costs 47 MB and no tensors.
import { ConfigError, DataError, describe } from '../errors';

/** An image classification set: `count` images of `height x width` uint8 pixels, row-major. */
export interface Dataset {
  readonly name: string;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly classNames: readonly string[];
}

/** A train/test pair. */
export interface DatasetSplits {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** Builds a Dataset and checks that its arrays agree with its counts. */
export function makeDataset(name: string, images: Uint8Array, labels: Uint8Array, height: number, width: number,
  classNames: readonly string[]): Dataset {
  const count = labels.length;
  if (images.length !== count * height * width) {
    throw new DataError(`makeDataset: ${count} images of ${height}x${width} pixels for '${name}', got ${images.length} pixel bytes. ` +
      `The image and label files do not belong together: reinstall the data package.`);
  }
  for (let i = 0; i < count; i++) {
    if ((labels[i] as number) >= classNames.length) {
      throw new DataError(`makeDataset: labels in [0, ${classNames.length}) for '${name}', got ${labels[i]} at index ${i}. ` +
        `The label file is corrupt: reinstall the data package.`);
    }
  }
  return { name, images, labels, count, height, width, classNames };
}

/** The examples `start..end` (end exclusive) as a new Dataset sharing no memory with the source. */
export function sliceDataset(ds: Dataset, start: number, end: number = ds.count): Dataset {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= ds.count && start <= end)) {
    throw new ConfigError(`sliceDataset: integers 0 <= start <= end <= ${ds.count}, got start ${describe(start)}, end ${describe(end)}. ` +
      `Pass indices inside the data set.`);
  }
  const px = ds.height * ds.width;
  return { ...ds, images: ds.images.slice(start * px, end * px), labels: ds.labels.slice(start, end), count: end - start };
}

/** The examples at `indices`, in that order. */
export function selectExamples(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const px = ds.height * ds.width;
  const images = new Uint8Array(indices.length * px);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i] as number;
    if (!(j >= 0 && j < ds.count)) {
      throw new ConfigError(`selectExamples: indices in [0, ${ds.count}), got ${describe(j)}. Pass indices inside the data set.`);
    }
    images.set(ds.images.subarray(j * px, (j + 1) * px), i * px);
    labels[i] = ds.labels[j] as number;
  }
  return { ...ds, name, images, labels, count: indices.length };
}

/** Examples per class. */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.classNames.length).fill(0);
  for (const l of ds.labels) counts[l] = (counts[l] as number) + 1;
  return counts;
}
