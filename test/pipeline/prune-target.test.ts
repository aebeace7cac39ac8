// Hardware-aware pruning through recipes and the pipeline: a prune stage's `target` and `roundTo`
// (validated by path, passed to prune.channels, refused with magnitude), and the bench stage's
// warning when an artifact ran slower than the original on the same runtime.
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { machineInfo } from '../../lib/core/machine';
import { validateRecipe } from '../../lib/pipeline/recipe';
import { runPrune } from '../../lib/pipeline/stages';
import { BenchReportRow, SLOWER_MARGIN, slowerThanOriginal } from '../../lib/pipeline/bench-stage';
import { ChannelReport } from '../../lib/prune/channels';
import { tileOf } from '../../lib/prune/tiles';
import { cnn } from '../../course/models/cnn';

const recipeWith = (stage: Record<string, unknown>) => ({ version: 1, model: 'm', stages: [stage] });

/** A bench row with the given per-round medians (what the harness returns; other fields are plausible constants). */
function row(stage: string, runtime: string, batchSize: number, roundP50Ms: number[]): BenchReportRow {
  const p50Ms = [...roundP50Ms].sort((a, b) => a - b)[roundP50Ms.length >> 1] as number;
  return {
    stage,
    model: stage,
    runtime,
    threads: 1,
    batchSize,
    roundP50Ms,
    p50Ms,
    p90Ms: p50Ms,
    p99Ms: p50Ms,
    meanMs: p50Ms,
    minMs: p50Ms,
    runs: 10,
    throughput: (batchSize * 1000) / p50Ms,
    rssBytes: 0,
    heapUsedBytes: 0,
    arrayBuffersBytes: 0,
    machine: machineInfo(),
  };
}

describe('pipeline: prune target and roundTo, and the slower-than-original warning', () => {
  it('recipes take target and roundTo on a prune stage; bad values name their path', () => {
    const ok = validateRecipe(
      recipeWith({ kind: 'prune', method: 'channels', sparsity: 0.3, target: 'ort', name: 'a' }),
    ).stages[0];
    expect(ok).to.deep.include({ target: 'ort' });
    expect(
      validateRecipe(recipeWith({ kind: 'prune', method: 'channels', sparsity: 0.3, roundTo: 1 })).stages[0],
    ).to.deep.include({ roundTo: 1 });
    for (const [field, value, message] of [
      ['target', 'gpu', /stages\[0\]\.target/],
      ['roundTo', 0, /stages\[0\]\.roundTo/],
      ['roundTo', 2.5, /stages\[0\]\.roundTo/],
    ] as const) {
      expect(() =>
        validateRecipe(recipeWith({ kind: 'prune', method: 'channels', sparsity: 0.3, [field]: value })),
      ).to.throw(ConfigError, message);
    }
  });

  it('a channels stage prunes for its target (default any, roundTo 1 opts out); magnitude refuses them', async () => {
    const model = cnn({ seed: 1, filters: [16, 32] });
    const ctx = { seed: 0, data: {} };
    const input = { kind: 'layers' as const, model };
    const counts = (r: ChannelReport) => r.layers.filter((l) => l.className === 'Conv2D').map((l) => l.channelsAfter);
    const byDefault = await runPrune({ kind: 'prune', method: 'channels', sparsity: 0.3 }, input, ctx);
    const plain = await runPrune({ kind: 'prune', method: 'channels', sparsity: 0.3, roundTo: 1 }, input, ctx);
    const ort = await runPrune({ kind: 'prune', method: 'channels', sparsity: 0.3, target: 'ort' }, input, ctx);
    expect((byDefault.report as ChannelReport).target).to.equal('any');
    expect((byDefault.report as ChannelReport).roundTo).to.equal(tileOf('any'));
    expect(counts(plain.report as ChannelReport)).to.deep.equal([11, 22]);
    expect((ort.report as ChannelReport).roundTo).to.equal(tileOf('ort'));
    for (const o of [byDefault, plain, ort]) if (o.model?.kind === 'layers') o.model.model.dispose();
    let err: unknown;
    try {
      await runPrune({ kind: 'prune', method: 'magnitude', sparsity: 0.3, roundTo: 16 }, input, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(
      /target and roundTo with method 'channels'.*got them with method 'magnitude'/,
    );
    model.dispose();
  });

  it('`only` and `skip` patterns select layers in recipes, the same words as the API and the CLI', async () => {
    expect(() =>
      validateRecipe(recipeWith({ kind: 'prune', method: 'magnitude', sparsity: 0.5, only: ['conv*'] })),
    ).to.not.throw();
    expect(() => validateRecipe(recipeWith({ kind: 'quantize', mode: 'dynamic', only: 'fc' }))).to.throw(
      ConfigError,
      /only/,
    );
    const model = cnn({ seed: 1, filters: [8, 8] });
    const input = { kind: 'layers' as const, model };
    const out = await runPrune(
      { kind: 'prune', method: 'magnitude', sparsity: 0.5, only: ['conv*'], skip: ['*2'] },
      input,
      {
        seed: 0,
        data: {},
      },
    );
    const targets = (out.report as { targets: Record<string, number> }).targets;
    const convs = model.layers.filter((l) => /^conv/.test(l.name)).map((l) => l.name);
    expect(convs.length).to.be.above(1);
    expect(Object.keys(targets)).to.deep.equal(convs.filter((n) => !n.endsWith('2')));
    let err: unknown;
    try {
      await runPrune({ kind: 'prune', method: 'magnitude', sparsity: 0.5, only: ['nothing*'] }, input, {
        seed: 0,
        data: {},
      });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.match(
      /^recipe: only patterns that match layer names, got "nothing\*" matching none/,
    );
    if (out.model?.kind === 'layers') out.model.model.dispose();
    model.dispose();
  });

  it('slowerThanOriginal warns from the median of per-round ratios, per runtime and batch, with the fix for that runtime', () => {
    const rows = [
      row('original', 'ort', 1, [5.0, 5.2, 9.0]),
      row('01-prune', 'tfjs-wasm', 1, [4, 4, 4]),
      row('original', 'tfjs-wasm', 1, [5, 5, 5]),
      row('03-export-onnx', 'ort', 1, [7.5, 7.6, 7.0]), // 1.5x, 1.46x, 0.78x: median 1.46x slower
      row('original', 'ort', 8, [40, 40, 40]),
      row('03-export-onnx', 'ort', 8, [41, 41, 41]), // 1.025x: within the margin
    ];
    const warnings = slowerThanOriginal(rows);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(
      /^03-export-onnx ran slower than the original on ort \(1 thread, batch 1\): p50 7\.500 ms against 5\.200 ms \(1\.46x the time, median of interleaved rounds\)\. If it was channel-pruned, prune for this runtime \(target "ort": kept channels in multiples of \d+\)/,
    );
    expect(SLOWER_MARGIN).to.be.greaterThan(1);
    expect(
      slowerThanOriginal([row('x', 'tfjs-cpu', 1, [2, 2, 2]), row('original', 'tfjs-cpu', 1, [1, 1, 1])])[0],
    ).to.match(/on tfjs-cpu .*prune with the target runtime named/);
    expect(slowerThanOriginal([row('x', 'ort', 1, [2, 2, 2])])).to.deep.equal([]); // no original row to compare with
  });
});
