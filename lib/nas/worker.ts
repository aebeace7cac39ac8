// Entry point of a NAS worker thread: initializes the wasm backend once, then scores the genotypes
// it is sent with the proxy recipe, one at a time, until told to close. Loaded by worker-pool.ts
// from dist/nas/worker.js (compiled) or lib/nas/worker.ts (through tsx).
import { parentPort, workerData } from 'worker_threads';
import { initBackend } from '../core/backend';
import { proxyEvaluate, ProxyRecipe } from './proxy';
import { Genotype } from './space';

/** Messages from the pool to a worker. */
export type WorkerRequest = { readonly type: 'evaluate'; readonly id: number; readonly genotype: Genotype; readonly recipe: ProxyRecipe } | { readonly type: 'close' };
/** Messages from a worker to the pool. */
export type WorkerReply = { readonly type: 'ready' } | { readonly type: 'result'; readonly id: number; readonly result: unknown } | { readonly type: 'error'; readonly id: number; readonly message: string };

const port = parentPort;
if (port) {
  const ready = initBackend((workerData as { backend?: 'wasm' | 'cpu' } | undefined)?.backend ?? 'wasm')
    .then(() => port.postMessage({ type: 'ready' } satisfies WorkerReply));
  port.on('message', (msg: WorkerRequest) => {
    if (msg.type === 'close') {
      port.close(); // nothing else keeps the thread alive: it exits with code 0
      return;
    }
    void ready.then(() => proxyEvaluate(msg.genotype, msg.recipe))
      .then((result) => port.postMessage({ type: 'result', id: msg.id, result } satisfies WorkerReply))
      .catch((e: unknown) => port.postMessage({ type: 'error', id: msg.id, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } satisfies WorkerReply));
  });
}
