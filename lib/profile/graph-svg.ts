// The layer graph drawn as an SVG picture: a title, then one box per layer (name, class, output
// shape, parameters, MACs), rows by depth from the input, arrows along the data flow. The picture
// is cropped to its boxes (a fixed margin), whatever the model's input layers are.
import { LayerProfile } from './profile-model';

/** Options of {@link graphSvg}. */
export interface GraphSvgOptions {
  /** Title drawn above the graph; default: "Layer graph: N layers, P params, M MACs". */
  readonly title?: string;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function compact(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
  return String(n);
}

let pictures = 0;

/**
 * SVG of a profiled model's layer graph.
 * @example showSvg(graphSvg((await profileModel(model)).layers, {title: 'SimpleNet'}))
 */
export function graphSvg(layers: readonly LayerProfile[], options: GraphSvgOptions = {}): string {
  // Depth from the drawn layers only: inputs that are not drawn (the InputLayer) leave no empty row.
  const drawn = new Set(layers.map((l) => l.name));
  const depth = new Map<string, number>();
  for (const l of layers) {
    const ins = l.inputs.filter((i) => drawn.has(i));
    depth.set(l.name, ins.length ? Math.max(...ins.map((i) => (depth.get(i) ?? 0) + 1)) : 0);
  }
  const rowOf = [...new Set(layers.map((l) => depth.get(l.name) ?? 0))].sort((a, b) => a - b);
  const rows = new Map<number, LayerProfile[]>();
  for (const l of layers) {
    const r = rowOf.indexOf(depth.get(l.name) ?? 0);
    rows.set(r, [...(rows.get(r) ?? []), l]);
  }
  const boxW = 230;
  const boxH = 46;
  const gapX = 30;
  const gapY = 26;
  const margin = 12;
  const params = layers.reduce((a, l) => a + l.params, 0);
  const macs = layers.reduce((a, l) => a + (l.macs ?? 0), 0);
  const title =
    options.title ?? `Layer graph: ${layers.length} layers, ${compact(params)} params, ${compact(macs)} MACs`;
  const titleH = 28;
  const maxPerRow = Math.max(1, ...[...rows.values()].map((r) => r.length));
  const width = Math.max(maxPerRow * (boxW + gapX) - gapX, title.length * 8.5) + 2 * margin;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [r, row] of rows) {
    const rowWidth = row.length * (boxW + gapX) - gapX;
    row.forEach((l, i) =>
      pos.set(l.name, { x: (width - rowWidth) / 2 + i * (boxW + gapX), y: margin + titleH + r * (boxH + gapY) }),
    );
  }
  const height = margin + titleH + rows.size * (boxH + gapY) - gapY + margin;
  const arrow = `tfc-arrow-${++pictures}`; // one id per picture: several SVGs share a page
  const parts: string[] = [
    `<text x="${width / 2}" y="${margin + 15}" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const l of layers) {
    const to = pos.get(l.name) as { x: number; y: number };
    for (const i of l.inputs) {
      const from = pos.get(i);
      if (!from) continue;
      parts.push(
        `<line x1="${from.x + boxW / 2}" y1="${from.y + boxH}" x2="${to.x + boxW / 2}" y2="${to.y}" stroke="#555" stroke-width="1.2" marker-end="url(#${arrow})"/>`,
      );
    }
  }
  for (const l of layers) {
    const p = pos.get(l.name) as { x: number; y: number };
    const weighty = l.params > 0;
    const detail = `[${l.outputShape.join('x')}]${weighty ? `  ${compact(l.params)} params` : ''}${l.macs ? `  ${compact(l.macs)} MACs` : ''}`;
    parts.push(
      `<rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="6" fill="${weighty ? '#dbe9f6' : '#f2f2f2'}" stroke="#4a6f96"/>`,
    );
    parts.push(
      `<text x="${p.x + boxW / 2}" y="${p.y + 18}" text-anchor="middle" font-size="12" font-weight="bold">${esc(l.name)} (${esc(l.className)})</text>`,
    );
    parts.push(`<text x="${p.x + boxW / 2}" y="${p.y + 35}" text-anchor="middle" font-size="11">${esc(detail)}</text>`);
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<title>${esc(title)}</title><defs><marker id="${arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`
  );
}
