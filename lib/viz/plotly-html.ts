// The interactive form of a chart for pages that run scripts (the classic Notebook, JupyterLab
// without plotly's extension, nbconvert HTML): a div holding the static PNG, and a script that
// draws the Plotly figure into it. plotly.js (4.8 MB) is never stored in the notebook: a page
// that already has `window.Plotly` (the course's HTML export puts it in the page once) draws at
// once; inside Jupyter the first chart of a page loads plotly.js from the Jupyter server's
// `/files/` route (the copy in node_modules, under the server's root) and later charts reuse
// it, as plotly's own offline notebook mode does with its library. Where nothing can be loaded
// or scripts do not run (GitHub, an untrusted notebook), the PNG stays.
import * as path from 'path';
import { randomUUID } from 'crypto';
import { Figure } from './figures';
import { resolveOptional } from '../core/optional-package';
import { PLOTLY_CONFIG } from './plotly-bundle';

/** Where the page can fetch plotly.js: paths relative to the notebook's folder and to candidate server roots. */
export interface PlotlySource {
  /** From the kernel's working folder (the notebook's folder). */
  readonly fromNotebook: string;
  /** From the server root: the one `make notebook` names (TFJS_COMPRESS_NOTEBOOK_ROOT), else the nearest folders above. */
  readonly fromRoot: string[];
}

/** The environment variable naming the Jupyter server's root folder (set by scripts/notebook-server.cjs). */
export const NOTEBOOK_ROOT_ENV = 'TFJS_COMPRESS_NOTEBOOK_ROOT';

const posix = (p: string) => p.split(path.sep).join('/');
const inside = (file: string, dir: string) =>
  !path.relative(dir, file).startsWith('..') && !path.isAbsolute(path.relative(dir, file));

/** Where plotly.js is, as seen by a Jupyter server; undefined when plotly.js-dist-min is not installed. */
export function plotlySource(cwd = process.cwd()): PlotlySource | undefined {
  let file: string;
  try {
    file = resolveOptional('plotly.js-dist-min', 'show', '/plotly.min.js');
  } catch {
    return undefined;
  }
  const fromRoot: string[] = [];
  const root = process.env[NOTEBOOK_ROOT_ENV];
  if (root && inside(file, path.resolve(root))) {
    fromRoot.push(posix(path.relative(path.resolve(root), file)));
  } else {
    for (let dir = path.resolve(cwd), k = 0; k < 4; k++) {
      if (inside(file, dir)) fromRoot.push(posix(path.relative(dir, file)));
      if (path.dirname(dir) === dir) break;
      dir = path.dirname(dir);
    }
  }
  return { fromNotebook: posix(path.relative(cwd, file)), fromRoot };
}

/** JSON that is safe inside a <script> element. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

// Runs in the page. Finds the Jupyter base URL and the notebook's path (classic Notebook: body
// attributes; JupyterLab / Notebook 7: the page config and the URL), loads plotly.js once per
// page, then draws; the PNG is hidden only once the plot is drawn.
const LOADER = `
function tfcBase() {
  var b = document.body, base = b && b.getAttribute('data-base-url'), nb = b && b.getAttribute('data-notebook-path');
  if (!base) {
    var cfg = document.getElementById('jupyter-config-data');
    if (cfg) { try { base = JSON.parse(cfg.textContent).baseUrl; } catch (e) {} }
    var m = /\\/(?:lab\\/tree|doc\\/tree|notebooks)\\/(.+\\.ipynb)/.exec(decodeURIComponent(location.pathname));
    if (m) nb = m[1];
  }
  return { base: base, nb: nb };
}
function tfcUrls(src) {
  var e = tfcBase(), list = [];
  if (!e.base) return list;
  if (e.nb && src.fromNotebook) {
    var parts = [], ok = true;
    e.nb.split('/').slice(0, -1).concat(src.fromNotebook.split('/')).forEach(function (s) {
      if (s === '..') { if (parts.length) parts.pop(); else ok = false; } else if (s && s !== '.') parts.push(s);
    });
    if (ok) list.push(parts.join('/'));
  }
  list = list.concat(src.fromRoot).filter(function (p, i, all) { return all.indexOf(p) === i; });
  var base = e.base.replace(/\\/?$/, '/');
  return list.map(function (p) { return base + 'files/' + p.split('/').map(encodeURIComponent).join('/'); });
}
function tfcPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.tfcPlotlyLoading) {
    var urls = tfcUrls(src);
    window.tfcPlotlyLoading = new Promise(function (resolve, reject) {
      (function next(i) {
        if (window.Plotly) return resolve(window.Plotly);
        if (i >= urls.length) return reject(new Error('plotly.js is not reachable from this page'));
        var s = document.createElement('script');
        s.src = urls[i];
        s.onload = function () { if (window.Plotly) resolve(window.Plotly); else next(i + 1); };
        s.onerror = function () { s.remove(); next(i + 1); };
        document.head.appendChild(s);
      })(0);
    });
  }
  return window.tfcPlotlyLoading;
}
function tfcDraw(id, spec, src) {
  tfcPlotly(src).then(function (Plotly) {
    (function attempt(tries) {
      var el = document.getElementById(id);
      if (!el) { if (tries < 100) setTimeout(function () { attempt(tries + 1); }, 50); return; }
      var img = el.querySelector('img');
      if (img) img.style.display = 'none';
      Plotly.newPlot(el, spec.data, spec.layout, spec.config).then(function () { if (img) img.remove(); },
        function () { if (img) img.style.display = ''; });
    })(0);
  }, function () {});
}`;

/**
 * The HTML of a chart: a div with the PNG (when given) that a script replaces by the interactive
 * Plotly figure. `source` says where Jupyter can serve plotly.js from (see {@link plotlySource}).
 */
export function plotlyHtml(
  fig: Figure,
  options: { readonly png?: string; readonly alt: string; readonly source?: PlotlySource },
): string {
  const id = `tfc-plot-${randomUUID()}`;
  const width = Number(fig.layout.width ?? 720);
  const height = Number(fig.layout.height ?? 420);
  const img = options.png
    ? `<img src="data:image/png;base64,${options.png}" width="${width}" height="${height}" alt="${escapeAttr(options.alt)}" style="max-width: 100%; height: auto">`
    : '';
  const spec = { data: fig.data, layout: fig.layout, config: PLOTLY_CONFIG };
  const source: PlotlySource = options.source ?? { fromNotebook: '', fromRoot: [] };
  return (
    `<div id="${id}" class="tfc-plotly" style="width: ${width}px; min-height: ${height}px; max-width: 100%">${img}</div>\n` +
    `<script type="text/javascript">(function () {${LOADER}\ntfcDraw(${scriptJson(id)}, ${scriptJson(spec)}, ${scriptJson(source)});\n})();</script>`
  );
}
