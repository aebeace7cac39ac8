// Rows of plain objects as Markdown and HTML tables, every cell formatted by its column's quantity
// (format.ts): numbers right-aligned, text left-aligned.
import { ColumnFormats, columnQuantity, formatValue, isNumericColumn, Quantity } from './format';

/** Options of {@link tableText}. */
export interface TableOptions {
  /** Quantities of some columns, overriding what their names imply. */
  readonly formats?: ColumnFormats;
}

/** A table rendered three ways, with the columns and how each was read. */
export interface TableText {
  readonly markdown: string;
  readonly html: string;
  readonly columns: string[];
  readonly quantities: Quantity[];
  readonly numeric: boolean[];
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Markdown and HTML renderings of rows (columns: union of keys, in first-seen order).
 * @example tableText([{model: 'a', accuracy: 0.98231, sizeBytes: 940584}]).markdown
 *   // '| model | accuracy | sizeBytes |\n|:---|---:|---:|\n| a | 98.23% | 940,584 |'
 */
export function tableText(rows: readonly Record<string, unknown>[], options: TableOptions = {}): TableText {
  const columns: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  const quantities = columns.map((c) => options.formats?.[c] ?? columnQuantity(c));
  const numeric = columns.map((c) => isNumericColumn(rows.map((r) => r[c])));
  const cells = rows.map((r) => columns.map((c, j) => formatValue(r[c], quantities[j])));
  const md = [
    `| ${columns.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`,
    `|${numeric.map((n) => (n ? '---:' : ':---')).join('|')}|`,
    ...cells.map((row) => `| ${row.map((s) => s.replace(/\|/g, '\\|')).join(' | ')} |`),
  ].join('\n');
  // Inline alignment: the classic Notebook's stylesheet right-aligns every cell otherwise.
  const align = (j: number) => ` style="text-align: ${numeric[j] ? 'right' : 'left'}"`;
  const html =
    `<table><thead><tr>${columns.map((c, j) => `<th${align(j)}>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>` +
    cells.map((row) => `<tr>${row.map((s, j) => `<td${align(j)}>${escapeHtml(s)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>';
  return { markdown: md, html, columns, quantities, numeric };
}
