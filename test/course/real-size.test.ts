import { expect } from 'chai';
import { realSizeColumn } from '../../course/real-size';
import { cell, comparisonMarkdown, ComparisonRow } from '../../course/comparison';

const INT8_CLAIMS = {
  size: { min: 0.25, max: 0.25 },
  speed: { min: 2, max: 4 },
  accuracyKept: { min: 0.9, max: 0.95 },
};
/** A bench-real-size.json metrics object with hand-checkable numbers. */
const METRICS = {
  int8: {
    resnet50: { onnxFp32Bytes: 100, onnxInt8Bytes: 26, ortSpeedupBatch1: 2.5, ortSpeedupBatched: 1.5 },
    mobilenetv2: { images: 96, ortTop1AgreementWithFp32: 0.98, simVsFp32MaxProbDiff: 0.2, ortVsSimMaxProbDiff: 0.03 },
  },
  kd: { resnet50ToMobilenetv2: { sizeRatio: 0.14, speedup: 4.2 } },
};

describe('course/real-size', () => {
  it("reads a row's size, speed and accuracy from the bench results and gives each its verdict", () => {
    const col = realSizeColumn('int8', METRICS, INT8_CLAIMS)!;
    expect(col.size.measured).to.be.closeTo(0.26, 1e-12); // 26 / 100 bytes
    expect(col.size.verdict).to.equal('holds'); // within 5% of 25%
    expect(col.speed.measured).to.equal(2.5);
    expect(col.speed.verdict).to.equal('holds');
    expect(col.speed.note).to.match(/ORT fp32 \/ ORT int8 at batch 1/);
    expect(col.accuracyKept.measured).to.equal(0.98);
    expect(col.accuracyKept.verdict).to.equal('better than claimed');
    const kd = realSizeColumn('distillation', METRICS, {
      size: { min: 0.1, max: 0.3 },
      speed: { min: 3, max: 5 },
      accuracyKept: { min: 0.85, max: 0.9 },
    })!;
    expect([kd.size.verdict, kd.speed.verdict, kd.accuracyKept.verdict]).to.deep.equal([
      'holds',
      'holds',
      'not measured',
    ]);
  });

  it("says 'not measured' where the bench has not written a figure, and has no column for int4", () => {
    const col = realSizeColumn('nas', {}, INT8_CLAIMS)!;
    expect(col.speed.verdict).to.equal('not measured');
    expect(col.speed.note).to.match(/^not measured \(run make bench\)/);
    expect(realSizeColumn('int8', undefined, INT8_CLAIMS)!.speed.measured).to.equal(null);
    expect(realSizeColumn('int4', METRICS, INT8_CLAIMS)).to.equal(undefined);
  });

  it('renders both columns in the Markdown table, with the real-size source named', () => {
    const row: ComparisonRow = {
      key: 'int8',
      technique: 'INT8 quantization',
      notebook: '04-quantization',
      model: 'SimpleNet',
      size: cell(0.26, INT8_CLAIMS.size, 'lower', 'file ratio'),
      speed: { ...cell(3.1, INT8_CLAIMS.speed, 'higher', 'ORT'), figures: [] },
      accuracyKept: cell(0.999, INT8_CLAIMS.accuracyKept, 'higher', 'ok'),
      literature: [],
      typicalUse: 'mobile, embedded',
      realSize: realSizeColumn('int8', METRICS, INT8_CLAIMS)!,
    };
    const md = comparisonMarkdown([row], {
      machine: 'test machine',
      date: '2026-12-07',
      realSize: { file: 'results/bench-real-size.json', machine: 'bench machine', date: '2026-12-06' },
    });
    const line = md.split('\n').find((l) => l.startsWith('| INT8 quantization'))!;
    expect(line.split('|').length - 2).to.equal(10); // technique, course model + 3 cells, real-size network + 3 cells, use
    expect(line).to.include('ResNet50 224, static INT8 vs fp32, both in ONNX Runtime');
    expect(line).to.include('2.50x / 2-4x ✓ holds');
    expect(md).to.include('measured on 2026-12-06; machine: bench machine');
    // Without a real-size source, the course table as before.
    const plain = comparisonMarkdown([row], { machine: 'm', date: 'd' });
    expect(plain).to.not.include('real-size network');
  });
});
