// The dependency graph and channel pruning on the Keras architectures of test/fixtures (small
// variants of MobileNetV2, ResNet50, InceptionV3 and EfficientNet-B0 built layer for layer as
// keras.applications): the groups the architecture implies, then sparsity 0.3 against the
// consumer-zeroed oracle (test/helpers/channel-oracle.ts). test/architectures/ checks the same
// models against the producer-zeroed oracle, profile and ONNX.
// The widths here sit below the runtimes' tiles, so these prune with roundTo: 1 (no rounding);
// the default, hardware-aware rounding has its own tests in round-to.test.ts.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { channels } from '../../lib/prune/channels';
import { DependencyGraph, PruningGroup } from '../../lib/prune/graph';
import { efficientNetB0, inceptionV3, mobileNetV2, resNet50 } from '../fixtures/architectures';
import { oracleDistances } from '../helpers/channel-oracle';

const groupOf = (gs: readonly PruningGroup[], producer: string) =>
  gs.find((g) => g.producers.includes(producer)) as PruningGroup;
const names = (m: tf.LayersModel, re: RegExp) => m.layers.map((l) => l.name).filter((n) => re.test(n));

const ARCHITECTURES: {
  name: string;
  build: () => tf.LayersModel;
  range: [number, number];
  groups: (m: tf.LayersModel, gs: PruningGroup[]) => void;
}[] = [
  {
    name: 'MobileNetV2 alpha 0.35, 32x32',
    range: [-1, 1],
    build: () =>
      mobileNetV2({ seed: 3, alpha: 0.35, inputShape: [32, 32, 3], classes: 10, classifierActivation: 'linear' }),
    groups: (m, gs) => {
      // Blocks 4-5 add to block 3's output, 7-9 to 6's, ...: one group per stage of residual Adds.
      expect(groupOf(gs, 'block_3_project').producers).to.deep.equal([
        'block_3_project',
        'block_4_project',
        'block_5_project',
      ]);
      expect(groupOf(gs, 'block_6_project').producers).to.deep.equal([
        'block_6_project',
        'block_7_project',
        'block_8_project',
        'block_9_project',
      ]);
      // Every expansion carries its BN, the depthwise conv and its BN.
      for (const e of names(m, /^block_\d+_expand$/))
        expect(groupOf(gs, e).tied, e).to.deep.equal([
          `${e}_BN`,
          e.replace('expand', 'depthwise'),
          `${e.replace('expand', 'depthwise')}_BN`,
        ]);
    },
  },
  {
    name: 'ResNet50 width 0.25, 32x32',
    range: [-1, 1],
    build: () =>
      resNet50({ seed: 3, width: 0.25, inputShape: [32, 32, 3], classes: 10, classifierActivation: 'linear' }),
    groups: (_m, gs) => {
      // A stage's projection shortcut and every block's last conv are summed: one group per stage.
      expect([2, 3, 4, 5].map((s) => groupOf(gs, `conv${s}_block1_0_conv`).producers.length)).to.deep.equal([
        1 + 3,
        1 + 4,
        1 + 6,
        1 + 3,
      ]);
    },
  },
  {
    name: 'InceptionV3 width 0.25, 75x75',
    range: [-1, 1],
    build: () =>
      inceptionV3({ seed: 3, width: 0.25, inputShape: [75, 75, 3], classes: 10, classifierActivation: 'linear' }),
    groups: (_m, gs) => {
      // mixed10 = [1x1, [1x3, 3x1], [1x3, 3x1] of the double 3x3, pool branch]: six groups side by side.
      expect(gs.filter((g) => g.consumers.includes('predictions')).length).to.equal(6);
      expect(gs.every((g) => g.producers.length === 1)).to.equal(true);
    },
  },
  {
    name: 'EfficientNet-B0 width 0.5, depth 0.5, 32x32',
    range: [0, 255],
    build: () =>
      efficientNetB0({
        seed: 3,
        widthCoefficient: 0.5,
        depthCoefficient: 0.5,
        inputShape: [32, 32, 3],
        classes: 10,
        classifierActivation: 'linear',
      }),
    groups: (m, gs) => {
      // Squeeze-excite: the gate (se_expand) is multiplied into its block, so it joins the block's channels.
      for (const se of names(m, /se_expand$/)) {
        const block = se.replace('se_expand', '');
        expect(groupOf(gs, se).producers, se).to.include(block === 'block1a_' ? 'stem_conv' : `${block}expand_conv`);
      }
    },
  },
];

describe('prune on the Keras architectures (small variants)', () => {
  for (const arch of ARCHITECTURES) {
    it(`${arch.name}: the groups, and sparsity 0.3 equals the original with the removed channels unread`, async () => {
      const model = arch.build();
      const groups = new DependencyGraph(model).groups();
      arch.groups(model, groups);
      expect(groups.filter((g) => g.frozen).map((g) => g.reason)).to.deep.equal([
        'reaches the model output (predictions)',
      ]);
      const { model: pruned, report } = await channels(model, { roundTo: 1, sparsity: 0.3 });
      expect(
        report.groups
          .filter((g) => !g.reason)
          .every((g) => g.channelsAfter === g.channelsBefore - Math.round(0.3 * g.channelsBefore)),
      ).to.equal(true);
      const shape = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
      const x = tf.randomUniform([2, ...shape], arch.range[0], arch.range[1], 'float32', 5);
      const { changed, diff, scale } = await oracleDistances(model, pruned, report, x);
      expect(changed).to.be.greaterThan(1e-3 * scale);
      expect(diff).to.be.lessThan(1e-5 * Math.max(1, scale));
      x.dispose();
      [model, pruned].forEach((m) => m.dispose());
    });
  }
});
