// Small models covering every layer kind the ONNX exporter supports, with non-trivial
// BatchNormalization statistics so a wrong axis or layout shows.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Rng } from '../../lib/core/rng';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';

/** Sets every weight of `model` to seeded random values (variances positive). */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (!ws.length) continue;
    const isBn = layer.getClassName() === 'BatchNormalization';
    const fresh = ws.map((w, i) =>
      tf.tensor(
        Float32Array.from({ length: w.size }, () =>
          isBn && i === ws.length - 1 ? 0.5 + rng.next() : (rng.next() - 0.5) * (isBn ? 1 : 0.6),
        ),
        w.shape,
      ),
    );
    layer.setWeights(fresh);
    fresh.forEach((t) => t.dispose());
  }
}

/** A functional image model with conv, depthwise, pooling, BN, Add, Concatenate and activations. */
export function zooModel(seed: number): tf.LayersModel {
  const inp = tf.input({ shape: [9, 8, 3], name: 'image' });
  const c1 = tf.layers
    .conv2d({ name: 'c1', filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })
    .apply(inp) as tf.SymbolicTensor;
  const dw = tf.layers
    .depthwiseConv2d({ name: 'dw', kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu6' })
    .apply(c1) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(dw) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ name: 'c2', filters: 8, kernelSize: 1, useBias: false }).apply(c1) as tf.SymbolicTensor;
  const add = tf.layers.add({ name: 'add' }).apply([bn, c2]) as tf.SymbolicTensor;
  const relu = tf.layers.reLU({ name: 'relu' }).apply(add) as tf.SymbolicTensor;
  const ap = tf.layers.averagePooling2d({ name: 'ap', poolSize: 2, padding: 'same' }).apply(relu) as tf.SymbolicTensor;
  const mp = tf.layers.maxPooling2d({ name: 'mp', poolSize: 2, padding: 'same' }).apply(relu) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([ap, mp]) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(cat) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flat' }).apply(cat) as tf.SymbolicTensor;
  const d1 = tf.layers.dense({ name: 'd1', units: 6, activation: 'tanh' }).apply(flat) as tf.SymbolicTensor;
  const drop = tf.layers.dropout({ name: 'drop', rate: 0.5 }).apply(d1) as tf.SymbolicTensor;
  const cat2 = tf.layers.concatenate({ name: 'cat2' }).apply([drop, gap]) as tf.SymbolicTensor;
  const bn2 = tf.layers.batchNormalization({ name: 'bn2' }).apply(cat2) as tf.SymbolicTensor;
  const sig = tf.layers.activation({ name: 'sig', activation: 'sigmoid' }).apply(bn2) as tf.SymbolicTensor;
  const d2 = tf.layers.dense({ name: 'd2', units: 5 }).apply(sig) as tf.SymbolicTensor;
  const out = tf.layers.softmax({ name: 'sm' }).apply(d2) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: out, name: 'zoo' });
  randomizeWeights(model, seed);
  return model;
}

/** Max |tfjs - ORT| of `model`'s fp32 ONNX export on a seeded uniform batch, and the exported op counts. */
export async function compareWithOrt(
  model: tf.LayersModel,
  batch: number,
  range: [number, number],
  seed: number,
): Promise<{ diff: number; ops: Record<string, number> }> {
  const onnxModel = toOnnx(model);
  const shape = [batch, ...(model.inputs[0] as tf.SymbolicTensor).shape.slice(1)] as number[];
  const x = tf.randomUniform(shape, range[0], range[1], 'float32', seed);
  const want = model.predict(x) as tf.Tensor;
  const session = await ortSession(onnxModel);
  const got = await runOrt(session, x.dataSync() as Float32Array, shape);
  await session.release();
  expect(got.dims).to.deep.equal(want.shape);
  const w = want.dataSync();
  let diff = 0;
  for (let i = 0; i < w.length; i++) diff = Math.max(diff, Math.abs((w[i] as number) - (got.data[i] as number)));
  tf.dispose([x, want]);
  return { diff, ops: onnxModel.report.ops as Record<string, number> };
}
