// The run report's page, charts and banner from a report small enough to check by hand: the
// checks in each shape a report may hold them, warnings derived from the data (an artifact slower
// than the original, layers left in float), the recommended artifact, and charts whose every
// number is the report's.
import { expect } from 'chai';
import { PipelineReport } from '../../lib/pipeline/report';
import { reportFigures } from '../../lib/pipeline/report-figures';
import { reportHtml } from '../../lib/pipeline/report-html';
import { recommendedStage, reportBanner, reportChecks } from '../../lib/pipeline/report-findings';
import { stageLatency } from '../../lib/pipeline/report-figures';
import { BenchReportRow } from '../../lib/pipeline/bench-stage';

const row = (stage: string, runtime: string, batchSize: number, p50Ms: number): BenchReportRow =>
  ({
    stage,
    runtime,
    threads: 1,
    batchSize,
    p50Ms,
    p90Ms: p50Ms * 1.5,
    throughput: (1000 * batchSize) / p50Ms,
  }) as BenchReportRow;

function report(extra: Record<string, unknown> = {}): PipelineReport {
  return {
    tool: 'tfjs-compress',
    versions: { tfjs: '4.22.0' },
    recipe: { version: 1, name: 'hand <made>', model: 'm', stages: [] },
    seed: 1,
    machine: { cpuModel: 'cpu', cores: 2, cpuFlags: ['avx2'], platform: 'linux', node: 'v20' },
    inputs: [],
    stages: [
      {
        index: 0,
        name: 'original',
        kind: 'original',
        sizeBytes: 4 * 2 ** 20,
        sizeRatio: 1,
        accuracy: 0.9,
        accuracyDrop: 0,
        seconds: 1,
      },
      {
        index: 1,
        name: '01-prune',
        kind: 'prune',
        artifact: '01-prune',
        sizeBytes: 4 * 2 ** 20,
        sizeRatio: 1,
        accuracy: 0.85,
        accuracyDrop: 0.05,
        seconds: 1,
      },
      {
        index: 2,
        name: '02-export-onnx',
        kind: 'export',
        artifact: '02-export-onnx',
        sizeBytes: 2 ** 20,
        sizeRatio: 0.25,
        accuracy: 0.88,
        accuracyDrop: 0.02,
        seconds: 1,
      },
      { index: 3, name: '03-bench', kind: 'bench', seconds: 1 },
    ],
    bench: [
      row('original', 'tfjs-wasm', 1, 2),
      row('01-prune', 'tfjs-wasm', 1, 2.5), // 1.25x slower
      row('original', 'tfjs-wasm', 32, 20),
      row('01-prune', 'tfjs-wasm', 32, 20.4), // 1.02x: noise, not a warning
      row('02-export-onnx', 'ort', 1, 0.1),
      row('original', 'ort', 1, 0.2),
    ],
    evaluationBatchSize: 256,
    checks: { maxAccuracyDrop: 0.01, worstDrop: 0.05, passed: false },
    warnings: ['bench: something the run said'],
    startedAt: '2026-01-01T00:00:00.000Z',
    seconds: 5,
    ...extra,
  } as unknown as PipelineReport;
}

describe('pipeline report page: banner, charts, page', () => {
  it('reads the checks in every shape: the accuracy check, a list, named checks', () => {
    expect(reportChecks(report())).to.deep.equal([
      { text: 'Largest accuracy drop 5.00% against at most 1.00%', passed: false },
    ]);
    const list = report({
      checks: [
        { name: 'size', message: 'size 1 MiB against at most 2 MiB', passed: true },
        { name: 'latency', passed: false },
      ],
    });
    expect(reportChecks(list)).to.deep.equal([
      { text: 'size 1 MiB against at most 2 MiB', passed: true },
      { text: 'latency', passed: false },
    ]);
    expect(reportChecks(report({ checks: { accuracy: { passed: true, text: 'ok' }, junk: 3 } }))).to.deep.equal([
      { text: 'accuracy: ok', passed: true },
    ]);
    expect(reportChecks(report({ checks: undefined }))).to.deep.equal([]);
  });

  it("warns about artifacts slower than the original (beyond bench noise) and layers left in float, after the run's own warnings", () => {
    const r = report({
      stages: [...report().stages.slice(0, 2), { ...report().stages[2], floatLayers: ['dense_2', 'softmax'] }],
      deploy: {
        recommended: '02-export-onnx/model.onnx',
        artifacts: [{ stage: 'x', file: 'x/model.tflite', floatLayers: ['d'] }],
      },
    });
    const b = reportBanner(r);
    expect(b.warnings).to.deep.equal([
      'bench: something the run said',
      '02-export-onnx left 2 layers in float: dense_2, softmax',
      'x left 1 layer in float: d',
      '01-prune is slower than the original on tfjs-wasm, 1 thread, batch 1: p50 2.5 ms against 2 ms',
    ]);
    expect(b.checks.map((c) => c.passed)).to.deep.equal([false]);
    expect(recommendedStage(r)?.name).to.equal('02-export-onnx');
    expect(recommendedStage(report())).to.equal(undefined);
  });

  it("charts carry the report's numbers: sizes in MiB, accuracy with the check line, latency on a log axis, the scatter with the star", () => {
    const r = report({ deploy: { recommended: '02-export-onnx/model.onnx', artifacts: [] } });
    const [size, accuracy, latency, scatter] = reportFigures(r);
    expect(size?.data[0]?.y).to.deep.equal([4 * 2 ** 20, 4 * 2 ** 20, 2 ** 20]);
    expect((size?.layout.yaxis as { ticktext: string[] }).ticktext).to.include('4 MiB');
    expect(accuracy?.data[0]?.y).to.deep.equal([0.9, 0.85, 0.88]);
    const line = (accuracy?.layout.shapes as { y0: number }[])[0];
    expect(line?.y0).to.be.closeTo(0.9 - 0.01, 1e-12);
    expect((latency?.layout.yaxis as { type: string }).type).to.equal('log');
    const onnx = latency?.data.find((t) => t.name === '02-export-onnx') as { x: string[]; y: number[] };
    expect(onnx.y[onnx.x.indexOf('ort · 1 thread · batch 1')]).to.equal(0.1);
    // One trace per scored stage, then the star; marker area proportional to each stage's fastest batch-1 p50.
    expect(scatter?.data.map((t) => t.name)).to.deep.equal([
      'original',
      '01-prune',
      '02-export-onnx',
      'recommended: 02-export-onnx',
    ]);
    expect(stageLatency(r, 'original')).to.deep.include({ runtime: 'ort', p50Ms: 0.2 });
    const d = (k: number) => (scatter?.data[k]?.marker as { size: number[] }).size[0] as number;
    expect((d(1) / 44) ** 2).to.be.closeTo(1, 1e-9); // the slowest, 2.5 ms
    expect((d(0) / d(1)) ** 2).to.be.closeTo(0.2 / 2.5, 1e-9);
    expect((scatter?.layout.yaxis as { tickformat: string }).tickformat).to.match(/%$/);
  });

  it('the page opens with the verdict, then what to ship, and escapes what the recipe says', () => {
    const r = report({
      deploy: {
        recommended: '02-export-onnx/model.onnx',
        reason: 'the smallest',
        artifacts: [
          {
            file: '02-export-onnx/model.onnx',
            format: 'onnx',
            runtime: 'ort',
            deployable: true,
            precision: 'int8',
            sizeBytes: 2 ** 20,
            accuracy: 0.88,
          },
        ],
      },
    });
    const html = reportHtml(r, { charts: 'static' });
    const banner = html.indexOf('<section class="tfc-banner tfc-failed"');
    expect(banner).to.be.greaterThan(0);
    expect(banner).to.be.lessThan(html.indexOf('<h2>'));
    expect(html).to.contain('<li>Largest accuracy drop 5.00% against at most 1.00%</li>');
    expect(html).to.contain('Recommended: 02-export-onnx/model.onnx (the smallest).');
    expect(html).to.contain('<td style="text-align: right">88.00%</td>');
    expect(html).to.contain('<title>hand &lt;made&gt;</title>');
    expect(html.match(/<figure class="tfc-chart">/g)).to.have.length(4);
  });
});
