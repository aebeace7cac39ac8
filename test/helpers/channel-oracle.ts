// The oracle of channel pruning. Removing channel c means that nothing downstream reads it. So in
// the ORIGINAL model, zero the kernel slice of every layer that reads a removed channel through
// its kernel (a consumer: Dense / Conv input rows), and its outputs must equal the pruned
// model's. This holds whatever the removed channel's value is on the way (BatchNormalization's
// beta, sigmoid(0) = 0.5 in a squeeze-excite gate, a non-zero activation): the channel can still
// flow through BN, activations, padding, pooling and merges, but no consumer looks at it.
//
// Which input positions of a consumer carry removed channels is computed here independently of
// the dependency graph (no union-find, no spaces): a walk back through the one graph walker,
// where a producer's removed channels are those its report group did not keep, tied / pass /
// merge layers keep their input's positions, Concatenate puts its inputs side by side, and a
// flatten repeats the channel positions at every spatial position.
import * as tf from '@tensorflow/tfjs';
import { GraphNode, modelGraph } from '../../lib/core/graph';
import { ChannelReport } from '../../lib/prune/channels';
import { cloneModel } from '../../lib/prune/clone';

/** Marks removed channel positions of every layer's output (true = removed). */
function removedPositions(
  graph: readonly GraphNode[],
  report: ChannelReport,
  skip: ReadonlySet<string>,
): Map<string, boolean[]> {
  const out = new Map<string, boolean[]>();
  const width = (n: GraphNode) => n.outputShape[n.outputShape.length - 1] as number;
  for (const n of graph) {
    const ins = n.inputs.map((i) => out.get(i) as boolean[]);
    const role = n.entry?.role;
    let mask: boolean[];
    if (skip.has(n.name) || role === undefined || role === 'input' || role === 'opaque') {
      mask = new Array(width(n)).fill(false);
    } else if (role === 'producer') {
      const g = report.groups.find((x) => x.producers.includes(n.name));
      const kept = new Set(g ? g.kept : []);
      mask = Array.from({ length: width(n) }, (_, c) => g !== undefined && !kept.has(c));
    } else if (role === 'concat') {
      mask = ins.flat();
    } else if (role === 'merge') {
      // Element-wise: a channel removed from any full-width input is removed (broadcast inputs of 1 channel do not count).
      mask = Array.from({ length: width(n) }, (_, c) => ins.some((m) => m.length === width(n) && m[c] === true));
    } else {
      const base = ins[0] as boolean[];
      const repeat = width(n) / base.length; // flatten (or a reshape to rank 1): every spatial position
      mask = Array.from({ length: width(n) }, (_, i) => base[i % base.length] as boolean);
      if (!Number.isInteger(repeat)) throw new Error(`channel-oracle: cannot follow ${n.name} (${n.className})`);
    }
    out.set(n.name, mask);
  }
  return out;
}

/** Zeros kernel entries whose index on `axis` is marked. */
function zeroOnAxis(w: tf.Tensor, axis: number, marked: readonly boolean[]): tf.Tensor {
  const data = (w.dataSync() as Float32Array).slice();
  const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const size = w.shape[axis] as number;
  for (let i = 0; i < data.length; i++) if (marked[Math.floor(i / inner) % size]) data[i] = 0;
  return tf.tensor(data, w.shape);
}

/**
 * Zeroes, in `model` (modified in place), every consumer's kernel slice that reads a channel
 * `report` says was removed. Returns the number of (consumer, position) pairs zeroed.
 */
export function zeroRemovedInputs(model: tf.LayersModel, report: ChannelReport, skip: readonly string[] = []): number {
  const graph = modelGraph(model);
  const skipped = new Set(skip);
  const removed = removedPositions(graph, report, skipped);
  let count = 0;
  for (const n of graph) {
    const kernel = n.entry?.kernel;
    if (n.entry?.role !== 'producer' || !kernel || kernel.inAxis === undefined || skipped.has(n.name)) continue;
    const marked = removed.get(n.inputs[0] as string) as boolean[];
    const hits = marked.filter(Boolean).length;
    if (hits === 0) continue;
    count += hits;
    const values = n.layer.getWeights();
    const fresh = values.map((w, i) =>
      i === kernel.index ? zeroOnAxis(w, kernel.inAxis as number, marked) : w.clone(),
    );
    n.layer.setWeights(fresh);
    tf.dispose(fresh);
  }
  return count;
}

/**
 * The two distances the oracle checks, on inputs `x` (borrowed): `changed` = max |original -
 * oracle| (the removed channels mattered, so the check can fail) and `diff` = max |pruned -
 * oracle| (removing them is reading them nowhere). `model` and `pruned` are not modified.
 */
export async function oracleDistances(
  model: tf.LayersModel,
  pruned: tf.LayersModel,
  report: ChannelReport,
  x: tf.Tensor,
  skip: readonly string[] = [],
): Promise<{ changed: number; diff: number; scale: number }> {
  const oracle = await cloneModel(model);
  try {
    if (zeroRemovedInputs(oracle, report, skip) === 0)
      throw new Error('channel-oracle: no channel was removed, nothing to check');
    return tf.tidy(() => {
      const [y, yPruned, yOracle] = [model, pruned, oracle].map((m) => m.predict(x) as tf.Tensor) as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
      ];
      const max = (t: tf.Tensor) => tf.max(t).dataSync()[0] as number;
      return {
        changed: max(tf.abs(tf.sub(y, yOracle))),
        diff: max(tf.abs(tf.sub(yPruned, yOracle))),
        scale: max(tf.abs(y)),
      };
    });
  } finally {
    oracle.dispose();
  }
}
