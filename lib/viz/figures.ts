// Plotly figure builders: plain data in, a plain Plotly spec out (no Plotly code runs here).
// Display and rendering live in show.ts and render.ts. Log axes get explicit ticks (ticks.ts);
// histograms are binned here (bins.ts), so a figure holds counts, not every value.
import { histogramBins } from './bins';
import { AxisFormat, axisFormat } from './axes';

/** A Plotly figure: traces and layout, JSON-serializable. */
export interface Figure {
  readonly data: Record<string, unknown>[];
  readonly layout: Record<string, unknown>;
}

/** Common chart options. */
export interface ChartOptions {
  readonly title?: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  readonly logX?: boolean;
  readonly logY?: boolean;
  /** The quantity on the x axis: its ticks and hover values are written in its unit (axes.ts). */
  readonly xFormat?: AxisFormat;
  readonly yFormat?: AxisFormat;
  readonly width?: number;
  readonly height?: number;
  /** Where the legend goes: 'bottom' (default, horizontal), 'right' (beside the plot, never over labels), 'none'. */
  readonly legend?: 'bottom' | 'right' | 'none';
}

/** One line or scatter series. */
export interface XYSeries {
  readonly name: string;
  readonly x: readonly (number | string)[];
  readonly y: readonly number[];
  /** Label text per point (shown with `showText`, and in the hover). */
  readonly text?: readonly string[];
  /** Hover text per point, replacing Plotly's default hover label. */
  readonly hoverText?: readonly string[];
  /** Error bars (same length as y). */
  readonly yError?: readonly number[];
  readonly dash?: 'solid' | 'dash' | 'dot';
  /** Marker diameter per point, in pixels. */
  readonly markerSize?: readonly number[];
  /** Marker symbol (Plotly's names: 'circle', 'star', 'diamond', ...). */
  readonly symbol?: string;
  /** One colour, or one per point. */
  readonly color?: string | readonly string[];
}

/** Drops undefined fields, so a figure is plain JSON. */
function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const LEGENDS = {
  bottom: { orientation: 'h', y: -0.2 },
  right: { orientation: 'v', x: 1.02, xanchor: 'left', y: 1, yanchor: 'top', itemsizing: 'constant' },
  none: undefined,
} as const;

function layout(o: ChartOptions, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return clean({
    title: o.title ? { text: o.title } : undefined,
    xaxis: { title: { text: o.xTitle ?? '' }, type: o.logX ? 'log' : undefined, automargin: true },
    yaxis: { title: { text: o.yTitle ?? '' }, type: o.logY ? 'log' : undefined, automargin: true },
    width: o.width ?? 720,
    height: o.height ?? 420,
    margin: { l: 60, r: 20, t: o.title ? 50 : 20, b: 50 },
    legend: LEGENDS[o.legend ?? 'bottom'],
    ...(o.legend === 'none' ? { showlegend: false } : {}),
    ...extra,
  });
}

function numbers(values: readonly unknown[]): number[] {
  return values.filter((v): v is number => typeof v === 'number');
}

/** Writes each axis' ticks in its quantity (axes.ts); log axes get readable ticks from the values they show. */
function withLogTicks(fig: Figure, o: ChartOptions, x: () => number[], y: () => number[]): Figure {
  const layout = { ...fig.layout };
  for (const [key, log, format, values] of [
    ['xaxis', o.logX, o.xFormat, x],
    ['yaxis', o.logY, o.yFormat, y],
  ] as const) {
    if (!log && !format) continue;
    const fields = axisFormat(format, values(), Boolean(log));
    if (Object.keys(fields).length) layout[key] = { ...(layout[key] as Record<string, unknown>), ...fields };
  }
  return { data: fig.data, layout };
}

function xyTrace(s: XYSeries, mode: string): Record<string, unknown> {
  const color = typeof s.color === 'string' ? s.color : s.color ? [...s.color] : undefined;
  const marker =
    s.markerSize || s.symbol || color
      ? {
          ...(s.markerSize ? { size: [...s.markerSize] } : {}),
          ...(s.symbol ? { symbol: s.symbol } : {}),
          ...(color ? { color } : {}),
        }
      : undefined;
  return {
    type: 'scatter',
    mode,
    name: s.name,
    x: [...s.x],
    y: [...s.y],
    ...(s.text ? { text: [...s.text] } : {}),
    ...(s.hoverText ? { hovertext: [...s.hoverText], hoverinfo: 'text' } : {}),
    ...(s.yError ? { error_y: { type: 'data', array: [...s.yError], visible: true } } : {}),
    ...(s.dash ? { line: { dash: s.dash } } : {}),
    ...(marker ? { marker } : {}),
  };
}

/**
 * Lines with markers, one trace per series.
 * @example lineChart({title: 'Accuracy vs sparsity', series: [{name: 'fine-tuned', x: [0, 0.5], y: [0.98, 0.97]}]})
 */
export function lineChart(o: ChartOptions & { readonly series: readonly XYSeries[] }): Figure {
  return withLogTicks(
    { data: o.series.map((s) => xyTrace(s, 'lines+markers')), layout: layout(o) },
    o,
    () => o.series.flatMap((s) => numbers(s.x)),
    () => o.series.flatMap((s) => [...s.y]),
  );
}

/** Points only (text labels shown when given). */
export function scatterChart(
  o: ChartOptions & { readonly series: readonly XYSeries[]; readonly showText?: boolean },
): Figure {
  return withLogTicks(
    {
      data: o.series.map((s) => ({
        ...xyTrace(s, o.showText ? 'markers+text' : 'markers'),
        textposition: 'top center',
      })),
      layout: layout(o),
    },
    o,
    () => o.series.flatMap((s) => numbers(s.x)),
    () => o.series.flatMap((s) => [...s.y]),
  );
}

/** One series of a bar chart. */
export interface BarSeries {
  readonly name: string;
  readonly values: readonly number[];
  /** Symmetric error bars. */
  readonly errors?: readonly number[];
  /** Error bars above the bar only (e.g. p90 - p50 over a p50 bar). */
  readonly upperErrors?: readonly number[];
  /** One colour for the series, or one per bar. */
  readonly color?: string | readonly string[];
  /** Hover text per bar, replacing Plotly's default hover label. */
  readonly hoverText?: readonly string[];
  /** Text drawn on each bar. */
  readonly labels?: readonly string[];
}

function errorBars(s: BarSeries): Record<string, unknown> {
  if (s.upperErrors)
    return {
      type: 'data',
      symmetric: false,
      array: [...s.upperErrors],
      arrayminus: s.upperErrors.map(() => 0),
      visible: true,
    };
  return s.errors ? { type: 'data', array: [...s.errors], visible: true } : {};
}

/**
 * Grouped bars: one trace per series over shared categories. `orientation: 'h'` lays the bars
 * along x with the categories down the y axis, first at the top (long names stay readable); its
 * value axis is then x (`logX`, `xFormat`, `xTitle`).
 * @example barChart({categories: ['fp32', 'int8'], series: [{name: 'size', values: [4.8e6, 1.2e6]}], yFormat: 'bytes'})
 */
export function barChart(
  o: ChartOptions & {
    readonly categories: readonly string[];
    readonly series: readonly BarSeries[];
    readonly stacked?: boolean;
    readonly orientation?: 'v' | 'h';
  },
): Figure {
  const h = o.orientation === 'h';
  const fig: Figure = {
    data: o.series.map((s) => {
      const err = errorBars(s);
      const color = typeof s.color === 'string' ? s.color : s.color ? [...s.color] : undefined;
      return {
        type: 'bar',
        name: s.name,
        ...(h
          ? { orientation: 'h', y: [...o.categories], x: [...s.values] }
          : { x: [...o.categories], y: [...s.values] }),
        ...(Object.keys(err).length ? { [h ? 'error_x' : 'error_y']: err } : {}),
        ...(color ? { marker: { color } } : {}),
        ...(s.hoverText ? { hovertext: [...s.hoverText], hoverinfo: 'text' } : {}),
        ...(s.labels ? { text: [...s.labels], textposition: 'auto' } : {}),
      };
    }),
    layout: layout(
      h ? { ...o, height: o.height ?? Math.max(240, 80 + 22 * o.categories.length * Math.max(1, o.series.length)) } : o,
      {
        barmode: o.stacked ? 'stack' : 'group',
        ...(h ? { yaxis: { title: { text: o.yTitle ?? '' }, automargin: true, autorange: 'reversed' } } : {}),
      },
    ),
  };
  const totals = o.categories.map((_, k) => o.series.reduce((a, s) => a + (s.values[k] ?? 0), 0));
  const values = () => o.series.flatMap((s) => [...s.values]).concat(o.stacked ? totals : []);
  return h ? withLogTicks(fig, o, values, () => []) : withLogTicks(fig, o, () => [], values);
}

/**
 * Overlaid histograms, binned here into shared bins of a nice width (about `nbins`, default 80):
 * one bar trace of counts per series.
 * @example histogram({series: [{name: 'w', values: [0, 1, 1, 2]}], nbins: 2}).data[0] // bars at 0.5, 1.5, 2.5 with counts 1, 2, 1
 */
export function histogram(
  o: ChartOptions & {
    readonly series: readonly { readonly name: string; readonly values: ArrayLike<number> }[];
    readonly nbins?: number;
  },
): Figure {
  const bins = histogramBins(
    o.series.map((s) => s.values),
    o.nbins ?? 80,
  );
  const data = o.series.map((s, k) => ({
    type: 'bar',
    name: s.name,
    x: bins.centres,
    y: bins.counts[k] as number[],
    width: bins.size,
    opacity: o.series.length > 1 ? 0.6 : 1,
    hovertemplate: `[%{customdata[0]}, %{customdata[1]}): %{y}<extra>${s.name.replace(/[<>]/g, '')}</extra>`,
    customdata: bins.centres.map((c) => [+(c - bins.size / 2).toPrecision(6), +(c + bins.size / 2).toPrecision(6)]),
  }));
  return withLogTicks(
    { data, layout: layout(o, { barmode: 'overlay', bargap: 0 }) },
    o,
    () => [...bins.centres],
    () => bins.counts.flat(),
  );
}

/** A heatmap of a matrix (rows top to bottom). */
export function heatmap(
  o: ChartOptions & {
    readonly z: readonly (readonly number[])[];
    readonly x?: readonly (string | number)[];
    readonly y?: readonly (string | number)[];
    readonly colorscale?: string;
  },
): Figure {
  return {
    data: [
      {
        type: 'heatmap',
        z: o.z.map((r) => [...r]),
        ...(o.x ? { x: [...o.x] } : {}),
        ...(o.y ? { y: [...o.y] } : {}),
        colorscale: o.colorscale ?? 'Viridis',
      },
    ],
    layout: layout(o, { yaxis: { autorange: 'reversed', title: { text: o.yTitle ?? '' } } }),
  };
}

/**
 * A grid of grey images (e.g. sample digits), one heatmap subplot each, with titles.
 * `images` are row-major uint8 (0-255) arrays of height x width.
 */
export function imageGrid(o: {
  readonly images: readonly ArrayLike<number>[];
  readonly height: number;
  readonly width: number;
  readonly titles?: readonly string[];
  readonly columns?: number;
  readonly title?: string;
}): Figure {
  const cols = o.columns ?? Math.min(o.images.length, 10);
  const rows = Math.ceil(o.images.length / cols);
  const data: Record<string, unknown>[] = [];
  const lay: Record<string, unknown> = {
    title: o.title ? { text: o.title } : undefined,
    width: Math.max(cols * 80, 300),
    height: rows * 95 + (o.title ? 60 : 20),
    margin: { l: 10, r: 10, t: o.title ? 50 : 10, b: 10 },
    showlegend: false,
    annotations: [],
  };
  const gap = 0.02;
  o.images.forEach((img, k) => {
    const r = Math.floor(k / cols);
    const c = k % cols;
    const z: number[][] = [];
    for (let i = 0; i < o.height; i++) z.push(Array.from({ length: o.width }, (_, j) => Number(img[i * o.width + j])));
    const ax = k === 0 ? '' : String(k + 1);
    data.push({
      type: 'heatmap',
      z,
      colorscale: 'Greys',
      reversescale: true,
      showscale: false,
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      zmin: 0,
      zmax: 255,
    });
    const x0 = c / cols + gap / 2;
    const x1 = (c + 1) / cols - gap / 2;
    const y1 = 1 - r / rows - 0.12 / rows;
    const y0 = 1 - (r + 1) / rows + gap / 2;
    lay[`xaxis${ax}`] = { domain: [x0, x1], visible: false };
    lay[`yaxis${ax}`] = { domain: [y0, y1], visible: false, autorange: 'reversed' }; // cells are sized near-square by width and height below
    if (o.titles?.[k] !== undefined) {
      (lay.annotations as unknown[]).push({
        text: o.titles[k],
        x: (x0 + x1) / 2,
        y: y1,
        xref: 'paper',
        yref: 'paper',
        yanchor: 'bottom',
        showarrow: false,
        font: { size: 11 },
      });
    }
  });
  return { data, layout: clean(lay) };
}
