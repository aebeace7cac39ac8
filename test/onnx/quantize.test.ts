import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { ConfigError } from '../../lib/errors';
import { ortSession } from '../../lib/export/onnx/runtime';
import { quantize } from '../../lib/onnx/quantize';
import { OnnxFeeds } from '../../lib/onnx/feeds';
import { num } from '../../lib/onnx/tensor';
import {
  feeds,
  hasOnnxChecker,
  maxAbsDiff,
  model,
  node,
  onnxCheck,
  run,
  tinyCnn,
  tinyMlp,
  value,
  weight,
} from './graphs';

const cnnData: OnnxFeeds[] = [0, 1, 2, 3].map((s) => feeds([2, 3, 8, 8], 100 + s));
const mlpData: OnnxFeeds[] = [0, 1, 2, 3].map((s) => feeds([4, 64], 200 + s));

const opsOf = (bytes: Uint8Array): string[] => onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType!);

/** The node types ONNX Runtime runs after its own optimizations (what it fused). */
async function fused(bytes: Uint8Array): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-fused-'));
  try {
    const file = path.join(dir, 'm.onnx');
    await (await ortSession(bytes, { optimizedModelFilePath: file })).release();
    return opsOf(new Uint8Array(fs.readFileSync(file)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function closeTo(reference: Uint8Array, bytes: Uint8Array, f: OnnxFeeds, tol: number): Promise<void> {
  const a = await run(reference, f);
  const b = await run(bytes, f);
  for (const k of Object.keys(a)) expect(maxAbsDiff(a[k]!.data, b[k]!.data), k).to.be.below(tol);
}

describe('onnx.quantize', () => {
  it('dynamic INT8: MatMulInteger behind one DynamicQuantizeLinear per input, ~1/4 of the weight bytes, outputs near fp32', async () => {
    const fp32 = tinyMlp();
    const copy = fp32.slice();
    const { bytes, report, model: out } = await quantize(fp32, mlpData, { mode: 'dynamic' });
    expect(fp32).to.deep.equal(copy); // the input is not modified
    expect(opsOf(bytes).filter((o) => o === 'MatMulInteger')).to.have.length(2);
    expect(opsOf(bytes)).to.not.include('MatMul');
    expect(report.nodes.map((n) => [n.name, n.form, n.granularity])).to.deep.equal([
      ['fc1', 'MatMulInteger', 'per-channel'],
      ['fc2', 'MatMulInteger', 'per-channel'],
    ]);
    expect(report.nodes[0]!.weightSqnrDb).to.be.above(30);
    expect(report.sizeRatio)
      .to.be.below(0.45)
      .and.equal(bytes.length / fp32.length);
    expect(report.comparison!.examples).to.equal(4);
    expect(report.comparison!.outputs[0]!.maxAbsDiff).to.be.above(0).and.below(0.1);
    expect(out.opset).to.equal(13);
    expect(JSON.parse(JSON.stringify(report))).to.deep.equal(report);
    expect(await fused(bytes)).to.include('DynamicQuantizeMatMul');
  });

  it('dynamic INT8 of convolutions (ConvInteger) and a Gemm with transB, with the bias added back', async () => {
    const fp32 = tinyCnn();
    const { bytes, report } = await quantize(fp32, cnnData, { mode: 'dynamic' });
    expect(report.nodes.map((n) => `${n.name}:${n.form}`)).to.deep.equal([
      'conv1:ConvInteger',
      'dw2:ConvInteger',
      'fc:MatMulInteger',
    ]);
    expect(report.comparison!.outputs[0]!.top1Agreement).to.equal(1);
    await closeTo(fp32, bytes, cnnData[0]!, 0.05);
  });

  it('static INT8 (QDQ): activations quantized after the fused Relu and Clip, int32 biases, fused by ONNX Runtime into QLinearConv and QGemm', async () => {
    const fp32 = tinyCnn();
    const { bytes, report } = await quantize(fp32, cnnData, { mode: 'static' });
    const m = onnx.ModelProto.decode(bytes);
    const quantized = m.graph!.node!.filter((n) => n.opType === 'QuantizeLinear').map((n) => n.input![0]);
    expect(quantized).to.include.members(['x', 'r1', 'r2', 'f', 'logits']);
    expect(quantized).to.not.include('c1'); // not before the Relu
    expect(quantized).to.not.include('c2'); // nor before the Clip
    const biasDq = m.graph!.node!.find((n) => n.name === 'conv1_bias_DequantizeLinear')!;
    expect(m.graph!.initializer!.find((t) => t.name === biasDq.input![0])!.dataType).to.equal(
      onnx.TensorProto.DataType.INT32,
    );
    expect(report.points.map((p) => p.value)).to.include('r1');
    expect(report.points.find((p) => p.value === 'r1')!.min).to.be.at.least(0);
    expect(report.calibrationExamples).to.equal(4);
    const ops = await fused(bytes);
    expect(ops).to.include('QLinearConv');
    expect(ops).to.include('QGemm');
    expect(ops).to.not.include('Relu'); // folded into the quantization that follows it
    await closeTo(fp32, bytes, cnnData[1]!, 0.05);
  });

  it('static INT8 calibrates with the tfjs path observers (percentile narrows the range of minmax)', async () => {
    const minmax = await quantize(tinyCnn(), cnnData, { mode: 'static', compareCount: 0 });
    const pct = await quantize(tinyCnn(), cnnData, {
      mode: 'static',
      compareCount: 0,
      observer: { method: 'percentile', percentile: 99 },
    });
    const range = (r: typeof minmax, v: string) => r.report.points.find((p) => p.value === v)!;
    expect(range(pct, 'r1').max).to.be.below(range(minmax, 'r1').max);
    expect(pct.report.observer).to.equal('percentile');
  });

  for (const blockSize of [32, 64, 128]) {
    it(`weight-only int4: MatMulNBits in blocks of ${blockSize}, outputs near fp32`, async () => {
      const fp32 = tinyMlp();
      const { bytes, report } = await quantize(fp32, mlpData, { mode: 'weight-only', blockSize });
      const m = onnx.ModelProto.decode(bytes);
      const nbits = m.graph!.node!.filter((n) => n.opType === 'MatMulNBits');
      expect(nbits).to.have.length(2);
      expect(nbits.every((n) => n.domain === 'com.microsoft')).to.equal(true);
      expect(num(nbits[0]!.attribute!.find((a) => a.name === 'block_size')!.i)).to.equal(blockSize);
      expect(report.blockSize).to.equal(blockSize);
      expect(report.nodes.every((n) => n.weightBits === 4)).to.equal(true);
      expect(report.opset.to).to.equal(13);
      await closeTo(fp32, bytes, mlpData[0]!, 0.5);
    });
  }

  it('weight-only int4 leaves convolutions float and says how to store them in int8; layers gives them 8 bits', async () => {
    const { report } = await quantize(tinyCnn(), undefined, { mode: 'weight-only' });
    expect(report.nodes.map((n) => [n.name, n.form])).to.deep.equal([['fc', 'MatMulNBits']]);
    expect(report.skipped.find((s) => s.name === 'conv1')!.reason).to.match(
      /MatMulNBits, for MatMul and Gemm.*weightBits 8 in 'layers'/,
    );
    const { bytes, report: r8 } = await quantize(tinyCnn(), cnnData, {
      mode: 'weight-only',
      layers: { 'conv*': { weightBits: 8 }, dw2: { weightBits: 8 } },
    });
    expect(r8.nodes.map((n) => [n.name, n.form, n.weightBits])).to.deep.equal([
      ['conv1', 'DequantizeLinear', 8],
      ['dw2', 'DequantizeLinear', 8],
      ['fc', 'MatMulNBits', 4],
    ]);
    await closeTo(tinyCnn(), bytes, cnnData[0]!, 0.05);
  });

  it('float16 weights: half the bytes, cast back to float32, outputs within float16 rounding', async () => {
    const fp32 = tinyMlp();
    const { bytes, report } = await quantize(fp32, mlpData, { mode: 'float16' });
    expect(report.nodes.every((n) => n.form === 'float16')).to.equal(true);
    expect(opsOf(bytes).filter((o) => o === 'Cast')).to.have.length(3); // w1, b1 (MatMul + Add became a Gemm) and w2
    expect(report.sizeRatio).to.be.below(0.6);
    await closeTo(fp32, bytes, mlpData[0]!, 2e-3);
  });

  it('skip, only and layers use node-name patterns; an unmatched pattern names the nodes there are', async () => {
    const skip = await quantize(tinyMlp(), undefined, { mode: 'dynamic', skip: ['fc2'] });
    expect(skip.report.nodes.map((n) => n.name)).to.deep.equal(['fc1']);
    expect(skip.report.skipped).to.deep.equal([{ name: 'fc2', op: 'MatMul', reason: 'it matches a skip pattern' }]);
    const only = await quantize(tinyMlp(), undefined, {
      mode: 'dynamic',
      only: ['fc2'],
      layers: { 'fc*': { granularity: 'per-tensor' } },
    });
    expect(only.report.nodes.map((n) => [n.name, n.granularity])).to.deep.equal([['fc2', 'per-tensor']]);
    let error: unknown;
    try {
      await quantize(tinyMlp(), undefined, { mode: 'dynamic', skip: ['conv*'] });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.match(
      /skip patterns that match node names, got "conv\*" matching none. Nodes are: fc1, relu1, fc2/,
    );
  });

  it('refuses bad options with ConfigError', async () => {
    const cases: [unknown, RegExp][] = [
      [{ mode: 'int8' }, /mode one of dynamic, static, weight-only, float16/],
      [{ mode: 'dynamic', weightBits: 4 }, /weightBits 8 in mode dynamic/],
      [{ mode: 'weight-only', blockSize: 48 }, /blockSize 32, 64 or 128/],
      [{ mode: 'static' }, /calibration data for mode 'static'/],
      [{ mode: 'dynamic', weightSymmetric: false }, /symmetric weights in mode dynamic/],
      [{ mode: 'dynamic', observer: { method: 'median' } }, /method one of/],
    ];
    for (const [options, match] of cases) {
      let error: unknown;
      try {
        await quantize(tinyMlp(), undefined, options as Parameters<typeof quantize>[2]);
      } catch (e) {
        error = e;
      }
      expect(error, String(match)).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(match);
    }
  });

  it('leaves float a product whose weight is not a constant, and says why', async () => {
    const bytes = model({
      nodes: [node('MatMul', ['x', 'y'], ['z'], {}, 'mm')],
      inputs: [value('x', [2, 3]), value('y', [3, 2])],
      outputs: [value('z', [2, 2])],
    });
    const { report } = await quantize(bytes, undefined, { mode: 'dynamic' });
    expect(report.nodes).to.deep.equal([]);
    expect(report.skipped[0]!.reason).to.match(/not a float32 constant/);
    expect(report.warnings[0]).to.match(/No node was quantized/);
  });

  it('quantizes inside If branches: dynamic both, static the branch the calibration data takes (the other says why)', async () => {
    const branch = (name: string, seed: number): onnx.IGraphProto => ({
      name,
      node: [node('Conv', ['x', `${name}_w`], [`${name}_y`], { kernel_shape: { ints: [1, 1] } }, `${name}_conv`)],
      initializer: [weight(`${name}_w`, [4, 3, 1, 1], seed)],
      output: [value(`${name}_y`, ['N', 4, 2, 2])],
    });
    const cond = onnx.ModelProto.encode({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'g',
        node: [
          {
            opType: 'If',
            name: 'branch',
            input: ['c'],
            output: ['y'],
            attribute: [
              { name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('a', 1) },
              { name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('b', 2) },
            ],
          },
        ],
        input: [value('x', ['N', 3, 2, 2]), value('c', [], 9)],
        output: [value('y', ['N', 4, 2, 2])],
      },
    }).finish();
    const f = { ...feeds([1, 3, 2, 2], 5), c: { data: Uint8Array.of(1), dims: [], type: 'bool' as const } };
    const dyn = await quantize(cond, [f], { mode: 'dynamic' });
    expect(dyn.report.nodes.map((n) => [n.name, n.graph])).to.deep.equal([
      ['a_conv', 'main/branch.then_branch'],
      ['b_conv', 'main/branch.else_branch'],
    ]);
    expect(dyn.report.comparison!.outputs[0]!.maxAbsDiff).to.be.below(0.05);
    if (hasOnnxChecker()) expect(onnxCheck(dyn.bytes)).to.equal('');
    const stat = await quantize(cond, [f], { mode: 'static' });
    expect(stat.report.nodes.map((n) => [n.name, n.form])).to.deep.equal([['a_conv', 'QDQ']]);
    expect(stat.report.skipped).to.deep.equal([
      {
        name: 'b_conv',
        op: 'Conv',
        reason: 'a value it reads or writes was not produced on the calibration data (an If branch not taken)',
      },
    ]);
    expect(stat.report.points.map((p) => p.graph)).to.deep.equal([
      'main/branch.then_branch',
      'main/branch.then_branch',
    ]);
    expect(stat.report.comparison!.outputs[0]!.maxAbsDiff).to.be.below(0.05);
    if (hasOnnxChecker()) expect(onnxCheck(stat.bytes)).to.equal('');
  });

  it('raises an opset-11 model to 13 for INT8, and keeps it for int4 and float16', async () => {
    const fp32 = tinyCnn(11);
    expect((await quantize(fp32, cnnData, { mode: 'static', compareCount: 1 })).report.opset).to.deep.include({
      from: 11,
      to: 13,
    });
    expect((await quantize(fp32, undefined, { mode: 'float16' })).report.opset).to.deep.include({ from: 11, to: 11 });
  });

  it('every written model passes the ONNX checker', async function () {
    if (!hasOnnxChecker()) this.skip();
    for (const options of [
      { mode: 'dynamic' },
      { mode: 'static' },
      { mode: 'weight-only' },
      { mode: 'float16' },
    ] as const) {
      for (const [fp32, data] of [
        [tinyCnn(), cnnData],
        [tinyMlp(), mlpData],
      ] as const) {
        const { bytes } = await quantize(fp32, data, { ...options, compareCount: 1 });
        expect(onnxCheck(bytes), options.mode).to.equal('');
      }
    }
  });

  it('leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    await quantize(tinyMlp(), mlpData, { mode: 'weight-only', compareCount: 1 });
    await quantize(tinyCnn(), cnnData, { mode: 'static', compareCount: 1 });
    expect(tf.memory().numTensors).to.equal(before);
  });
});
