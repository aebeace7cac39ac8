// The colours of the layer graph, in three modes a reader switches between (as Netron users ask
// for): by kind (layers with weights or without), by sparsity (the fraction of zero weights, on
// a light-to-red scale) and by precision (how the weights are stored or quantized: float32,
// float16, 16-bit, 8-bit, 4-bit). Layers without weights stay grey in every mode.

/** How the graph's boxes are coloured. */
export type GraphColouring = 'kind' | 'sparsity' | 'precision';

export const NO_WEIGHTS = '#f2f2f2';
const WEIGHTS = '#dbe9f6';

/** Sparsity scale stops: 0 -> light blue, 0.5 -> light orange, 1 -> red. */
const SPARSITY_STOPS: readonly (readonly [number, readonly [number, number, number]])[] = [
  [0, [232, 241, 250]],
  [0.5, [253, 212, 158]],
  [1, [239, 101, 72]],
];

/** Precision names as the legend shows them, in order of bits, and their colours. */
export const PRECISION_COLOURS: readonly (readonly [string, string])[] = [
  ['float32', '#dbe9f6'],
  ['float16', '#c7e9c0'],
  ['16-bit', '#fff3b0'],
  ['8-bit', '#fdd0a2'],
  ['4-bit', '#e0c3ef'],
  ['other', '#d9d9d9'],
];

/** The legend name of a precision label ('int8', 'uint8', 'int4', 'float16', ...). */
export function precisionClass(precision: string): string {
  const p = precision.toLowerCase();
  if (/float32|fp32|^f32/.test(p)) return 'float32';
  if (/float16|fp16|bfloat16|half/.test(p)) return 'float16';
  if (/int16|int-16|\b16\b/.test(p)) return '16-bit';
  if (/int8|int-8|\b8\b/.test(p)) return '8-bit';
  if (/int4|int-4|\b4\b/.test(p)) return '4-bit';
  return 'other';
}

/** A sparsity in [0, 1] as a colour. */
export function sparsityColour(sparsity: number): string {
  const s = Math.min(1, Math.max(0, Number.isFinite(sparsity) ? sparsity : 0));
  for (let k = 1; k < SPARSITY_STOPS.length; k++) {
    const [b, cb] = SPARSITY_STOPS[k] as (typeof SPARSITY_STOPS)[number];
    const [a, ca] = SPARSITY_STOPS[k - 1] as (typeof SPARSITY_STOPS)[number];
    if (s <= b) {
      const t = (s - a) / (b - a);
      return `rgb(${ca.map((c, i) => Math.round(c + t * ((cb[i] as number) - c))).join(',')})`;
    }
  }
  return 'rgb(239,101,72)';
}

/** A box's fill in each mode; `precision` undefined means float32 as tfjs holds weights. */
export function boxFills(o: {
  readonly hasWeights: boolean;
  readonly sparsity: number;
  readonly precision?: string;
}): Record<GraphColouring, string> {
  if (!o.hasWeights) return { kind: NO_WEIGHTS, sparsity: NO_WEIGHTS, precision: NO_WEIGHTS };
  const cls = precisionClass(o.precision ?? 'float32');
  return {
    kind: WEIGHTS,
    sparsity: sparsityColour(o.sparsity),
    precision: PRECISION_COLOURS.find(([c]) => c === cls)?.[1] ?? NO_WEIGHTS,
  };
}

/** The legend entries of a mode: [label, colour] pairs (precision: only the classes present). */
export function legendEntries(mode: GraphColouring, precisions: readonly string[] = []): [string, string][] {
  if (mode === 'sparsity')
    return [0, 0.25, 0.5, 0.75, 1].map((s) => [`${s * 100}% zeros`, sparsityColour(s)] as [string, string]);
  if (mode === 'precision') {
    const present = new Set(precisions.map(precisionClass));
    if (!present.size) present.add('float32');
    return PRECISION_COLOURS.filter(([c]) => present.has(c)).map(([c, col]) => [c, col] as [string, string]);
  }
  return [
    ['with weights', WEIGHTS],
    ['without weights', NO_WEIGHTS],
  ];
}
