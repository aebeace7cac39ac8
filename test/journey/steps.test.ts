// What the journey reads from the server's answer, and the recipe it runs.
import { expect } from 'chai';
import { findClassName, journeyRecipe, predictRequests } from './steps';
import { validateRecipe } from '../../lib/pipeline/recipe';
import { DIGIT_NAMES } from './user-files';

describe('journey: steps', () => {
  it("finds the class name under a class-like key before any other name in the answer (a server's list of names first)", () => {
    const names = [...DIGIT_NAMES];
    expect(findClassName({ classNames: names, predictions: [{ className: 'seven', score: 0.99 }] }, names)).to.equal(
      'seven',
    );
    expect(findClassName({ outputs: [{ label: 'two' }] }, names)).to.equal('two');
    expect(findClassName({ top: ['four', 0.9] }, names)).to.equal('four');
    expect(findClassName({ class: 7 }, names)).to.equal(undefined);
  });

  it('posts the PNG as raw bytes first, then as a multipart form', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const [raw, form] = predictRequests(8080, png);
    expect(raw?.headers['content-type']).to.equal('image/png');
    expect(raw?.body.equals(png)).to.equal(true);
    expect(form?.headers['content-type']).to.match(/^multipart\/form-data; boundary=/);
    expect(form?.body.includes(png)).to.equal(true);
  });

  it("the journey's recipe names a flat calibration folder, the class order and mobilenet preprocessing", () => {
    const r = journeyRecipe() as { data: { evaluation: { classNames: string[]; preprocessing: string } } };
    expect(r.data.evaluation.classNames).to.deep.equal([...DIGIT_NAMES]);
    expect(r.data.evaluation.preprocessing).to.equal('mobilenet');
    // Until the recipe knows these fields this throws (a ConfigError naming the field); then it must validate.
    try {
      validateRecipe(r);
    } catch (e) {
      expect((e as Error).message).to.match(/preprocessing|classNames/);
    }
  });
});
