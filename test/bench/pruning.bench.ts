// Benchmark: the sparse runtime (SparseMlp, CSR in plain TypeScript) against the dense tfjs-wasm
// forward pass of the same 90%-sparse SimpleNet, batch 1 and 256, on MNIST test images.
// Writes results/bench-pruning.json. Run: node --import tsx test/bench/pruning.bench.ts
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../lib/core/results';
import { loadBaseline } from '../../lib/models/baselines';
import { loadMnist } from '../../lib/data/mnist';
import { toTensors } from '../../lib/data/tensors';
import { magnitude } from '../../lib/prune/magnitude';
import { sparseLatency } from '../../lib/prune/sparse-latency';

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
  saveResults('bench-pruning', { ...figures, backend: tf.getBackend(), note: 'one-shot magnitude pruning of the SimpleNet baseline; speedup = dense p50 / sparse p50' });
  tf.dispose([x, y]);
  model.dispose();
}

main().catch((e) => { console.error(e); process.exit(1); });
