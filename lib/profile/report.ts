// The profile report, shared by layers and graph models, and the peak-memory walk over it.

/** One layer's profile. Byte counts are for one example unless named otherwise. */
export interface LayerProfile {
  readonly name: string;
  readonly className: string;
  readonly inputs: string[];
  readonly outputShape: number[];
  readonly params: number;
  readonly trainableParams: number;
  /** MACs for one example; 0 for layers without arithmetic; undefined when unknown. */
  readonly macs: number | undefined;
  readonly weightBytes: number;
  /** Bytes of this layer's float32 output for one example. */
  readonly activationBytes: number;
  /** Zero weights / weights (all of the layer's weights), 0 when it has none. */
  readonly sparsity: number;
}

/** What {@link profileModel} returns. */
export interface ProfileReport {
  readonly layers: LayerProfile[];
  readonly totals: {
    readonly params: number;
    readonly trainableParams: number;
    readonly macs: number;
    readonly flops: number;
    readonly weightBytes: number;
    /** Bytes of the weights in memory (as tfjs holds them: quantized files are dequantized to float32), by dtype. */
    readonly weightBytesByDtype: Record<string, number>;
    /** Graph models: bytes of the weight files by stored dtype (uint8, uint16, float16 for quantized entries). */
    readonly storedWeightBytesByDtype?: Record<string, number>;
    readonly zeroWeights: number;
    readonly sparsity: number;
    /** Peak bytes of live activations in a forward pass at `batchSize` (tensors freed after their last use). */
    readonly peakActivationBytes: number;
    /** Weights plus peak activations. */
    readonly peakMemoryBytes: number;
    readonly batchSize: number;
  };
  /** Layers (graph nodes) without a MAC counting rule (their MACs are left out of the total), and other caveats. */
  readonly warnings: string[];
}

/** Options of profileModel. */
export interface ProfileOptions {
  /** Batch size of the peak-memory estimate. Default 1. */
  readonly batchSize?: number;
  /** Graph models with free input dimensions: the input shape without the batch dimension. */
  readonly inputShape?: readonly number[];
}

/**
 * Peak live activation bytes for one example, executing layers in order and freeing each output
 * after its last consumer (model outputs are kept to the end). `inputBytes`: the model input.
 */
export function peakActivationBytes(layers: readonly LayerProfile[], inputBytes = 0): number {
  const lastUse = new Map<string, number>();
  layers.forEach((l, i) => l.inputs.forEach((name) => lastUse.set(name, i)));
  const produced = new Set(layers.map((l) => l.name));
  // The model input (read by layers whose inbound layer is not in the list, as in Sequential models).
  const alive = new Map<string, number>();
  const external = [...lastUse.keys()].filter((n) => !produced.has(n));
  external.forEach((n) => alive.set(n, inputBytes / Math.max(external.length, 1)));
  let live = inputBytes;
  let peak = live;
  layers.forEach((l, i) => {
    alive.set(l.name, l.activationBytes);
    live += l.activationBytes;
    peak = Math.max(peak, live);
    for (const [name, bytes] of [...alive]) {
      const last = lastUse.get(name);
      if (last !== undefined && last <= i) {
        alive.delete(name);
        live -= bytes;
      }
    }
  });
  return peak;
}

/**
 * A profile from its layers: the totals are sums (trainableParams too), FLOPs = 2 x MACs,
 * sparsity = zeros / params, and the peak memory at `batchSize` (weights plus peak live
 * activations). One place for both the layers-model and the graph-model profile.
 */
export function profileReport(
  layers: LayerProfile[],
  o: Pick<ProfileReport['totals'], 'batchSize' | 'weightBytesByDtype' | 'storedWeightBytesByDtype'> & {
    readonly inputBytes: number;
    readonly zeros: number;
  },
  warnings: string[],
): ProfileReport {
  const params = layers.reduce((a, l) => a + l.params, 0);
  const macs = layers.reduce((a, l) => a + (l.macs ?? 0), 0);
  const weightBytes = layers.reduce((a, l) => a + l.weightBytes, 0);
  const peak = peakActivationBytes(layers, o.inputBytes) * o.batchSize;
  const totals: ProfileReport['totals'] = {
    params,
    trainableParams: layers.reduce((a, l) => a + l.trainableParams, 0),
    macs,
    flops: 2 * macs,
    weightBytes,
    weightBytesByDtype: o.weightBytesByDtype,
    ...(o.storedWeightBytesByDtype ? { storedWeightBytesByDtype: o.storedWeightBytesByDtype } : {}),
    zeroWeights: o.zeros,
    sparsity: params ? o.zeros / params : 0,
    peakActivationBytes: peak,
    peakMemoryBytes: weightBytes + peak,
    batchSize: o.batchSize,
  };
  return { layers, totals, warnings };
}
