// The precision of each layer's weights, for the layer graph's precision colours: how the model
// file stores them (a weights manifest entry's dtype, or its quantization dtype, e.g. the tfjs
// converter's uint8 / uint16 / float16 weights) or, for a quantized model, the bits its
// quantization gives the layer. tfjs holds every weight as float32 in memory; this is about the
// stored or deployed numbers.

/** A weights manifest entry as model.json lists it. */
export interface WeightSpecLike {
  readonly name: string;
  readonly dtype: string;
  readonly shape?: readonly number[];
  readonly quantization?: { readonly dtype?: string };
}

/** What {@link layerPrecisions} reads. */
export interface PrecisionSources {
  /** The model.json weights manifest entries (all groups). */
  readonly specs?: readonly WeightSpecLike[];
  /** Bits of each quantized layer (a quantization plan: layer name -> weight bits). */
  readonly bits?: Readonly<Record<string, number>>;
}

/**
 * Precision per layer name: 'int<bits>' for quantized layers, else the stored dtype that holds
 * most of the layer's weights ('uint8', 'float16', 'float32', ...). Layers that no source names are
 * left out. A manifest entry belongs to the layer whose name is its longest prefix before a '/'.
 * @example layerPrecisions([{name: 'dense'}], {specs: [{name: 'dense/kernel', dtype: 'float32', shape: [4, 2], quantization: {dtype: 'uint8'}}]}) // {dense: 'uint8'}
 */
export function layerPrecisions(
  layers: readonly { readonly name: string }[],
  sources: PrecisionSources,
): Record<string, string> {
  const names = new Set(layers.map((l) => l.name));
  const bytes = new Map<string, Map<string, number>>();
  for (const spec of sources.specs ?? []) {
    const parts = spec.name.split('/');
    let layer: string | undefined;
    for (let k = parts.length - 1; k >= 1 && !layer; k--) {
      const prefix = parts.slice(0, k).join('/');
      if (names.has(prefix)) layer = prefix;
    }
    if (!layer) continue;
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const size = (spec.shape ?? [1]).reduce((a, b) => a * Math.max(b, 1), 1);
    const m = bytes.get(layer) ?? new Map<string, number>();
    m.set(dtype, (m.get(dtype) ?? 0) + size);
    bytes.set(layer, m);
  }
  const out: Record<string, string> = {};
  for (const [layer, m] of bytes) out[layer] = [...m].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
  for (const [layer, bits] of Object.entries(sources.bits ?? {}))
    if (names.has(layer) && Number.isInteger(bits)) out[layer] = `int${bits}`;
  return out;
}
