// Large traces summarised before a figure is stored in a notebook: a figure travels in the
// notebook file several times (Plotly JSON, the interactive HTML) and must stay small. Raw
// histograms become binned bars, long lines keep each bucket's minimum and maximum (so peaks
// survive), large point clouds are sampled with a fixed stride, and large heatmaps are averaged
// over blocks. Small figures pass through unchanged.
import { Figure } from './figures';
import { histogramBins } from './bins';

/** Limits beyond which a trace is summarised. */
export const SUMMARY_LIMITS = { points: 5000, heatmapCells: 40000 } as const;

/** A figure ready to store, with a note per summarised trace. */
export interface Summary {
  readonly figure: Figure;
  readonly notes: string[];
}

type Trace = Record<string, unknown>;

function traceName(t: Trace, i: number): string {
  return String(t.name ?? `trace ${i + 1}`);
}

function arrayLength(v: unknown): number {
  return Array.isArray(v) || ArrayBuffer.isView(v) ? (v as ArrayLike<unknown>).length : 0;
}

/** The indices kept by min/max decimation: per bucket of consecutive points, its lowest and highest y. */
function minMaxIndices(y: ArrayLike<unknown>, limit: number): number[] {
  const buckets = Math.max(1, Math.floor(limit / 2));
  const per = y.length / buckets;
  const keep: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * per);
    const to = Math.min(y.length, Math.floor((b + 1) * per));
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (Number(y[i]) < Number(y[lo])) lo = i;
      if (Number(y[i]) > Number(y[hi])) hi = i;
    }
    if (to > from) keep.push(...(lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]));
  }
  return keep;
}

function pick(t: Trace, indices: readonly number[]): Trace {
  const out: Trace = { ...t };
  const n = arrayLength(t.x) || arrayLength(t.y);
  for (const key of ['x', 'y', 'text', 'customdata']) {
    if (arrayLength(t[key]) === n) out[key] = indices.map((i) => (t[key] as ArrayLike<unknown>)[i]);
  }
  const err = t.error_y as { array?: unknown } | undefined;
  if (err && arrayLength(err.array) === n)
    out.error_y = { ...err, array: indices.map((i) => (err.array as ArrayLike<unknown>)[i]) };
  return out;
}

function summariseScatter(t: Trace, i: number, notes: string[]): Trace {
  const n = arrayLength(t.y) || arrayLength(t.x);
  if (n <= SUMMARY_LIMITS.points) return t;
  const lines = String(t.mode ?? 'lines').includes('lines');
  const indices =
    lines && arrayLength(t.y) === n
      ? minMaxIndices(t.y as ArrayLike<unknown>, SUMMARY_LIMITS.points)
      : Array.from(
          { length: Math.ceil(n / Math.ceil(n / SUMMARY_LIMITS.points)) },
          (_, k) => k * Math.ceil(n / SUMMARY_LIMITS.points),
        );
  notes.push(
    `${traceName(t, i)}: ${n.toLocaleString('en-US')} points ${lines ? "reduced to each bucket's min and max" : 'sampled'}, ${indices.length.toLocaleString('en-US')} kept`,
  );
  return pick(t, indices);
}

function summariseHeatmap(t: Trace, i: number, notes: string[]): Trace {
  const z = t.z as number[][] | undefined;
  if (!Array.isArray(z) || !z.length || !Array.isArray(z[0])) return t;
  const rows = z.length;
  const cols = (z[0] as number[]).length;
  if (rows * cols <= SUMMARY_LIMITS.heatmapCells) return t;
  const f = Math.ceil(Math.sqrt((rows * cols) / SUMMARY_LIMITS.heatmapCells));
  const out: number[][] = [];
  for (let r = 0; r < rows; r += f) {
    const row: number[] = [];
    for (let c = 0; c < cols; c += f) {
      let sum = 0;
      let count = 0;
      for (let a = r; a < Math.min(rows, r + f); a++)
        for (let b = c; b < Math.min(cols, c + f); b++) {
          const v = (z[a] as number[])[b] as number;
          if (Number.isFinite(v)) {
            sum += v;
            count++;
          }
        }
      row.push(count ? sum / count : NaN);
    }
    out.push(row);
  }
  notes.push(`${traceName(t, i)}: ${rows}x${cols} heatmap averaged over ${f}x${f} blocks`);
  const { x: _x, y: _y, ...rest } = t;
  return { ...rest, z: out };
}

/**
 * The figure with its large traces summarised (see the file header); `notes` says what changed.
 * @example summariseFigure(histogram({series: [{name: 'w', values: weights}]})).notes // []: histogram() already bins
 */
export function summariseFigure(fig: Figure): Summary {
  const notes: string[] = [];
  const hist = fig.data
    .map((t, i) => ({ t, i }))
    .filter(({ t }) => t.type === 'histogram' && arrayLength(t.x) > 0 && t.y === undefined);
  const binned = new Map<number, Trace>();
  if (
    hist.some(({ t }) => arrayLength(t.x) > SUMMARY_LIMITS.points) &&
    hist.every(({ t }) => !t.histnorm && !t.cumulative)
  ) {
    const bins = histogramBins(
      hist.map(({ t }) => t.x as ArrayLike<number>),
      Number(hist[0]?.t.nbinsx ?? 80),
    );
    hist.forEach(({ t, i }, k) => {
      const { x: _x, nbinsx: _n, ...rest } = t;
      binned.set(i, { ...rest, type: 'bar', x: bins.centres, y: bins.counts[k], width: bins.size });
      notes.push(
        `${traceName(t, i)}: ${arrayLength(t.x).toLocaleString('en-US')} values binned into ${bins.centres.length} bins of width ${bins.size}`,
      );
    });
  }
  const data = fig.data.map((t, i) => {
    if (binned.has(i)) return binned.get(i) as Trace;
    if (t.type === 'scatter' || t.type === 'scattergl' || t.type === undefined) return summariseScatter(t, i, notes);
    if (t.type === 'heatmap') return summariseHeatmap(t, i, notes);
    return t;
  });
  const layout =
    binned.size && fig.layout.barmode === undefined ? { ...fig.layout, barmode: 'overlay', bargap: 0 } : fig.layout;
  return { figure: notes.length ? { data, layout } : fig, notes };
}
