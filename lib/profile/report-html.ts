// The profile as one self-contained page (what `tfjs-compress profile --html` writes): warnings
// first, the totals, the notebooks' Plotly charts of where the compute and the parameters are
// (drawn offline by plotly.js written into the page), the layer graph for any size of model
// (graph-html.ts), and the table of every layer. Every number comes from the profile report.
import { barChart, Figure, scatterChart } from '../viz/figures';
import { HtmlBlock, htmlPage } from '../viz/html-page';
import { formatAs } from '../viz/axes';
import { GRAPH_CSS, GRAPH_SCRIPT, graphHtml } from './graph-html';
import { LayerProfile, ProfileReport } from './report';

/** Options of {@link profileHtml}. */
export interface ProfileHtmlOptions {
  /** Page title. Default 'Model profile'. */
  readonly title?: string;
  /** Lines under the title (e.g. the model's folder and its file sizes, as measured by the caller). */
  readonly summary?: readonly string[];
  /** Weight precision per layer name (layerPrecisions), for the graph's precision colours. */
  readonly precision?: Readonly<Record<string, string>>;
  /** 'interactive' (default): plotly.js written into the page; 'static': SVG drawings only. */
  readonly charts?: 'interactive' | 'static';
}

const share = (v: number, total: number) => (total > 0 ? v / total : 0);

/** The profile's charts: the layers with the most MACs, MACs and parameters by class and along the depth, sparsity per layer. */
export function profileFigures(report: ProfileReport): Figure[] {
  const layers = report.layers;
  const t = report.totals;
  const figs: Figure[] = [];
  const top = [...layers]
    .filter((l) => (l.macs ?? 0) > 0)
    .sort((a, b) => (b.macs ?? 0) - (a.macs ?? 0))
    .slice(0, 20);
  if (top.length)
    figs.push(
      barChart({
        title: `Where the compute is: the ${top.length} layers with the most MACs`,
        xTitle: 'MACs per example',
        xFormat: 'count',
        orientation: 'h',
        legend: 'none',
        categories: top.map((l) => l.name),
        series: [
          {
            name: 'MACs',
            values: top.map((l) => l.macs ?? 0),
            hoverText: top.map(
              (l) =>
                `${l.name} (${l.className}): ${(l.macs ?? 0).toLocaleString('en-US')} MACs, ${formatAs('percent', share(l.macs ?? 0, t.macs))} of the total`,
            ),
          },
        ],
      }),
    );
  const classes = [...new Set(layers.map((l) => l.className))].filter((c) =>
    layers.some((l) => l.className === c && ((l.macs ?? 0) > 0 || l.params > 0)),
  );
  const sum = (c: string, f: (l: LayerProfile) => number) =>
    layers.filter((l) => l.className === c).reduce((a, l) => a + f(l), 0);
  classes.sort((a, b) => sum(b, (l) => l.macs ?? 0) - sum(a, (l) => l.macs ?? 0));
  if (classes.length)
    figs.push(
      barChart({
        title: 'Share of MACs and of parameters by layer class',
        xTitle: 'share of the model total',
        xFormat: 'percent',
        orientation: 'h',
        legend: 'right',
        categories: classes,
        series: [
          ['MACs', t.macs, (l: LayerProfile) => l.macs ?? 0] as const,
          ['parameters', t.params, (l: LayerProfile) => l.params] as const,
        ].map(([name, total, f]) => ({
          name,
          values: classes.map((c) => share(sum(c, f), total)),
          hoverText: classes.map(
            (c) =>
              `${c}: ${sum(c, f).toLocaleString('en-US')} ${name} (${formatAs('percent', share(sum(c, f), total))}) in ${layers.filter((l) => l.className === c).length} layers`,
          ),
        })),
      }),
    );
  const index = layers.map((_, i) => i + 1);
  const positive = (v: number | undefined) => (v !== undefined && v > 0 ? v : NaN);
  figs.push(
    scatterChart({
      title: 'MACs and parameters of each layer, input to output (log scale)',
      xTitle: 'layer, in order',
      yTitle: 'per layer',
      logY: true,
      yFormat: 'count',
      legend: 'right',
      width: 900,
      series: [
        ['MACs', (l: LayerProfile) => l.macs] as const,
        ['parameters', (l: LayerProfile) => l.params] as const,
      ].map(([name, f]) => ({
        name,
        x: index,
        y: layers.map((l) => positive(f(l))),
        hoverText: layers.map((l) => {
          const v = f(l);
          return `${l.name} (${l.className}): ${v === undefined ? 'unknown' : v.toLocaleString('en-US')} ${name}`;
        }),
      })),
    }),
  );
  const weighted = layers.filter((l) => l.params > 0);
  if (weighted.some((l) => l.sparsity > 0))
    figs.push(
      barChart({
        title: 'Zero weights per layer',
        yTitle: 'sparsity',
        yFormat: 'percent',
        legend: 'none',
        width: 900,
        categories: weighted.map((l) => l.name),
        series: [
          {
            name: 'sparsity',
            values: weighted.map((l) => l.sparsity),
            hoverText: weighted.map(
              (l) =>
                `${l.name}: ${formatAs('percent', l.sparsity)} of ${l.params.toLocaleString('en-US')} weights are zero`,
            ),
          },
        ],
      }),
    );
  return figs;
}

function totalsTable(t: ProfileReport['totals']): HtmlBlock {
  const bytes = (by: Record<string, number> | undefined) =>
    Object.entries(by ?? {})
      .map(([d, b]) => `${d} ${formatAs('bytes', b)}`)
      .join(', ');
  const rows: (string | number)[][] = [
    ['parameters', t.params],
    ['trainable parameters', t.trainableParams],
    ['MACs per example', t.macs],
    ['FLOPs per example (2 x MACs)', t.flops],
    ['weight bytes in memory', `${formatAs('bytes', t.weightBytes)} (${bytes(t.weightBytesByDtype)})`],
    ...(t.storedWeightBytesByDtype ? [['weight bytes as stored', bytes(t.storedWeightBytesByDtype)]] : []),
    ['zero weights', `${t.zeroWeights.toLocaleString('en-US')} (${formatAs('percent', t.sparsity)})`],
    [`peak activations at batch ${t.batchSize}`, formatAs('bytes', t.peakActivationBytes)],
    [`peak memory at batch ${t.batchSize} (weights + activations)`, formatAs('bytes', t.peakMemoryBytes)],
  ];
  return { table: { columns: ['total', 'value'], rows } };
}

/** The columns of a layer table (the HTML report's and the CLI's), sparsity last. */
export const LAYER_COLUMNS = ['layer', 'class', 'output', 'params', 'MACs', 'weight bytes', 'sparsity'] as const;

/** A layer's cells before sparsity (each display formats sparsity its own way). */
export function layerCells(l: LayerProfile): (string | number)[] {
  return [l.name, l.className, `[${l.outputShape.join(',')}]`, l.params, l.macs ?? '?', l.weightBytes];
}

/**
 * The profile page's HTML (self-contained: no request leaves the page).
 * @example fs.writeFileSync('profile.html', profileHtml(await profileModel(model), {title: 'MobileNetV2'}))
 */
export function profileHtml(report: ProfileReport, options: ProfileHtmlOptions = {}): string {
  const layers = report.layers;
  const blocks: HtmlBlock[] = [
    {
      banner: {
        checks: [],
        warnings: report.warnings,
        headline: `Profiled ${layers.length} layers`,
      },
    },
    ...(options.summary ?? []).map((text) => ({ text })),
    { heading: 'Totals' },
    totalsTable(report.totals),
    { heading: 'Where the compute and the parameters are' },
    ...profileFigures(report).map((figure) => ({ figure })),
    { heading: 'Layer graph' },
    { html: graphHtml(layers, options.precision ? { precision: options.precision } : {}) },
    { heading: 'Layers' },
    {
      table: {
        columns: [...LAYER_COLUMNS, 'precision'],
        rows: layers.map((l) => [
          ...layerCells(l),
          l.sparsity,
          l.params ? (options.precision?.[l.name] ?? 'float32') : '',
        ]),
      },
    },
  ];
  return htmlPage(options.title ?? 'Model profile', blocks, {
    css: GRAPH_CSS,
    script: GRAPH_SCRIPT,
    ...(options.charts ? { charts: options.charts } : {}),
  });
}
