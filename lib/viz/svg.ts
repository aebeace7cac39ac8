// A Plotly figure (from barChart or scatterChart) drawn as a small self-contained SVG, for pages
// that must read without plotly.js (scripts off, or plotly.js-dist-min not installed): grouped
// bars (vertical or horizontal, one colour per bar when the figure says so), points with their
// sizes and labels, linear or logarithmic axes with the figure's own tick labels, category labels
// turned when they would collide, and a legend beside the plot. Other trace types are not drawn.
import { Figure } from './figures';
import { formatCount } from './axes';

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d'];
const CHAR = 6.2; // average width of an 11px sans-serif character

/** Escapes text for HTML and SVG. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

type Trace = Record<string, unknown>;
type AxisLayout = {
  type?: string;
  title?: { text?: string };
  tickvals?: number[];
  ticktext?: string[];
  tickformat?: string;
  autorange?: unknown;
};

interface Scale {
  readonly at: (v: number | string) => number;
  readonly ticks: { v: number | string; label: string }[];
  readonly band: number;
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function niceTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5 || 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function tickText(v: number, ax: AxisLayout): string {
  if (ax.tickformat?.includes('%')) return `${+(v * 100).toPrecision(3)}%`;
  return formatCount(v);
}

/** A numeric axis from `lo` to `hi` (pixels `p0` -> `p1`), linear or log, with the layout's ticks when it has them. */
function numericScale(values: number[], ax: AxisLayout, p0: number, p1: number, fromZero: boolean): Scale {
  const log = ax.type === 'log';
  const list = values.filter((v) => finite(v) && (!log || v > 0));
  let lo = list.length ? Math.min(...list) : 0;
  let hi = list.length ? Math.max(...list) : 1;
  if (fromZero && !log) lo = Math.min(lo, 0);
  if (log) {
    lo = Math.log10(lo) - 0.1;
    hi = Math.log10(hi) + 0.1;
  } else {
    const pad = (hi - lo || Math.abs(hi) || 1) * 0.06;
    hi += pad;
    if (!fromZero || lo < 0) lo -= pad;
  }
  const t = (v: number) => (log ? Math.log10(v) : v);
  const at = (v: number | string) => p0 + ((t(Number(v)) - lo) / (hi - lo || 1)) * (p1 - p0);
  const inside = (v: number) => (!log || v > 0) && t(v) >= lo - 1e-9 && t(v) <= hi + 1e-9;
  let ticks: { v: number; label: string }[];
  if (ax.tickvals?.length) {
    ticks = ax.tickvals.map((v, i) => ({ v, label: ax.ticktext?.[i] ?? tickText(v, ax) }));
  } else if (log) {
    ticks = niceTicks(Math.floor(lo), Math.ceil(hi))
      .filter(Number.isInteger)
      .map((e) => ({ v: 10 ** e, label: tickText(10 ** e, ax) }));
  } else {
    ticks = niceTicks(lo, hi).map((v) => ({ v, label: tickText(v, ax) }));
  }
  return { at, ticks: ticks.filter((k) => inside(k.v)), band: 0 };
}

function categoryScale(categories: string[], p0: number, p1: number): Scale {
  const band = (p1 - p0) / Math.max(categories.length, 1);
  return {
    at: (v) => p0 + (categories.indexOf(String(v)) + 0.5) * band,
    ticks: categories.map((c) => ({ v: c, label: c })),
    band,
  };
}

function colorOf(t: Trace, i: number, k: number): string {
  const c = (t.marker as { color?: unknown } | undefined)?.color;
  if (typeof c === 'string') return c;
  if (Array.isArray(c) && typeof c[k] === 'string') return c[k] as string;
  return COLORS[i % COLORS.length] as string;
}

/**
 * The SVG of a bar or scatter figure. Non-finite values are left out.
 * @example figureSvg(barChart({categories: ['fp32', 'int8'], series: [{name: 'MB', values: [4.8, 1.2]}]}))
 */
export function figureSvg(fig: Figure): string {
  const traces = fig.data.filter((t) => t.type === 'bar' || t.type === 'scatter');
  const width = Number(fig.layout.width ?? 720);
  const height = Number(fig.layout.height ?? 420);
  const xa = (fig.layout.xaxis ?? {}) as AxisLayout;
  const ya = (fig.layout.yaxis ?? {}) as AxisLayout;
  const title = (fig.layout.title as { text?: string } | undefined)?.text ?? '';
  const xs = traces.flatMap((t) => arr(t.x));
  const ys = traces.flatMap((t) => arr(t.y));
  const xCat = xs.some((v) => typeof v === 'string');
  const yCat = ys.some((v) => typeof v === 'string');
  const named = traces.filter((t) => typeof t.name === 'string' && t.name !== '' && fig.layout.showlegend !== false);
  const legendW =
    named.length > 1 ? Math.min(220, 30 + CHAR * Math.max(...named.map((t) => String(t.name).length))) : 0;
  const xLabels = xCat ? [...new Set(xs.map(String))] : [];
  const yLabels = yCat ? [...new Set(ys.map(String))] : [];
  const left = 30 + CHAR * Math.max(4, ...(yCat ? yLabels.map((l) => Math.min(l.length, 40)) : [8]));
  const w0 = width - left - 20 - legendW;
  const crowded = xCat && Math.max(0, ...xLabels.map((l) => l.length)) * CHAR > w0 / Math.max(xLabels.length, 1);
  const bottom = 50 + (crowded ? Math.min(160, 0.6 * CHAR * Math.max(...xLabels.map((l) => l.length))) : 0);
  const m = { l: left, r: 20 + legendW, t: title ? 40 : 15, b: bottom };
  const [x0, x1, y0, y1] = [m.l, width - m.r, height - m.b, m.t];
  const bars = traces.filter((t) => t.type === 'bar');
  const horizontal = bars.some((t) => t.orientation === 'h');
  const x = xCat ? categoryScale(xLabels, x0, x1) : numericScale(xs.filter(finite), xa, x0, x1, horizontal);
  const yReversed = ya.autorange === 'reversed';
  const y = yCat
    ? categoryScale(yReversed ? yLabels : [...yLabels].reverse(), y0, y1)
    : numericScale(ys.filter(finite), ya, y0, y1, bars.length > 0 && !horizontal);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (title) out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`);
  for (const k of x.ticks) {
    const px = x.at(k.v).toFixed(1);
    if (!xCat) out.push(`<line x1="${px}" x2="${px}" y1="${y0}" y2="${y1}" stroke="#eee"/>`);
    out.push(
      crowded
        ? `<text transform="translate(${px} ${y0 + 12}) rotate(-35)" text-anchor="end">${escapeXml(k.label)}</text>`
        : `<text x="${px}" y="${y0 + 16}" text-anchor="middle">${escapeXml(k.label)}</text>`,
    );
  }
  for (const k of y.ticks) {
    const py = y.at(k.v).toFixed(1);
    if (!yCat) out.push(`<line x1="${x0}" x2="${x1}" y1="${py}" y2="${py}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 6}" y="${Number(py) + 4}" text-anchor="end">${escapeXml(k.label)}</text>`);
  }
  out.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#888"/>`);
  out.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="#888"/>`);
  const xTitle = xa.title?.text ?? '';
  const yTitle = ya.title?.text ?? '';
  if (xTitle) out.push(`<text x="${(x0 + x1) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(xTitle)}</text>`);
  if (yTitle)
    out.push(
      `<text transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yTitle)}</text>`,
    );
  bars.forEach((t, s) => {
    const cats = arr(horizontal ? t.y : t.x).map(String);
    const vals = arr(horizontal ? t.x : t.y);
    const cat = horizontal ? y : x;
    const val = horizontal ? x : y;
    const slot = (Math.abs(cat.band) * 0.8) / bars.length;
    const log = (horizontal ? xa : ya).type === 'log';
    const from = log ? (horizontal ? x0 : y0) : val.at(0);
    cats.forEach((c, k) => {
      const v = vals[k];
      if (!finite(v)) return;
      const mid = cat.at(c) - Math.sign(cat.band) * (Math.abs(cat.band) * 0.4 - slot * (s + 0.5));
      const end = val.at(v);
      const [rx, ry, rw, rh] = horizontal
        ? [Math.min(from, end), mid - slot / 2, Math.abs(end - from), slot]
        : [mid - slot / 2, Math.min(from, end), slot, Math.abs(end - from)];
      out.push(
        `<rect x="${rx.toFixed(1)}" y="${ry.toFixed(1)}" width="${rw.toFixed(1)}" height="${rh.toFixed(1)}" fill="${colorOf(t, s, k)}"><title>${escapeXml(`${String(t.name ?? '')} ${c}: ${v}`)}</title></rect>`,
      );
    });
  });
  traces
    .filter((t) => t.type === 'scatter')
    .forEach((t, s) => {
      const tx = arr(t.x);
      const ty = arr(t.y);
      const sizes = arr((t.marker as { size?: unknown } | undefined)?.size);
      const text = arr(t.text);
      const lines = String(t.mode ?? 'markers').includes('lines');
      const pts = tx
        .map((v, k) => ({ k, px: x.at(v as number), py: y.at(ty[k] as number), ok: finite(ty[k]) }))
        .filter((p) => p.ok && Number.isFinite(p.px) && Number.isFinite(p.py));
      if (lines && pts.length > 1)
        out.push(
          `<polyline fill="none" stroke="${colorOf(t, bars.length + s, -1)}" points="${pts.map((p) => `${p.px.toFixed(1)},${p.py.toFixed(1)}`).join(' ')}"/>`,
        );
      for (const p of pts) {
        const r = (finite(sizes[p.k]) ? (sizes[p.k] as number) : 8) / 2;
        out.push(
          `<circle cx="${p.px.toFixed(1)}" cy="${p.py.toFixed(1)}" r="${r.toFixed(1)}" fill="${colorOf(t, bars.length + s, p.k)}" fill-opacity="0.8" stroke="#333" stroke-width="0.5"/>`,
        );
        if (String(t.mode ?? '').includes('text') && typeof text[p.k] === 'string')
          out.push(
            `<text x="${p.px.toFixed(1)}" y="${(p.py - r - 4).toFixed(1)}" text-anchor="middle">${escapeXml(text[p.k] as string)}</text>`,
          );
      }
    });
  named.forEach((t, i) => {
    if (named.length < 2) return;
    const lx = width - legendW + 8;
    const ly = m.t + 6 + i * 18;
    out.push(
      `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${colorOf(t, traces.indexOf(t), -1)}"/><text x="${lx + 14}" y="${ly + 9}">${escapeXml(String(t.name))}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}
