// Displaying figures, tables and text in a tslab notebook. A figure is sent as ONE display
// message with four MIME types, each for the viewers that pick it:
//   application/vnd.plotly.v1+json  JupyterLab with plotly's extension (and VS Code) draw it;
//   text/html                       pages that run scripts (classic Notebook, JupyterLab without
//                                   the extension, nbconvert HTML) draw it with plotly.js, loaded
//                                   once per page (plotly-html.ts); the PNG is inside as fallback;
//   image/png                       viewers that run no scripts (GitHub, untrusted notebooks);
//   text/plain                      terminals.
// Large traces are summarised first (summarise.ts) and the PNG is drawn from the same summary.
// Tables format every number by its column's quantity (format.ts, table.ts).
// Outside a notebook, show() and showTable() print their text form.
import { Figure } from './figures';
import { renderPng, renderUnavailableReason } from './render';
import { summariseFigure } from './summarise';
import { plotlyHtml, plotlySource } from './plotly-html';
import { tableText, TableOptions } from './table';
import { writeOutput } from '../core/output';

type DisplayFn = (
  msg: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> },
  update: boolean,
) => void;

function tslabDisplay(): DisplayFn | undefined {
  try {
    // tslab's own jupyter module holds the display hook of the cell being executed.

    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: DisplayFn | null };
    return jupyter.lastWriteDisplayData ?? undefined;
  } catch {
    return undefined;
  }
}

let warnedNoPng = false;

/** Sends one display message with several MIME types (outside a notebook: its text, to the output sink). */
export function displayData(data: Record<string, unknown>): void {
  const write = tslabDisplay();
  if (!write) {
    writeOutput(String(data['text/plain'] ?? data['text/markdown'] ?? ''));
    return;
  }
  write({ data, metadata: {}, transient: {} }, false);
}

function figureText(fig: Figure): string {
  const title = (fig.layout.title as { text?: string } | undefined)?.text ?? 'figure';
  const points = (t: Record<string, unknown>) =>
    Array.isArray(t.y) ? t.y.length : Array.isArray(t.x) ? t.x.length : Array.isArray(t.z) ? t.z.length : 0;
  if (fig.data.every((t) => t.type === 'heatmap' && t.name === undefined))
    return `[Plotly chart] ${title}: ${fig.data.length} image(s)`;
  const traces = fig.data.map((t) => `${String(t.name ?? t.type)} (${points(t)} points)`);
  return `[Plotly chart] ${title}: ${traces.join(', ')}`;
}

/** A figure whose JSON is larger than this is shown as its PNG only (the JSON travels twice in the notebook). */
export const MAX_FIGURE_JSON_BYTES = 400_000;

/**
 * Displays a Plotly figure: Plotly JSON, interactive HTML, PNG and text (see the file header).
 * Without chromium there is no PNG (one notice says why); without plotly.js-dist-min, no HTML.
 * @example await show(lineChart({series: [{name: 'a', x: [0, 1], y: [1, 2]}]}))
 */
export async function show(fig: Figure): Promise<void> {
  const { figure, notes } = summariseFigure(fig);
  const spec = { data: figure.data, layout: figure.layout };
  const jsonBytes = Buffer.byteLength(JSON.stringify(spec));
  const tooLarge = jsonBytes > MAX_FIGURE_JSON_BYTES;
  if (tooLarge)
    notes.push(
      `its JSON is ${jsonBytes.toLocaleString('en-US')} bytes (limit ${MAX_FIGURE_JSON_BYTES.toLocaleString('en-US')}), so only its picture is kept`,
    );
  const text = figureText(figure) + (notes.length ? `\n(summarised: ${notes.join('; ')})` : '');
  const data: Record<string, unknown> = { 'text/plain': text };
  const reason = renderUnavailableReason();
  let png: string | undefined;
  if (!reason) {
    png = Buffer.from(await renderPng(figure)).toString('base64');
    data['image/png'] = png;
  } else if (!warnedNoPng) {
    warnedNoPng = true;
    displayData({ 'text/plain': `note: charts have no PNG here: ${reason}` });
  }
  const source = plotlySource();
  if (!tooLarge) {
    data['application/vnd.plotly.v1+json'] = { ...spec, config: { responsive: true } };
    if (source) data['text/html'] = plotlyHtml(figure, { png, alt: figureText(figure), source });
  }
  displayData(data);
}

/**
 * Displays rows as a table (HTML in notebooks, Markdown text elsewhere), each number formatted by
 * its column's quantity (format.ts: read from the column name, or given in `options.formats`).
 * Rows may also be an arquero table (anything with `objects()`).
 * @example showTable([{model: 'SimpleNet', accuracy: 0.9823}], 'Accuracy') // accuracy shown as 98.23%
 */
export function showTable(
  rows: readonly Record<string, unknown>[] | { objects(): object[] },
  caption?: string,
  options: TableOptions = {},
): void {
  const list = (Array.isArray(rows) ? rows : (rows as { objects(): object[] }).objects()) as readonly Record<
    string,
    unknown
  >[];
  const { markdown, html } = tableText(list, options);
  const cap = caption ? `<p><b>${escapeHtml(caption)}</b></p>` : '';
  displayData({
    'text/html': cap + html,
    'text/markdown': (caption ? `**${caption}**\n\n` : '') + markdown,
    'text/plain': (caption ? caption + '\n' : '') + markdown,
  });
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Displays Markdown. */
export function showMarkdown(md: string): void {
  displayData({ 'text/markdown': md, 'text/plain': md });
}

/** Displays an SVG picture (e.g. the layer graph). */
export function showSvg(svg: string, text = '[SVG picture]'): void {
  displayData({ 'image/svg+xml': svg, 'text/plain': text });
}

/** Displays PNG bytes (e.g. a screenshot). */
export function showPng(png: Uint8Array, text = '[PNG picture]'): void {
  displayData({ 'image/png': Buffer.from(png).toString('base64'), 'text/plain': text });
}
