// A Plotly bar figure (from barChart) drawn as a small self-contained SVG, for reports that must
// open anywhere without the 4.8 MB Plotly bundle or a browser to render them: grouped bars, a
// linear value axis from zero, category labels, a legend. Other trace types are not drawn here.
import { Figure } from './figures';

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d'];

/** Escapes text for HTML and SVG. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v) as number;
}

/**
 * The SVG of a grouped bar figure. Non-finite values are left out.
 * @example figureSvg(barChart({categories: ['fp32', 'int8'], series: [{name: 'MB', values: [4.8, 1.2]}]}))
 */
export function figureSvg(fig: Figure): string {
  const traces = fig.data.filter((t) => t.type === 'bar') as { name?: string; x: string[]; y: number[] }[];
  const categories = [...new Set(traces.flatMap((t) => t.x.map(String)))];
  const width = Number(fig.layout.width ?? 720);
  const height = Number(fig.layout.height ?? 420);
  const m = { l: 70, r: 20, t: 40, b: 90 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const max = niceMax(Math.max(0, ...traces.flatMap((t) => t.y.filter(Number.isFinite))));
  const title = (fig.layout.title as { text?: string } | undefined)?.text ?? '';
  const yTitle = (fig.layout.yaxis as { title?: { text?: string } } | undefined)?.title?.text ?? '';
  const group = w / Math.max(categories.length, 1);
  const bar = (group * 0.8) / Math.max(traces.length, 1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
  ];
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    const y = m.t + h - (h * k) / 4;
    out.push(
      `<line x1="${m.l}" x2="${m.l + w}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${Number(v.toPrecision(3))}</text>`,
    );
  }
  out.push(
    `<text transform="translate(16 ${m.t + h / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yTitle)}</text>`,
  );
  traces.forEach((t, s) => {
    t.x.forEach((c, i) => {
      const v = t.y[i] as number;
      if (!Number.isFinite(v)) return;
      const x = m.l + categories.indexOf(String(c)) * group + group * 0.1 + s * bar;
      const bh = (h * Math.max(v, 0)) / max;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${(m.t + h - bh).toFixed(1)}" width="${bar.toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[s % COLORS.length]}"><title>${escapeXml(`${t.name ?? ''} ${c}: ${v}`)}</title></rect>`,
      );
    });
  });
  categories.forEach((c, i) =>
    out.push(`<text x="${m.l + (i + 0.5) * group}" y="${m.t + h + 16}" text-anchor="middle">${escapeXml(c)}</text>`),
  );
  traces.forEach((t, s) => {
    const x = m.l + s * 140;
    out.push(
      `<rect x="${x}" y="${height - 30}" width="10" height="10" fill="${COLORS[s % COLORS.length]}"/><text x="${x + 14}" y="${height - 21}">${escapeXml(t.name ?? '')}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}
