// The layer graph drawn as an SVG picture: one box per layer (name, class, output shape,
// parameters, MACs), rows by depth from the input, arrows along the data flow.
import { LayerProfile } from './profile-model';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/**
 * SVG of a profiled model's layer graph.
 * @example showSvg(graphSvg((await profileModel(model)).layers))
 */
export function graphSvg(layers: readonly LayerProfile[]): string {
  const depth = new Map<string, number>();
  for (const l of layers) depth.set(l.name, l.inputs.length ? Math.max(...l.inputs.map((i) => (depth.get(i) ?? 0) + 1)) : 0);
  const rows = new Map<number, LayerProfile[]>();
  for (const l of layers) {
    const d = depth.get(l.name) ?? 0;
    rows.set(d, [...(rows.get(d) ?? []), l]);
  }
  const boxW = 230;
  const boxH = 46;
  const gapX = 30;
  const gapY = 26;
  const maxPerRow = Math.max(...[...rows.values()].map((r) => r.length));
  const width = maxPerRow * (boxW + gapX) + gapX;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, row] of rows) {
    const rowWidth = row.length * (boxW + gapX) - gapX;
    row.forEach((l, i) => pos.set(l.name, { x: (width - rowWidth) / 2 + i * (boxW + gapX), y: gapY + d * (boxH + gapY) }));
  }
  const height = gapY + rows.size * (boxH + gapY);
  const parts: string[] = [];
  for (const l of layers) {
    const to = pos.get(l.name) as { x: number; y: number };
    for (const i of l.inputs) {
      const from = pos.get(i);
      if (!from) continue;
      parts.push(`<line x1="${from.x + boxW / 2}" y1="${from.y + boxH}" x2="${to.x + boxW / 2}" y2="${to.y}" stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>`);
    }
  }
  for (const l of layers) {
    const p = pos.get(l.name) as { x: number; y: number };
    const weighty = l.params > 0;
    const detail = `[${l.outputShape.join('x')}]${weighty ? `  ${compact(l.params)} params` : ''}${l.macs ? `  ${compact(l.macs)} MACs` : ''}`;
    parts.push(`<rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="6" fill="${weighty ? '#dbe9f6' : '#f2f2f2'}" stroke="#4a6f96"/>`);
    parts.push(`<text x="${p.x + boxW / 2}" y="${p.y + 18}" text-anchor="middle" font-size="12" font-weight="bold">${esc(l.name)} (${esc(l.className)})</text>`);
    parts.push(`<text x="${p.x + boxW / 2}" y="${p.y + 35}" text-anchor="middle" font-size="11">${esc(detail)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
}
