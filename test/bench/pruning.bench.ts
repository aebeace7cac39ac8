// Benchmark: (1) the sparse runtime (SparseMlp, CSR in plain TypeScript) against the dense
// tfjs-wasm forward pass of the same 90%-sparse SimpleNet, batch 1 and 256, on MNIST test images;
// (2) the channel-pruned CNN with about half the MACs against the original, on wasm, batch 1 and
// 256, alternating the two models for several rounds (median of the per-round ratios).
// Writes results/bench-pruning.json. Run: node --import tsx test/bench/pruning.bench.ts
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../lib/course/results';
import { loadBaseline } from '../../lib/models/baselines';
import { loadMnist } from '../../lib/data/mnist';
import { toTensors } from '../../lib/data/tensors';
import { magnitude } from '../../lib/prune/magnitude';
import { sparseLatency } from '../../lib/prune/sparse-latency';
import { channels } from '../../lib/prune/channels';
import { modelLatency } from '../../lib/profile/latency';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The CNN pruned to about half its MACs (same choice as notebook 03), timed against the original. */
async function channelBench(): Promise<Record<string, unknown>> {
  const { model } = await loadBaseline('cnn');
  let best: { ratio: number; macsRatio: number } | undefined;
  for (const ratio of [0.2, 0.3, 0.35, 0.4, 0.5, 0.75]) {
    const c = await channels(model, { ratio, importance: 'l1' });
    const macsRatio = c.report.macs.after / c.report.macs.before;
    if (!best || Math.abs(macsRatio - 0.5) < Math.abs(best.macsRatio - 0.5)) best = { ratio, macsRatio };
    c.model.dispose();
  }
  const half = await channels(model, { ratio: best!.ratio, importance: 'l1' });
  const s1: number[] = [];
  const s256: number[] = [];
  for (let round = 0; round < 7; round++) {
    const b = await modelLatency(model, { batchSizes: [1, 256], runs: 15, warmupRuns: 3, minTimeMs: 500 });
    const p = await modelLatency(half.model, { batchSizes: [1, 256], runs: 15, warmupRuns: 3, minTimeMs: 500 });
    s1.push(b[0]!.p50Ms / p[0]!.p50Ms);
    s256.push(b[1]!.p50Ms / p[1]!.p50Ms);
    console.log(`channels round ${round + 1}: batch 1 ${b[0]!.p50Ms.toFixed(3)} -> ${p[0]!.p50Ms.toFixed(3)} ms, batch 256 ${b[1]!.p50Ms.toFixed(2)} -> ${p[1]!.p50Ms.toFixed(2)} ms`);
  }
  console.log(`channel-pruned CNN (ratio ${best!.ratio}, ${(best!.macsRatio * 100).toFixed(1)}% of MACs): ratio original/pruned ${median(s1).toFixed(2)}x at batch 1, ${median(s256).toFixed(2)}x at batch 256 (median of 7 rounds)`);
  half.model.dispose();
  model.dispose();
  return { ratio: best!.ratio, macsRatio: best!.macsRatio, speedupBatch1: median(s1), speedupBatch256: median(s256), roundsBatch256: s256, roundsBatch1: s1 };
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const { model } = await loadBaseline('simplenet');
  const { x, y } = toTensors(loadMnist().test, { layout: 'flat', start: 0, end: 256 });
  const figures: Record<string, unknown> = {};
  for (const sparsity of [0.9, 0.95]) {
    const { model: pruned, masks } = await magnitude(model, { sparsity });
    const rows = await sparseLatency(pruned, x as tf.Tensor2D, { batchSizes: [1, 256], warmupRuns: 10, runs: 50, minTimeMs: 1500 });
    for (const r of rows) {
      console.log(`sparsity ${sparsity} batch ${r.batchSize}: dense tfjs-${r.backend} p50 ${r.dense.p50Ms.toFixed(3)} ms, ` +
        `sparse p50 ${r.sparse.p50Ms.toFixed(3)} ms, ratio dense/sparse ${r.speedup.toFixed(2)}x`);
    }
    const key = `sparsity${Math.round(sparsity * 100)}`;
    const at = (bs: number) => rows.find((r) => r.batchSize === bs);
    figures[key] = {
      ...Object.fromEntries(rows.map((r) => [`batch${r.batchSize}`, { denseP50Ms: r.dense.p50Ms, sparseP50Ms: r.sparse.p50Ms, speedup: r.speedup }])),
      sparseSpeedupBatch1: at(1)?.speedup,
      sparseSpeedupBatch256: at(256)?.speedup,
    };
    pruned.dispose();
    tf.dispose(Object.values(masks));
  }
  figures.half = await channelBench();
  saveResults('bench-pruning', { ...figures, backend: tf.getBackend(), note: 'sparsityNN: one-shot magnitude pruning of the SimpleNet baseline, speedup = dense p50 / sparse p50; half: channel-pruned CNN, speedup = original p50 / pruned p50' });
  tf.dispose([x, y]);
  model.dispose();
}

main().catch((e) => { console.error(e); process.exit(1); });
