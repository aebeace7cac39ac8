import { expect } from 'chai';
import { ConfigError, ShapeError } from '../../lib/errors';
import { fixShapes } from '../../lib/onnx/fix-shapes';
import { onnxServingManifest } from '../../lib/serve/serving-manifest';
import { feeds, maxAbsDiff, model, node, run, value, weight } from './graphs';

describe('onnx.fixShapes', () => {
  const free = () =>
    model({
      nodes: [
        node('Conv', ['x', 'w'], ['c'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] } }, 'conv'),
        node('Relu', ['c'], ['y']),
      ],
      inputs: [value('x', ['N', 3, 'H', 'W'])],
      outputs: [value('y', ['N', 4, 'h', 'w'])],
      initializers: [weight('w', [4, 3, 3, 3], 1)],
    });

  it('fixes the input dims, declares the output dims of one run, and the server reads them (and refuses a map output by its shape)', async () => {
    const { bytes, model: m, report } = await fixShapes(free(), { inputs: { x: ['N', 3, 9, 13] } });
    expect(report).to.deep.equal({ inputs: { x: ['N', 3, 9, 13] }, outputs: { y: ['N', 4, 4, 6] } });
    const dims = (i: number, which: 'input' | 'output') =>
      m.proto.graph![which]![i]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims(0, 'input')).to.deep.equal(['N', 3, 9, 13]);
    expect(dims(0, 'output')).to.deep.equal(['N', 4, 4, 6]);
    // With the dims fixed the serving manifest reads the shapes (free dims were refused before);
    // this model's output is a feature map, which the server does not answer as class scores.
    expect(() => onnxServingManifest(bytes)).to.throw(ShapeError, /a classifier's output.*got \[null, 4, 4, 6\]/);
    expect(() => onnxServingManifest(free())).to.throw(/fixed size per example/);
    const f = feeds([2, 3, 9, 13], 4);
    expect(maxAbsDiff((await run(free(), f)).y!.data, (await run(bytes, f)).y!.data)).to.equal(0);
  });

  it('refuses unknown inputs and wrong ranks', async () => {
    for (const [shapes, match] of [
      [{ z: [1, 2] }, /inputs among x/],
      [{ x: [1, 3, 9] }, /4 dims for input "x", got 3/],
      [{ x: [1, 3, 0, 9] }, /positive integers/],
      [undefined, /options.inputs, dims per input name, got undefined/],
    ] as const) {
      let error: unknown;
      try {
        await fixShapes(free(), { inputs: shapes as unknown as Record<string, number[]> });
      } catch (e) {
        error = e;
      }
      expect(error, String(match)).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(match);
    }
  });
});
