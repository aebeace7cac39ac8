// The layer graph for any size, on the full-size architectures (MobileNetV2, ResNet50,
// InceptionV3, EfficientNet-B0 as keras.applications builds them) and the real MobileNetV2 that
// nsfwjs ships: blocks hold every layer once, each block reads one tensor from before it, and the
// blocks are the architectures' own (Keras' names for them are facts of those architectures);
// skip edges are routed beside the boxes; precision comes from the model.json manifest.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { profileModel, LayerProfile } from '../../lib/profile';
import { layerBlocks, nameFamily } from '../../lib/profile/graph-blocks';
import { layoutGraph } from '../../lib/profile/graph-layout';
import { blockGraphSvg, graphSvg } from '../../lib/profile/graph-svg';
import { layerPrecisions } from '../../lib/profile/precision';
import { efficientNetB0, inceptionV3, mobileNetV2, resNet50 } from '../fixtures/architectures';
import { bundledArtifacts, loadNsfwMobileNetV2, NSFW_MOBILENET_V2 } from '../fixtures/real-models';

const profiles = new Map<string, LayerProfile[]>();

/** Profiles each architecture once (their weights are seeded, not trained: only the structure matters here). */
async function layersOf(name: string): Promise<LayerProfile[]> {
  if (!profiles.has(name)) {
    const build: Record<string, () => Promise<tf.LayersModel>> = {
      MobileNetV2: async () => mobileNetV2({ seed: 1 }),
      ResNet50: async () => resNet50({ seed: 1 }),
      InceptionV3: async () => inceptionV3({ seed: 1 }),
      'EfficientNet-B0': async () => efficientNetB0({ seed: 1 }),
      'nsfwjs MobileNetV2': loadNsfwMobileNetV2,
    };
    const m = await (build[name] as () => Promise<tf.LayersModel>)();
    profiles.set(name, (await profileModel(m)).layers);
    m.dispose();
  }
  return profiles.get(name) as LayerProfile[];
}

const NAMES = ['MobileNetV2', 'ResNet50', 'InceptionV3', 'EfficientNet-B0', 'nsfwjs MobileNetV2'];

describe('profile/graph: the layer graph of real-size models', function () {
  this.timeout(300_000);

  it('nameFamily: the name up to its first numbered part', () => {
    expect(nameFamily('block_3_expand_BN')).to.equal('block_3');
    expect(nameFamily('block2a_se_squeeze')).to.equal('block2a');
    expect(nameFamily('conv2_block1_out')).to.equal('conv2');
    expect(nameFamily('avg_pool')).to.equal(undefined);
  });

  for (const name of NAMES) {
    it(`${name}: blocks hold every layer once, in order, and each reads one tensor from before it`, async () => {
      const layers = await layersOf(name);
      expect(layers.length).to.be.greaterThan(80);
      const blocks = layerBlocks(layers);
      expect(blocks[0]?.start).to.equal(0);
      expect(blocks[blocks.length - 1]?.end).to.equal(layers.length);
      blocks.slice(1).forEach((b, k) => expect(b.start).to.equal(blocks[k]?.end));
      const index = new Map(layers.map((l, i) => [l.name, i]));
      for (const b of blocks) {
        const outside = new Set(
          layers.slice(b.start, b.end).flatMap((l) => l.inputs.filter((i) => !((index.get(i) ?? -1) >= b.start))),
        );
        expect(outside.size, `${b.label} reads ${[...outside].join(', ')}`).to.equal(1);
      }
      expect(blocks.length).to.be.within(10, 24); // an overview a reader can take in
    });
  }

  it("the blocks are the architectures' own: MobileNetV2's block_N, ResNet50's convX_blockY, InceptionV3's mixedN, EfficientNet's blockNx", async () => {
    const labels = async (name: string) => layerBlocks(await layersOf(name)).map((b) => b.label);
    const mobile = await labels('MobileNetV2');
    for (let n = 1; n <= 16; n++) expect(mobile).to.include(`block_${n}`);
    const resnet = (await labels('ResNet50')).filter((l) => /^conv\d_block\d$/.test(l));
    expect(resnet).to.have.length(16); // 3 + 4 + 6 + 3 bottleneck blocks
    const inception = layerBlocks(await layersOf('InceptionV3')).filter((b) => b.branched);
    expect(inception.map((b) => b.label.split(' … ')[1])).to.deep.equal(
      Array.from({ length: 11 }, (_, k) => `mixed${k}`),
    );
    const efficient = (await labels('EfficientNet-B0')).filter((l) => /^block\d[a-z]$/.test(l));
    expect(efficient).to.deep.equal([
      'block1a',
      'block2a',
      'block2b',
      'block3a',
      'block3b',
      'block4a',
      'block4b',
      'block4c',
      'block5a',
      'block5b',
      'block5c',
      'block6a',
      'block6b',
      'block6c',
      'block6d',
      'block7a',
    ]);
  });

  it('edges that skip rows pass beside every box of the rows they cross, and boxes of a row do not overlap', async () => {
    for (const name of ['ResNet50', 'InceptionV3']) {
      const layers = await layersOf(name);
      const w = 230;
      const layout = layoutGraph(
        layers.map((l) => ({ id: l.name, inputs: l.inputs, width: w })),
        { boxHeight: 46, gapX: 30, gapY: 26 },
      );
      const rows = new Map<number, number[]>();
      for (const b of layout.boxes.values()) rows.set(b.row, [...(rows.get(b.row) ?? []), b.x]);
      for (const xs of rows.values()) {
        const sorted = [...xs].sort((a, b) => a - b);
        sorted.slice(1).forEach((x, k) => expect(x - (sorted[k] as number)).to.be.at.least(w + 30 - 1e-6));
      }
      let skips = 0;
      for (const e of layout.edges)
        for (const v of e.via) {
          skips++;
          const row = Math.round((v.y - 23) / 72);
          for (const x of rows.get(row) ?? [])
            expect(v.x < x || v.x > x + w, `${name} ${e.from}->${e.to}`).to.equal(true);
        }
      expect(skips, name).to.be.greaterThan(0); // residual connections and short branches do skip rows
    }
  });

  it('draws every layer at any size: one box per layer, or one per block holding them all', async () => {
    const layers = await layersOf('InceptionV3');
    const svg = graphSvg(layers);
    expect(svg.match(/class="tfc-node tfc-layer"/g)).to.have.length(layers.length);
    const blocks = layerBlocks(layers);
    const overview = blockGraphSvg(layers, blocks, { href: (k) => `#b${k}` });
    const counts = [...overview.matchAll(/data-layers="(\d+)"/g)].map((m) => Number(m[1]));
    expect(counts).to.have.length(blocks.length);
    expect(counts.reduce((a, b) => a + b, 0)).to.equal(layers.length);
    expect(overview).to.contain('<a href="#b0">');
    const block = layers.slice(blocks[3]?.start, blocks[3]?.end);
    const detail = graphSvg(block, { showInputs: true });
    expect(detail.match(/class="tfc-node tfc-input"/g)).to.have.length(1); // the block's one input, dashed
  });

  it("precision from the real model.json manifest: nsfwjs's converter stored every weight as uint8; a plan's bits win", async () => {
    const layers = await layersOf('nsfwjs MobileNetV2');
    const specs = bundledArtifacts(NSFW_MOBILENET_V2).modelJson.weightsManifest.flatMap((g) => g.weights);
    const precision = layerPrecisions(layers, { specs });
    const weighted = layers.filter((l) => l.params > 0).map((l) => l.name);
    expect(Object.keys(precision).sort()).to.deep.equal([...weighted].sort());
    expect(new Set(Object.values(precision))).to.deep.equal(new Set(['uint8']));
    expect(layerPrecisions(layers, { specs, bits: { Conv1: 4 } }).Conv1).to.equal('int4');
    const svg = graphSvg(layers, { colour: 'precision', precision });
    expect(svg).to.contain('--fill-precision:#fdd0a2'); // the 8-bit colour
    expect(svg).to.contain('>8-bit</text>'); // in the legend
  });
});
