import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { expect } from 'chai';
import { decodeIdx, encodeIdx, readIdx } from '../../course/data/idx';
import { DataError } from '../../lib/errors';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('data/idx', () => {
  it('decodes a hand-made rank-1 file', () => {
    const a = decodeIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]));
    expect(a.shape).to.deep.equal([2]);
    expect(Array.from(a.data)).to.deep.equal([7, 9]);
  });

  it('round-trips encode/decode for rank 3, raw and gzip', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 7) % 256);
    const bytes = encodeIdx({ shape: [2, 3, 4], data });
    for (const b of [bytes, new Uint8Array(zlib.gzipSync(bytes))]) {
      const back = decodeIdx(b);
      expect(back.shape).to.deep.equal([2, 3, 4]);
      expect(Array.from(back.data)).to.deep.equal(Array.from(data));
    }
  });

  it('a truncated file is a DataError that says truncated and how to fix it', () => {
    const bytes = encodeIdx({ shape: [10], data: new Uint8Array(10) }).subarray(0, 12);
    const e = thrown(() => decodeIdx(bytes, 'x.idx'));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/decodeIdx: 10 data bytes for shape \[10\] in x.idx, got 4\. The file is truncated/);
  });

  it('bad magic, other dtypes and corrupt gzip are DataErrors', () => {
    expect(thrown(() => decodeIdx(new Uint8Array([1, 2, 3, 4, 5])))).to.be.instanceOf(DataError);
    expect(thrown(() => decodeIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]))).message).to.match(
      /dtype 0x08/,
    );
    expect(thrown(() => decodeIdx(new Uint8Array([0x1f, 0x8b, 1, 2, 3]))).message).to.match(/corrupt/);
  });

  it('readIdx of a missing file names the file', () => {
    const f = path.join(os.tmpdir(), 'no-such-file.idx');
    const e = thrown(() => readIdx(f));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.contain(f);
    expect(e.message).to.match(/ENOENT/);
  });

  it('readIdx reads a gzip file from disk', () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'idx-')), 'a.idx.gz');
    fs.writeFileSync(f, zlib.gzipSync(encodeIdx({ shape: [3], data: new Uint8Array([1, 2, 3]) })));
    expect(Array.from(readIdx(f).data)).to.deep.equal([1, 2, 3]);
  });
});
