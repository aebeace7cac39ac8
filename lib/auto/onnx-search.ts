// `auto.search` on an ONNX model (a path, bytes, or onnx.read's result): the precision candidates of
// onnx.quantize, measured in ONNX Runtime for Node (target 'ort') on the user's labelled feeds.
// Pruning needs a TensorFlow.js model (its channel groups, its fine-tuning): none is tried here.
//   1. the original, timed against itself (the noise of paired timings here);
//   2. static INT8 (QDQ) with NNCF's accuracy control (fallback.ts: the quantized nodes ranked by the
//      accuracy each gives back when left float, onnx.quantize's `skip`, reverted until within the
//      limit), dynamic INT8, int4 weight-only (MatMul/Gemm), and for goal 'size' float16 weights;
//   3. the best within the limit on the search feeds is checked on the held-out feeds, the next one
//      tried if it fails there (the original always passes).
// Latency is the search's one timing (evaluate.ts pairedSpeedup: bench.benchmark in interleaved
// rounds against the original) over onnx.ortFeedsRuntime at the feeds' own batch. Every
// evaluation is journaled (journal.ts), so a killed search resumes without redoing them.
import { createHash } from 'crypto';
import { onnx } from 'onnx-proto';
import { ConfigError, DataError, describe } from '../errors';
import { hashConfig } from '../core/hash';
import { LabelledFeeds, labelledAccuracy } from '../onnx/accuracy';
import { profile } from '../onnx/profile';
import { quantize } from '../onnx/quantize';
import { OnnxFile, toOnnxFile } from '../onnx/read';
import { ortFeedsRuntime } from '../onnx/runtime';
import { choosePoint } from './choose';
import { Candidate, ORIGINAL, candidateKey, candidateLabel } from './candidate';
import { Evaluation, pairedSpeedup } from './evaluate';
import { FallbackReport, int8WithFallback } from './fallback';
import { Journal } from './journal';
import { journaledEvaluator } from './journaled';
import { AutoOptions, ResolvedAutoOptions, resolveAutoOptions } from './options';
import { AutoReport, autoReport } from './report';

const FN = 'auto.search';

/** The data of a search on an ONNX model: labelled feeds in the model's own layout (e.g. onnx.feedsFromFiles). */
export interface OnnxAutoData {
  readonly search: LabelledFeeds;
  readonly heldOut: LabelledFeeds;
}

/** What the search returns for an ONNX model: the chosen model, its bytes (the file to ship), and the report. */
export interface OnnxAutoResult {
  readonly model: OnnxFile;
  readonly bytes: Uint8Array;
  readonly report: AutoReport;
}

function checkFeeds(d: unknown, what: string): LabelledFeeds {
  const f = d as LabelledFeeds | undefined;
  if (!f || typeof f !== 'object' || !Array.isArray(f.feeds) || !f.feeds.length || !f.labels)
    throw new DataError(
      `${FN}: data.${what} as labelled feeds {feeds, labels} (onnx.feedsFromFiles with labels), got ${describe(d)}. Pass labelled examples.`,
    );
  return f;
}

function fingerprint(bytes: Uint8Array, data: OnnxAutoData, o: ResolvedAutoOptions): string {
  const h = createHash('sha256').update(bytes);
  const d = createHash('sha256');
  for (const part of [data.search, data.heldOut]) {
    for (const f of part.feeds)
      for (const [k, v] of Object.entries(f))
        d.update(k)
          .update(JSON.stringify(v.dims))
          .update(new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength));
    d.update(JSON.stringify(Array.from(part.labels)));
  }
  const { journalDir: _dir, onEvaluation: _fn, budgetSeconds: _budget, executor: _executor, ...measured } = o;
  return hashConfig({ onnx: h.digest('hex'), data: d.digest('hex'), options: measured });
}

/** Quantize options of a candidate (its recipe stage, as the ONNX recipe runner reads it). */
function quantizeMode(c: Candidate): 'static' | 'dynamic' | 'weight-only' | 'float16' | undefined {
  return c.precision === 'int8'
    ? 'static'
    : c.precision === 'int8-dynamic'
      ? 'dynamic'
      : c.precision === 'int4-weights'
        ? 'weight-only'
        : c.precision === 'float16'
          ? 'float16'
          : undefined;
}

/** Searches onnx.quantize's precisions of an ONNX model for target 'ort' (see the file's header). */
export async function searchOnnx(
  model: OnnxFile | Uint8Array | string,
  data: OnnxAutoData,
  options: AutoOptions,
): Promise<OnnxAutoResult> {
  const o = resolveAutoOptions(options);
  if (o.target !== 'ort')
    throw new ConfigError(
      `${FN}: target 'ort' for an ONNX model (ONNX Runtime for Node times and scores it), got ${describe(o.target)}. Use target 'ort', or search the model's TensorFlow.js version for ${o.target}.`,
    );
  if (o.batchSize !== 1)
    throw new ConfigError(
      `${FN}: batchSize 1 for an ONNX model (its feeds carry their own batch), got ${o.batchSize}. Leave batchSize out.`,
    );
  if (!data || typeof data !== 'object')
    throw new ConfigError(`${FN}: data {search, heldOut} of labelled feeds, got ${describe(data)}. Split your feeds.`);
  const search = checkFeeds(data.search, 'search');
  const held = checkFeeds(data.heldOut, 'heldOut');
  const started = Date.now();
  const file = toOnnxFile(model, {}, 'auto.search');
  const floatBytes = onnx.ModelProto.encode(file.proto).finish();
  const journal = new Journal(o.journalDir, fingerprint(floatBytes, { search, heldOut: held }, o));
  const timingFeeds = search.feeds[0] as LabelledFeeds['feeds'][number];
  const warnings: string[] = [
    'pruning needs a TensorFlow.js model (channel groups, fine-tuning): an ONNX model gets precision candidates only',
  ];
  const overBudget = () => o.budgetSeconds !== undefined && (Date.now() - started) / 1000 > o.budgetSeconds;
  const prof = await profile(floatBytes, [timingFeeds]);
  const macsOf = new Map(prof.nodes.map((n) => [n.name, n.macs ?? 0]));
  const totalMacs = prof.totals.macs ?? 0;

  const build = async (
    c: Candidate,
  ): Promise<{ bytes: Uint8Array; nodes: readonly { name: string; weightSqnrDb?: number }[] }> => {
    const mode = quantizeMode(c);
    if (!mode) return { bytes: floatBytes, nodes: [] };
    const q = await quantize(file, mode === 'static' ? () => search.feeds : undefined, {
      mode,
      ...(mode === 'weight-only' ? { weightBits: 4, blockSize: 32 } : {}),
      ...(mode === 'static' ? { calibrationCount: o.calibrationCount, seed: o.seed } : {}),
      ...(c.floatLayers.length ? { skip: [...c.floatLayers] } : {}),
      compareCount: 0,
    });
    if (!q.report.nodes.length)
      throw new ConfigError(`${FN}: nodes to quantize in mode ${mode}, got none. ${q.report.warnings.join(' ')}`);
    return { bytes: q.bytes, nodes: q.report.nodes };
  };

  const measure = async (c: Candidate, timed: boolean): Promise<Evaluation> => {
    const t0 = Date.now();
    const { bytes, nodes } = await build(c);
    const { accuracy, count } = await labelledAccuracy(bytes, search, FN);
    const latency = timed
      ? await pairedSpeedup(
          ortFeedsRuntime(floatBytes, timingFeeds, { name: 'ort', model: 'original' }),
          ortFeedsRuntime(bytes, timingFeeds, { name: 'ort', model: 'candidate' }),
          o,
        )
      : undefined;
    const int8 = c.precision === 'int8' || c.precision === 'int8-dynamic';
    return {
      key: candidateKey(c),
      label: candidateLabel(c),
      candidate: c,
      sizeBytes: bytes.length,
      format: 'onnx',
      precision: c.precision,
      accuracy,
      examples: count,
      macs: totalMacs,
      int8Macs: int8 ? nodes.reduce((a, n) => a + (macsOf.get(n.name) ?? 0), 0) : 0,
      ...(latency ?? {}),
      ...(c.precision === 'int8'
        ? { layerSqnrDb: Object.fromEntries(nodes.map((n) => [n.name, n.weightSqnrDb ?? Infinity])) }
        : {}),
      seconds: (Date.now() - t0) / 1000,
    };
  };

  const evaluator = journaledEvaluator(journal, measure, {
    overBudget,
    runtime: 'ort',
    ...(o.onEvaluation ? { say: o.onEvaluation } : {}),
  });
  const { evaluate, failed } = evaluator;

  const measuredOriginal = await evaluate(ORIGINAL, true, true);
  if (!measuredOriginal)
    throw new ConfigError(
      `${FN}: the original model measured in ONNX Runtime, got ${failed[0]?.reason ?? 'no time (budget)'}. Check the model and feeds.`,
    );
  const selfSpeedup = measuredOriginal.speedup as number;
  const original: Evaluation = { ...measuredOriginal, speedup: 1 };
  const baseAccuracy = original.accuracy;
  const timed: Evaluation[] = [original];
  const fallback: (FallbackReport & { sparsity: number })[] = [];
  const base = { sparsity: 0, keepWhole: [] };
  const f = await int8WithFallback(base, {
    baseAccuracy,
    maxDrop: o.maxDrop,
    rankLayers: o.rankLayers,
    evaluate: (c, t) => evaluate(c, t),
  });
  if (f) {
    fallback.push({ ...f, sparsity: 0 });
    timed.push(...f.steps);
  }
  const others: Candidate['precision'][] = [
    'int8-dynamic',
    'int4-weights',
    ...(o.goal === 'size' ? ['float16' as const] : []),
  ];
  for (const precision of others) {
    const e = await evaluate({ ...base, precision, floatLayers: [] }, true);
    if (e) timed.push(e);
  }
  const heldOut = async (c: Candidate) =>
    (
      await journal.remember(`heldout:${candidateKey(c)}`, async () =>
        labelledAccuracy((await build(c)).bytes, held, FN),
      )
    ).value;
  const choice = await choosePoint(timed, original, baseAccuracy, selfSpeedup, o, heldOut);
  const bytes = (await build(choice.pick.e.candidate)).bytes;
  const report = autoReport({
    o,
    original,
    selfSpeedup,
    choice,
    chosenSizeBytes: bytes.length,
    timedOn: 'in ONNX Runtime',
    sensitivity: [],
    fallback,
    failed,
    journal,
    budgetExhausted: evaluator.budgetExhausted,
    started,
    warnings,
  });
  return { model: toOnnxFile(bytes, { maxBytes: 2 ** 31 }), bytes, report };
}
