// What the library's wasm kernels share: the backend's heap access (their pair attributes are read
// by core/pair.ts), and replacing a stock wasm kernel by a faster one that hands the cases it
// does not cover back to the stock kernel.
import * as tf from '@tensorflow/tfjs';

/** The wasm backend's heap access, as its BackendWasm class declares it. */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  getMemoryOffset(dataId: object): number;
  /** The emscripten module: its memory is asm.memory (SIMD build) or wasmMemory (threaded build). */
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Replaces wasm's `kernelName` by `fast`, which returns undefined for the cases it leaves to the
 * stock kernel (kept and called then). Returns the stock kernel, or undefined (nothing replaced)
 * when wasm has none.
 */
export function overrideWasmKernel(
  kernelName: string,
  fast: (args: KernelArgs) => tf.TensorInfo | undefined,
): tf.KernelConfig | undefined {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (!stock) return undefined;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: (args) => fast(args) ?? stock.kernelFunc(args) });
  return stock;
}
