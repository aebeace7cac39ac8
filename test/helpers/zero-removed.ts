// The oracle of channel pruning on real architectures: in the ORIGINAL model, make every channel
// that prune.channels removed contribute nothing downstream, and the outputs must equal the
// pruned model's.
//
// A removed channel c of a group is zeroed where it is made and wherever per-channel weights
// follow it:
// - producers (Conv2D, Dense): kernel column c and bias c -> the pre-activation is exactly 0;
// - tied BatchNormalization: gamma c, beta c and moving mean c -> 0, so its output is
//   gamma * (x - mean) / sqrt(var + eps) + beta = 0 whatever x (with scale = false, as in
//   InceptionV3, x is already 0 and mean = beta = 0 gives 0);
// - tied DepthwiseConv2D: kernel slice c (and bias c) -> 0.
// Between those layers the value stays 0 because every activation on the way maps 0 to 0 (relu,
// relu6, swish), padding adds zeros, pooling of zeros is 0 and Add sums zeros (every input of a
// residual Add is in the same group). The one exception is squeeze-excite's gate, sigmoid(0) =
// 0.5: it only multiplies the block's own channel c, which is 0, so the product is 0. Consumers
// then read 0 in channel c, which is what removing their input slice computes.
import * as tf from '@tensorflow/tfjs';
import { ChannelReport } from '../../lib/prune/channels';

function zeroed(w: tf.Tensor, axis: number, channels: ReadonlySet<number>): tf.Tensor {
  const data = (w.dataSync() as Float32Array).slice();
  const shape = w.shape;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const size = shape[axis] as number;
  for (let i = 0; i < data.length; i++) if (channels.has(Math.floor(i / inner) % size)) data[i] = 0;
  return tf.tensor(data, shape);
}

/** Zeroes, in `model` (modified in place), every channel `report` says was removed. Returns how many. */
export function zeroRemovedChannels(model: tf.LayersModel, report: ChannelReport): number {
  let count = 0;
  for (const g of report.groups) {
    const kept = new Set(g.kept);
    const removed = new Set(Array.from({ length: g.channelsBefore }, (_, i) => i).filter((i) => !kept.has(i)));
    if (removed.size === 0) continue;
    count += removed.size;
    for (const name of [...g.producers, ...g.tied]) {
      const layer = model.getLayer(name);
      const cls = layer.getClassName();
      const values = layer.getWeights();
      const fresh = layer.weights.map((v, i) => {
        const w = values[i] as tf.Tensor;
        const base = v.originalName.split('/').pop() as string;
        if (cls === 'BatchNormalization')
          return ['gamma', 'beta', 'moving_mean'].includes(base) ? zeroed(w, 0, removed) : w.clone();
        if (cls === 'DepthwiseConv2D') return zeroed(w, w.rank === 4 ? 2 : 0, removed);
        return zeroed(w, w.rank - 1, removed); // Conv2D / Dense kernel and bias: output channel last
      });
      layer.setWeights(fresh);
      tf.dispose(fresh);
    }
  }
  return count;
}
