import { expect } from 'chai';
import { onnx } from 'onnx-proto';
import { optimize } from '../../lib/onnx/optimize';
import { makeTensor } from '../../lib/onnx/tensor';
import { feeds, hasOnnxChecker, maxAbsDiff, model, node, onnxCheck, run, value, weight } from './graphs';

describe('onnx.optimize', () => {
  it('folds BatchNormalization into the convolution and Constant nodes into initializers, outputs unchanged', async () => {
    const fp32 = model({
      opset: 11,
      nodes: [
        {
          opType: 'Constant',
          name: 'w_const',
          output: ['w'],
          attribute: [
            { name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: weight('w', [4, 3, 3, 3], 1) },
          ],
        },
        node('Conv', ['x', 'w'], ['c'], { kernel_shape: { ints: [3, 3] } }, 'conv'),
        node('BatchNormalization', ['c', 'g', 'b', 'm', 'v'], ['y'], { epsilon: { float: 1e-5 } }, 'bn'),
      ],
      inputs: [value('x', ['N', 3, 6, 6])],
      outputs: [value('y', ['N', 4, 4, 4])],
      initializers: [
        makeTensor('g', Float32Array.of(1, 2, 0.5, 1), [4]),
        makeTensor('b', Float32Array.of(0, 0.1, -0.1, 0.2), [4]),
        makeTensor('m', Float32Array.of(0.1, 0, -0.2, 0.3), [4]),
        makeTensor('v', Float32Array.of(1, 0.5, 2, 1.5), [4]),
      ],
    });
    const copy = fp32.slice();
    const { bytes, report, model: out } = await optimize(fp32);
    expect(fp32).to.deep.equal(copy);
    expect(report).to.deep.include({ nodesBefore: 3, nodesAfter: 1 });
    expect(out.proto.graph!.node!.map((n) => [n.name, n.opType])).to.deep.equal([['conv', 'Conv']]);
    expect(out.opset).to.equal(11);
    const f = feeds([2, 3, 6, 6], 3);
    expect(maxAbsDiff((await run(fp32, f)).y!.data, (await run(bytes, f)).y!.data)).to.be.below(1e-5);
    if (hasOnnxChecker()) expect(onnxCheck(bytes)).to.equal('');
  });
});
