// Charts and tables: figure builders (plain data -> Plotly spec), notebook display (interactive
// HTML + PNG + Plotly JSON), PNG rendering, and the one formatter every table uses.
export { lineChart, scatterChart, barChart, histogram, heatmap, imageGrid } from './figures';
export type { Figure, ChartOptions, XYSeries, BarSeries } from './figures';
export { axisFormat, formatAs, formatBytesShort, formatCount } from './axes';
export type { AxisFormat } from './axes';
export { show, showTable, showMarkdown, showSvg, showPng, displayData } from './show';
export { tableText } from './table';
export type { TableOptions, TableText } from './table';
export { formatValue, columnQuantity } from './format';
export type { Quantity, ColumnFormats } from './format';
export { summariseFigure } from './summarise';
export { renderPng, saveFigure, closeRenderer, renderUnavailableReason, CHROMIUM_PATH, CHROMIUM_ARGS } from './render';
export { figureSvg, escapeXml } from './svg';
export { htmlPage } from './html-page';
export type { HtmlBlock, HtmlPageOptions } from './html-page';
export { bannerHtml, bannerStatus } from './banner';
export type { BannerData, BannerCheck } from './banner';
export { plotlyScriptTag } from './plotly-bundle';
