// Will a forward pass over calibration batches fit in the backend's memory? tfjs-backend-wasm
// has one 4 GiB heap; when an allocation fails it aborts (`RuntimeError: Aborted()`) and every
// later op fails, so the estimate is checked before anything runs. The estimate: peak bytes of
// live activations per example (outputs freed after their last consumer, as runGraph with
// `release` does) plus two intermediates of the largest activation (an op chain such as fake
// quantization holds two at once), x examples per batch x forward passes run side by side, plus
// the weights again (XNNPACK keeps a packed copy of each kernel), plus what the caller will hold
// besides by then (e.g. the folded and the quantized copies of the model while the error report
// runs), times a margin for fragmentation. A caller that runs several steps (calibration, then
// the error report's two side-by-side passes) checks the most demanding one before the first
// starts, so the batch size it advises works for every step.
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { modelGraph } from '../core/graph';
import { isModelInput } from '../core/layers';
import { LayerProfile, peakActivationBytes } from '../profile/profile-model';

/** wasm32's heap limit as tfjs-backend-wasm 4.x's Emscripten build reports it (getHeapMax: 4 GiB minus one 64 KiB page). */
export const WASM_HEAP_MAX_BYTES = 4294901760;

/** Headroom multiplier on the estimate (op workspaces, allocator fragmentation). */
const MARGIN = 1.5;

/** The memory estimate of a batched forward pass (plain JSON). */
export interface MemoryBudget {
  readonly backend: string;
  /** Peak bytes of live activations per example in one forward pass, with two intermediates of the largest. */
  readonly perExampleBytes: number;
  /** Forward passes run side by side (the error report runs the float and the quantized model together). */
  readonly passes: number;
  readonly weightBytes: number;
  /** Bytes the caller will hold besides by the time the passes run (e.g. other copies of the model). */
  readonly extraBytes: number;
  readonly batchSize: number;
  /** (perExampleBytes x passes x batchSize + weightBytes + extraBytes) x margin. */
  readonly estimateBytes: number;
  /** Bytes held by live tensors now. */
  readonly inUseBytes: number;
  /** The heap limit minus what is in use; undefined on backends without a fixed heap (cpu). */
  readonly availableBytes?: number;
  /** wasm: the size the heap has grown to so far (it never shrinks; freed blocks are reused). */
  readonly heapBytes?: number;
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

/** The wasm module's current memory size (tfjs-backend-wasm exposes its Emscripten module as `wasm`). */
function heap(): number | undefined {
  return (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.length;
}

/** Peak bytes of live float32 activations of one example (the model input included, as the profiler counts them), plus two intermediates of the largest. */
export function peakActivationBytesPerExample(model: tf.LayersModel, fn = 'memoryBudget'): number {
  const graph = modelGraph(model, fn);
  const bytes = (shape: readonly number[]) => 4 * shape.reduce((a, d) => a * Math.max(d, 1), 1);
  const inputBytes = graph.filter((n) => isModelInput(n.className)).reduce((a, n) => a + bytes(n.outputShape), 0);
  const layers = graph
    .filter((n) => !isModelInput(n.className))
    .map(
      (n) =>
        ({ name: n.name, inputs: [...n.inputs], activationBytes: bytes(n.outputShape) }) as unknown as LayerProfile,
    );
  const largest = Math.max(inputBytes, ...layers.map((l) => l.activationBytes));
  return peakActivationBytes(layers, inputBytes) + 2 * largest;
}

/** The estimate for `batchSize` examples and `passes` side-by-side forward passes on the current backend. */
export function memoryBudget(
  model: tf.LayersModel,
  batchSize: number,
  passes: number,
  fn = 'memoryBudget',
  extraBytes = 0,
): MemoryBudget {
  const perExampleBytes = peakActivationBytesPerExample(model, fn);
  const weightBytes = 4 * model.countParams();
  const inUseBytes = tf.memory().numBytes;
  const backend = tf.getBackend();
  return {
    backend,
    perExampleBytes,
    passes,
    weightBytes,
    extraBytes,
    batchSize,
    inUseBytes,
    estimateBytes: Math.ceil((perExampleBytes * passes * batchSize + weightBytes + extraBytes) * MARGIN),
    ...(backend === 'wasm'
      ? { availableBytes: WASM_HEAP_MAX_BYTES - inUseBytes, ...(heap() !== undefined ? { heapBytes: heap() } : {}) }
      : {}),
  };
}

/** The largest batch size whose estimate fits `budget.availableBytes` (0 when not even one example does). */
export function largestFittingBatch(budget: MemoryBudget): number {
  const available = budget.availableBytes;
  if (available === undefined) return budget.batchSize;
  const perBatch = budget.perExampleBytes * budget.passes;
  const fixed = budget.weightBytes + budget.extraBytes;
  const estimate = (n: number) => Math.ceil((perBatch * n + fixed) * MARGIN);
  let fits = Math.max(0, Math.floor((available / MARGIN - fixed) / perBatch));
  // The estimate rounds up: step down until the advised size passes the very test the caller runs.
  while (fits > 0 && estimate(fits) > available) fits--;
  return fits;
}

/**
 * The batch size to run `passes` forward passes of `model` with: `batchSize` when it fits, a
 * smaller one when the caller left the default (`explicit` false), else a ConfigError naming the
 * estimate, the limit and the batch size that fits (with `extraBytes` the caller will hold besides).
 * Nothing is allocated.
 */
export function fitBatchSize(
  model: tf.LayersModel,
  batchSize: number,
  passes: number,
  explicit: boolean,
  fn: string,
  extraBytes = 0,
): { batchSize: number; budget: MemoryBudget } {
  const budget = memoryBudget(model, batchSize, passes, fn, extraBytes);
  if (budget.availableBytes === undefined || budget.estimateBytes <= budget.availableBytes)
    return { batchSize, budget };
  const fits = largestFittingBatch(budget);
  if (!explicit && fits >= 1) return { batchSize: fits, budget: memoryBudget(model, fits, passes, fn, extraBytes) };
  const limit = `wasm's ${mb(WASM_HEAP_MAX_BYTES)} heap minus ${mb(budget.inUseBytes)} held by live tensors = ${mb(budget.availableBytes)}`;
  const estimate = `an estimated ${mb(budget.estimateBytes)} for batchSize ${batchSize} (${mb(budget.perExampleBytes)} of live activations per example x ${passes} pass${passes > 1 ? 'es' : ''}, plus weights${budget.extraBytes ? ` and ${mb(budget.extraBytes)} of model copies held meanwhile` : ''}, x ${MARGIN} margin)`;
  throw new ConfigError(
    fits >= 1
      ? `${fn}: a batch that fits in ${limit}, got ${estimate}. Pass batchSize: ${fits} or less (a recipe's calibration.batchSize, the quantize command's --batch-size).`
      : `${fn}: a model whose single example fits in ${limit}, got ${estimate}. Free other tensors, or run this step on the cpu backend (initBackend('cpu')).`,
  );
}
