import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { loadImageFolder, imageFolderIndex } from '../../lib/data/image-folder';
import { decodeImage } from '../../lib/data/image-decode';
import { loadDataFiles } from '../../lib/data/data-files';
import { ConfigError, DataError, ShapeError } from '../../lib/errors';

/** A PNG of `rgb(x, y)` pixels. */
function png(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): Buffer {
  const p = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb(x, y);
      p.data.set([r, g, b, 255], 4 * (y * width + x));
    }
  return PNG.sync.write(p);
}

function jpg(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], 4 * i);
  return jpeg.encode({ width, height, data }, 95).data;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** cats/ (3 PNGs), dogs/ (2 JPEGs, 1 PNG), plus files that are not images. */
function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-images-'));
  fs.mkdirSync(path.join(dir, 'dogs'));
  fs.mkdirSync(path.join(dir, 'cats'));
  for (let i = 0; i < 3; i++)
    fs.writeFileSync(
      path.join(dir, 'cats', `c${i}.png`),
      png(4, 4, (x, y) => [10 * i, 4 * x + 16 * y, 200]),
    );
  fs.writeFileSync(path.join(dir, 'dogs', 'd0.JPG'), jpg(8, 6, [250, 10, 10]));
  fs.writeFileSync(path.join(dir, 'dogs', 'd1.jpeg'), jpg(8, 6, [10, 250, 10]));
  fs.writeFileSync(
    path.join(dir, 'dogs', 'd2.png'),
    png(2, 2, () => [0, 0, 0]),
  );
  fs.writeFileSync(path.join(dir, 'dogs', 'notes.txt'), 'not an image');
  fs.writeFileSync(path.join(dir, 'cats', '.DS_Store'), 'junk');
  return dir;
}

describe('data/image-folder', () => {
  it('indexes classes in sorted order and skips files that are not images', () => {
    const { classNames, entries } = imageFolderIndex(folder());
    expect(classNames).to.deep.equal(['cats', 'dogs']);
    expect(entries.map((e) => [path.basename(e.file), e.label])).to.deep.equal([
      ['c0.png', 0],
      ['c1.png', 0],
      ['c2.png', 0],
      ['d0.JPG', 1],
      ['d1.jpeg', 1],
      ['d2.png', 1],
    ]);
  });

  it('decodes PNG exactly and resizes bilinearly with half-pixel centres (a 2x downscale averages 2x2 blocks)', () => {
    const img = decodeImage(
      png(4, 4, (x, y) => [4 * x + 16 * y, 0, 0]),
      'a.png',
      { channels: 3 },
    );
    expect(Array.from(img.data.filter((_, i) => i % 3 === 0))).to.deep.equal(
      Array.from({ length: 16 }, (_, i) => 4 * (i % 4) + 16 * Math.floor(i / 4)),
    );
    const set = loadImageFolder(folder(), { height: 2, width: 2, channels: 3, seed: 0 });
    const k = Array.from(set.labels).findIndex((l, i) => l === 0 && set.images[i * 12] === 0); // c0
    const greens = [0, 1, 2, 3].map((p) => set.images[k * 12 + 3 * p + 1]);
    // Blocks of (4x + 16y): means 10, 18, 42, 50.
    expect(greens).to.deep.equal([10, 18, 42, 50]);
  });

  it('loads RGB or grey ImageSets of the requested size, JPEG within a colour tolerance', () => {
    const dir = folder();
    const rgb = loadImageFolder(dir, { height: 3, width: 3, seed: 1 });
    expect([rgb.count, rgb.height, rgb.width, rgb.channels, rgb.classNames]).to.deep.equal([
      6,
      3,
      3,
      3,
      ['cats', 'dogs'],
    ]);
    const grey = loadImageFolder(dir, { height: 3, width: 3, channels: 1, seed: 1 });
    expect(Array.from(grey.labels)).to.deep.equal(Array.from(rgb.labels));
    // The red JPEG: first pixel close to (250, 10, 10); grey = 0.2989 r + 0.587 g + 0.114 b.
    const i = Array.from(rgb.images).findIndex((v, j) => j % 27 === 0 && v > 200);
    expect(i).to.be.at.least(0);
    const [r, g, b] = [0, 1, 2].map((c) => rgb.images[i + c] as number) as [number, number, number];
    expect(Math.abs(r - 250) + Math.abs(g - 10) + Math.abs(b - 10)).to.be.below(12);
    expect(Math.abs((grey.images[i / 3] as number) - Math.round(0.2989 * r + 0.587 * g + 0.114 * b))).to.be.at.most(1);
  });

  it('splits with a seed as Keras does: disjoint subsets that cover the folder, the same for the same seed', () => {
    const dir = folder();
    const key = (s: { images: Uint8Array; labels: Uint8Array; count: number }) =>
      Array.from({ length: s.count }, (_, k) => `${s.labels[k]}:${s.images.slice(k * 12, k * 12 + 12).join(',')}`);
    const opts = { height: 2, width: 2, validationSplit: 0.34, seed: 7 } as const;
    const train = loadImageFolder(dir, { ...opts, subset: 'training' });
    const val = loadImageFolder(dir, { ...opts, subset: 'validation' });
    expect([train.count, val.count]).to.deep.equal([4, 2]);
    expect(new Set([...key(train), ...key(val)]).size).to.equal(6);
    expect(key(loadImageFolder(dir, { ...opts, subset: 'validation' }))).to.deep.equal(key(val));
    expect(errorOf(() => loadImageFolder(dir, { height: 2, width: 2, validationSplit: 0.2 }))).to.be.instanceOf(
      ConfigError,
    );
  });

  it('refuses a corrupt image, a link out of the folder, an oversized file or set, and a missing folder, naming the file', () => {
    const dir = folder();
    const bad = path.join(dir, 'cats', 'c1.png');
    fs.writeFileSync(bad, fs.readFileSync(bad).subarray(0, 40));
    let e = errorOf(() => loadImageFolder(dir, { height: 2, width: 2 }));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/valid PNG image in .*c1\.png/);
    expect((e as DataError).file).to.equal(fs.realpathSync(bad));

    const dir2 = folder();
    const outside = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-out-')), 'secret.png');
    fs.writeFileSync(
      outside,
      png(2, 2, () => [1, 2, 3]),
    );
    fs.symlinkSync(outside, path.join(dir2, 'cats', 'link.png'));
    e = errorOf(() => loadImageFolder(dir2, { height: 2, width: 2 }));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/inside the image folder.*link\.png/);

    const dir3 = folder();
    expect(errorOf(() => loadImageFolder(dir3, { height: 2, width: 2, maxFileBytes: 50 })))
      .to.be.instanceOf(DataError)
      .with.property('message')
      .that.matches(/at most 50 bytes/);
    expect(errorOf(() => loadImageFolder(dir3, { height: 100, width: 100, maxBytes: 1000 })))
      .to.be.instanceOf(DataError)
      .with.property('message')
      .that.matches(/at most 1000 bytes.*limit/);
    expect(errorOf(() => loadImageFolder(path.join(dir3, 'nope'), { height: 2, width: 2 })))
      .to.be.instanceOf(DataError)
      .with.property('message')
      .that.matches(/ENOENT/);
    fs.writeFileSync(path.join(dir3, 'dogs', 'fake.png'), 'GIF89a not a png');
    expect(errorOf(() => loadImageFolder(dir3, { height: 2, width: 2 })))
      .to.be.instanceOf(DataError)
      .with.property('message')
      .that.matches(/PNG or JPEG image in .*fake\.png/);
  });

  it('loadDataFiles resizes a folder to the model input, and needs imageShape for a flat input', () => {
    const dir = folder();
    const before = tf.memory().numTensors;
    const data = loadDataFiles(dir, { inputShape: [5, 5, 1] });
    expect([data.kind, data.count, data.labelled, data.classNames]).to.deep.equal([
      'image-folder',
      6,
      true,
      ['cats', 'dogs'],
    ]);
    expect(tf.memory().numTensors).to.equal(before);
    expect(errorOf(() => loadDataFiles(dir, { inputShape: [25] })))
      .to.be.instanceOf(ShapeError)
      .with.property('message')
      .that.matches(/imageShape/);
    expect(loadDataFiles(dir, { inputShape: [25], imageShape: [5, 5, 1] }).count).to.equal(6);
    expect(errorOf(() => loadDataFiles(dir, { inputShape: [24], imageShape: [5, 5, 1] }))).to.be.instanceOf(ShapeError);
  });
});
