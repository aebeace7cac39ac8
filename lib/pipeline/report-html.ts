// report.html: the run report as one self-contained page. At the top, the verdict (failed checks
// by name and number, then warnings); then what to ship (when the report names it), the stages,
// the charts (the notebooks' Plotly figures, drawn offline by plotly.js written into the page),
// the speed table, the inputs and the recipe. Every number on the page comes from the report.
// The report's data, its Markdown and its tables stay in report.ts.
import { HtmlBlock, htmlPage } from '../viz/html-page';
import type { PipelineReport } from './report';
import { benchTable, stageTable } from './report';
import { reportFigures } from './report-figures';
import { reportBanner, reportDeploy } from './report-findings';

/** Options of {@link reportHtml}. */
export interface ReportHtmlOptions {
  /** 'interactive' (default): plotly.js written into the page (about 4.8 MB); 'static': SVG drawings only. */
  readonly charts?: 'interactive' | 'static';
}

function deployBlocks(r: PipelineReport): HtmlBlock[] {
  const d = reportDeploy(r);
  if (!d) return [];
  const rows = d.artifacts.map((a) => [
    String(a.file ?? ''),
    String(a.format ?? ''),
    String(a.runtime ?? ''),
    a.deployable === false ? 'no (a plan, not for shipping)' : a.deployable === true ? 'yes' : '',
    String(a.precision ?? ''),
    typeof a.sizeBytes === 'number' ? a.sizeBytes : '',
    typeof a.accuracy === 'number' ? a.accuracy : '',
    Array.isArray(a.floatLayers) ? a.floatLayers.length : '',
  ]);
  return [
    { heading: 'What to ship' },
    {
      text: d.recommended
        ? `Recommended: ${d.recommended}${d.reason ? ` (${d.reason})` : ''}.`
        : `No artifact of this run is recommended${d.reason ? `: ${d.reason}` : ''}.`,
    },
    ...(rows.length
      ? [
          {
            table: {
              columns: [
                'file',
                'format',
                'runtime',
                'deployable',
                'precision',
                'size (bytes)',
                'accuracy',
                'layers left in float',
              ],
              rows,
            },
          },
        ]
      : []),
  ];
}

/**
 * report.html (self-contained: no request leaves the page).
 * @example fs.writeFileSync('report.html', reportHtml(report))
 */
export function reportHtml(r: PipelineReport, options: ReportHtmlOptions = {}): string {
  const m = r.machine;
  const versions = Object.entries(r.versions ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const blocks: HtmlBlock[] = [
    { banner: reportBanner(r) },
    {
      text:
        `Seed ${r.seed}; ${versions}; ${m.cpuModel}, ${m.cores} cores (${m.cpuFlags.join(' ')}), ${m.platform}, node ${m.node}; ` +
        `started ${r.startedAt}, ${r.seconds.toFixed(1)} s.`,
    },
    ...deployBlocks(r),
    { heading: 'Stages' },
    { table: stageTable(r) },
    { heading: 'Charts' },
    ...reportFigures(r).map((figure) => ({ figure })),
    ...(r.bench.length ? [{ heading: 'Speed' }, { table: benchTable(r) }] : []),
    { heading: 'Inputs' },
    { table: { columns: ['role', 'path', 'sha256'], rows: r.inputs.map((i) => [i.role, i.path, i.sha256]) } },
    { heading: 'Recipe' },
    { code: JSON.stringify(r.recipe, null, 2) },
  ];
  return htmlPage(r.recipe.name ?? 'tfjs-compress run', blocks, { charts: options.charts });
}
