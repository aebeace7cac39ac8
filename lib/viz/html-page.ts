// A self-contained HTML report: headings, paragraphs, tables and bar charts (inline SVG, with the
// Plotly spec embedded as JSON beside each for whoever wants to re-plot it). Nothing is fetched
// when the page opens: no scripts, no fonts, no images from elsewhere.
import { Figure } from './figures';
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
  | { readonly svg: string };

/** Rows as objects keyed by column, for the table formatter. */
export function rowObjects(
  columns: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): Record<string, string | number>[] {
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? ''])));
}

/**
 * The page's HTML.
 * @example htmlPage('Profile', [{heading: 'Totals'}, {table: {columns: ['params'], rows: [[235146]]}}])
 */
export function htmlPage(title: string, blocks: readonly HtmlBlock[]): string {
  const body = blocks
    .map((b) => {
      if ('heading' in b) return `<h2>${escapeXml(b.heading)}</h2>`;
      if ('text' in b) return `<p>${escapeXml(b.text)}</p>`;
      if ('code' in b) return `<pre>${escapeXml(b.code)}</pre>`;
      if ('svg' in b) return `<figure>${b.svg}</figure>`;
      if ('figure' in b) {
        return `<figure>${figureSvg(b.figure)}<script type="application/vnd.plotly.v1+json">${JSON.stringify(b.figure).replace(/</g, '\\u003c')}</script></figure>`;
      }
      // The one table formatter: numbers by their column's quantity, numbers right, text left.
      return tableText(rowObjects(b.table.columns, b.table.rows)).html;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f4f4f4}pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:12px}
figure{margin:1em 0}</style></head>
<body><h1>${escapeXml(title)}</h1>
${body}
</body></html>
`;
}
