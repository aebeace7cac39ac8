// The report page: plotly.js written in exactly once however many charts there are, a static SVG
// drawing with every chart, nothing that points outside the page, the banner's verdict, and the
// fallback when plotly.js-dist-min is not installed (run in a child process where resolving the
// package fails as it does when it is absent).
import * as path from 'path';
import { spawnSync } from 'child_process';
import { expect } from 'chai';
import { htmlPage } from '../../lib/viz/html-page';
import { bannerHtml, bannerStatus } from '../../lib/viz/banner';
import { barChart, lineChart, scatterChart } from '../../lib/viz/figures';
import { figureSvg } from '../../lib/viz/svg';

const ROOT = path.resolve(__dirname, '..', '..');
const charts = [
  barChart({ title: 'a', categories: ['x', 'y'], series: [{ name: 's', values: [1, 2] }] }),
  lineChart({ title: 'b </script> <b>', series: [{ name: 's', x: [1, 2], y: [3, 4] }] }),
  scatterChart({ title: 'c', logX: true, series: [{ name: 's', x: [10, 1000], y: [0.5, 0.6], markerSize: [10, 20] }] }),
];
const plotlyTags = (html: string) =>
  (html.match(/<script>[\s\S]*?<\/script>/g) ?? []).filter((s) => s.includes('* plotly.js v'));

describe('viz/html-page and viz/banner', () => {
  it('writes plotly.js in once for any number of charts, each with its static drawing and its spec', () => {
    const html = htmlPage('t', [{ heading: 'h' }, ...charts.map((figure) => ({ figure })), { figure: charts[0]! }]);
    expect(plotlyTags(html)).to.have.length(1);
    expect(html.match(/<figure class="tfc-chart">/g)).to.have.length(4);
    expect(html.match(/<div class="tfc-fallback"><svg /g)).to.have.length(4);
    expect(html.match(/<script type="application\/vnd\.plotly\.v1\+json">/g)).to.have.length(4);
    expect(html).to.not.contain('b </script> <b>'); // titles cannot end a script element or inject markup
    expect(html.replace(plotlyTags(html)[0] as string, '')).to.not.match(
      /<script src=|<link |https?:\/\/(?!www\.w3\.org)/,
    );
  });

  it('a page without charts, or with static charts, carries no plotly.js (a few KB)', () => {
    expect(plotlyTags(htmlPage('t', [{ text: 'x' }]))).to.have.length(0);
    const fixed = htmlPage(
      't',
      charts.map((figure) => ({ figure })),
      { charts: 'static' },
    );
    expect(plotlyTags(fixed)).to.have.length(0);
    expect(fixed.length).to.be.lessThan(40_000);
    expect(fixed).to.not.contain('class="tfc-notice"');
  });

  it('the banner puts failed checks first, says passed when all passed, and folds long warning lists', () => {
    const failed = {
      checks: [
        { text: 'drop 3% <a>', passed: false },
        { text: 'size', passed: true },
      ],
      warnings: [],
    };
    expect(bannerStatus(failed)).to.equal('failed');
    const html = bannerHtml(failed);
    expect(html).to.match(/^<section class="tfc-banner tfc-failed" role="alert" data-status="failed">/);
    expect(html).to.contain('Failed: 1 of 2 checks');
    expect(html).to.contain('<ul class="tfc-failed-checks"><li>drop 3% &lt;a&gt;</li></ul>');
    expect(bannerHtml({ checks: [{ text: 'x', passed: true }], warnings: [] })).to.contain('Passed: the check');
    const many = bannerHtml({ checks: [], warnings: Array.from({ length: 11 }, (_, i) => `w${i}`) });
    expect(many).to.contain('No checks were set, 11 warnings');
    expect(many).to.contain('<summary>3 more</summary>');
    expect(bannerHtml({ checks: [], warnings: [], headline: 'Profiled 9 layers' })).to.contain('Profiled 9 layers');
  });

  it('the static drawing has log ticks, points with their sizes, and horizontal bars', () => {
    const svg = figureSvg(charts[2]!);
    expect(svg).to.contain('>10</text>');
    expect(svg).to.contain('>1k</text>');
    expect(svg.match(/<circle [^>]*r="(\d+\.\d)"/g)?.map((c) => /r="([\d.]+)"/.exec(c)?.[1])).to.deep.equal([
      '5.0',
      '10.0',
    ]);
    const h = figureSvg(
      barChart({ orientation: 'h', categories: ['long layer name'], series: [{ name: 's', values: [5] }] }),
    );
    const rect = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill/.exec(h);
    expect(Number(rect?.[2])).to.be.greaterThan(100); // the bar runs along x
    expect(h).to.contain('>long layer name</text>');
  });

  it('without plotly.js-dist-min: a MissingPackageError naming the install command, and a page of static drawings that says so', () => {
    const code = `
      const Module = require('module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request.startsWith('plotly.js-dist-min')) throw Object.assign(new Error('absent'), { code: 'MODULE_NOT_FOUND' });
        return resolve.call(this, request, ...rest);
      };
      const { plotlyScriptTag } = require('./lib/viz/plotly-bundle');
      const { htmlPage } = require('./lib/viz/html-page');
      const { barChart } = require('./lib/viz/figures');
      let error;
      try { plotlyScriptTag(); } catch (e) { error = { name: e.constructor.name, message: e.message }; }
      const html = htmlPage('t', [{ figure: barChart({ categories: ['a'], series: [{ name: 's', values: [1] }] }) }]);
      process.stdout.write(JSON.stringify({ error, html }));
    `;
    const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', code], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const { error, html } = JSON.parse(r.stdout) as { error: { name: string; message: string }; html: string };
    expect(error.name).to.equal('MissingPackageError');
    expect(error.message).to.match(/npm install plotly\.js-dist-min@\d+\.\d+\.\d+/);
    expect(plotlyTags(html)).to.have.length(0);
    expect(html).to.contain('<div class="tfc-fallback"><svg ');
    expect(html).to.match(/class="tfc-notice">[^<]*static drawings[^<]*<code>npm install plotly\.js-dist-min@\d/);
  });
});
