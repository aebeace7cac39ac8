// The run report's charts, built by the notebooks' figure builders (lib/viz) from the report
// alone: model size and accuracy per stage, latency per artifact on a logarithmic axis (ONNX
// Runtime's sub-millisecond bars stay visible beside tfjs'), and one scatter of every scored stage
// by size and accuracy, its marker's area the stage's latency, the recommended artifact starred.
// Each stage keeps one colour in every chart.
import { barChart, Figure, scatterChart } from '../viz/figures';
import { formatAs } from '../viz/axes';
import type { BenchReportRow } from './bench-stage';
import type { PipelineReport, StageRecord } from './report';
import { recommendedStage } from './report-findings';

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6'];

/** One colour per stage name, in stage order (bench rows name stages). */
function stageColors(r: PipelineReport): (name: string) => string {
  const names = [...new Set([...r.stages.map((s) => s.name), ...r.bench.map((b) => b.stage)])];
  return (name) => COLORS[Math.max(0, names.indexOf(name)) % COLORS.length] as string;
}

const configOf = (b: BenchReportRow) =>
  `${b.runtime} · ${b.threads} thread${b.threads === 1 ? '' : 's'} · batch ${b.batchSize}`;

/** A stage's fastest p50 at the smallest batch size it was timed at, and where. */
export function stageLatency(r: PipelineReport, stage: string): BenchReportRow | undefined {
  const rows = r.bench.filter((b) => b.stage === stage && Number.isFinite(b.p50Ms));
  if (!rows.length) return undefined;
  const batch = Math.min(...rows.map((b) => b.batchSize));
  return rows.filter((b) => b.batchSize === batch).sort((a, b) => a.p50Ms - b.p50Ms)[0];
}

/** One bar per stage in the stage's colour, with a label on the bar and a hover text (size, accuracy). */
function stageBars(
  stages: readonly StageRecord[],
  color: (n: string) => string,
  o: {
    readonly title: string;
    readonly yFormat: 'bytes' | 'percent';
    readonly name: string;
    readonly value: (s: StageRecord) => number;
    readonly label: (s: StageRecord) => string;
    readonly hover: (s: StageRecord) => string;
  },
): Figure {
  return barChart({
    title: o.title,
    yTitle: o.name,
    yFormat: o.yFormat,
    categories: stages.map((s) => s.name),
    legend: 'none',
    series: [
      {
        name: o.name,
        values: stages.map(o.value),
        color: stages.map((s) => color(s.name)),
        labels: stages.map(o.label),
        hoverText: stages.map(o.hover),
      },
    ],
  });
}

function sizeFigure(r: PipelineReport, color: (n: string) => string): Figure | undefined {
  const stages = r.stages.filter((s) => typeof s.sizeBytes === 'number');
  if (!stages.length) return undefined;
  const storage = (s: StageRecord) => {
    const v = (s as unknown as Record<string, unknown>).storage;
    return typeof v === 'string' ? ` · weights stored as ${v}` : '';
  };
  return stageBars(stages, color, {
    title: 'Model size per stage (the files as written)',
    yFormat: 'bytes',
    name: 'size',
    value: (s) => s.sizeBytes as number,
    label: (s) => (s.sizeRatio !== undefined ? `${+s.sizeRatio.toPrecision(3)}x` : ''),
    hover: (s) =>
      `${s.name}: ${formatAs('bytes', s.sizeBytes as number)} (${(s.sizeBytes as number).toLocaleString('en-US')} bytes)` +
      (s.sizeRatio !== undefined ? `, ${+s.sizeRatio.toPrecision(3)}x the original` : '') +
      storage(s),
  });
}

function accuracyFigure(r: PipelineReport, color: (n: string) => string): Figure | undefined {
  const scored = r.stages.filter((s) => typeof s.accuracy === 'number');
  if (!scored.length) return undefined;
  const fig = stageBars(scored, color, {
    title: 'Accuracy per stage',
    yFormat: 'percent',
    name: 'accuracy',
    value: (s) => s.accuracy as number,
    label: (s) => formatAs('percent', s.accuracy as number),
    hover: (s) =>
      `${s.name}: ${formatAs('percent', s.accuracy as number)} on ${s.examples ?? '?'} examples (${s.evaluatedOn ?? '?'})` +
      (s.accuracyDrop !== undefined ? `, drop ${(s.accuracyDrop * 100).toFixed(2)} points` : ''),
  });
  // The accuracy check as a line: the original's accuracy minus the largest drop allowed.
  const base = r.stages.find((s) => s.kind === 'original')?.accuracy;
  const max = r.checks?.maxAccuracyDrop;
  if (typeof base !== 'number' || typeof max !== 'number') return fig;
  const floor = base - max;
  return {
    data: fig.data,
    layout: {
      ...fig.layout,
      shapes: [
        { type: 'line', xref: 'paper', x0: 0, x1: 1, y0: floor, y1: floor, line: { color: '#c62828', dash: 'dash' } },
      ],
      annotations: [
        {
          xref: 'paper',
          x: 1,
          y: floor,
          xanchor: 'right',
          yanchor: 'bottom',
          showarrow: false,
          text: `check: at least ${formatAs('percent', floor)}`,
          font: { color: '#c62828', size: 11 },
        },
      ],
    },
  };
}

function latencyFigure(r: PipelineReport, color: (n: string) => string): Figure | undefined {
  const rows = r.bench.filter((b) => Number.isFinite(b.p50Ms) && b.p50Ms > 0);
  if (!rows.length) return undefined;
  const configs = [...new Set(rows.map(configOf))];
  const stages = [...new Set(rows.map((b) => b.stage))];
  const cell = (stage: string, config: string) => rows.find((b) => b.stage === stage && configOf(b) === config);
  return barChart({
    title: 'Latency per artifact (p50, whisker to p90; log scale)',
    yTitle: 'p50 latency (ms)',
    yFormat: 'ms',
    logY: true,
    legend: 'right',
    width: Math.max(720, 200 + configs.length * stages.length * 45),
    height: 480,
    categories: configs,
    series: stages.map((stage) => ({
      name: stage,
      color: color(stage),
      values: configs.map((c) => cell(stage, c)?.p50Ms ?? NaN),
      upperErrors: configs.map((c) => {
        const b = cell(stage, c);
        return b && Number.isFinite(b.p90Ms) ? Math.max(0, b.p90Ms - b.p50Ms) : 0;
      }),
      hoverText: configs.map((c) => {
        const b = cell(stage, c);
        return b
          ? `${stage} on ${c}: p50 ${formatAs('ms', b.p50Ms)}, p90 ${formatAs('ms', b.p90Ms)}, ${Math.round(b.throughput).toLocaleString('en-US')} examples/s`
          : '';
      }),
    })),
  });
}

function tradeoffFigure(r: PipelineReport, color: (n: string) => string): Figure | undefined {
  const stages = r.stages.filter((s) => typeof s.accuracy === 'number' && typeof s.sizeBytes === 'number');
  if (!stages.length) return undefined;
  const latency = stages.map((s) => stageLatency(r, s.name));
  const slowest = Math.max(0, ...latency.map((b) => b?.p50Ms ?? 0));
  // Marker area proportional to latency; untimed stages get a small open marker.
  const diameter = (b: BenchReportRow | undefined) =>
    b && slowest > 0 ? Math.max(8, 44 * Math.sqrt(b.p50Ms / slowest)) : 8;
  const sizes = stages.map((s) => s.sizeBytes as number);
  const recommended = recommendedStage(r);
  const hover = stages.map((s, i) => {
    const b = latency[i];
    return (
      `${s.name}: ${formatAs('bytes', s.sizeBytes as number)}, accuracy ${formatAs('percent', s.accuracy as number)}` +
      (b ? `, p50 ${formatAs('ms', b.p50Ms)} on ${configOf(b)}` : ', not timed')
    );
  });
  const batches = [...new Set(latency.filter((b) => b).map((b) => (b as BenchReportRow).batchSize))];
  // One trace per stage: the legend names them (labels beside close points would collide).
  return scatterChart({
    title: 'Size and accuracy per stage',
    xTitle: `model size${batches.length ? ` (marker area: p50 latency at batch ${batches.join('/')}, fastest runtime)` : ''}`,
    yTitle: 'accuracy',
    xFormat: 'bytes',
    yFormat: 'percent',
    logX: Math.max(...sizes) / Math.min(...sizes) > 8,
    legend: 'right',
    width: 860,
    height: 460,
    series: [
      ...stages.map((s, i) => ({
        name: s.name,
        x: [sizes[i] as number],
        y: [s.accuracy as number],
        hoverText: [hover[i] as string],
        markerSize: [diameter(latency[i])],
        color: color(s.name),
        ...(latency[i] ? {} : { symbol: 'circle-open' }),
      })),
      ...(recommended && stages.includes(recommended)
        ? [
            {
              name: `recommended: ${recommended.name}`,
              x: [recommended.sizeBytes as number],
              y: [recommended.accuracy as number],
              hoverText: [`recommended: ${hover[stages.indexOf(recommended)]}`],
              markerSize: [24],
              symbol: 'star',
              color: 'rgba(249, 168, 37, 0.6)',
            },
          ]
        : []),
    ],
  });
}

/** The report's charts: size and accuracy per stage, latency per artifact, and the size-accuracy-latency scatter. */
export function reportFigures(r: PipelineReport): Figure[] {
  const color = stageColors(r);
  return [sizeFigure(r, color), accuracyFigure(r, color), latencyFigure(r, color), tradeoffFigure(r, color)].filter(
    (f): f is Figure => f !== undefined,
  );
}
