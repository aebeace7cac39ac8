// An inference worker thread: its own tfjs wasm backend and its own ONNX Runtime sessions, the
// model versions the main thread loads into it, and one batch at a time, whose answers it also
// encodes (JSON bytes, transferred back); it also decodes large predict bodies (JSON parse and
// validation), so the main thread never holds a megabyte parse nor builds a 60 KB answer.
// Started by WorkerPool; not a public entry point.
import * as os from 'os';
import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../core/backend';
import { decodeJob, pixelsJob, runBatch } from './executor';
import { ModelRunner, loadRunner } from './model-runner';
import {
  ExecutorStats,
  WorkerReply,
  WorkerRequest,
  WorkerValue,
  resultTransfer,
  serializeError,
  threadNice,
} from './worker-protocol';

const port = parentPort;
const runners = new Map<string, ModelRunner>();

function stats(): ExecutorStats {
  const m = tf.memory();
  return {
    numTensors: m.numTensors,
    numBytes: m.numBytes,
    models: [...runners.keys()],
    heapUsedBytes: process.memoryUsage().heapUsed,
    nice: threadNice(),
  };
}

async function handle(msg: WorkerRequest): Promise<WorkerValue> {
  switch (msg.op) {
    case 'load': {
      await runners.get(msg.key)?.dispose();
      runners.delete(msg.key);
      const runner = await loadRunner(msg.source, msg.options);
      runners.set(msg.key, runner);
      return runner.contract;
    }
    case 'run': {
      const runner = runners.get(msg.key);
      if (!runner) throw new Error(`inference worker: model '${msg.key}' loaded, got none`);
      return runBatch(runner, msg.values, msg.count, msg.answer);
    }
    case 'unload': {
      const runner = runners.get(msg.key);
      runners.delete(msg.key);
      await runner?.dispose();
      return null;
    }
    case 'stats':
      return stats();
    case 'decode':
      return decodeJob(msg);
    case 'pixels':
      return pixelsJob(msg);
  }
}

if (port) {
  // On Linux the nice value belongs to each thread (setpriority(PRIO_PROCESS, 0) names the calling
  // thread), so this lowers this worker alone and the event loop wins the CPU when both want it.
  // Elsewhere it would renice the whole process: left alone there. Best effort: a sandbox that
  // refuses it leaves the worker at the process's priority (stats() reports the value in force).
  const nice = (workerData as { nice?: number } | undefined)?.nice ?? 0;
  if (nice > 0 && process.platform === 'linux') {
    try {
      os.setPriority(0, nice);
    } catch {
      /* keeps the process's priority */
    }
  }
  initBackend('wasm').then(
    () => {
      port.on('message', (msg: WorkerRequest) => {
        handle(msg).then(
          (value) => {
            const transfer =
              value instanceof Float32Array
                ? [value.buffer as ArrayBuffer]
                : value && 'computeMs' in value
                  ? resultTransfer(value)
                  : value && 'values' in value
                    ? [value.values.buffer as ArrayBuffer]
                    : [];
            port.postMessage({ id: msg.id, ok: true, value } satisfies WorkerReply, transfer);
          },
          (e: unknown) => {
            port.postMessage({ id: msg.id, ok: false, error: serializeError(e) } satisfies WorkerReply);
          },
        );
      });
      port.postMessage({ id: -1, ok: true, value: 'ready' } satisfies WorkerReply);
    },
    (e: unknown) => {
      throw e; // the pool sees the worker's 'error' event and reports it
    },
  );
}
