import { expect } from 'chai';
import { ConfigError, ShapeError } from '../../lib/errors';
import { csrBytes, decodeCsr, deserializeCsr, encodeCsr, gapAt, packGaps, serializeCsr } from '../../lib/core/csr';
import { sizeReport } from '../../lib/prune/size';
import { magnitude } from '../../lib/prune/magnitude';
import { simpleNet } from '../../course/models/simplenet';
import { Rng } from '../../lib/core/rng';
import { expectNoLeak } from '../helpers/leak';

function sparseMatrix(rows: number, cols: number, density: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) if (rng.next() < density) out[i] = rng.normal();
  return out;
}

describe('core/csr', () => {
  it('encodes the documented example by hand', () => {
    const enc = encodeCsr(new Float32Array([0, 2, 0, 0, 0, 3]), 2, 3, 4);
    expect(Array.from(enc.values)).to.deep.equal([2, 3]);
    expect([gapAt(enc, 0), gapAt(enc, 1)]).to.deep.equal([1, 2]);
    expect(Array.from(enc.rowPtr)).to.deep.equal([0, 1, 2]);
    expect(csrBytes(enc)).to.equal(12 + 8 + 1 + 12);
  });

  it('bridges a gap longer than 16 with padding zeros (4-bit)', () => {
    const row = new Float32Array(40);
    row[0] = 1;
    row[39] = 2; // gap 39: padding at 16 and 32, then gap 7
    const enc = encodeCsr(row, 1, 40, 4);
    expect(Array.from(enc.values)).to.deep.equal([1, 0, 0, 2]);
    expect([0, 1, 2, 3].map((i) => gapAt(enc, i))).to.deep.equal([0, 15, 15, 6]);
    expect(Array.from(decodeCsr(enc))).to.deep.equal(Array.from(row));
  });

  it('round-trips random matrices at many densities, 4 and 8 bits, through bytes too', () => {
    for (const bits of [4, 8] as const) {
      for (const [d, seed] of [
        [0, 1],
        [0.02, 2],
        [0.1, 3],
        [0.5, 4],
        [1, 5],
      ] as const) {
        const m = sparseMatrix(37, 300, d, seed);
        const enc = encodeCsr(m, 37, 300, bits);
        expect(decodeCsr(enc)).to.deep.equal(m);
        expect(decodeCsr(deserializeCsr(serializeCsr(enc)))).to.deep.equal(m);
      }
    }
  });

  it('packGaps packs by hand and matches what encodeCsr stores', () => {
    expect(Array.from(packGaps([1, 2, 15], 4))).to.deep.equal([0x21, 0x0f]);
    expect(Array.from(packGaps([1, 200], 8))).to.deep.equal([1, 200]);
    const enc = encodeCsr(new Float32Array([0, 0, 3, 0, 0, 0, 0, 4, 5, 0]), 1, 10, 4);
    expect(
      Array.from(
        packGaps(
          Array.from({ length: enc.values.length }, (_, i) => gapAt(enc, i)),
          4,
        ),
      ),
    ).to.deep.equal(Array.from(enc.gaps));
    expect(() => packGaps([16], 4)).to.throw(ConfigError, /\[0, 16\)/);
  });

  it('rejects bad shapes and index widths', () => {
    expect(() => encodeCsr(new Float32Array(5), 2, 3)).to.throw(ShapeError, /rows \* cols/);
    expect(() => encodeCsr(new Float32Array(6), 2, 3, 5 as never)).to.throw(ConfigError, /indexBits 4 or 8/);
  });
});

describe('prune/size', () => {
  it('reports dense, gzip and sparse bytes; sparse shrinks with sparsity', async () => {
    const model = simpleNet({ seed: 1, hidden: [64, 32], inputSize: 100, numClasses: 10 });
    const dense = sizeReport(model);
    expect(dense.denseBytes).to.equal(4 * model.countParams());
    expect(dense.sparseBytes).to.be.greaterThan(dense.denseBytes); // no zeros: indices cost extra
    const { model: pruned } = await magnitude(model, { sparsity: 0.9 });
    const s4 = sizeReport(pruned, { indexBits: 4 });
    const s8 = sizeReport(pruned, { indexBits: 8 });
    expect(s4.denseBytes).to.equal(dense.denseBytes);
    expect(s4.gzipBytes).to.be.lessThan(dense.gzipBytes);
    expect(s4.sparseBytesRatio).to.be.lessThan(0.2);
    expect(s8.layers.map((l) => l.nonzeros)).to.deep.equal([640, 205, 32]);
    expect(s8.layers[0]!.storedEntries).to.be.at.least(640);
    pruned.dispose();
    model.dispose();
  });

  it('does not leak', async () => {
    const model = simpleNet({ seed: 1, hidden: [8], inputSize: 10, numClasses: 3 });
    await expectNoLeak(() => sizeReport(model));
    model.dispose();
  });
});
