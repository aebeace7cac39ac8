// plotly.js itself, for pages that must work offline and alone (the run and profile reports): the
// bundle of the optional package plotly.js-dist-min is read from node_modules and written into the
// page once, as an inline script. Nothing is fetched when the page opens (no CDN). Without the
// package, a MissingPackageError names the install command, and pages fall back to static SVG.
import * as fs from 'fs';
import { resolveOptional } from '../core/optional-package';

/** The bundle's text is read once per process (4.8 MB). */
let cached: string | undefined;

/**
 * A `<script>` element holding plotly.js. Inline when its text cannot end the element early
 * (no `</script` or `<!--` inside), else as a base64 data URL (larger, but never misparsed).
 * @throws MissingPackageError when plotly.js-dist-min is not installed.
 */
export function plotlyScriptTag(fn = 'plotlyScriptTag'): string {
  const file = resolveOptional('plotly.js-dist-min', fn, '/plotly.min.js');
  cached ??= fs.readFileSync(file, 'utf8');
  if (!/<\/script|<!--/i.test(cached)) return `<script>${cached}</script>`;
  return `<script src="data:text/javascript;base64,${Buffer.from(cached).toString('base64')}"></script>`;
}

/** Plotly's config for every interactive chart of the library (notebooks and pages alike). */
export const PLOTLY_CONFIG: Readonly<Record<string, unknown>> = { displaylogo: false };
