// tfjs-backend-wasm's multi-threaded SIMD binary in Node. The package ships it
// (tfjs-backend-wasm-threaded-simd.wasm, its emscripten loader and its pthread worker), and the
// emscripten code supports Node's worker_threads, but tfjs never picks it in Node
// (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE: tensorflow/tfjs#3830). Two things stand
// in the way, and both are handled here without patching tfjs:
//   1. tfjs hands the pthread workers a Blob URL, which Node's Worker cannot load: we give the
//      emscripten factory the loader's file path and a worker script written to the cache folder.
//   2. The backend caps XNNPACK's pool at logical cores / 2 (it assumes two hyper-threads per
//      core), one thread on a 2-vCPU machine: the core count the module asks the host for is
//      answered with 2 x the threads requested.
// The backend object is tfjs's own BackendWasm over the threaded module, registered under the
// name 'wasm', so every wasm kernel (and the library's) runs on it unchanged. XNNPACK's
// operators (matmul, convolution, pooling) use the threads; element-wise kernels stay on one.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { ConfigError, describe } from '../errors';
import { cacheDir } from './cache-dir';
import { writeFileAtomic } from './atomic';
import { sha256 } from './hash';

/** Threads the threaded binary can use: it pre-spawns 8 workers. */
export const MAX_WASM_THREADS = 8;

const PRIORITY = 2; // the wasm package's own registration priority

type Factory = () => Promise<tf.KernelBackend>;
type EmscriptenModule = Record<string, unknown> & {
  cwrap: (name: string, ret: string | null, args: string[]) => unknown;
  PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
};

let stockFactory: Factory | undefined;
let activeThreads = 1;

function wasmOutDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'));
}

/** The pthread worker's script as a file (Node's Worker needs a path), written once per content. */
function workerFile(dir: string): string {
  const { wasmWorkerContents } = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The package keeps the script in a template literal, where "\n" inside its string literals
  // became real newlines; tfjs re-escapes them the same way before making its Blob.
  const text = wasmWorkerContents.replace(/\n/g, '\\n');
  const file = path.join(cacheDir('wasm'), `tfjs-backend-wasm-threaded-simd.worker-${sha256(text).slice(0, 16)}.js`);
  if (!fs.existsSync(file)) writeFileAtomic(file, text);
  return file;
}

/** Loads the threaded SIMD module with `threads` XNNPACK threads and returns tfjs's BackendWasm over it. */
async function threadedBackend(threads: number): Promise<tf.KernelBackend> {
  const dir = wasmOutDir();
  const loader = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const binary = fs.readFileSync(path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm'));
  const worker = workerFile(dir);

  const factory = require(loader) as (config: Record<string, unknown>) => Promise<EmscriptenModule>;
  const module = await factory({
    locateFile: (file: string, prefix: string) =>
      file.endsWith('.worker.js') ? worker : file.endsWith('.wasm') ? path.join(dir, file) : prefix + file,
    // What each pthread worker evaluates to get the module's code.
    mainScriptUrlOrBlob: loader,
    instantiateWasm: (
      imports: { env: Record<string, unknown> },
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) => {
      imports.env.emscripten_num_logical_cores = () => 2 * threads; // see the header, point 2
      void WebAssembly.instantiate(binary, imports as unknown as WebAssembly.Imports).then((r) =>
        receive(r.instance, r.module),
      );
      return {};
    },
  });
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  wasmBackend.setThreadsCount(threads);
  const backend = new wasmBackend.BackendWasm(module as never);
  // Idle pthreads must not keep Node running once the program is done.
  for (const w of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) w.unref();
  return backend;
}

/** XNNPACK threads of the wasm backend now (1 for tfjs's own single-threaded SIMD binary). */
export function wasmThreads(): number {
  return activeThreads;
}

/**
 * Makes the 'wasm' backend tfjs's threaded SIMD binary with `threads` threads (2-8), or tfjs's own
 * single-threaded SIMD binary again (1). Call it before the first wasm tensor: switching drops the
 * wasm backend, so it refuses when wasm tensors exist. The caller then selects 'wasm'.
 * @example await setWasmThreads(2); await tf.setBackend('wasm'); getThreadsCount() // 2
 */
export async function setWasmThreads(threads: number, fn = 'initBackend'): Promise<void> {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_WASM_THREADS)) {
    throw new ConfigError(
      `${fn}: threads an integer in [1, ${MAX_WASM_THREADS}], got ${describe(threads)}. Use 1 (default) or 2 on a 2-core machine.`,
    );
  }
  if (threads === activeThreads) return;
  const engine = tf.engine() as unknown as { registry: Record<string, tf.KernelBackend | undefined> };
  const live = engine.registry.wasm?.numDataIds() ?? 0;
  if (live > 0) {
    throw new ConfigError(
      `${fn}: threads chosen before the first wasm tensor, got ${live} tensors alive on wasm. ` +
        `Call initBackend('wasm', {threads: ${threads}}) at the start of the program, or dispose every wasm tensor first.`,
    );
  }
  stockFactory ??= tf.findBackendFactory('wasm') as Factory;
  const wasActive = tf.getBackend() === 'wasm';
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', threads === 1 ? stockFactory : () => threadedBackend(threads), PRIORITY);
  activeThreads = threads;
  if (wasActive) await tf.setBackend('wasm');
}
