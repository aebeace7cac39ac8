// A data-parallel peer (see data-parallel.ts): a worker thread with its own tfjs backend and a
// replica of the model. Per step it computes the gradients of its share of the batch, writes
// them to shared memory, waits for the other replicas' gradients, averages them as every replica
// does, and applies them with its own optimizer (the same kind and state as the main thread's),
// so its replica stays equal to the main thread's.
import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import '../index'; // the library's custom layers and kernels, as in the main thread
import { BackendName, initBackend } from '../core/backend';
import { PeerInit, averageGradients, ctrlIndex, gradientTensors, waitWord, writeGradients } from './data-parallel';
import { fusedAdam } from './fused-adam';
import { modelLoss } from './model-output';
import { trainableVariables } from './fit';

const init = workerData as PeerInit;
const { replica, shared } = init;
const P = shared.replicas;
const ctrl = new Int32Array(shared.ctrl);
const scalars = new Float32Array(shared.scalars);
const grads = new Float32Array(shared.grads);
const xsBuf = new Float32Array(init.xs);
const ysBuf = new Float32Array(init.ys);

class Stopped extends Error {}
const stopped = () => {
  if (Atomics.load(ctrl, ctrlIndex.stop) === 1) throw new Stopped();
};

async function main(): Promise<void> {
  await initBackend(init.backend as BackendName);
  const model = await tf.models.modelFromJSON({ modelTopology: init.topology } as tf.io.ModelJSON);
  model.setWeights(init.weights.map((w) => tf.tensor(w.values, w.shape)));
  if (init.loss) model.compile({ optimizer: 'sgd', loss: init.loss });
  const loss = modelLoss(model);
  const variables = trainableVariables(model);
  const optimizer: tf.Optimizer =
    init.optimizer === 'sgd' ? tf.train.momentum(init.learningRate, 0.9) : fusedAdam(init.learningRate);
  const rate = optimizer as unknown as { learningRate: number };
  const avg = new Float32Array(shared.total);
  const inputSize = init.inputShape.reduce((a, b) => a * b, 1);
  const targetSize = init.targetShape.reduce((a, b) => a * b, 1);
  Atomics.store(ctrl, ctrlIndex.read(replica, P), 0);
  parentPort?.postMessage('ready');
  for (let s = 1; ; s++) {
    waitWord(ctrl, ctrlIndex.step, s, stopped);
    stopped();
    const k = Atomics.load(ctrl, ctrlIndex.count(replica));
    const counts = Array.from({ length: P }, (_, r) => Atomics.load(ctrl, ctrlIndex.count(r)));
    const { value, grads: g } = optimizer.computeGradients(
      () =>
        tf.tidy(() => {
          const xs = tf.tensor(xsBuf.subarray(0, k * inputSize), [k, ...init.inputShape]);
          const ys = tf.tensor(ysBuf.subarray(0, k * targetSize), [k, ...init.targetShape]);
          return loss(ys, model.apply(xs, { training: true }) as tf.Tensor);
        }),
      variables,
    );
    writeGradients(g, variables, grads, replica * shared.total);
    scalars[1 + replica] = value.dataSync()[0] as number;
    value.dispose();
    tf.dispose(Object.values(g));
    Atomics.store(ctrl, ctrlIndex.done(replica, P), s);
    Atomics.notify(ctrl, ctrlIndex.done(replica, P));
    for (let r = 0; r < P; r++) if (r !== replica) waitWord(ctrl, ctrlIndex.done(r, P), s, stopped);
    averageGradients(grads, shared.total, counts, avg);
    const lr = scalars[0] as number;
    Atomics.store(ctrl, ctrlIndex.read(replica, P), s);
    Atomics.notify(ctrl, ctrlIndex.read(replica, P));
    rate.learningRate = lr;
    const named = gradientTensors(avg, variables);
    optimizer.applyGradients(named);
    tf.dispose(Object.values(named));
  }
}

main().catch((e: unknown) => {
  if (e instanceof Stopped) return;
  const err = e as Error;
  init.errors.postMessage({ name: err?.name ?? 'Error', message: err?.message ?? String(e) });
});
