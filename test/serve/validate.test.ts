import { expect } from 'chai';
import { parsePredictBody } from '../../lib/serve/validate';
import { RequestError } from '../../lib/serve/request-error';

const limits = { maxBatch: 4 };

describe('serve/validate', () => {
  it('accepts the largest float32 and rounds to float32', () => {
    const v = parsePredictBody(
      { input: [3.4028234663852886e38, -3.4028234663852886e38, 1e-45, 0.1] },
      [4],
      limits,
    ).values;
    expect(Array.from(v)).to.deep.equal([
      3.4028234663852886e38,
      -3.4028234663852886e38,
      Math.fround(1e-45),
      Math.fround(0.1),
    ]);
  });

  it('accepts one example, a batch, and the nested form', () => {
    const one = parsePredictBody({ input: [0, 1, 2, 3] }, [4], limits);
    expect(Array.from(one.values)).to.deep.equal([0, 1, 2, 3]);
    expect(one.count).to.equal(1);
    expect(one.batch).to.equal(false);
    const many = parsePredictBody(
      {
        inputs: [
          [1, 2],
          [3, 4],
        ],
        dtype: 'float32',
      },
      [2],
      limits,
    );
    expect(Array.from(many.values)).to.deep.equal([1, 2, 3, 4]);
    expect(many.batch).to.equal(true);
    const nested = parsePredictBody(
      {
        input: [
          [[1], [2]],
          [[3], [4]],
        ],
      },
      [2, 2, 1],
      limits,
    );
    expect(Array.from(nested.values)).to.deep.equal([1, 2, 3, 4]);
    const flatForImage = parsePredictBody({ input: [1, 2, 3, 4] }, [2, 2, 1], limits);
    expect(Array.from(flatForImage.values)).to.deep.equal([1, 2, 3, 4]);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /JSON object/],
    ['neither field', { x: 1 }, /neither/],
    ['both fields', { input: [1, 2, 3, 4], inputs: [[1, 2, 3, 4]] }, /both/],
    ['wrong length', { input: [1, 2, 3] }, /4 numbers/],
    ['a string value', { input: [1, '2', 3, 4] }, /input\[1\] must be a number/],
    [
      'null value',
      {
        inputs: [
          [1, 2, 3, 4],
          [1, null, 3, 4],
        ],
      },
      /inputs\[1\]\[1\] must be a number/,
    ],
    ['infinite value', { input: [1, 2, 1e999, 4] }, /finite/], // eslint-disable-line no-loss-of-precision
    ['a value past float32 (1e39 would become Infinity)', { input: [1, 2, 1e39, 4] }, /float32.*outside that range/],
    ['a value past -float32', { input: [1, 2, -3.5e38, 4] }, /outside that range/],
    ['a nested array a million deep', { input: JSON.parse(`${'['.repeat(1e6)}${']'.repeat(1e6)}`) }, /4 numbers/],
    [
      'a dtype nested deep',
      { input: [1, 2, 3, 4], dtype: JSON.parse(`${'['.repeat(1e5)}${']'.repeat(1e5)}`) },
      /an array of length 1/,
    ],
    ['wrong dtype', { input: [1, 2, 3, 4], dtype: 'int32' }, /float32/],
    ['empty batch', { inputs: [] }, /at least one/],
    [
      'batch too large',
      {
        inputs: [
          [1, 2, 3, 4],
          [1, 2, 3, 4],
          [1, 2, 3, 4],
          [1, 2, 3, 4],
          [1, 2, 3, 4],
        ],
      },
      /at most 4/,
    ],
    ['example not an array', { input: 5 }, /must be an array/],
  ];
  for (const [what, body, msg] of bad) {
    it(`rejects ${what} with a 400 and a clear message`, () => {
      let err: unknown;
      try {
        parsePredictBody(body, [4], limits);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(RequestError);
      expect((err as RequestError).status).to.equal(400);
      expect((err as Error).message).to.match(msg);
      expect((err as Error).message.length).to.be.lessThan(300);
    });
  }
});
