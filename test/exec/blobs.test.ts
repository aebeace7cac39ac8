import { expect } from 'chai';
import { blobHashes, decodeBlobs, encodeBlobs } from '../../lib/exec/blobs';
import { DataError } from '../../lib/errors';

describe('exec/blobs (typed arrays through a JSON queue)', () => {
  it('replaces typed arrays by content-hash references, each stored once, and puts them back', () => {
    const u = new Uint8Array([1, 2, 3, 250]);
    const f = new Float32Array([0.5, -1.25]);
    const sub = new Float32Array(new Float32Array([9, 8, 7, 6]).buffer, 4, 2); // a view at an offset
    const value = { a: u, b: [f, u], c: { d: 'x', e: 3, sub }, skip: undefined };
    const { value: enc, blobs } = encodeBlobs(value);
    expect(blobs.size).to.equal(3); // u appears twice, stored once
    const json = JSON.parse(JSON.stringify(enc)) as unknown;
    expect(blobHashes(json)).to.have.length(3);
    const back = decodeBlobs(json, blobs) as {
      a: Uint8Array;
      b: [Float32Array, Uint8Array];
      c: { d: string; e: number; sub: Float32Array };
    };
    expect(back.a).to.be.instanceOf(Uint8Array);
    expect(Array.from(back.a)).to.deep.equal([1, 2, 3, 250]);
    expect(back.b[0]).to.be.instanceOf(Float32Array);
    expect(Array.from(back.b[0])).to.deep.equal([0.5, -1.25]);
    expect(Array.from(back.c.sub)).to.deep.equal([8, 7]);
    expect(back.c.d).to.equal('x');
    expect(() => decodeBlobs(json, new Map())).to.throw(DataError, /the bytes of blob/);
  });
});
