// The runtimes side by side (`make bench`): SimpleNet on tfjs-wasm, tfjs-cpu (and tfjs-node when
// installed), ONNX Runtime fp32 and static INT8 (QDQ) at 1 and 2 threads; the 90%-pruned SimpleNet
// on the dense tfjs-wasm path and on prune's sparse (CSR) runtime. Batch sizes 1..256.
// Writes results/bench.json (rows + machine) and prints speed-ups over tfjs-wasm at each batch.
import * as tfc from '../../lib';
import * as course from '../../course';
import type { BenchRuntime } from '../../lib/bench';

const BATCHES = [1, 8, 32, 128, 256];

async function main(): Promise<void> {
  await tfc.initBackend('wasm');
  const { baseline, compressed } = await course.deploymentModels();
  const mnist = course.loadMnist();
  const runtimes: BenchRuntime[] = tfc.bench
    .availableTfjsBackends()
    .filter((b) => b !== 'cpu')
    .map((b) => tfc.bench.tfjsRuntime(baseline.model, b));
  const notes: string[] = [];
  const api = tfc as unknown as Record<string, Record<string, unknown> | undefined>;
  if (typeof api.exporters?.toOnnx === 'function') {
    const fp32 = tfc.exporters.toOnnx(baseline.model);
    for (const threads of [1, 2]) runtimes.push(tfc.bench.ortRuntime(fp32, { name: 'ort-fp32', threads }));
    if (typeof api.quantize?.postTraining === 'function') {
      const q = await tfc.quantize.postTraining(baseline.model, mnist.train, {
        mode: 'static',
        calibrationCount: 1000,
      });
      const int8 = tfc.exporters.toOnnx(q.model);
      for (const threads of [1, 2]) runtimes.push(tfc.bench.ortRuntime(int8, { name: 'ort-int8', threads }));
      q.model.dispose();
    } else notes.push('quantize.postTraining missing: no INT8 rows');
  } else notes.push('exporters.toOnnx missing: no ONNX Runtime rows');
  const sparseRuntimes: BenchRuntime[] = [
    tfc.bench.tfjsRuntime(compressed.model, 'wasm', { model: 'simplenet-pruned90' }),
  ];
  {
    const mlp = course.SparseMlp.fromModel(compressed.model);
    sparseRuntimes.push(
      tfc.bench.functionRuntime('sparse-csr', (x, n) => mlp.predict(x, n), {
        model: 'simplenet-pruned90',
        inputShape: [mlp.inputSize],
      }),
    );
  }
  // One harness call: every runtime interleaved in the same rounds; then the pure-JS cpu backend
  // on its own (its garbage would slow whatever runs next).
  const rows = [
    ...(await tfc.bench.benchmark([...runtimes, ...sparseRuntimes], { model: 'simplenet', batchSizes: BATCHES })),
    ...(await tfc.bench.benchmark([tfc.bench.tfjsRuntime(baseline.model, 'cpu')], {
      model: 'simplenet',
      batchSizes: BATCHES,
      rounds: 2,
    })),
  ];

  const table = tfc.bench.speedups(rows, 'tfjs-wasm').map((r) => ({
    ...r,
    speedup:
      r.model === 'simplenet'
        ? r.speedup
        : (rows.find((b) => b.model === 'simplenet' && b.runtime === 'tfjs-wasm' && b.batchSize === r.batchSize)
            ?.p50Ms ?? NaN) / r.p50Ms,
  }));
  for (const r of table) {
    console.log(
      `${r.model.padEnd(20)} ${`${r.runtime} x${r.threads}`.padEnd(14)} batch ${String(r.batchSize).padStart(3)}: p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, ` +
        `${r.throughput.toFixed(0)} ex/s, x${r.speedup.toFixed(2)} vs dense tfjs-wasm`,
    );
  }
  const machine = tfc.machineInfo();
  console.log(`machine: ${machine.cpuModel}, ${machine.cores} cores, flags ${machine.cpuFlags.join(' ')}`);
  notes.forEach((n) => console.log(`note: ${n}`));
  course.saveResults('bench', {
    rows: table.map(({ machine: _m, ...r }) => r),
    batchSizes: BATCHES,
    notes,
    machine,
  });
  baseline.model.dispose();
  compressed.model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
