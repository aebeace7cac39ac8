import { expect } from 'chai';
import { onnx } from 'onnx-proto';
import { UnsupportedLayerError } from '../../lib/errors';
import { defaultOpset } from '../../lib/onnx/graph';
import { upgradeOpset, upgradeProto } from '../../lib/onnx/opset';
import { makeTensor } from '../../lib/onnx/tensor';
import { feeds, hasOnnxChecker, maxAbsDiff, model, node, onnxCheck, run, value } from './graphs';

/** An opset-9 graph exercising every operator whose attributes or meaning changed up to opset 13. */
function opset9(): Uint8Array {
  return model({
    opset: 9,
    nodes: [
      node('Clip', ['x'], ['clip'], { min: { float: -0.5 }, max: { float: 0.5 } }),
      node('Slice', ['clip'], ['sl'], { starts: { ints: [0, 1] }, ends: { ints: [1, 5] }, axes: { ints: [1, 3] } }),
      node('Squeeze', ['sl'], ['sq'], { axes: { ints: [1] } }),
      node('Softmax', ['sq'], ['sm'], { axis: { int: 1 } }), // old meaning: over the flattened [4, 4] tail
      node('Unsqueeze', ['sm'], ['us'], { axes: { ints: [0] } }),
      node('Pad', ['us'], ['pd'], { pads: { ints: [0, 0, 1, 1, 0, 0, 1, 1] }, value: { float: 0.25 } }),
      node('Upsample', ['pd', 'scales'], ['up'], { mode: { str: 'nearest' } }),
      node('ReduceSum', ['up'], ['rs'], { axes: { ints: [3] }, keepdims: { int: 1 } }),
      node('TopK', ['rs'], ['tk', 'tk_i'], { k: { int: 3 }, axis: { int: 2 } }),
      node('Dropout', ['x'], ['dr'], { ratio: { float: 0.5 } }),
      node('Split', ['x'], ['s1', 's2'], { axis: { int: 3 }, split: { ints: [2, 4] } }),
      node('Softmax', ['s2'], ['last'], { axis: { int: 3 } }), // the last axis: unchanged meaning
    ],
    inputs: [value('x', [1, 2, 4, 6])],
    outputs: [
      value('tk', [1, 1, 3, 1]),
      value('dr', [1, 2, 4, 6]),
      value('s1', [1, 2, 4, 2]),
      value('sm', [1, 4, 4]),
      value('last', [1, 2, 4, 4]),
    ],
    initializers: [makeTensor('scales', Float32Array.of(1, 1, 2, 2), [4])],
  });
}

describe('onnx.upgradeOpset', () => {
  it('carries opset-9 operators to opset 13 with the same outputs in ONNX Runtime', async () => {
    const before = opset9();
    const m = onnx.ModelProto.decode(before);
    const report = upgradeProto(m, 13);
    expect(report).to.deep.include({ from: 9, to: 13 });
    expect(report.rewritten).to.deep.equal({
      Clip: 1,
      Slice: 1,
      Squeeze: 1,
      Softmax: 2,
      Unsqueeze: 1,
      Pad: 1,
      Upsample: 1,
      ReduceSum: 1,
      TopK: 1,
      Dropout: 1,
      Split: 1,
    });
    expect(defaultOpset(m)).to.equal(13);
    const after = onnx.ModelProto.encode(m).finish();
    const f = { x: { data: Float32Array.from({ length: 48 }, (_, i) => Math.sin(i) * 0.8), dims: [1, 2, 4, 6] } };
    const a = await run(before, f);
    const b = await run(after, f);
    for (const name of ['tk', 'dr', 's1', 'sm', 'last'])
      expect(maxAbsDiff(a[name]!.data, b[name]!.data), name).to.be.below(1e-6);
    // The non-last-axis Softmax keeps its old meaning through Flatten -> Softmax -> Reshape.
    expect(m.graph!.node!.map((n) => n.opType)).to.include.members(['Flatten', 'Reshape', 'Resize', 'Identity']);
  });

  it('the verb: a new model with the same outputs, the input bytes untouched, a typed error for a bad opset', async () => {
    const before = opset9();
    const copy = Uint8Array.from(before);
    const { model: m, bytes, report } = await upgradeOpset(before);
    expect(Buffer.from(before).equals(Buffer.from(copy))).to.equal(true);
    expect(report).to.deep.include({ from: 9, to: 13 });
    expect(defaultOpset(m.proto)).to.equal(13);
    const f = { x: { data: Float32Array.from({ length: 48 }, (_, i) => Math.cos(i) * 0.7), dims: [1, 2, 4, 6] } };
    const [a, b] = [await run(before, f), await run(bytes, f)];
    for (const k of Object.keys(a)) expect(maxAbsDiff(a[k]!.data, b[k]!.data), k).to.be.below(1e-6);
    expect((await upgradeOpset(before, { opset: 11 })).report).to.deep.include({ from: 9, to: 11 });
    for (const opset of [7, 14, 12.5, '13'])
      await upgradeOpset(before, { opset: opset as number }).then(
        () => expect.fail(`opset ${opset} accepted`),
        (e: Error) => expect(e.message).to.match(/^onnx.upgradeOpset: opset an integer from 8 to 13, got/),
      );
  });

  it('writes a model the ONNX checker accepts', function () {
    if (!hasOnnxChecker()) this.skip();
    const m = onnx.ModelProto.decode(opset9());
    upgradeProto(m, 13);
    expect(onnxCheck(onnx.ModelProto.encode(m).finish())).to.equal('');
  });

  it('leaves a model at or above the target alone', async () => {
    const bytes = model({
      nodes: [node('Relu', ['x'], ['y'])],
      inputs: [value('x', [1, 4])],
      outputs: [value('y', [1, 4])],
    });
    const m = onnx.ModelProto.decode(bytes);
    expect(upgradeProto(m, 13)).to.deep.equal({ from: 13, to: 13, rewritten: {} });
    expect(onnx.ModelProto.encode(m).finish()).to.deep.equal(bytes);
    await run(bytes, feeds([1, 4], 0));
  });

  it('refuses an operator whose change it does not know, naming the node', () => {
    const m = onnx.ModelProto.decode(
      model({
        opset: 11,
        nodes: [node('Relu', ['x'], ['r']), node('MysteryOp', ['r'], ['y'], {}, 'the_mystery')],
        inputs: [value('x', [1])],
        outputs: [value('y', [1])],
      }),
    );
    let error: unknown;
    try {
      upgradeProto(m, 13);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(UnsupportedLayerError);
    expect((error as UnsupportedLayerError).message).to.match(
      /onnx.upgradeOpset: .*got operator MysteryOp in node "the_mystery"/,
    );
    expect((error as UnsupportedLayerError).layerName).to.equal('the_mystery');
  });

  it('refuses a Dropout whose mask is used', () => {
    const m = onnx.ModelProto.decode(
      model({
        opset: 9,
        nodes: [node('Dropout', ['x'], ['y', 'mask'], {}, 'drop')],
        inputs: [value('x', [2])],
        outputs: [value('y', [2]), value('mask', [2], 9)],
      }),
    );
    expect(() => upgradeProto(m, 13)).to.throw(UnsupportedLayerError, /Dropout whose mask output is used.*"drop"/);
  });
});
