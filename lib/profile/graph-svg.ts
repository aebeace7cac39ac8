// The layer graph drawn as an SVG picture, for any size of model: `graphSvg` draws one box per
// layer (name, class, output shape, parameters, MACs), `blockGraphSvg` one box per block of
// layers (graph-blocks.ts) for an overview of a large model. Boxes sit in rows by depth and
// edges that skip rows are routed beside the boxes (graph-layout.ts). Boxes are coloured by
// kind, sparsity or precision (graph-colour.ts); every mode's colour rides along on each box as
// a CSS variable, so a page can switch modes without redrawing. The picture is cropped to its
// boxes (a fixed margin), whatever the model's input layers are.
import { LayerBlock } from './graph-blocks';
import { GraphColouring, boxFills, legendEntries } from './graph-colour';
import { layoutGraph } from './graph-layout';
import { LayerProfile } from './report';

/** Options of {@link graphSvg} and {@link blockGraphSvg}. */
export interface GraphSvgOptions {
  /** Title drawn above the graph; default: "Layer graph: N layers, P params, M MACs". */
  readonly title?: string;
  /** Colour of the boxes. Default 'kind' (layers with weights, without). */
  readonly colour?: GraphColouring;
  /** Weight precision per layer name ('int8', 'uint8', 'float16', ...); float32 where absent. */
  readonly precision?: Readonly<Record<string, string>>;
  /** Draw the colour legend under the title. Default: when `colour` is given. */
  readonly legend?: boolean;
  /** Draw what the layers read from outside them (dashed boxes), e.g. a block's input. Default false. */
  readonly showInputs?: boolean;
}

/** A box to draw. */
interface DrawNode {
  readonly id: string;
  readonly inputs: readonly string[];
  readonly lines: readonly string[];
  readonly tooltip: string;
  readonly fills: Record<GraphColouring, string>;
  readonly cls: string;
  readonly attrs: Record<string, string>;
  readonly href?: string;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function compact(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toPrecision(3)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
  return String(n);
}

/** Text cut to `max` characters, with an ellipsis in the middle (both ends of a layer name matter). */
function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/** Parts joined with two spaces while they fit in `max` characters (the first one cut to fit). */
function line(parts: readonly string[], max: number): string {
  let out = fit(parts[0] ?? '', max);
  for (const p of parts.slice(1)) if (out.length + 2 + p.length <= max) out += `  ${p}`;
  return out;
}

let pictures = 0;

/** Shorter class names for the block boxes (the tooltip has the full ones). */
const SHORT_CLASS: Readonly<Record<string, string>> = {
  BatchNormalization: 'BatchNorm',
  DepthwiseConv2D: 'DWConv2D',
  SeparableConv2D: 'SepConv2D',
  ZeroPadding2D: 'ZeroPad2D',
  GlobalAveragePooling2D: 'GlobalAvgPool',
  AveragePooling2D: 'AvgPool2D',
  MaxPooling2D: 'MaxPool2D',
  Activation: 'Act',
};

function draw(
  nodes: readonly DrawNode[],
  box: { readonly w: number; readonly h: number },
  title: string,
  o: GraphSvgOptions,
): string {
  const margin = 12;
  const titleH = 28;
  const mode = o.colour ?? 'kind';
  const legend = (o.legend ?? o.colour !== undefined) ? legendEntries(mode, Object.values(o.precision ?? {})) : [];
  const legendH = legend.length ? 22 : 0;
  const gapY = 26;
  const layout = layoutGraph(
    nodes.map((n) => ({ id: n.id, inputs: n.inputs, width: box.w })),
    { boxHeight: box.h, gapX: 30, gapY },
  );
  const width = Math.max(layout.width, title.length * 8.5, legend.length * 120) + 2 * margin;
  const top = margin + titleH + legendH;
  const dx = (width - layout.width) / 2;
  const height = top + layout.height + margin;
  const arrow = `tfc-arrow-${++pictures}`; // one id per picture: several SVGs share a page
  const parts: string[] = [
    `<text x="${width / 2}" y="${margin + 15}" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  legend.forEach(([name, colour], k) => {
    const x = margin + k * 120;
    parts.push(
      `<rect x="${x}" y="${margin + titleH}" width="12" height="12" fill="${colour}" stroke="#4a6f96"/><text x="${x + 16}" y="${margin + titleH + 10}" font-size="11">${esc(name)}</text>`,
    );
  });
  const pos = (id: string) => {
    const b = layout.boxes.get(id) as { x: number; y: number };
    return { x: b.x + dx, y: b.y + top };
  };
  for (const e of layout.edges) {
    const a = pos(e.from);
    const b = pos(e.to);
    const x1 = a.x + box.w / 2;
    const y1 = a.y + box.h;
    const x2 = b.x + box.w / 2;
    const y2 = b.y;
    if (!e.via.length) {
      parts.push(
        `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#555" stroke-width="1.2" marker-end="url(#${arrow})"/>`,
      );
      continue;
    }
    // Through each waypoint: a curve into the top of its row, straight down through the row.
    const c = gapY / 2;
    let d = `M ${x1} ${y1}`;
    let [px, py] = [x1, y1];
    for (const w of e.via) {
      const [wx, wt, wb] = [w.x + dx, w.y + top - box.h / 2, w.y + top + box.h / 2];
      d += ` C ${px} ${py + c} ${wx} ${wt - c} ${wx} ${wt} L ${wx} ${wb}`;
      [px, py] = [wx, wb];
    }
    d += ` C ${px} ${py + c} ${x2} ${y2 - c} ${x2} ${y2}`;
    parts.push(`<path d="${d}" fill="none" stroke="#555" stroke-width="1.2" marker-end="url(#${arrow})"/>`);
  }
  for (const n of nodes) {
    const p = pos(n.id);
    const attrs = Object.entries(n.attrs)
      .map(([k, v]) => ` data-${k}="${esc(v)}"`)
      .join('');
    const vars = `--fill-kind:${n.fills.kind};--fill-sparsity:${n.fills.sparsity};--fill-precision:${n.fills.precision}`;
    const texts = n.lines.map(
      (t, k) =>
        `<text x="${p.x + box.w / 2}" y="${p.y + 18 + k * 16}" text-anchor="middle" font-size="${k ? 11 : 12}"${k ? '' : ' font-weight="bold"'}>${esc(t)}</text>`,
    );
    const g =
      `<g class="tfc-node ${n.cls}"${attrs}><title>${esc(n.tooltip)}</title>` +
      `<rect x="${p.x}" y="${p.y}" width="${box.w}" height="${box.h}" rx="6" class="tfc-box" fill="${n.fills[mode]}" style="${vars}" stroke="#4a6f96"${n.cls === 'tfc-input' ? ' stroke-dasharray="4 3"' : ''}/>` +
      `${texts.join('')}</g>`;
    parts.push(n.href ? `<a href="${esc(n.href)}">${g}</a>` : g);
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<title>${esc(title)}</title><defs><marker id="${arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`
  );
}

function totalsTitle(layers: readonly LayerProfile[]): string {
  const params = layers.reduce((a, l) => a + l.params, 0);
  const macs = layers.reduce((a, l) => a + (l.macs ?? 0), 0);
  return `Layer graph: ${layers.length} layers, ${compact(params)} params, ${compact(macs)} MACs`;
}

function layerNode(l: LayerProfile, o: GraphSvgOptions): DrawNode {
  const head = `${l.name} (${l.className})`;
  const short = head.length <= 30;
  const stats = [
    `[${l.outputShape.join('x')}]`,
    ...(l.params ? [`${compact(l.params)} params`] : []),
    ...(l.macs ? [`${compact(l.macs)} MACs`] : []),
  ];
  const precision = o.precision?.[l.name];
  return {
    id: l.name,
    inputs: l.inputs,
    lines: short ? [head, line(stats, 34)] : [fit(l.name, 30), line([l.className, ...stats], 34)],
    tooltip:
      `${head}, output [${l.outputShape.join('x')}], ${l.params.toLocaleString('en-US')} params, ` +
      `${l.macs === undefined ? 'MACs unknown' : `${l.macs.toLocaleString('en-US')} MACs`}` +
      (l.params ? `, ${(l.sparsity * 100).toFixed(1)}% zeros, ${precision ?? 'float32'}` : ''),
    fills: boxFills({ hasWeights: l.params > 0, sparsity: l.sparsity, ...(precision ? { precision } : {}) }),
    cls: 'tfc-layer',
    attrs: { name: l.name },
  };
}

/** Dashed boxes for what the layers read from outside them. */
function inputNodes(layers: readonly LayerProfile[]): DrawNode[] {
  const drawn = new Set(layers.map((l) => l.name));
  const outside = [...new Set(layers.flatMap((l) => l.inputs).filter((i) => !drawn.has(i)))];
  return outside.map((name) => ({
    id: name,
    inputs: [],
    lines: [fit(`from ${name}`, 34)],
    tooltip: `${name}: computed outside this graph`,
    fills: { kind: 'white', sparsity: 'white', precision: 'white' },
    cls: 'tfc-input',
    attrs: { name },
  }));
}

/**
 * SVG of a profiled model's layer graph, one box per layer.
 * @example showSvg(graphSvg((await profileModel(model)).layers, {title: 'SimpleNet'}))
 */
export function graphSvg(layers: readonly LayerProfile[], options: GraphSvgOptions = {}): string {
  return draw(
    [...(options.showInputs ? inputNodes(layers) : []), ...layers.map((l) => layerNode(l, options))],
    { w: 230, h: 46 },
    options.title ?? totalsTitle(layers),
    options,
  );
}

/** The weight precision that holds most of a block's parameters, or undefined (float32). */
function mainPrecision(
  layers: readonly LayerProfile[],
  precision: Readonly<Record<string, string>> = {},
): string | undefined {
  const by = new Map<string, number>();
  for (const l of layers)
    if (l.params) by.set(precision[l.name] ?? 'float32', (by.get(precision[l.name] ?? 'float32') ?? 0) + l.params);
  const best = [...by].sort((a, b) => b[1] - a[1])[0];
  return best && best[0] !== 'float32' ? best[0] : undefined;
}

/**
 * SVG of a layer graph drawn one box per block (graph-blocks.ts): each box says how many layers
 * of which classes it holds, and its parameters, MACs and zeros. `href(k)` makes block k a link.
 * @example blockGraphSvg(report.layers, layerBlocks(report.layers), {colour: 'sparsity'})
 */
export function blockGraphSvg(
  layers: readonly LayerProfile[],
  blocks: readonly LayerBlock[],
  options: GraphSvgOptions & { readonly href?: (block: number) => string } = {},
): string {
  const blockOf = new Map<string, number>();
  blocks.forEach((b, k) => layers.slice(b.start, b.end).forEach((l) => blockOf.set(l.name, k)));
  const nodes = blocks.map((b, k): DrawNode => {
    const inside = layers.slice(b.start, b.end);
    const classes = classCounts(inside);
    const params = inside.reduce((a, l) => a + l.params, 0);
    const macs = inside.reduce((a, l) => a + (l.macs ?? 0), 0);
    const sparsity = params ? inside.reduce((a, l) => a + l.sparsity * l.params, 0) / params : 0;
    const precision = mainPrecision(inside, options.precision);
    const inputs = [
      ...new Set(inside.flatMap((l) => l.inputs.map((i) => blockOf.get(i)).filter((j) => j !== undefined && j !== k))),
    ].map((j) => `block-${j}`);
    const zeros = params ? [`${(sparsity * 100).toFixed(0)}% zeros`] : [];
    const first = inside[0]?.name ?? '';
    const last = inside[inside.length - 1]?.name ?? '';
    return {
      id: `block-${k}`,
      inputs,
      lines: [
        fit(b.label, 34),
        classList(inside.length, classes, 42),
        line([`${compact(params)} params`, `${compact(macs)} MACs`, ...zeros], 42),
      ],
      tooltip:
        `${b.label}: ${inside.length} layers, ${first} to ${last}${b.branched ? ', with branches' : ''}: ` +
        `${classes.map(([c, n]) => (n > 1 ? `${c}×${n}` : c)).join(', ')}; ${params.toLocaleString('en-US')} params, ` +
        `${macs.toLocaleString('en-US')} MACs${params ? `, ${(sparsity * 100).toFixed(1)}% zeros, ${precision ?? 'float32'}` : ''}`,
      fills: boxFills({ hasWeights: params > 0, sparsity, ...(precision ? { precision } : {}) }),
      cls: 'tfc-block',
      attrs: { block: String(k), layers: String(inside.length), first, last },
      ...(options.href ? { href: options.href(k) } : {}),
    };
  });
  return draw(nodes, { w: 280, h: 62 }, options.title ?? `${totalsTitle(layers)}, in ${blocks.length} blocks`, options);
}

/** Layer classes and their counts, most frequent first. */
function classCounts(layers: readonly LayerProfile[]): [string, number][] {
  const m = new Map<string, number>();
  for (const l of layers) m.set(l.className, (m.get(l.className) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]);
}

/** "9 layers: Conv2D×2 BatchNorm×3 ReLU×2 +2 more", within `max` characters. */
function classList(n: number, classes: readonly [string, number][], max: number): string {
  let out = `${n} layers:`;
  for (const [k, [c, count]] of classes.entries()) {
    const part = ` ${SHORT_CLASS[c] ?? c}${count > 1 ? `×${count}` : ''}`;
    const more = classes.length - k - 1 ? 8 : 0; // room for " +N more"
    if (out.length + part.length + more > max) return `${out} +${classes.length - k} more`;
    out += part;
  }
  return out;
}
