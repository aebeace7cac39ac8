// Benchmark: SimpleNet training throughput (examples/s, batch 128, Adam) on wasm with tfjs's
// stock gradients, on wasm with the library's gradients (initBackend's default), and on cpu,
// measured in one run on the same data and seed; also checks that the losses are equal.
// Writes results/bench-training.json.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { setGradients } from '../../lib/core/gradients';
import { saveResults } from '../../lib/course/results';
import { machineInfo } from '../../lib/core/machine';
import { loadMnist } from '../../lib/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { simpleNet } from '../../lib/models/simplenet';
import { fit } from '../../lib/train/fit';

async function throughput(label: string, backend: 'wasm' | 'cpu', fast: boolean, examples: number, repeats: number) {
  await tf.setBackend(backend);
  setGradients({ fastMatMul: fast });
  const data = sliceImageSet(loadMnist().train, 0, examples);
  const rates: number[] = [];
  let loss = NaN;
  for (let r = 0; r < repeats + 1; r++) {
    const model = simpleNet({ seed: 0 });
    const h = await fit(model, data, { epochs: 1, seed: 0, batchSize: 128 });
    model.dispose();
    const e = h.epochs[0];
    if (r > 0 && e) rates.push(e.examplesPerSecond); // the first run warms up
    if (e) loss = e.loss;
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] as number;
  console.log(`${label.padEnd(28)} ${median.toFixed(0).padStart(7)} examples/s  (runs: ${rates.map((x) => x.toFixed(0)).join(', ')}; loss ${loss.toFixed(6)})`);
  return { examplesPerSecond: median, loss, runs: rates };
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const stock = await throughput('wasm, stock gradients', 'wasm', false, 12800, 3);
  const fast = await throughput('wasm, library gradients', 'wasm', true, 12800, 3);
  const cpu = await throughput('cpu (reference)', 'cpu', true, 2560, 1);
  const speedup = fast.examplesPerSecond / stock.examplesPerSecond;
  const lossDiff = Math.abs(fast.loss - stock.loss);
  console.log(`speed-up of the library's wasm training over stock wasm: ${speedup.toFixed(2)}x (goal >= 3x)`);
  console.log(`wasm (library) over cpu: ${(fast.examplesPerSecond / cpu.examplesPerSecond).toFixed(2)}x`);
  console.log(`|loss(library) - loss(stock)| after one epoch on the same data: ${lossDiff.toExponential(2)}`);
  await tf.setBackend('wasm');
  setGradients({ fastMatMul: true });
  const file = saveResults('bench-training', {
    batchSize: 128, model: 'simplenet',
    wasmStock: stock, wasmLibrary: fast, cpu,
    speedupVsStockWasm: speedup, speedupVsCpu: fast.examplesPerSecond / cpu.examplesPerSecond,
    lossAbsDiff: lossDiff, lossesEqual: lossDiff < 1e-3,
    machine: machineInfo(),
  });
  console.log(`wrote ${file}`);
  if (!(lossDiff < 1e-3)) {
    console.error('the library gradients changed the training loss: investigate before trusting the speed-up');
    process.exitCode = 1;
  }
}

void main();
