// Charts and tables: figure builders (plain data -> Plotly spec), notebook display (interactive
// HTML + PNG + Plotly JSON), PNG rendering, and the one formatter every table uses.
export { lineChart, scatterChart, barChart, histogram, heatmap, imageGrid } from './figures';
export type { Figure, ChartOptions, XYSeries, BarSeries } from './figures';
export type { AxisFormat } from './axes';
export { show, showTable, showMarkdown, showSvg, showPng } from './show';
export type { TableOptions, TableText } from './table';
export type { Quantity, ColumnFormats } from './format';
export { saveFigure } from './render';
export type { HtmlBlock, HtmlPageOptions } from './html-page';
export type { BannerData, BannerCheck } from './banner';
