// Displaying figures, tables and text in a tslab notebook. A figure is sent as ONE display
// message with three MIME types: the Plotly JSON (JupyterLab's Plotly renderer draws it
// interactively), a PNG rendered headless (what the classic Notebook, nbconvert HTML and GitHub
// show), and plain text (terminals). Outside a notebook, show() prints the text form.
import { Figure } from './figures';
import { renderPng, renderUnavailableReason } from './render';
import { writeOutput } from '../core/output';

type DisplayFn = (msg: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

function tslabDisplay(): DisplayFn | undefined {
  try {
    // tslab's own jupyter module holds the display hook of the cell being executed.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
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
  const points = (t: Record<string, unknown>) => (Array.isArray(t.y) ? t.y.length : Array.isArray(t.x) ? t.x.length : Array.isArray(t.z) ? t.z.length : 0);
  if (fig.data.every((t) => t.type === 'heatmap' && t.name === undefined)) return `[Plotly chart] ${title}: ${fig.data.length} image(s)`;
  const traces = fig.data.map((t) => `${String(t.name ?? t.type)} (${points(t)} points)`);
  return `[Plotly chart] ${title}: ${traces.join(', ')}`;
}

/**
 * Displays a Plotly figure: interactive JSON + PNG + text. Without chromium, JSON + text, and
 * one notice saying why there is no PNG.
 * @example await show(lineChart({series: [{name: 'a', x: [0, 1], y: [1, 2]}]}))
 */
export async function show(fig: Figure): Promise<void> {
  const data: Record<string, unknown> = {
    'application/vnd.plotly.v1+json': { data: fig.data, layout: fig.layout, config: { responsive: true } },
    'text/plain': figureText(fig),
  };
  const reason = renderUnavailableReason();
  if (!reason) {
    data['image/png'] = Buffer.from(await renderPng(fig)).toString('base64');
  } else if (!warnedNoPng) {
    warnedNoPng = true;
    displayData({ 'text/plain': `note: charts have no PNG here: ${reason}` });
  }
  displayData(data);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cellText(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(4);
  }
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Markdown and HTML renderings of rows (columns: union of keys, in first-seen order). */
export function tableText(rows: readonly Record<string, unknown>[]): { markdown: string; html: string; columns: string[] } {
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const md = [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => cellText(r[c]).replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');
  const html = `<table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(cellText(r[c]))}</td>`).join('')}</tr>`).join('') + '</tbody></table>';
  return { markdown: md, html, columns };
}

/**
 * Displays rows as a table (HTML in notebooks, Markdown text elsewhere). Rows may also be an
 * arquero table (anything with `objects()`).
 */
export function showTable(rows: readonly Record<string, unknown>[] | { objects(): object[] }, caption?: string): void {
  const list = (Array.isArray(rows) ? rows : (rows as { objects(): object[] }).objects()) as readonly Record<string, unknown>[];
  const { markdown, html } = tableText(list);
  const cap = caption ? `<p><b>${escapeHtml(caption)}</b></p>` : '';
  displayData({ 'text/html': cap + html, 'text/markdown': (caption ? `**${caption}**\n\n` : '') + markdown, 'text/plain': (caption ? caption + '\n' : '') + markdown });
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
