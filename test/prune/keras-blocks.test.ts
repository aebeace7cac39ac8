// Channel pruning on the building blocks of the Keras architectures users convert (as
// keras.applications writes them, at toy widths): MobileNetV2's inverted residual, ResNet50's
// bottleneck, InceptionV3's nested Concatenate, EfficientNet's MBConv with squeeze-excite. Each
// is pruned at sparsity 0.3 and checked against the oracle of test/helpers/channel-oracle.ts: the
// pruned model equals the original with the removed channels' consumer slices zeroed. BatchNorm
// statistics and betas are random, so a removed channel is not zero on its way to its consumers.
// The widths here sit below the runtimes' tiles, so these prune with roundTo: 1 (no rounding);
// the default, hardware-aware rounding has its own tests in round-to.test.ts.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { channels, ChannelReport } from '../../lib/prune/channels';
import { DependencyGraph } from '../../lib/prune/graph';
import { oracleDistances } from '../helpers/channel-oracle';
import { expectNoLeak } from '../helpers/leak';

type T = tf.SymbolicTensor;
let seed = 0;
const init = () => tf.initializers.glorotUniform({ seed: ++seed });
const conv =
  (
    name: string,
    filters: number,
    kernelSize: number,
    o: { strides?: number; padding?: 'same' | 'valid'; activation?: string; useBias?: boolean } = {},
  ) =>
  (x: T) =>
    tf.layers
      .conv2d({
        name,
        filters,
        kernelSize,
        strides: o.strides ?? 1,
        padding: o.padding ?? 'same',
        useBias: o.useBias ?? false,
        activation: o.activation as never,
        kernelInitializer: init(),
        biasInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: ++seed }),
      })
      .apply(x) as T;
/** BatchNormalization with random gamma, beta and moving statistics (not the identity a fresh layer is). */
const bn =
  (name: string, scale = true) =>
  (x: T) =>
    tf.layers
      .batchNormalization({
        name,
        scale,
        gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: ++seed }),
        betaInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: ++seed }),
        movingMeanInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: ++seed }),
        movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: ++seed }),
      })
      .apply(x) as T;
const act = (name: string, activation: string) => (x: T) =>
  tf.layers.activation({ name, activation: activation as never }).apply(x) as T;
const relu6 = (name: string) => (x: T) => tf.layers.reLU({ name, maxValue: 6 }).apply(x) as T;
const pipe = (x: T, ...fs: ((x: T) => T)[]) => fs.reduce((a, f) => f(a), x);
const head = (x: T) =>
  tf.layers
    .dense({ name: 'predictions', units: 5, kernelInitializer: init() })
    .apply(tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as T) as T;

/** MobileNetV2: ZeroPadding2D + strided stem, inverted residuals (expand, ReLU6, depthwise, project) with a residual Add. */
function mobileNetV2Block(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3], name: 'input' });
  const invertedResidual = (x: T, id: string, inC: number, outC: number, stride: number) => {
    let y = pipe(x, conv(`${id}_expand`, inC * 3, 1), bn(`${id}_expand_BN`), relu6(`${id}_expand_relu`));
    if (stride === 2)
      y = tf.layers
        .zeroPadding2d({
          name: `${id}_pad`,
          padding: [
            [0, 1],
            [0, 1],
          ],
        })
        .apply(y) as T;
    y = tf.layers
      .depthwiseConv2d({
        name: `${id}_depthwise`,
        kernelSize: 3,
        strides: stride,
        padding: stride === 2 ? 'valid' : 'same',
        useBias: false,
        depthwiseInitializer: init(),
      })
      .apply(y) as T;
    y = pipe(
      y,
      bn(`${id}_depthwise_BN`),
      relu6(`${id}_depthwise_relu`),
      conv(`${id}_project`, outC, 1),
      bn(`${id}_project_BN`),
    );
    return inC === outC && stride === 1 ? (tf.layers.add({ name: `${id}_add` }).apply([x, y]) as T) : y;
  };
  let x = tf.layers
    .zeroPadding2d({
      name: 'Conv1_pad',
      padding: [
        [0, 1],
        [0, 1],
      ],
    })
    .apply(input) as T;
  x = pipe(x, conv('Conv1', 8, 3, { strides: 2, padding: 'valid' }), bn('bn_Conv1'), relu6('Conv1_relu'));
  x = invertedResidual(x, 'block_1', 8, 8, 1);
  x = invertedResidual(x, 'block_2', 8, 12, 2);
  x = pipe(x, conv('Conv_1', 16, 1), bn('Conv_1_bn'), relu6('out_relu'));
  return tf.model({ inputs: input, outputs: head(x) });
}

/** ResNet50: ZeroPadding2D + 7x7 stem + max pool, a conv block (projection shortcut) and an identity block, Add + Activation. */
function resNetBottleneck(): tf.LayersModel {
  const input = tf.input({ shape: [20, 20, 3], name: 'input' });
  let x = tf.layers.zeroPadding2d({ name: 'conv1_pad', padding: 3 }).apply(input) as T;
  x = pipe(
    x,
    conv('conv1_conv', 8, 7, { strides: 2, padding: 'valid', useBias: true }),
    bn('conv1_bn'),
    act('conv1_relu', 'relu'),
  );
  x = tf.layers.zeroPadding2d({ name: 'pool1_pad', padding: 1 }).apply(x) as T;
  x = tf.layers.maxPooling2d({ name: 'pool1_pool', poolSize: 3, strides: 2 }).apply(x) as T;
  const block = (x: T, id: string, filters: number, shortcut: boolean) => {
    const s = shortcut ? pipe(x, conv(`${id}_0_conv`, 4 * filters, 1, { useBias: true }), bn(`${id}_0_bn`)) : x;
    const y = pipe(
      x,
      conv(`${id}_1_conv`, filters, 1, { useBias: true }),
      bn(`${id}_1_bn`),
      act(`${id}_1_relu`, 'relu'),
      conv(`${id}_2_conv`, filters, 3, { useBias: true }),
      bn(`${id}_2_bn`),
      act(`${id}_2_relu`, 'relu'),
      conv(`${id}_3_conv`, 4 * filters, 1, { useBias: true }),
      bn(`${id}_3_bn`),
    );
    return act(`${id}_out`, 'relu')(tf.layers.add({ name: `${id}_add` }).apply([s, y]) as T);
  };
  x = block(x, 'conv2_block1', 4, true);
  x = block(x, 'conv2_block2', 4, false);
  return tf.model({ inputs: input, outputs: head(x) });
}

/** InceptionV3: conv-BN(scale false)-ReLU units, a mixed block whose 3x3 branches are themselves Concatenates (mixed9), read by a 1x1 conv. */
function inceptionBlock(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 3], name: 'input' });
  let n = 0;
  const unit = (filters: number, kh: number, kw: number) => (x: T) => {
    const id = `conv2d_${++n}`;
    const y = tf.layers
      .conv2d({ name: id, filters, kernelSize: [kh, kw], padding: 'same', useBias: false, kernelInitializer: init() })
      .apply(x) as T;
    return pipe(y, bn(`batch_normalization_${n}`, false), act(`activation_${n}`, 'relu'));
  };
  const x = unit(8, 3, 3)(input);
  const b1x1 = unit(4, 1, 1)(x);
  const b3 = unit(6, 1, 1)(x);
  const b3x3 = tf.layers.concatenate({ name: 'mixed9_0' }).apply([unit(4, 1, 3)(b3), unit(4, 3, 1)(b3)]) as T;
  const bd = pipe(x, unit(6, 1, 1), unit(6, 3, 3));
  const bdbl = tf.layers.concatenate({ name: 'concatenate' }).apply([unit(4, 1, 3)(bd), unit(4, 3, 1)(bd)]) as T;
  const pool = unit(
    3,
    1,
    1,
  )(tf.layers.averagePooling2d({ name: 'average_pooling2d', poolSize: 3, strides: 1, padding: 'same' }).apply(x) as T);
  const mixed = tf.layers.concatenate({ name: 'mixed9' }).apply([b1x1, b3x3, bdbl, pool]) as T;
  return tf.model({ inputs: input, outputs: head(unit(10, 1, 1)(mixed)) });
}

/** EfficientNet-B0: Rescaling, ZeroPadding2D stem, MBConv (expand, swish, depthwise, squeeze-excite GAP -> Reshape -> Conv -> Conv(sigmoid) -> Multiply, project, Dropout, Add). */
function efficientNetMbConv(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3], name: 'input' });
  let x = tf.layers.rescaling({ name: 'rescaling', scale: 1 / 255 }).apply(input) as T;
  x = tf.layers
    .zeroPadding2d({
      name: 'stem_conv_pad',
      padding: [
        [0, 1],
        [0, 1],
      ],
    })
    .apply(x) as T;
  x = pipe(
    x,
    conv('stem_conv', 8, 3, { strides: 2, padding: 'valid' }),
    bn('stem_bn'),
    act('stem_activation', 'swish'),
  );
  const mbConv = (x: T, id: string, inC: number, outC: number) => {
    const c = inC * 4;
    let y = pipe(x, conv(`${id}expand_conv`, c, 1), bn(`${id}expand_bn`), act(`${id}expand_activation`, 'swish'));
    y = tf.layers
      .depthwiseConv2d({
        name: `${id}dwconv`,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
        depthwiseInitializer: init(),
      })
      .apply(y) as T;
    y = pipe(y, bn(`${id}bn`), act(`${id}activation`, 'swish'));
    let se = tf.layers.globalAveragePooling2d({ name: `${id}se_squeeze` }).apply(y) as T;
    se = tf.layers.reshape({ name: `${id}se_reshape`, targetShape: [1, 1, c] }).apply(se) as T;
    se = pipe(
      se,
      conv(`${id}se_reduce`, Math.max(1, inC / 4), 1, { activation: 'swish', useBias: true }),
      conv(`${id}se_expand`, c, 1, { activation: 'sigmoid', useBias: true }),
    );
    y = tf.layers.multiply({ name: `${id}se_excite` }).apply([y, se]) as T;
    y = pipe(y, conv(`${id}project_conv`, outC, 1), bn(`${id}project_bn`));
    if (inC !== outC) return y;
    y = tf.layers.dropout({ name: `${id}drop`, rate: 0.2 }).apply(y) as T;
    return tf.layers.add({ name: `${id}add` }).apply([y, x]) as T;
  };
  x = mbConv(x, 'block2a_', 8, 8);
  x = mbConv(x, 'block2b_', 8, 12);
  x = pipe(x, conv('top_conv', 16, 1), bn('top_bn'), act('top_activation', 'swish'));
  return tf.model({ inputs: input, outputs: head(x) });
}

const members = (r: ChannelReport, producer: string) => r.groups.find((g) => g.producers.includes(producer));

const BLOCKS: { name: string; build: () => tf.LayersModel; check: (r: ChannelReport) => void }[] = [
  {
    name: 'MobileNetV2 inverted residuals (ZeroPadding2D, ReLU6, depthwise, residual Add)',
    build: mobileNetV2Block,
    check: (r) => {
      // The stem and block_1's projection are summed by the Add: one group, with both BNs tied.
      expect(members(r, 'Conv1')).to.include({ channelsBefore: 8, channelsAfter: 6 });
      expect(members(r, 'Conv1')?.producers).to.deep.equal(['Conv1', 'block_1_project']);
      expect(members(r, 'Conv1')?.tied).to.deep.equal(['bn_Conv1', 'block_1_project_BN']);
      // An expansion group carries its BN, the depthwise conv and the depthwise BN.
      expect(members(r, 'block_2_expand')).to.deep.include({
        channelsBefore: 24,
        channelsAfter: 17,
        tied: ['block_2_expand_BN', 'block_2_depthwise', 'block_2_depthwise_BN'],
        consumers: ['block_2_project'],
      });
    },
  },
  {
    name: 'ResNet50 bottlenecks (ZeroPadding2D, projection and identity shortcuts, Add + Activation)',
    build: resNetBottleneck,
    check: (r) => {
      expect(members(r, 'conv2_block1_0_conv')?.producers).to.deep.equal([
        'conv2_block1_0_conv',
        'conv2_block1_3_conv',
        'conv2_block2_3_conv',
      ]);
      expect(members(r, 'conv2_block1_0_conv')).to.include({ channelsBefore: 16, channelsAfter: 11 });
      expect(members(r, 'conv1_conv')?.consumers).to.deep.equal(['conv2_block1_0_conv', 'conv2_block1_1_conv']);
    },
  },
  {
    name: 'InceptionV3 mixed block (nested Concatenate, BN without scale, average-pool branch)',
    build: inceptionBlock,
    check: (r) => {
      // The 1x1 conv after mixed9 reads all 6 groups the concatenates lay side by side.
      expect(r.groups.filter((g) => g.consumers.includes('conv2d_11')).map((g) => g.producers[0])).to.deep.equal([
        'conv2d_2',
        'conv2d_4',
        'conv2d_5',
        'conv2d_8',
        'conv2d_9',
        'conv2d_10',
      ]);
      expect(r.groups.filter((g) => g.consumers.includes('conv2d_11')).map((g) => g.channelsAfter)).to.deep.equal([
        3, 3, 3, 3, 3, 2,
      ]);
    },
  },
  {
    name: 'EfficientNet MBConv (Rescaling, swish, squeeze-excite Reshape and broadcast Multiply, Dropout, Add)',
    build: efficientNetMbConv,
    check: (r) => {
      // The gate's channels are the block's: se_expand joins the expansion group, se_reduce reads it through GAP and Reshape.
      expect(members(r, 'block2a_expand_conv')).to.deep.include({
        producers: ['block2a_expand_conv', 'block2a_se_expand'],
        tied: ['block2a_expand_bn', 'block2a_dwconv', 'block2a_bn'],
        consumers: ['block2a_se_reduce', 'block2a_project_conv'],
        channelsBefore: 32,
        channelsAfter: 22,
      });
      expect(members(r, 'stem_conv')?.producers).to.deep.equal(['stem_conv', 'block2a_project_conv']);
    },
  },
];

describe('prune/channels on Keras-style blocks', () => {
  for (const block of BLOCKS) {
    it(`${block.name}: sparsity 0.3 equals the original with the removed channels unread`, async () => {
      const model = block.build();
      const { model: pruned, report } = await channels(model, { roundTo: 1, sparsity: 0.3 });
      block.check(report);
      expect(
        report.groups
          .filter((g) => !g.reason)
          .every((g) => g.channelsBefore - g.channelsAfter === Math.round(0.3 * g.channelsBefore)),
      ).to.equal(true);
      expect(report.params.after).to.be.lessThan(report.params.before);
      expect(report.macs.after).to.be.lessThan(report.macs.before);
      const shape = (model.inputs[0] as T).shape.slice(1) as number[];
      const x = tf.randomUniform([4, ...shape], 0, 1, 'float32', 3);
      const { changed, diff, scale } = await oracleDistances(model, pruned, report, x);
      // The removed channels mattered (the check can fail), and removing them is reading them nowhere.
      expect(changed).to.be.greaterThan(1e-3 * scale);
      expect(diff).to.be.lessThan(1e-5 * Math.max(1, scale));
      x.dispose();
      [model, pruned].forEach((m) => m.dispose());
    });
  }

  it('the dependency graph of each block builds without a skip list, and channels leaks nothing', async () => {
    for (const block of BLOCKS) {
      const model = block.build();
      expect(new DependencyGraph(model).groups().length).to.be.greaterThan(2);
      await expectNoLeak(() => channels(model, { roundTo: 1, sparsity: 0.3, importance: 'bn' }));
      model.dispose();
    }
  });
});
