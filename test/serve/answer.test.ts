import { expect } from 'chai';
import { encodeAnswers } from '../../lib/serve/answer';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('serve/answer', () => {
  it('encodes one example as {model, version, id, label, probabilities}: the hand-checkable example', () => {
    const a = encodeAnswers(Float32Array.of(0.25, 0.75), 2, {
      model: 'm',
      version: '1',
      parts: [{ count: 1, batch: false, firstId: 7 }],
    });
    expect(text(a.bodies[0] as Uint8Array)).to.equal(
      '{"model":"m","version":"1","id":"1-7","label":1,"probabilities":[0.25,0.75]}',
    );
    expect(Array.from(a.labels)).to.deep.equal([1]);
  });

  it('gives each part of a batch its own body, rows, labels and ids; float32 values as JSON.stringify writes them', () => {
    const probs = Float32Array.of(0.1, 0.7, 0.2, /* part 2: */ 0.6, 0.3, 0.1, 0.2, 0.2, 0.6);
    const a = encodeAnswers(probs, 3, {
      model: 'net',
      version: 'v-2',
      parts: [
        { count: 1, batch: true, firstId: 1 },
        { count: 2, batch: true, firstId: 2 },
      ],
    });
    expect(a.bodies).to.have.length(2);
    expect(Array.from(a.labels)).to.deep.equal([1, 0, 2]);
    const second = JSON.parse(text(a.bodies[1] as Uint8Array));
    expect(second).to.deep.equal({
      model: 'net',
      version: 'v-2',
      predictions: [
        { id: 'v-2-2', label: 0, probabilities: Array.from(probs.subarray(3, 6)) },
        { id: 'v-2-3', label: 2, probabilities: Array.from(probs.subarray(6, 9)) },
      ],
    });
    expect(JSON.parse(text(a.bodies[0] as Uint8Array)).predictions[0].probabilities).to.deep.equal(
      Array.from(probs.subarray(0, 3)),
    );
    // Each body on its own buffer (transferable one by one).
    expect(a.bodies[0]?.buffer).to.not.equal(a.bodies[1]?.buffer);
    expect(a.bodies[1]?.byteLength).to.equal(a.bodies[1]?.buffer.byteLength);
  });

  it('writes a non-finite probability as null, as JSON.stringify does', () => {
    const a = encodeAnswers(Float32Array.of(NaN, 1), 2, {
      model: 'm',
      version: '1',
      parts: [{ count: 1, batch: false, firstId: 1 }],
    });
    expect(JSON.parse(text(a.bodies[0] as Uint8Array)).probabilities).to.deep.equal([null, 1]);
  });
});
