// Benchmark: (1) the sparse runtime (SparseMlp, CSR in plain TypeScript) against the dense
// tfjs-wasm forward pass of the same 90%-sparse SimpleNet, batch 1 and 256, on MNIST test images;
// (2) the channel-pruned CNN with about half the MACs against the original, on wasm, batch 1 and
// 256, the two models interleaved in rounds (median of the per-round ratios). Both timed by the
// one benchmark harness (bench.benchmark).
// Writes results/bench-pruning.json. Run: node --import tsx test/bench/pruning.bench.ts
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../lib/course/results';
import { loadBaseline } from '../../lib/models/baselines';
import { loadMnist } from '../../lib/data/mnist';
import { toTensors } from '../../lib/data/tensors';
import { magnitude } from '../../lib/prune/magnitude';
import { channels } from '../../lib/prune/channels';
import { SparseMlp } from '../../lib/prune/sparse-mlp';
import { benchmark } from '../../lib/bench/harness';
import { functionRuntime, tfjsRuntime } from '../../lib/bench/runtimes';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The CNN pruned to about half its MACs (same choice as notebook 03), timed against the original. */
async function channelBench(): Promise<Record<string, unknown>> {
  const { model } = await loadBaseline('cnn');
  let best: { ratio: number; macsRatio: number } | undefined;
  for (const ratio of [0.2, 0.3, 0.35, 0.4, 0.5, 0.75]) {
    const c = await channels(model, { sparsity: ratio, importance: 'l1' });
    const macsRatio = c.report.macs.after / c.report.macs.before;
    if (!best || Math.abs(macsRatio - 0.5) < Math.abs(best.macsRatio - 0.5)) best = { ratio, macsRatio };
    c.model.dispose();
  }
  const half = await channels(model, { sparsity: best!.ratio, importance: 'l1' });
  const rows = await benchmark([tfjsRuntime(model, 'wasm', { model: 'original' }), tfjsRuntime(half.model, 'wasm', { model: 'pruned' })],
    { batchSizes: [1, 256], rounds: 7, runs: 15, warmupRuns: 3, minTimeMs: 500 });
  const roundsOf = (m: string, b: number) => rows.find((r) => r.model === m && r.batchSize === b)?.roundP50Ms as number[];
  const ratios = (b: number) => roundsOf('original', b).map((t, i) => t / (roundsOf('pruned', b)[i] as number));
  const [s1, s256] = [ratios(1), ratios(256)];
  for (const r of rows) console.log(`channels ${r.model} batch ${r.batchSize}: round medians ${r.roundP50Ms.map((t) => t.toFixed(3)).join(', ')} ms`);
  console.log(`channel-pruned CNN (ratio ${best!.ratio}, ${(best!.macsRatio * 100).toFixed(1)}% of MACs): ratio original/pruned ${median(s1).toFixed(2)}x at batch 1, ${median(s256).toFixed(2)}x at batch 256 (median of 7 rounds)`);
  half.model.dispose();
  model.dispose();
  return { ratio: best!.ratio, macsRatio: best!.macsRatio, speedupBatch1: median(s1), speedupBatch256: median(s256), roundsBatch256: s256, roundsBatch1: s1 };
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const { model } = await loadBaseline('simplenet');
  const { xs: x, ys: y } = toTensors(loadMnist().test, { inputShape: [784], start: 0, end: 256 });
  const figures: Record<string, unknown> = {};
  for (const sparsity of [0.9, 0.95]) {
    const { model: pruned } = await magnitude(model, { sparsity });
    const mlp = SparseMlp.fromModel(pruned);
    const rows = await benchmark([tfjsRuntime(pruned, 'wasm'), functionRuntime('sparse-csr', (v, n) => mlp.predict(v, n), { inputShape: [mlp.inputSize] })],
      { batchSizes: [1, 256], rounds: 5, warmupRuns: 10, runs: 50, minTimeMs: 500, input: x.dataSync() as Float32Array });
    const at = (runtime: string, bs: number) => rows.find((r) => r.runtime === runtime && r.batchSize === bs)?.p50Ms as number;
    const batch = (bs: number) => ({ denseP50Ms: at('tfjs-wasm', bs), sparseP50Ms: at('sparse-csr', bs), speedup: at('tfjs-wasm', bs) / at('sparse-csr', bs) });
    for (const bs of [1, 256]) {
      const f = batch(bs);
      console.log(`sparsity ${sparsity} batch ${bs}: dense tfjs-wasm p50 ${f.denseP50Ms.toFixed(3)} ms, sparse p50 ${f.sparseP50Ms.toFixed(3)} ms, ratio dense/sparse ${f.speedup.toFixed(2)}x`);
    }
    figures[`sparsity${Math.round(sparsity * 100)}`] = { batch1: batch(1), batch256: batch(256), sparseSpeedupBatch1: batch(1).speedup, sparseSpeedupBatch256: batch(256).speedup };
    pruned.dispose();
  }
  figures.half = await channelBench();
  saveResults('bench-pruning', { ...figures, backend: tf.getBackend(), note: 'sparsityNN: one-shot magnitude pruning of the SimpleNet baseline, speedup = dense p50 / sparse p50; half: channel-pruned CNN, speedup = original p50 / pruned p50' });
  tf.dispose([x, y]);
  model.dispose();
}

main().catch((e) => { console.error(e); process.exit(1); });
