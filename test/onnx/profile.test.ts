import { expect } from 'chai';
import { DataError } from '../../lib/errors';
import { profile } from '../../lib/onnx/profile';
import { feeds, model, node, tinyCnn, tinyMlp, value, weight } from './graphs';

describe('onnx.profile', () => {
  it('counts MACs per node from the shapes of one run (known answer), per example', async () => {
    // x [2, 3, 8, 8]: conv1 16x8x8 outputs x 27 = 27,648; depthwise 16x8x8 x 9 = 9,216; the pool
    // reads 1,024 values; the Gemm 4 outputs x 16 = 64.
    const r = await profile(tinyCnn(), [feeds([2, 3, 8, 8], 1)]);
    const macs = Object.fromEntries(r.nodes.map((n) => [n.name, n.macs]));
    expect(macs).to.deep.equal({
      conv1: 27648,
      relu1: 0,
      dw2: 9216,
      relu6_2: 0,
      pool: 1024,
      flatten: 0,
      fc: 64,
      softmax: 0,
    });
    expect(r.totals.macs).to.equal(27648 + 9216 + 1024 + 64);
    expect(r.measuredAt).to.deep.equal({ x: [2, 3, 8, 8] });
    expect(r.nodes.find((n) => n.name === 'conv1')!.outputShapes).to.deep.equal([[2, 16, 8, 8]]);
    expect(r.nodes.every((n) => typeof n.latencyMs === 'number')).to.equal(true);
    expect(r.ops.Conv).to.deep.include({ count: 2, macs: 27648 + 9216, params: 432 + 16 + 144 + 16 });
  });

  it('counts parameters and initializer bytes (a weight shared by two nodes once), and names the inputs and outputs', async () => {
    const shared = model({
      nodes: [node('MatMul', ['x', 'w'], ['h'], {}, 'a'), node('MatMul', ['h', 'w'], ['y'], {}, 'b')],
      inputs: [value('x', ['N', 8])],
      outputs: [value('y', ['N', 8])],
      initializers: [weight('w', [8, 8], 1)],
    });
    const r = await profile(shared, undefined, { inputShapes: { x: [1, 8] } });
    expect(r.totals.params).to.equal(64);
    expect(r.totals.initializerBytes).to.equal(256);
    expect(r.nodes.map((n) => [n.name, n.params, n.macs])).to.deep.equal([
      ['a', 64, 64],
      ['b', 64, 64],
    ]);
    expect(r.inputs).to.deep.equal([{ name: 'x', type: 'float32', dims: ['N', 8] }]);
    expect(r.outputs).to.deep.equal([{ name: 'y', type: 'float32', dims: ['N', 8] }]);
  });

  it('runs a free batch dim at 1, and reports parameters without running when other dims are free', async () => {
    const atOne = await profile(tinyMlp());
    expect(atOne.totals.macs).to.equal(64 * 48 + 48 * 10);
    expect(atOne.measuredAt).to.deep.equal({ x: [1, 64] });
    const free = model({
      nodes: [node('Relu', ['x'], ['h']), node('Conv', ['h', 'w'], ['y'], {}, 'conv')],
      inputs: [value('x', ['N', 2, 'H', 'W'])],
      outputs: [value('y', ['N', 3, 'H', 'W'])],
      initializers: [weight('w', [3, 2, 1, 1], 5, 0.3)],
    });
    const r = await profile(free);
    expect(r.totals.params).to.equal(6);
    expect(r.totals.macs).to.equal(null);
    expect(r.nodes.find((n) => n.name === 'conv')!.macs).to.equal(null);
    expect(r.warnings[0]).to.match(/pass data or inputShapes/);
    expect(JSON.parse(JSON.stringify(r))).to.deep.equal(r);
  });

  it('counts ConvTranspose MACs from its weight in the file (the profiler does not record that input)', async () => {
    // x [1, 2, 4, 4] scatters each of its 32 values into 3 output channels x 3x3 kernel: 32 x 27 = 864.
    const m = model({
      nodes: [node('ConvTranspose', ['x', 'w'], ['y'], {}, 'up')],
      inputs: [value('x', [1, 2, 4, 4])],
      outputs: [value('y', [1, 3, 6, 6])],
      initializers: [weight('w', [2, 3, 3, 3], 7, 0.3)],
    });
    const r = await profile(m);
    expect(r.nodes[0]!.macs).to.equal(864);
    expect(r.warnings).to.deep.equal([]);
  });

  it('refuses inputs the model cannot run on with a DataError', async () => {
    let error: unknown;
    try {
      await profile(tinyMlp(), undefined, { inputShapes: { x: [1, 63] } });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(DataError);
    expect((error as Error).message).to.match(/onnx.profile: inputs the model runs on/);
  });
});
