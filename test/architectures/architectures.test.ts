// Full-size Keras architectures (the models users convert with the TensorFlow.js converter) through
// the library: parameter counts, MACs, the pruning dependency graph, channel pruning, ONNX export.
// Slow: builds ResNet50 and InceptionV3 at full size (tens of seconds each on one wasm thread).
//
// Numerics: the models end in logits (classifierActivation 'linear'), stricter than softmax
// outputs, which squash differences; logits here are of order 0.1-1.
//
// MAC counting rules (the registry lib/core/layers.ts, glossary in lib/core/README.md): convolutions and
// Dense count their multiply-adds; BatchNormalization one per output element; pooling one per
// window element (global pooling one per input element); Multiply one per output element;
// Rescaling one per element; activations, padding, Add, Concatenate, Reshape, Dropout zero.
// The papers count convolutions and fully connected layers only, in multiply-adds (He et al. call
// them FLOPs, Tan & Le FLOPS): our totals sit a few percent above what they count; the conv +
// dense part is printed next to the total.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { profileModel, ProfileReport } from '../../lib/profile/profile-model';
import { DependencyGraph, PruningGroup } from '../../lib/prune/graph';
import { channels } from '../../lib/prune/channels';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { runTflite, tfliteInterpreter } from '../../lib/export/tflite/runtime';
import { Rng } from '../../lib/core/rng';
import { ARCHITECTURES } from '../fixtures/architectures/catalog';
import { zeroRemovedChannels } from '../helpers/zero-removed';

/** A seeded input batch in the model's range. */
function input(model: tf.LayersModel, batch: number, [lo, hi]: readonly [number, number]): tf.Tensor {
  const shape = [batch, ...(model.inputs[0] as tf.SymbolicTensor).shape.slice(1)] as number[];
  const rng = new Rng(7);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng.next()),
    shape,
  );
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

/** The group whose producers include `name`. */
function groupOf(groups: readonly PruningGroup[], name: string): PruningGroup {
  const g = groups.find((x) => x.producers.includes(name));
  if (!g) throw new Error(`no group produced by ${name}`);
  return g;
}

/** Architecture-specific checks of the dependency graph. */
const GRAPH_CHECKS: Record<string, (graph: DependencyGraph, groups: PruningGroup[]) => void> = {
  // Residual Adds: the projections of blocks 1-2, 3-5, 6-9, 10-12, 13-15 each form one group.
  MobileNetV2(_graph, groups) {
    for (const blocks of [
      [1, 2],
      [3, 4, 5],
      [6, 7, 8, 9],
      [10, 11, 12],
      [13, 14, 15],
    ]) {
      const g = groupOf(groups, `block_${blocks[0]}_project`);
      expect([...g.producers].sort()).to.deep.equal(blocks.map((b) => `block_${b}_project`).sort());
      expect(g.tied).to.include.members(blocks.map((b) => `block_${b}_project_BN`));
      expect(g.frozen).to.equal(false);
    }
    expect(groupOf(groups, 'Conv1').tied).to.include.members([
      'bn_Conv1',
      'expanded_conv_depthwise',
      'expanded_conv_depthwise_BN',
    ]);
    expect(groupOf(groups, 'block_1_expand').tied).to.include.members(['block_1_depthwise', 'block_1_depthwise_BN']);
  },
  // Each stage's Adds unite its projection shortcut and every block's last conv.
  ResNet50(_graph, groups) {
    for (const [stage, blocks] of [
      [2, 3],
      [3, 4],
      [4, 6],
      [5, 3],
    ] as const) {
      const g = groupOf(groups, `conv${stage}_block1_0_conv`);
      const convs = [
        `conv${stage}_block1_0_conv`,
        ...Array.from({ length: blocks }, (_, i) => `conv${stage}_block${i + 1}_3_conv`),
      ];
      expect([...g.producers].sort()).to.deep.equal(convs.sort());
      expect(g.channels).to.equal(256 * 2 ** (stage - 2));
      expect(g.frozen).to.equal(false);
    }
    expect(groupOf(groups, 'conv1_conv').consumers).to.have.members(['conv2_block1_0_conv', 'conv2_block1_1_conv']);
  },
  // No merges: every conv is its own group; Concatenates lay their branches side by side, nested
  // in mixed9 / mixed10, and pass through pooling into the next Concatenate (mixed3, mixed8).
  InceptionV3(graph, groups) {
    expect(groups.length).to.equal(95); // 94 convs + the Dense output
    expect(groups.every((g) => g.producers.length === 1)).to.equal(true);
    const parts = (name: string) => {
      const s = graph.spaces.get(name);
      if (s?.kind !== 'concat') throw new Error(`${name} is not a concatenation`);
      return s.parts.map((p) => [p.kind, graph.size(p)]);
    };
    expect(parts('mixed0')).to.deep.equal([
      ['leaf', 64],
      ['leaf', 64],
      ['leaf', 96],
      ['leaf', 32],
    ]);
    expect(parts('mixed3')).to.deep.equal([
      ['leaf', 384],
      ['leaf', 96],
      ['concat', 288],
    ]);
    expect(parts('mixed9')).to.deep.equal([
      ['leaf', 320],
      ['concat', 768],
      ['concat', 768],
      ['leaf', 192],
    ]);
    expect(parts('mixed9_0')).to.deep.equal([
      ['leaf', 384],
      ['leaf', 384],
    ]);
    // Keeping only channel 0 of every group, mixed9's channels are at the parts' offsets.
    const keepFirst = new Map(groups.map((g) => [g.id, [0]]));
    expect(graph.keptIndices(graph.spaces.get('mixed9')!, keepFirst)).to.deep.equal([0, 320, 704, 1088, 1472, 1856]);
  },
  // Squeeze-excite: Multiply unites the gate conv (se_expand) with the block's depthwise channels.
  'EfficientNet-B0'(_graph, groups) {
    const blocks = ['1a', '2a', '2b', '3a', '3b', '4a', '4b', '4c', '5a', '5b', '5c', '6a', '6b', '6c', '6d', '7a'];
    for (const b of blocks) {
      const g = groupOf(groups, `block${b}_se_expand`);
      expect(g.producers).to.have.members([b === '1a' ? 'stem_conv' : `block${b}_expand_conv`, `block${b}_se_expand`]);
      expect(g.tied).to.include.members([`block${b}_dwconv`, `block${b}_bn`]);
      expect(g.consumers).to.include.members([`block${b}_se_reduce`, `block${b}_project_conv`]);
      const reduce = groupOf(groups, `block${b}_se_reduce`);
      expect(reduce.producers).to.deep.equal([`block${b}_se_reduce`]);
      expect(reduce.consumers).to.deep.equal([`block${b}_se_expand`]);
    }
    expect(groupOf(groups, 'block6a_project_conv').producers).to.have.members([
      'block6a_project_conv',
      'block6b_project_conv',
      'block6c_project_conv',
      'block6d_project_conv',
    ]);
  },
};

describe('full-size Keras architectures (slow)', function () {
  this.timeout(900_000);

  for (const arch of ARCHITECTURES) {
    describe(arch.name, () => {
      let model: tf.LayersModel;
      let profile: ProfileReport;
      before(() => {
        const t0 = Date.now();
        model = arch.build();
        console.log(`      ${arch.name}: built in ${Date.now() - t0} ms (${model.layers.length} layers)`);
      });
      after(() => model.dispose());

      it(`has keras.applications' parameter count`, async () => {
        profile = await profileModel(model);
        expect(profile.totals.params).to.equal(arch.kerasParams - arch.missingParams);
        expect(model.countParams()).to.equal(profile.totals.params);
      });

      it('has MACs within 5% of the published figure', () => {
        const convDense = profile.layers
          .filter((l) => ['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(l.className))
          .reduce((a, l) => a + (l.macs ?? 0), 0);
        const ratio = profile.totals.macs / arch.paperMacs;
        console.log(
          `      ${arch.name}: ${profile.totals.macs} MACs (conv + dense ${convDense}); published ${arch.paperMacs} [${arch.paperSource}]; ratio ${ratio.toFixed(4)}`,
        );
        expect(profile.warnings).to.deep.equal([]);
        expect(Math.abs(ratio - 1)).to.be.below(0.05);
      });

      it('the pruning dependency graph finds its residual / concatenation / squeeze-excite structure', () => {
        const graph = new DependencyGraph(model);
        const groups = graph.groups();
        // Only the groups reaching the model's output (the Dense logits) are frozen.
        expect(groups.filter((g) => g.frozen).map((g) => g.producers)).to.deep.equal([['predictions']]);
        (GRAPH_CHECKS[arch.name] as (g: DependencyGraph, gs: PruningGroup[]) => void)(graph, groups);
      });

      it('exports to ONNX fp32 and runs in ONNX Runtime within 1e-4 of tfjs (logits)', async () => {
        const x = input(model, 2, arch.inputRange);
        const onnxModel = toOnnx(model);
        const session = await ortSession(onnxModel);
        try {
          const got = await runOrt(session, x.dataSync() as Float32Array, x.shape);
          const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
          const diff = maxAbsDiff(want, got.data);
          console.log(
            `      ${arch.name}: ONNX ${onnxModel.report.sizeBytes} bytes, max |tfjs - ORT| = ${diff.toExponential(2)}`,
          );
          expect(got.dims).to.deep.equal([2, 1000]);
          expect(diff).to.be.at.most(1e-4);
        } finally {
          await session.release();
          x.dispose();
        }
      });

      it('exports to TFLite fp32 and runs in TFLite (tfjs-tflite-node) within 1e-4 of tfjs (logits)', () => {
        const x = input(model, 2, arch.inputRange);
        try {
          const tflite = toTflite(model, { batchSize: 2 });
          const got = runTflite(tfliteInterpreter(tflite), x.dataSync() as Float32Array);
          const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
          const diff = maxAbsDiff(want, got);
          console.log(
            `      ${arch.name}: TFLite ${tflite.report.sizeBytes} bytes, max |tfjs - TFLite| = ${diff.toExponential(2)}`,
          );
          expect(got.length).to.equal(2000);
          expect(diff).to.be.at.most(1e-4);
        } finally {
          x.dispose();
        }
      });

      // Last: it zeroes channels of the fixture in place.
      it('prune.channels at sparsity 0.3 equals zeroing the removed channels in the original', async () => {
        const numTensors = tf.memory().numTensors;
        // Unrounded counts, for the exact arithmetic below (test/prune/round-to.test.ts covers the default rounding).
        const { model: pruned, report } = await channels(model, { sparsity: 0.3, roundTo: 1 });
        const x = input(model, 2, arch.inputRange);
        try {
          const cut = report.groups.filter((g) => g.channelsAfter < g.channelsBefore);
          expect(cut.length).to.equal(report.groups.filter((g) => !g.reason).length);
          expect(cut.length).to.be.above(0);
          for (const g of cut) expect(g.channelsAfter).to.equal(g.channelsBefore - Math.round(0.3 * g.channelsBefore));
          expect(report.params.after).to.be.below(report.params.before);
          const want = tf.tidy(() => (pruned.predict(x) as tf.Tensor).dataSync());
          const before = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
          const zeroedChannels = zeroRemovedChannels(model, report);
          const got = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
          const diff = maxAbsDiff(want, got);
          console.log(
            `      ${arch.name}: ${cut.length} groups cut, ${zeroedChannels} channels; params ${report.params.before} -> ${report.params.after}, ` +
              `MACs ${report.macs.before} -> ${report.macs.after}; max |pruned - zeroed| = ${diff.toExponential(2)}, vs unpruned ${maxAbsDiff(want, before).toExponential(2)}`,
          );
          expect(diff).to.be.at.most(1e-4);
          // Pruning changed the function: the comparison is not trivially equal.
          expect(maxAbsDiff(want, before)).to.be.above(100 * Math.max(diff, 1e-7));
        } finally {
          pruned.dispose();
          x.dispose();
        }
        expect(tf.memory().numTensors).to.equal(numTensors);
      });
    });
  }
});
