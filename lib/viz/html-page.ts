// A self-contained HTML report: a title, a pass/fail banner, headings, paragraphs, tables, charts,
// library drawings and folding sections. Charts are the notebooks' Plotly figures drawn by
// plotly.js, which is written into the page once (plotly-bundle.ts), so the page works offline
// and alone: nothing is fetched when it opens. Each chart also carries a static SVG drawing
// (svg.ts), shown until plotly.js has drawn it, or for good when scripts do not run or when
// plotly.js-dist-min is not installed (the page then says so and how to install it), and its
// Plotly spec as JSON for whoever wants to re-plot it.
import { MissingPackageError } from '../errors';
import { OPTIONAL_PACKAGES } from '../core/optional-package';
import { BannerData, BANNER_CSS, bannerHtml } from './banner';
import { Figure } from './figures';
import { PLOTLY_CONFIG, plotlyScriptTag } from './plotly-bundle';
import { scriptJson } from './plotly-html';
import { escapeXml, figureSvg } from './svg';
import { tableText } from './table';

/** One block of a report page. */
export type HtmlBlock =
  | { readonly heading: string }
  | { readonly text: string }
  | {
      readonly table: { readonly columns: readonly string[]; readonly rows: readonly (readonly (string | number)[])[] };
    }
  | { readonly figure: Figure }
  | { readonly code: string }
  /** An SVG drawing made by the library (trusted markup, e.g. profile.graphSvg). */
  | { readonly svg: string }
  /** The pass/fail banner (banner.ts). */
  | { readonly banner: BannerData }
  /** Markup made by the library (trusted), e.g. the layer graph with its colour switch. */
  | { readonly html: string }
  /** A folding section, closed unless `open`; `id` makes it a link target. */
  | {
      readonly details: {
        readonly summary: string;
        readonly blocks: readonly HtmlBlock[];
        readonly id?: string;
        readonly open?: boolean;
      };
    };

/** Options of {@link htmlPage}. */
export interface HtmlPageOptions {
  /** 'interactive' (default): plotly.js in the page; 'static': SVG drawings only (a page of a few KB). */
  readonly charts?: 'interactive' | 'static';
  /** More CSS for the page's own blocks (trusted). */
  readonly css?: string;
  /** More script run at the end of the page (trusted), e.g. a drawing's controls. */
  readonly script?: string;
}

/** Rows as objects keyed by column, for the table formatter. */
export function rowObjects(
  columns: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): Record<string, string | number>[] {
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? ''])));
}

function figureHtml(fig: Figure): string {
  const width = Number(fig.layout.width ?? 720);
  return (
    `<figure class="tfc-chart"><div class="tfc-plot" style="width:${width}px;max-width:100%"></div>` +
    `<div class="tfc-fallback">${figureSvg(fig)}</div>` +
    `<script type="application/vnd.plotly.v1+json">${scriptJson(fig)}</script></figure>`
  );
}

function blockHtml(b: HtmlBlock): string {
  if ('heading' in b) return `<h2>${escapeXml(b.heading)}</h2>`;
  if ('text' in b) return `<p>${escapeXml(b.text)}</p>`;
  if ('code' in b) return `<pre>${escapeXml(b.code)}</pre>`;
  if ('svg' in b) return `<figure>${b.svg}</figure>`;
  if ('html' in b) return b.html;
  if ('banner' in b) return bannerHtml(b.banner);
  if ('figure' in b) return figureHtml(b.figure);
  if ('details' in b) {
    const d = b.details;
    return `<details${d.id ? ` id="${escapeXml(d.id)}"` : ''}${d.open ? ' open' : ''}><summary>${escapeXml(d.summary)}</summary>${d.blocks.map(blockHtml).join('\n')}</details>`;
  }
  // The one table formatter: numbers by their column's quantity, numbers right, text left.
  return tableText(rowObjects(b.table.columns, b.table.rows)).html;
}

function hasFigure(blocks: readonly HtmlBlock[]): boolean {
  return blocks.some((b) => 'figure' in b || ('details' in b && hasFigure(b.details.blocks)));
}

// Draws every chart of the page with plotly.js; a chart's static drawing goes once it is drawn.
const DRAW = `(function () {
  if (!window.Plotly) return;
  document.querySelectorAll('figure.tfc-chart').forEach(function (fig) {
    var spec = JSON.parse(fig.querySelector('script[type="application/vnd.plotly.v1+json"]').textContent);
    window.Plotly.newPlot(fig.querySelector('.tfc-plot'), spec.data, spec.layout, CONFIG).then(function () {
      var fallback = fig.querySelector('.tfc-fallback');
      if (fallback) fallback.remove();
    });
  });
})();`;

const CSS = `body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f4f4f4}pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:12px}
figure{margin:1em 0}details{margin:.5em 0}summary{cursor:pointer;font-weight:bold}
.tfc-notice{background:#f5f5f5;border-left:4px solid #9e9e9e;padding:.4em .8em;font-size:13px}
.tfc-fallback svg{max-width:100%;height:auto}`;

/**
 * The page's HTML. Throws nothing when plotly.js is missing: the charts stay static and the page
 * names the package to install.
 * @example htmlPage('Profile', [{heading: 'Totals'}, {table: {columns: ['params'], rows: [[235146]]}}])
 */
export function htmlPage(title: string, blocks: readonly HtmlBlock[], options: HtmlPageOptions = {}): string {
  let plotly = '';
  let notice = '';
  if (options.charts !== 'static' && hasFigure(blocks)) {
    try {
      plotly = plotlyScriptTag('htmlPage');
    } catch (e) {
      if (!(e instanceof MissingPackageError)) throw e;
      const install = `npm install ${e.packageName}@${OPTIONAL_PACKAGES[e.packageName] ?? 'latest'}`;
      notice = `<p class="tfc-notice">The charts below are static drawings: the npm package ${escapeXml(e.packageName)} draws them interactively and was not installed when this page was written. Install it with <code>${escapeXml(install)}</code> and write the report again.</p>`;
    }
  }
  const draw = plotly ? `${plotly}\n<script>${DRAW.replace('CONFIG', scriptJson(PLOTLY_CONFIG))}</script>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>${CSS}
${BANNER_CSS}${options.css ? `\n${options.css}` : ''}</style></head>
<body><h1>${escapeXml(title)}</h1>
${notice}${blocks.map(blockHtml).join('\n')}
${draw}${options.script ? `\n<script>${options.script}</script>` : ''}
</body></html>
`;
}
