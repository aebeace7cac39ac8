// The layer graph as a page section, for any size of model. Up to `fullUpTo` layers it is one
// picture. Above, an overview draws one box per block (graph-blocks.ts); each box links to a
// folding section with that block's layers, and the whole graph is there too, in a scrolling
// frame. A switch colours every box by kind, sparsity or precision, with CSS alone (`:has`), so it
// works with scripts off; a small script only opens the section a block's link points to.
import { escapeXml } from '../viz/svg';
import { layerBlocks } from './graph-blocks';
import { GraphColouring, legendEntries } from './graph-colour';
import { blockGraphSvg, graphSvg } from './graph-svg';
import { LayerProfile } from './report';

/** Options of {@link graphHtml}. */
export interface GraphHtmlOptions {
  /** Weight precision per layer name (precision.ts). */
  readonly precision?: Readonly<Record<string, string>>;
  /** Largest graph drawn as one picture without an overview. Default 80. */
  readonly fullUpTo?: number;
}

const MODES: readonly [GraphColouring, string][] = [
  ['kind', 'kind'],
  ['sparsity', 'sparsity (zero weights)'],
  ['precision', 'precision (stored weights)'],
];

/** The section's stylesheet. */
export const GRAPH_CSS = `.tfc-graph-frame{max-height:85vh;overflow:auto;border:1px solid #ddd;margin:.5em 0;background:white;text-align:center}
.tfc-graph-controls{font-size:13px;margin:.5em 0}.tfc-graph-controls label{margin-right:1em}
.tfc-legend{display:none;font-size:12px;margin-left:1em}.tfc-swatch{display:inline-block;width:11px;height:11px;border:1px solid #4a6f96;margin:0 4px 0 10px;vertical-align:middle}
${MODES.map(
  ([m]) =>
    `.tfc-graph:has(input[value="${m}"]:checked) .tfc-box{fill:var(--fill-${m})}\n.tfc-graph:has(input[value="${m}"]:checked) .tfc-legend[data-mode="${m}"]{display:inline}`,
).join('\n')}
.tfc-block:hover .tfc-box{stroke-width:2.5}.tfc-block{cursor:pointer}`;

/** Opens the folding section that the address points to (a block's link). */
export const GRAPH_SCRIPT = `(function () {
  function open() {
    var d = location.hash && document.getElementById(location.hash.slice(1));
    if (d && d.tagName === 'DETAILS') d.open = true;
  }
  window.addEventListener('hashchange', open);
  open();
})();`;

let sections = 0;

function frame(svg: string): string {
  return `<div class="tfc-graph-frame">${svg}</div>`;
}

/**
 * The graph section's HTML (with {@link GRAPH_CSS} and {@link GRAPH_SCRIPT} on the page).
 * Every layer is drawn: in the one picture, or in its block's section and the whole graph.
 */
export function graphHtml(layers: readonly LayerProfile[], options: GraphHtmlOptions = {}): string {
  const id = ++sections;
  const precisions = Object.values(options.precision ?? {});
  const controls =
    `<div class="tfc-graph-controls">Colour by: ` +
    MODES.map(
      ([m, text]) =>
        `<label><input type="radio" name="tfc-colour-${id}" value="${m}"${m === 'kind' ? ' checked' : ''}> ${escapeXml(text)}</label>`,
    ).join('') +
    MODES.map(
      ([m]) =>
        `<span class="tfc-legend" data-mode="${m}">${legendEntries(m, precisions)
          .map(([name, colour]) => `<span class="tfc-swatch" style="background:${colour}"></span>${escapeXml(name)}`)
          .join('')}</span>`,
    ).join('') +
    `</div>`;
  const svgOptions = options.precision ? { precision: options.precision } : {};
  if (layers.length <= (options.fullUpTo ?? 80))
    return `<div class="tfc-graph">${controls}${frame(graphSvg(layers, svgOptions))}</div>`;
  const blocks = layerBlocks(layers);
  const anchor = (k: number) => `tfc-graph-${id}-block-${k}`;
  const sectionsHtml = blocks.map((b, k) => {
    const inside = layers.slice(b.start, b.end);
    const title = `Block ${k + 1} of ${blocks.length}: ${b.label}, ${inside.length} layers`;
    return `<details id="${anchor(k)}" class="tfc-graph-block"><summary>${escapeXml(title)}</summary>${frame(graphSvg(inside, { ...svgOptions, title, showInputs: true }))}</details>`;
  });
  return (
    `<div class="tfc-graph">${controls}` +
    `<p>${layers.length} layers in ${blocks.length} blocks (a block runs from one point where a single tensor flows on to the next: a residual block, an inception module, a chain of layers). Click a block to open its layers below.</p>` +
    frame(blockGraphSvg(layers, blocks, { ...svgOptions, href: (k) => `#${anchor(k)}` })) +
    sectionsHtml.join('\n') +
    `<details class="tfc-graph-all"><summary>All ${layers.length} layers in one graph</summary>${frame(graphSvg(layers, svgOptions))}</details>` +
    `</div>`
  );
}
