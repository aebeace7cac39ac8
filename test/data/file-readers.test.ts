// Every reader of the data area meets the same hostile files and answers the same way, because
// every one opens through the one safe-open primitive: a FIFO (or a link to one) is a DataError at
// once, never a hang; a folder is not a file; an oversized or inflating file is capped.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { createHash } from 'crypto';
import { expect } from 'chai';
import { readNpy, readNpyAsync, encodeNpy } from '../../lib/data/npy';
import { decodeIdx, encodeIdx, readIdx } from '../../course/data/idx';
import { readVerified } from '../../lib/data/integrity';
import { readLabelsFile } from '../../lib/data/class-names';
import { readArtifacts, readArtifactsAsync } from '../../lib/data/model-read';
import { pathSha256, pathSha256Async } from '../../lib/data/digest';
import { loadDataFiles } from '../../lib/data/data-files';
import { loadImageFolder } from '../../lib/data/image-folder';
import { DataError } from '../../lib/errors';
import { png, tmpDir, within, writeTree } from './images';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

async function outcome(f: () => unknown): Promise<unknown> {
  try {
    return await within(Promise.resolve().then(f), 5000);
  } catch (e) {
    return e;
  }
}

describe('data: every reader through the safe-open primitive', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = tmpDir('tfc-readers-');
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    for (const name of ['x.npy', 'x.idx', 'labels.txt', 'model.json', 'data.npy'])
      fs.symlinkSync('fifo', path.join(dir, name));
    fs.mkdirSync(path.join(dir, 'images'));
    execFileSync('mkfifo', [path.join(dir, 'images', 'pipe')]);
    fs.symlinkSync(path.join(dir, 'images', 'pipe'), path.join(dir, 'images', 'z.png')); // a link inside the folder
  });

  it('a FIFO, or a link to one, is a DataError at once in each of 12 readers', async () => {
    const f = (n: string) => path.join(dir, n);
    const readers: [string, () => unknown][] = [
      ['readNpy', () => readNpy(f('x.npy'))],
      ['readNpyAsync', () => readNpyAsync(f('x.npy'))],
      ['readIdx', () => readIdx(f('x.idx'))],
      ['readVerified', () => readVerified({ file: f('fifo'), bytes: 1, sha256: '' }, 'fix')],
      ['readLabelsFile', () => readLabelsFile(f('labels.txt'))],
      ['readArtifacts (model.json path)', () => readArtifacts(f('model.json'))],
      ['readArtifactsAsync (folder)', () => readArtifactsAsync(dir)],
      ['pathSha256', () => pathSha256(f('fifo'))],
      ['pathSha256Async', () => pathSha256Async(f('x.npy'))],
      ['loadDataFiles (.npy)', () => loadDataFiles(f('data.npy'), { inputShape: [2] })],
      ['loadImageFolder', () => loadImageFolder(f('images'), { height: 2, width: 2 })],
      [
        'loadDataFiles (labels file)',
        () => loadDataFiles(f('images'), { inputShape: [2, 2, 3], labelsFile: f('labels.txt') }),
      ],
    ];
    const got = await Promise.all(readers.map(async ([name, read]) => [name, await outcome(read)] as const));
    for (const [name, e] of got) {
      expect(e, name).to.be.instanceOf(DataError);
      expect((e as Error).message, name).to.match(/not a regular file|\(a FIFO/);
    }
  });

  it('pathSha256: a file is its sha256; a folder hashes its sha256sum-style listing; sync and async agree', async () => {
    const tree = writeTree({ 'b.txt': 'bee', 'a/c.bin': 'sea', '.hidden': 'h' });
    execFileSync('mkfifo', [path.join(tree, 'a', 'pipe')]); // not a regular file: skipped, never opened
    fs.symlinkSync('b.txt', path.join(tree, 'link')); // links are not followed
    expect(pathSha256(path.join(tree, 'b.txt'))).to.equal(sha('bee'));
    const listing = [`${sha('h')}  .hidden`, `${sha('sea')}  a/c.bin`, `${sha('bee')}  b.txt`]
      .map((l) => `${l}\n`)
      .join('');
    expect(pathSha256(tree)).to.equal(sha(listing));
    expect(await within(pathSha256Async(tree), 5000)).to.equal(sha(listing));
    expect(await pathSha256Async(path.join(tree, 'b.txt'))).to.equal(sha('bee'));
  });

  it('a gzip IDX that inflates past its cap is refused, not inflated', async () => {
    const body = encodeIdx({ shape: [10000], data: new Uint8Array(10000) });
    const gz = zlib.gzipSync(body);
    expect(decodeIdx(gz, 'ok.gz').shape).to.deep.equal([10000]);
    expect(() => decodeIdx(gz, 'bomb.gz', 1000)).to.throw(DataError, /inflates to at most 1000 bytes in bomb\.gz/);
    const file = path.join(tmpDir(), 'big.idx');
    fs.writeFileSync(file, body);
    expect(() => readIdx(file, { maxBytes: 100 })).to.throw(DataError, /an IDX file of at most 100 bytes/);
  });

  it('readVerified refuses a longer file before reading it, and still reads the right one', () => {
    const file = path.join(tmpDir(), 'f.bin');
    fs.writeFileSync(file, 'hello!');
    expect(() => readVerified({ file, bytes: 5, sha256: sha('hello') }, 'Reinstall it.')).to.throw(
      DataError,
      /at most 5 bytes, got 6 .* Reinstall it\./,
    );
    fs.writeFileSync(file, 'hello');
    expect(readVerified({ file, bytes: 5, sha256: sha('hello') }, 'x').toString()).to.equal('hello');
  });

  it('an image folder and a .npy given as links inside their folders are still read', async () => {
    const tree = writeTree({ 'real/a.png': await png(2, 2, () => [9, 9, 9]) });
    fs.mkdirSync(path.join(tree, 'cls'));
    fs.symlinkSync(path.join(tree, 'real', 'a.png'), path.join(tree, 'cls', 'b.png'));
    const set = await loadImageFolder(tree, { height: 2, width: 2 }); // classes cls (the link) and real
    expect([set.count, set.classNames]).to.deep.equal([2, ['cls', 'real']]);
    const npy = path.join(tree, 'x.npy');
    fs.writeFileSync(npy, encodeNpy({ dtype: 'float32', shape: [1, 2], data: Float32Array.of(1, 2) }));
    fs.symlinkSync(npy, path.join(tree, 'alias.npy'));
    const data = await loadDataFiles(path.join(tree, 'alias.npy'), { inputShape: [2] });
    expect(data.count).to.equal(1);
    data.dispose();
  });
});
