import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { readRegularFile, readRegularFileAsync, isInside } from '../../lib/core/read-file';
import { DataError } from '../../lib/errors';

const opts = (root?: string, maxBytes = 1024) => ({
  fn: 'testRead',
  what: 'a test file',
  maxBytes,
  tooLargeAdvice: 'Make it smaller.',
  ...(root ? { root } : {}),
});

async function both(file: string, o: ReturnType<typeof opts>): Promise<[unknown, unknown]> {
  const sync = (() => {
    try {
      return readRegularFile(file, o);
    } catch (e) {
      return e;
    }
  })();
  const asyncResult = await readRegularFileAsync(file, o).catch((e: unknown) => e);
  return [sync, asyncResult];
}

describe('core/read-file: the safe-open primitive', () => {
  let dir: string;
  let root: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-read-'));
    root = path.join(dir, 'root');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'a.bin'), Buffer.from([1, 2, 3]));
    fs.writeFileSync(path.join(dir, 'outside.bin'), Buffer.from([9]));
    fs.writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(2048));
    execFileSync('mkfifo', [path.join(root, 'fifo.png')]);
    fs.symlinkSync(path.join(root, 'fifo.png'), path.join(root, 'z.png'));
    fs.symlinkSync(path.join(dir, 'outside.bin'), path.join(root, 'escape.png'));
    fs.symlinkSync('a.bin', path.join(root, 'alias.bin'));
    fs.mkdirSync(path.join(root, 'sub'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file, and a link to a file inside the root, sync and async', async () => {
    for (const name of ['a.bin', 'alias.bin']) {
      const [s, a] = await both(path.join(root, name), opts(root));
      expect(Array.from(s as Uint8Array)).to.deep.equal([1, 2, 3]);
      expect(Array.from(a as Uint8Array)).to.deep.equal([1, 2, 3]);
    }
  });

  it('refuses a FIFO, and a link to a FIFO, at once instead of hanging', async () => {
    for (const name of ['fifo.png', 'z.png']) {
      const [s, a] = await both(path.join(root, name), opts(root));
      for (const e of [s, a]) {
        expect(e).to.be.instanceOf(DataError);
        expect((e as Error).message).to.match(/^testRead: a test file at .*, got something that is not a regular file/);
      }
    }
  });

  it('refuses paths and links that leave the root, folders, and files past the cap (before reading)', async () => {
    const cases: [string, RegExp][] = [
      [path.join(root, 'escape.png'), /a link to .*outside/],
      [path.join(root, '..', 'outside.bin'), /a path outside/],
      [path.join(root, 'sub'), /got a folder/],
      [path.join(root, 'big.bin'), /of at most 1024 bytes, got 2048 in .*\. Make it smaller\./],
      [path.join(root, 'missing.bin'), /got ENOENT/],
    ];
    for (const [file, re] of cases) {
      const [s, a] = await both(file, opts(root));
      expect(s, file).to.be.instanceOf(DataError);
      expect((s as Error).message, file).to.match(re);
      expect((a as Error).message, file).to.equal((s as Error).message);
    }
  });

  it('without a root, still refuses FIFOs and oversized files', () => {
    expect(() => readRegularFile(path.join(root, 'z.png'), opts())).to.throw(DataError, /not a regular file/);
    expect(() => readRegularFile(path.join(root, 'big.bin'), opts(undefined, 10))).to.throw(
      DataError,
      /at most 10 bytes, got 2048/,
    );
  });

  it('isInside is lexical on resolved paths: a sibling with a shared prefix is outside', () => {
    expect(isInside('/a/b', '/a/b/c')).to.equal(true);
    expect(isInside('/a/b', '/a/b')).to.equal(true);
    expect(isInside('/a/b', '/a/bc')).to.equal(false);
    expect(isInside('/a/b', '/a')).to.equal(false);
    expect(isInside('/a/b', '/a/b/..x')).to.equal(true);
  });
});
