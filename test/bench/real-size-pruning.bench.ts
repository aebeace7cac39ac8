// Benchmark: weight pruning at real layer shapes. The library's sparse kernel (prune's
// SparseMlp: CSR storage, a scatter loop over the nonzero inputs) against the dense matrix
// product of tfjs-wasm, on the Dense and 1x1-convolution shapes of ResNet50 and MobileNetV2
// (a 1x1 convolution is a matrix product with one row per pixel: rows = batch x H x W), at 90%
// of the weights pruned by magnitude. Inputs are post-ReLU-like (half of them zero, which the
// sparse kernel skips). Batch 1 and batch 8, timed in interleaved rounds by the library's
// harness; sizes as the CSR file (8-bit relative indices) against the dense fp32 bytes.
// Answers: where does unstructured sparsity pay on a CPU, and where not?
// Writes results/bench-real-size.json, key weightPruning.* (merged).
// Run: node --import tsx test/bench/real-size-pruning.bench.ts   (~3 min)
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { Rng } from '../../lib/core/rng';
import { encodeCsr, csrBytes } from '../../lib/core/csr';
import { SparseMlp } from '../../lib/prune/sparse-mlp';
import { benchmark } from '../../lib/bench/harness';
import { functionRuntime, tfjsRuntime } from '../../lib/bench/runtimes';
import { saveRealSize } from './real-size-results';

const SPARSITY = 0.9;
/** [name, inputs, outputs, pixels per example (1 for a Dense layer; H x W for a 1x1 conv)]. */
const SHAPES: readonly [string, number, number, number][] = [
  ['resnet50.predictions (Dense 2048x1000)', 2048, 1000, 1],
  ['mobilenetv2.predictions (Dense 1280x1000)', 1280, 1000, 1],
  ['resnet50.conv5_block3_1 (1x1 2048x512 at 7x7)', 2048, 512, 49],
  ['mobilenetv2.block_16_project (1x1 960x320 at 7x7)', 960, 320, 49],
  ['resnet50.conv2_block1_3 (1x1 64x256 at 56x56)', 64, 256, 3136],
];
const BATCHES = [1, 8];

async function main(): Promise<void> {
  await initBackend('wasm');
  const rng = new Rng(3);
  const cases: Record<string, unknown>[] = [];
  for (const [name, inputs, outputs, pixels] of SHAPES) {
    // Seeded weights, pruned to 90% by magnitude (the smallest |w| zeroed).
    const w = Float32Array.from({ length: inputs * outputs }, () => rng.next() * 2 - 1);
    const threshold = [...w].map(Math.abs).sort((a, b) => a - b)[Math.floor(SPARSITY * w.length)] as number;
    for (let i = 0; i < w.length; i++) if (Math.abs(w[i] as number) < threshold) w[i] = 0;
    const csr = encodeCsr(w, inputs, outputs, 8);
    const sparse = new SparseMlp([{ name, kernel: csr, bias: new Float32Array(outputs), activation: 'linear' }]);
    const dense = tf.sequential({
      layers: [tf.layers.dense({ units: outputs, inputShape: [inputs], useBias: true, name: 'dense' })],
    });
    dense.layers[0]?.setWeights([tf.tensor2d(w, [inputs, outputs]), tf.zeros([outputs])]);
    // One example's rows (pixels x inputs), half zero as after a ReLU.
    const input = Float32Array.from({ length: pixels * inputs }, () => Math.max(0, rng.next() * 2 - 1));
    // The harness takes at most 4,096 rows a call: 56x56 pixels at batch 8 would be 25,088.
    const batches = BATCHES.filter((b) => b * pixels <= 4096);
    const rows = await benchmark(
      [
        tfjsRuntime(dense, 'wasm', { model: name }),
        functionRuntime('sparse-csr', (x, n) => sparse.predict(x, n), { inputShape: [inputs], model: name }),
      ],
      { input, batchSizes: batches.map((b) => b * pixels), rounds: 5, warmupRuns: 1, runs: 5, minTimeMs: 20 },
    );
    const at = (runtime: string, b: number) =>
      rows.find((r) => r.runtime === runtime && r.batchSize === b * pixels)?.p50Ms ?? NaN;
    const row = {
      layer: name,
      inputs,
      outputs,
      pixels,
      sparsity: SPARSITY,
      denseBytes: 4 * inputs * outputs,
      csrBytes: csrBytes(csr),
      sizeRatio: csrBytes(csr) / (4 * inputs * outputs),
      ...Object.fromEntries(
        batches.flatMap((b) => [
          [`denseMsBatch${b}`, at('tfjs-wasm', b)],
          [`sparseMsBatch${b}`, at('sparse-csr', b)],
          [`sparseSpeedupBatch${b}`, at('tfjs-wasm', b) / at('sparse-csr', b)],
        ]),
      ),
    };
    console.log(JSON.stringify(row));
    cases.push(row);
    dense.dispose();
  }
  const speedups = cases.map((c) => c.sparseSpeedupBatch1 as number);
  saveRealSize({
    weightPruning: {
      kernel: 'prune.SparseMlp (CSR, plain TypeScript) vs tfjs-wasm dense matMul (XNNPACK), one thread',
      sparsity: SPARSITY,
      cases,
      paysAtBatch1: cases.filter((c) => (c.sparseSpeedupBatch1 as number) > 1).map((c) => c.layer),
      paysAtBatch8: cases.filter((c) => (c.sparseSpeedupBatch8 as number) > 1).map((c) => c.layer),
      notPayingAtBatch8: cases
        .filter((c) => c.sparseSpeedupBatch8 !== undefined && (c.sparseSpeedupBatch8 as number) <= 1)
        .map((c) => c.layer),
      bestSpeedupBatch1: Math.max(...speedups),
      denseLayerSpeedupBatch1: cases[0]?.sparseSpeedupBatch1,
      denseLayerSpeedupBatch8: cases[0]?.sparseSpeedupBatch8,
      sizeRatio: cases[0]?.sizeRatio,
    },
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
