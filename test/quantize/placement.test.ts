import { expect } from 'chai';
import { activationPoints, dynamicPoints } from '../../lib/quantize/placement';
import { foldBatchNorm } from '../../lib/quantize/fold-batchnorm';
import { modelGraph } from '../../lib/core/graph';
import { simpleNet } from '../../course/models/simplenet';
import { miniMobileNet, residualModel } from './fixtures';

const points = (ds: ReturnType<typeof activationPoints>) => ds.filter((d) => d.point).map((d) => d.layer);
const of = (ds: ReturnType<typeof activationPoints>, layer: string) => ds.find((d) => d.layer === layer);

describe('quantize/placement (where activations are quantized)', () => {
  it('MobileNetV2-style, BN folded: points after each ReLU6, none between conv and ReLU6; padding on its input grid', async () => {
    const m = miniMobileNet(1);
    const { model: folded } = await foldBatchNorm(m);
    const ds = activationPoints(modelGraph(folded));
    expect(points(ds)).to.deep.equal([
      'input',
      'Conv1_relu',
      'expanded_conv_depthwise_relu',
      'expanded_conv_project',
      'block_1_expand_relu',
      'block_1_depthwise_relu',
      'block_1_project',
      'block_2_expand_relu',
      'block_2_depthwise_relu',
      'block_2_project',
      'block_2_add',
      'out_relu',
      'global_average_pooling2d',
      'predictions',
    ]);
    expect(of(ds, 'Conv1')?.reason).to.match(/fused with Conv1_relu \(relu6\)/);
    expect(of(ds, 'block_1_depthwise')?.point).to.equal(false);
    expect(of(ds, 'Conv1_pad')).to.include({ point: false, grid: 'input' });
    expect(of(ds, 'block_1_pad')).to.include({ point: false, grid: 'block_1_expand_relu' });
    expect(of(ds, 'predictions')?.reason).to.equal('output of Dense (softmax)');
    folded.dispose();
    m.dispose();
  });

  it("'layer-output' placement puts a point before every separate activation too", async () => {
    const m = miniMobileNet(2);
    const { model: folded } = await foldBatchNorm(m);
    const ds = activationPoints(modelGraph(folded), { placement: 'layer-output' });
    expect(of(ds, 'Conv1')?.point).to.equal(true);
    expect(of(ds, 'block_1_depthwise')?.point).to.equal(true);
    expect(of(ds, 'block_1_pad')?.point).to.equal(false);
    // Seven convs are fused in the default placement: Conv1, expanded_conv_depthwise, block_1/2 expand and depthwise, Conv_1.
    expect(points(ds).length).to.equal(points(activationPoints(modelGraph(folded))).length + 7);
    folded.dispose();
    m.dispose();
  });

  it('Add followed by ReLU fuses; a sigmoid does not; concatenation gets its own grid; a shared conv output stays a point', async () => {
    const m = residualModel(3);
    const { model: folded } = await foldBatchNorm(m);
    const ds = activationPoints(modelGraph(folded));
    expect(of(ds, 'add')?.reason).to.match(/fused with add_relu \(relu\)/);
    expect(of(ds, 'c1')?.point).to.equal(true); // its consumer is the Add, not an activation
    expect(of(ds, 'c2')?.reason).to.match(/consumer sig \(sigmoid\) is not fusable/);
    expect(of(ds, 'sig')?.point).to.equal(true);
    expect(of(ds, 'c3')?.point).to.equal(true); // read by r3 and by the concatenation
    expect(of(ds, 'cat')?.reason).to.match(/concatenation: own grid/);
    expect(points(ds)).to.deep.equal(['image', 'c1', 'add_relu', 'c2', 'sig', 'c3', 'r3', 'cat', 'gap', 'out']);
    folded.dispose();
    m.dispose();
  });

  it('skip leaves a layer output float; dynamic points are the inputs of quantized Dense layers', () => {
    const m = simpleNet({ seed: 1 });
    const g = modelGraph(m);
    expect(of(activationPoints(g, { skip: ['fc3'] }), 'fc3')).to.include({
      point: false,
      reason: 'in skip: left float',
    });
    expect(dynamicPoints(g, (n) => n !== 'fc2')).to.deep.equal([
      { layer: 'fc1', input: 'fc1_input' },
      { layer: 'fc3', input: 'fc2' },
    ]);
    m.dispose();
  });
});
