import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { loadImageFolder } from '../../lib/data/image-folder';
import { imageFolderIndex } from '../../lib/data/folder-index';
import { loadDataFiles } from '../../lib/data/data-files';
import { ConfigError, DataError, ShapeError } from '../../lib/errors';
import { jpg, png, pngs, rejection, tmpDir, within, writeTree } from './images';

/** cats/ (3 PNGs), dogs/ (2 JPEGs, 1 PNG), plus files that are not images. */
async function folder(): Promise<string> {
  const files: Record<string, Uint8Array | string> = {
    'dogs/d0.JPG': await jpg(8, 6, [250, 10, 10]),
    'dogs/d1.jpeg': await jpg(8, 6, [10, 250, 10]),
    'dogs/d2.png': await png(2, 2, () => [0, 0, 0]),
    'dogs/notes.txt': 'not an image',
    'cats/.DS_Store': 'junk',
  };
  for (let i = 0; i < 3; i++) files[`cats/c${i}.png`] = await png(4, 4, (x, y) => [10 * i, 4 * x + 16 * y, 200]);
  return writeTree(files);
}

describe('data/image-folder', function () {
  this.timeout(60000);

  it('indexes classes in sorted order and skips files that are not images', async () => {
    const { classNames, entries, layout } = await imageFolderIndex(await folder());
    expect(layout).to.equal('classes');
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

  it('resizes bilinearly with half-pixel centres (a 2x downscale averages 2x2 blocks)', async () => {
    const set = await loadImageFolder(await folder(), { height: 2, width: 2, channels: 3, seed: 0 });
    const k = Array.from(set.labels).findIndex((l, i) => l === 0 && set.images[i * 12] === 0); // c0
    const greens = [0, 1, 2, 3].map((p) => set.images[k * 12 + 3 * p + 1]);
    // Blocks of (4x + 16y): means 10, 18, 42, 50.
    expect(greens).to.deep.equal([10, 18, 42, 50]);
  });

  it('loads RGB or grey ImageSets of the requested size, JPEG within a colour tolerance', async () => {
    const dir = await folder();
    const rgb = await loadImageFolder(dir, { height: 3, width: 3, seed: 1 });
    expect([rgb.count, rgb.height, rgb.width, rgb.channels, rgb.classNames, rgb.labelled]).to.deep.equal([
      6,
      3,
      3,
      3,
      ['cats', 'dogs'],
      undefined,
    ]);
    const grey = await loadImageFolder(dir, { height: 3, width: 3, channels: 1, seed: 1 });
    expect(Array.from(grey.labels)).to.deep.equal(Array.from(rgb.labels));
    // The red JPEG: first pixel close to (250, 10, 10); grey = 0.2989 r + 0.587 g + 0.114 b.
    const i = Array.from(rgb.images).findIndex((v, j) => j % 27 === 0 && v > 200);
    expect(i).to.be.at.least(0);
    const [r, g, b] = [0, 1, 2].map((c) => rgb.images[i + c] as number) as [number, number, number];
    expect(Math.abs(r - 250) + Math.abs(g - 10) + Math.abs(b - 10)).to.be.below(12);
    expect(Math.abs((grey.images[i / 3] as number) - Math.round(0.2989 * r + 0.587 * g + 0.114 * b))).to.be.at.most(1);
  });

  it('splits with a seed as Keras does: disjoint subsets that cover the folder, the same for the same seed', async () => {
    const dir = await folder();
    const key = (s: { images: Uint8Array; labels: ArrayLike<number>; count: number }) =>
      Array.from({ length: s.count }, (_, k) => `${s.labels[k]}:${s.images.slice(k * 12, k * 12 + 12).join(',')}`);
    const opts = { height: 2, width: 2, validationSplit: 0.34, seed: 7 } as const;
    const train = await loadImageFolder(dir, { ...opts, subset: 'training' });
    const val = await loadImageFolder(dir, { ...opts, subset: 'validation' });
    expect([train.count, val.count]).to.deep.equal([4, 2]);
    expect(new Set([...key(train), ...key(val)]).size).to.equal(6);
    expect(key(await loadImageFolder(dir, { ...opts, subset: 'validation' }))).to.deep.equal(key(val));
    expect(await rejection(loadImageFolder(dir, { height: 2, width: 2, validationSplit: 0.2 }))).to.be.instanceOf(
      ConfigError,
    );
  });

  it('refuses a corrupt image, a link out of the folder, an oversized file or set, and a missing folder, naming the file', async () => {
    const dir = await folder();
    const bad = path.join(dir, 'cats', 'c1.png');
    fs.writeFileSync(bad, fs.readFileSync(bad).subarray(0, 40));
    let e = await rejection(loadImageFolder(dir, { height: 2, width: 2 }));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/valid PNG image in .*c1\.png/);
    expect((e as DataError).file).to.equal(fs.realpathSync(bad));

    const dir2 = await folder();
    const outside = path.join(tmpDir('tfc-out-'), 'secret.png');
    fs.writeFileSync(outside, await png(2, 2, () => [1, 2, 3]));
    fs.symlinkSync(outside, path.join(dir2, 'cats', 'link.png'));
    e = await rejection(loadImageFolder(dir2, { height: 2, width: 2 }));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/link\.png, got a link to .*secret\.png, outside /);

    const dir3 = await folder();
    expect((await rejection(loadImageFolder(dir3, { height: 2, width: 2, maxFileBytes: 50 }))).message).to.match(
      /loadImageFolder: an image file of at most 50 bytes/,
    );
    expect((await rejection(loadImageFolder(dir3, { height: 100, width: 100, maxBytes: 1000 }))).message).to.match(
      /at most 1000 bytes.*limit/,
    );
    expect((await rejection(loadImageFolder(path.join(dir3, 'nope'), { height: 2, width: 2 }))).message).to.match(
      /ENOENT/,
    );
    fs.writeFileSync(path.join(dir3, 'dogs', 'fake.png'), 'GIF89a not a png');
    e = await rejection(loadImageFolder(dir3, { height: 2, width: 2 }));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/PNG, JPEG or WebP image in .*fake\.png/);
  });

  it('an image folder holding a link (inside it) to a FIFO named z.png is a DataError at once, never a hang', async () => {
    const dir = writeTree({ 'cats/a.png': await png(2, 2, () => [1, 2, 3]) });
    execFileSync('mkfifo', [path.join(dir, 'cats', 'fifo')]);
    fs.symlinkSync(path.join(dir, 'cats', 'fifo'), path.join(dir, 'cats', 'z.png'));
    execFileSync('mkfifo', [path.join(dir, 'cats', 'y.png')]);
    for (const limit of [undefined, 3]) {
      const e = await within(
        rejection(loadImageFolder(dir, { height: 2, width: 2, ...(limit ? { limit } : {}) })),
        5000,
      );
      expect(e).to.be.instanceOf(DataError);
      expect(e.message).to.match(
        /loadImageFolder: an image file at .*(z|y)\.png, got something that is not a regular file/,
      );
    }
  });

  it('reads asynchronously: the event loop turns while a folder loads, and progress counts every image', async () => {
    const dir = writeTree(await pngs(200, 'img', 16));
    let turns = 0;
    let on = true;
    const spin = () => {
      turns++;
      if (on) setImmediate(spin);
    };
    setImmediate(spin);
    const progress: [number, number][] = [];
    const set = await loadImageFolder(dir, { height: 8, width: 8, onImage: (d, t) => progress.push([d, t]) });
    on = false;
    expect(set.count).to.equal(200);
    expect(set.labelled).to.equal(false);
    expect(turns).to.be.greaterThan(10);
    expect(progress.map((p) => p[0])).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(progress.map((p) => p[1]))).to.deep.equal(new Set([200]));
  });

  it('limit reads and decodes only the images it keeps (the rest are never opened)', async () => {
    const dir = writeTree(await pngs(120, 'img', 4));
    const opened: string[] = [];
    const promises = fs.promises as unknown as Record<string, (...a: unknown[]) => unknown>;
    const open = promises.open as (...a: unknown[]) => unknown;
    promises.open = (p: unknown, ...rest: unknown[]) => {
      opened.push(String(p));
      return open(p, ...rest);
    };
    let decoded = 0;
    try {
      const set = await loadImageFolder(dir, { height: 4, width: 4, limit: 8, seed: 3, onImage: () => decoded++ });
      expect(set.count).to.equal(8);
    } finally {
      promises.open = open;
    }
    expect(opened.filter((p) => p.endsWith('.png'))).to.have.length(8);
    expect(decoded).to.equal(8);
    // The same seed picks the same 8; their red values name them.
    const again = await loadImageFolder(dir, { height: 4, width: 4, limit: 8, seed: 3 });
    const whole = await loadImageFolder(dir, { height: 4, width: 4, seed: 3 });
    expect(Array.from(again.images)).to.deep.equal(Array.from(whole.images.subarray(0, 8 * 48)));
  });

  it('loadDataFiles resizes a folder to the model input, and needs imageShape for a flat input', async () => {
    const dir = await folder();
    const before = tf.memory().numTensors;
    const data = await loadDataFiles(dir, { inputShape: [5, 5, 1] });
    expect([data.kind, data.layout, data.count, data.labelled, data.classNames]).to.deep.equal([
      'image-folder',
      'classes',
      6,
      true,
      ['cats', 'dogs'],
    ]);
    expect(data.preprocessing?.preset).to.equal('unit');
    expect(tf.memory().numTensors).to.equal(before);
    const e = await rejection(loadDataFiles(dir, { inputShape: [25] }));
    expect(e).to.be.instanceOf(ShapeError);
    expect(e.message).to.match(/imageShape/);
    expect((await loadDataFiles(dir, { inputShape: [25], imageShape: [5, 5, 1] })).count).to.equal(6);
    expect(await rejection(loadDataFiles(dir, { inputShape: [24], imageShape: [5, 5, 1] }))).to.be.instanceOf(
      ShapeError,
    );
  });
});
