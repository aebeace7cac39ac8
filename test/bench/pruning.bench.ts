// Benchmark: (1) the sparse runtime (SparseMlp, CSR in plain TypeScript) against the dense
// tfjs-wasm forward pass of the same 90%-sparse SimpleNet, batch 1 and 256, on MNIST test images;
// (2) channel pruning at about half the MACs, original against pruned, batch 1 and 256: the course
// CNN, and the 16/32-filter CNN where convolutions dominate (plain widths, and widths rounded to
// whole tiles of 8 channels), each on tfjs-wasm as trained, tfjs-wasm in inference form and ONNX
// Runtime, all in the same interleaved rounds (median of the per-round ratios; course.pruningSpeedups).
// Both timed by the one benchmark harness (bench.benchmark); the machine and its load are recorded.
// Writes results/bench-pruning.json. Run: node --import tsx test/bench/pruning.bench.ts
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../course/results';
import { loadBaseline } from '../../course/models/baselines';
import { loadMnist } from '../../course/data/mnist';
import { toTensors } from '../../lib/data/tensors';
import { magnitude } from '../../lib/prune/magnitude';
import { channels } from '../../lib/prune/channels';
import { SparseMlp } from '../../lib/prune/sparse-mlp';
import { benchmark } from '../../lib/bench/harness';
import { loadWideCnn } from '../../course/models/wide-cnn';
import { pruningSpeedups, sparsityForMacs } from '../../course/channel-speed';
import { functionRuntime, tfjsRuntime } from '../../lib/bench/runtimes';

/** Channel pruning at about half the MACs: the course CNN, and the 16/32-filter CNN with plain and tile-rounded widths. */
async function channelBench(): Promise<Record<string, unknown>> {
  const speed = { batchSizes: [1, 256], rounds: 15 } as const;
  const figures: Record<string, unknown> = {};
  const measure = async (label: string, model: tf.LayersModel, sparsities: number[], roundTo: number) => {
    const { best, candidates } = await sparsityForMacs(model, 0.5, sparsities, { roundTo });
    // Latency does not depend on the weights' values: the fine-tuned model (notebook 03) runs the same kernels.
    const { model: pruned } = await channels(model, { sparsity: best.sparsity, roundTo });
    const s = await pruningSpeedups(model, pruned, speed);
    pruned.dispose();
    for (const [runtime, byBatch] of Object.entries(s)) {
      for (const [batch, f] of Object.entries(byBatch)) {
        console.log(
          `${label} (sparsity ${best.sparsity}, roundTo ${roundTo}, channels ${best.convChannels.join('/')}, ${(best.macsRatio * 100).toFixed(1)}% of MACs) ${runtime} ${batch}: ` +
            `${f.speedup.toFixed(2)}x (original ${f.originalP50Ms.toFixed(2)} ms, pruned ${f.prunedP50Ms.toFixed(2)} ms; rounds ${f.roundSpeedups.map((r) => r.toFixed(2)).join(' ')})`,
        );
      }
    }
    figures[label] = {
      sparsity: best.sparsity,
      roundTo,
      convChannels: best.convChannels,
      macsRatio: best.macsRatio,
      paramsRatio: best.paramsRatio,
      candidates,
      speedupBatch256: s.tfjsWasm.batch256?.speedup,
      speedupBatch1: s.tfjsWasm.batch1?.speedup,
      speedupBatch256InferenceForm: s.tfjsWasmInferenceForm.batch256?.speedup,
      ortSpeedupBatch256: s.ort.batch256?.speedup,
      ortSpeedupBatch1: s.ort.batch1?.speedup,
      speedups: s,
      idealSpeedup: 1 / best.macsRatio,
    };
  };
  const cnnBase = await loadBaseline('cnn');
  await measure('half', cnnBase.model, [0.2, 0.3, 0.35, 0.4, 0.5, 0.75], 1);
  cnnBase.model.dispose();
  const wide = await loadWideCnn();
  await measure('large', wide.model, [0.25, 0.3, 0.35, 0.4], 1);
  await measure('largeRounded', wide.model, [0.25, 0.3, 0.35, 0.4], 8);
  wide.model.dispose();
  return figures;
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg();
  await initBackend('wasm');
  const { model } = await loadBaseline('simplenet');
  const { xs: x, ys: y } = toTensors(loadMnist().test, { inputShape: [784], start: 0, end: 256 });
  const figures: Record<string, unknown> = {};
  for (const sparsity of [0.9, 0.95]) {
    const { model: pruned } = await magnitude(model, { sparsity });
    const mlp = SparseMlp.fromModel(pruned);
    const rows = await benchmark(
      [
        tfjsRuntime(pruned, 'wasm'),
        functionRuntime('sparse-csr', (v, n) => mlp.predict(v, n), { inputShape: [mlp.inputSize] }),
      ],
      {
        batchSizes: [1, 256],
        rounds: 5,
        warmupRuns: 10,
        runs: 50,
        minTimeMs: 500,
        input: x.dataSync() as Float32Array,
      },
    );
    const at = (runtime: string, bs: number) =>
      rows.find((r) => r.runtime === runtime && r.batchSize === bs)?.p50Ms as number;
    const batch = (bs: number) => ({
      denseP50Ms: at('tfjs-wasm', bs),
      sparseP50Ms: at('sparse-csr', bs),
      speedup: at('tfjs-wasm', bs) / at('sparse-csr', bs),
    });
    for (const bs of [1, 256]) {
      const f = batch(bs);
      console.log(
        `sparsity ${sparsity} batch ${bs}: dense tfjs-wasm p50 ${f.denseP50Ms.toFixed(3)} ms, sparse p50 ${f.sparseP50Ms.toFixed(3)} ms, ratio dense/sparse ${f.speedup.toFixed(2)}x`,
      );
    }
    figures[`sparsity${Math.round(sparsity * 100)}`] = {
      batch1: batch(1),
      batch256: batch(256),
      sparseSpeedupBatch1: batch(1).speedup,
      sparseSpeedupBatch256: batch(256).speedup,
    };
    pruned.dispose();
  }
  Object.assign(figures, await channelBench());
  saveResults('bench-pruning', {
    ...figures,
    backend: tf.getBackend(),
    loadAverage: { start: loadAtStart, end: os.loadavg() },
    note:
      'sparsityNN: one-shot magnitude pruning of the SimpleNet baseline, speedup = dense p50 / sparse p50. half (the course CNN), large and largeRounded (the 16/32-filter CNN; ' +
      'largeRounded keeps whole tiles of 8 channels): channel pruning at the sparsity closest to half the MACs; speedup = median over interleaved rounds of original p50 / pruned p50; ' +
      'speedupBatch256: tfjs-wasm, both models as trained; speedupBatch256InferenceForm: tfjs-wasm, both with BatchNormalization folded and ReLU fused; ortSpeedupBatch256: ONNX Runtime, both exported in inference form.',
  });
  tf.dispose([x, y]);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
