// Charts and tables: figure builders (plain data -> Plotly spec), notebook display, PNG rendering.
export { lineChart, scatterChart, barChart, histogram, heatmap, imageGrid } from './figures';
export type { Figure, ChartOptions, XYSeries } from './figures';
export { show, showTable, showMarkdown, showSvg, showPng, displayData, tableText } from './show';
export { renderPng, saveFigure, closeRenderer, renderUnavailableReason, CHROMIUM_PATH, CHROMIUM_ARGS } from './render';
export { figureSvg, escapeXml } from './svg';
export { htmlPage } from './html-page';
export type { HtmlBlock } from './html-page';
