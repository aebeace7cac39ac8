// A latency predictor from a lookup table of per-layer measurements (as in ProxylessNAS and
// Once-for-All): each distinct layer (class, configuration, input shape) is timed alone once, and
// a model's latency is predicted as the sum over its layers. Timing a layer alone also times the
// fixed cost of one predict call (dispatch, readback); that overhead is measured once on an
// empty model, subtracted from every entry and added back once per model. Predictions are cheap, noise-free
// given the table, and usable as a search constraint; `pearson` checks them against end-to-end
// measurements.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { measureLatency, LatencyOptions } from '../core/latency';
import { isModelInput } from '../core/layers';

/** Options of {@link LatencyTable}. */
export interface LatencyTableOptions extends EndToEndOptions {
  /** Batch size of every measurement. Default 256. */
  readonly batchSize?: number;
}

/** One table entry. */
export interface LayerLatency {
  readonly key: string;
  readonly className: string;
  readonly inputShape: number[];
  /** The layer's time alone (ms), by the table's statistic (default the minimum over runs). */
  readonly ms: number;
}

function layerKey(layer: tf.layers.Layer): { key: string; inputShape: number[]; config: Record<string, unknown> } {
  const config = { ...(layer.getConfig() as Record<string, unknown>) };
  delete config.name;
  delete config.trainable;
  delete config.batchInputShape;
  delete config.inputShape;
  delete config.dtype; // present on a model's first layer only; the cost is the same
  const inputShape = (layer.input as tf.SymbolicTensor).shape.slice(1) as number[];
  // Initializers do not change the cost; leave them out so equal layers share an entry.
  for (const k of Object.keys(config)) if (/Initializer|Regularizer|Constraint/.test(k)) delete config[k];
  return { key: `${layer.getClassName()}|${JSON.stringify(config)}|${inputShape.join('x')}`, inputShape, config };
}

// A fresh layer of a registered class from its configuration (weights fresh: only time matters).
function layerFromConfig(className: string, config: Record<string, unknown>): tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry)
    throw new ConfigError(
      `nas.LatencyTable: a registered tfjs layer class, got ${describe(className)}. Use built-in layers.`,
    );
  const [cls, fromConfig] = entry;
  return fromConfig(cls, { ...config } as tf.serialization.ConfigDict) as unknown as tf.layers.Layer;
}

/** Options of {@link endToEndLatencyMs}. */
export interface EndToEndOptions extends LatencyOptions {
  /**
   * 'min' (default): the fastest run, the least disturbed estimate of the model's own cost on a
   * shared, loaded machine (other processes only ever add time); 'p50': the median run.
   */
  readonly statistic?: 'min' | 'p50';
}

/**
 * Time (ms) of the forward pass of `model` at `batchSize` (input random), in one call (predict's
 * own default splits a batch into chunks of 32, which would time 8 small calls). Only the first output
 * value is read back: wasm and cpu run ops synchronously, and copying a large output (a single
 * pooling layer's, say) into fresh JavaScript memory would time the copy, not the layer.
 */
export async function endToEndLatencyMs(
  model: tf.LayersModel,
  batchSize = 256,
  options: EndToEndOptions = {},
): Promise<number> {
  const inputShape = (model.inputs[0]?.shape ?? []).slice(1) as number[];
  const x = tf.randomUniform([batchSize, ...inputShape], 0, 1, 'float32', 7);
  try {
    const stats = await measureLatency(
      () => tf.tidy(() => tf.slice(tf.reshape(model.predict(x, { batchSize }) as tf.Tensor, [-1]), 0, 1).dataSync()),
      {
        warmupRuns: options.warmupRuns ?? 3,
        runs: options.runs ?? 15,
        minTimeMs: options.minTimeMs ?? 0,
        ...(options.maxRuns ? { maxRuns: options.maxRuns } : {}),
      },
    );
    return options.statistic === 'p50' ? stats.p50Ms : stats.minMs;
  } finally {
    x.dispose();
  }
}

/** A per-layer latency lookup table, filled on demand by measuring each new layer alone. */
export class LatencyTable {
  readonly batchSize: number;
  private readonly entries = new Map<string, LayerLatency>();
  private overhead: number | undefined;

  constructor(private readonly options: LatencyTableOptions = {}) {
    this.batchSize = options.batchSize ?? 256;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0)) {
      throw new ConfigError(
        `nas.LatencyTable: batchSize a positive integer, got ${describe(options.batchSize)}. Use e.g. 256.`,
      );
    }
  }

  /** The entries measured so far (plain data). */
  get layers(): LayerLatency[] {
    return [...this.entries.values()];
  }

  /** The table as plain data (to cache it: a table is measured once per machine). */
  toJSON(): { batchSize: number; overheadMs?: number; layers: LayerLatency[] } {
    return {
      batchSize: this.batchSize,
      ...(this.overhead === undefined ? {} : { overheadMs: this.overhead }),
      layers: this.layers,
    };
  }

  /** The fixed cost (ms) of one predict call, measured on a model with one trivial layer. */
  async overheadMs(): Promise<number> {
    if (this.overhead === undefined) {
      const empty = tf.sequential({ layers: [tf.layers.activation({ activation: 'linear', inputShape: [1] })] });
      try {
        this.overhead = await endToEndLatencyMs(empty, this.batchSize, this.options);
      } finally {
        empty.dispose();
      }
    }
    return this.overhead;
  }

  /** A table from {@link toJSON}'s output; missing layers are measured with `options`. */
  static fromJSON(
    json: { batchSize: number; overheadMs?: number; layers: readonly LayerLatency[] },
    options: LatencyTableOptions = {},
  ): LatencyTable {
    if (!json || !Array.isArray(json.layers)) {
      throw new ConfigError(
        `nas.LatencyTable.fromJSON: {batchSize, layers} from toJSON(), got ${describe(json)}. Pass a saved table.`,
      );
    }
    const table = new LatencyTable({ ...options, batchSize: json.batchSize });
    for (const l of json.layers) table.entries.set(l.key, l);
    table.overhead = json.overheadMs;
    return table;
  }

  /** Measures the layers of `model` not yet in the table. The model is borrowed. */
  async measure(model: tf.LayersModel): Promise<void> {
    for (const layer of model.layers) {
      const { key, inputShape, config } = layerKey(layer);
      if (this.entries.has(key) || isModelInput(layer.getClassName())) continue;
      const single = tf.sequential({
        layers: [tf.layers.inputLayer({ inputShape }), layerFromConfig(layer.getClassName(), config)],
      });
      try {
        const ms = await endToEndLatencyMs(single, this.batchSize, this.options);
        this.entries.set(key, { key, className: layer.getClassName(), inputShape, ms });
      } finally {
        single.dispose();
      }
    }
  }

  /**
   * Predicted latency (ms) of `model`: one call overhead plus, per layer, its entry minus that
   * overhead (at least 0). Missing layers are measured first.
   */
  async predict(model: tf.LayersModel): Promise<number> {
    await this.measure(model);
    const overhead = await this.overheadMs();
    let total = overhead;
    for (const layer of model.layers) {
      if (isModelInput(layer.getClassName())) continue;
      total += Math.max(0, (this.entries.get(layerKey(layer).key) as LayerLatency).ms - overhead);
    }
    return total;
  }
}

/**
 * Pearson correlation of two equally long series (NaN when either is constant).
 * @example pearson([1, 2, 3], [2, 4, 7]) // 0.99
 */
export function pearson(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length < 2) {
    throw new ConfigError(
      `nas.pearson: two series of equal length >= 2, got lengths ${a.length} and ${b.length}. Pass paired measurements.`,
    );
  }
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}
