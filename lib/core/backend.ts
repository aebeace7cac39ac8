// Backend set-up. tfjs picks the highest-priority registered backend at the first op, and
// importing @tensorflow/tfjs-backend-wasm makes wasm that backend, so `initBackend` must be
// awaited before any tensor is made.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ConfigError, describe } from '../errors';
import { setGradients } from './gradients';
import { registerWasmKernels } from './wasm-kernels';
import { setWasmThreads } from './wasm-threads';

/** Backends the library knows: `wasm` (default), `cpu` (pure JS reference), `tensorflow` (tfjs-node, if installed). */
export type BackendName = 'wasm' | 'cpu' | 'tensorflow';

/** Options for {@link initBackend}. */
export interface BackendOptions {
  /**
   * Install the library's faster matmul gradients (materialized transposes). Default true.
   * The backward conv kernels that wasm lacks are always registered: without them conv nets cannot train.
   */
  readonly fastGradients?: boolean;
  /**
   * XNNPACK threads of the wasm backend: 1 is tfjs's own single-threaded SIMD binary; 2-8 loads
   * tfjs's threaded SIMD binary with Node worker threads (see wasm-threads.ts). Default: leave as
   * it is (1 at start). Choose it before the first wasm tensor.
   */
  readonly threads?: number;
}

const KNOWN: readonly BackendName[] = ['wasm', 'cpu', 'tensorflow'];

/** True when the user has installed @tensorflow/tfjs-node (never a dependency of this package). */
export function hasTfjsNode(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

/**
 * tfjs's cpu backend prints "install our node backend" on its first tensor in Node. Here that
 * advice cannot be followed (tfjs-node's installer downloads from outside the npm registry, see
 * the README), and it lands in every notebook's stderr. Its first write is made once, quietly.
 */
function silenceCpuBanner(): void {
  const env = tf.env();
  const previous = env.getBool('IS_TEST');
  env.set('IS_TEST', true);
  try {
    const cpu = tf.engine().findBackend('cpu');
    if (cpu) cpu.disposeData(cpu.write(new Float32Array(1), [1], 'float32'));
  } finally {
    env.set('IS_TEST', previous);
  }
}

/**
 * Selects the backend (default `wasm`, optionally with several threads), registers the backward
 * kernels wasm lacks, and installs the library's faster gradients.
 * Await it before the first tensor op.
 * @example await initBackend('cpu'); tf.getBackend() // 'cpu'
 * @example await initBackend('wasm', {threads: 2}); machineInfo().wasmThreads // 2
 */
export async function initBackend(name: BackendName = 'wasm', options: BackendOptions = {}): Promise<BackendName> {
  if (!KNOWN.includes(name)) {
    throw new ConfigError(
      `initBackend: backend must be one of ${KNOWN.join(', ')}, got ${describe(name)}. ` +
        `Use 'wasm' (fast, default) or 'cpu' (reference).`,
    );
  }
  if (name === 'tensorflow') {
    if (!hasTfjsNode()) {
      throw new ConfigError(
        `initBackend: backend 'tensorflow' needs @tensorflow/tfjs-node, got it not installed. ` +
          `Install it yourself (npm i @tensorflow/tfjs-node) or use 'wasm'.`,
      );
    }

    require('@tensorflow/tfjs-node');
  }
  if (options.threads !== undefined) {
    if (name !== 'wasm')
      throw new ConfigError(
        `initBackend: threads for the 'wasm' backend only, got threads with '${name}'. Drop threads, or use 'wasm'.`,
      );
    await setWasmThreads(options.threads);
  }
  silenceCpuBanner();
  const ok = await tf.setBackend(name);
  if (!ok) {
    throw new ConfigError(
      `initBackend: backend '${name}' to initialize, got a failure from tf.setBackend. ` +
        `Check that the backend package loads in this process, or use 'cpu'.`,
    );
  }
  await tf.ready();
  registerWasmKernels();
  setGradients({ fastMatMul: options.fastGradients ?? true });
  return name;
}
