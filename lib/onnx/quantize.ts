// onnx.quantize: an ONNX model in, a smaller (and, in ONNX Runtime, faster) ONNX model out, with a
// report. The verb of the tfjs path in the ONNX world, with its words: `mode` ('dynamic', 'static',
// 'weight-only', and 'float16' weights), `weightBits`, `granularity`, `blockSize`, `observer`,
// `skip`, `layers`, and `only`. Steps: ONNX Runtime's basic optimizations (BatchNormalization folded
// into convolutions, constants folded), the opset raised to 13 where INT8 needs it, the nodes
// chosen, (static) ranges calibrated through ONNX Runtime on the user's data, the graph rewritten,
// cleaned and encoded, then loaded in ONNX Runtime and compared with the float model on the data.
import * as tf from '@tensorflow/tfjs';
import { onnx } from 'onnx-proto';
import { ConfigError, describe } from '../errors';
import { LayerPatterns } from '../core/glob';
import { ObserverOptions, createObserver } from '../quantize/observers';
import { QParams } from '../quantize/qparams';
import { ortSession } from '../export/onnx/runtime';
import { calibrateValues } from './calibrate';
import { CompareOptions, compareOutputs } from './compare';
import { OnnxData, reiterable } from './feeds';
import { GraphScope, Names, allGraphs, cloneModel, nameNodes } from './graph';
import { OnnxQuantMode } from './ops';
import { upgradeProto, QUANT_OPSET } from './opset';
import { nodeCount, optimizedProto } from './optimize';
import { OnnxFile, ReadOnnxOptions, decodeOnnx, toOnnxFile } from './read';
import { ActivationPointReport, NodeQuantReport, OnnxQuantizeReport } from './report';
import { Rewriter, finalize } from './rewrite';
import { rewriteDynamic } from './rewrite-dynamic';
import { StaticPoint, activationGrid, rewriteStatic, staticPoints } from './rewrite-static';
import { exposeValue } from './expose';
import { rewriteFloat16, rewriteInt4, rewriteInt8Weights } from './rewrite-weights';
import { OnnxNodeQuantOptions, SkippedNode, selectNodes } from './select';

/** Options of {@link quantize}; `skip` and `only` are node-name patterns (left float; quantize only these). */
export interface OnnxQuantizeOptions extends LayerPatterns {
  readonly mode: OnnxQuantMode;
  /** dynamic and static: 8. weight-only: 4 (MatMulNBits, default) or 8. */
  readonly weightBits?: number;
  /** Weights per output channel (default) or per tensor. */
  readonly granularity?: 'per-tensor' | 'per-channel';
  /** weight-only 4-bit: values per block along K, 32, 64 or 128 (default 32). */
  readonly blockSize?: number;
  /** Symmetric signed weights (default true; weight-only may use asymmetric unsigned ones). */
  readonly weightSymmetric?: boolean;
  /** static: int8 activations with zero point 0 instead of uint8 asymmetric (default false). */
  readonly activationSymmetric?: boolean;
  /** static: how ranges are chosen (default minmax). */
  readonly observer?: ObserverOptions;
  /** static: calibration feeds used at most (default 100). */
  readonly calibrationCount?: number;
  /** Feeds the comparison with the float model uses at most (default 32; 0: no comparison). */
  readonly compareCount?: number;
  /** Outputs whose top-1 agreement the comparison measures (default: probability outputs). */
  readonly top1?: CompareOptions['top1'];
  /** Operator types to quantize (default every one the mode applies to). */
  readonly ops?: readonly string[];
  /** Per-node overrides, by node-name pattern. */
  readonly layers?: Readonly<Record<string, OnnxNodeQuantOptions>>;
  /** Apply ONNX Runtime's basic optimizations first (default true). */
  readonly preprocess?: boolean;
  /** Seed of the observers' samples. */
  readonly seed?: number;
  /** Limits of reading the model. */
  readonly read?: ReadOnnxOptions;
}

/** What {@link quantize} returns: the model (decoded), its bytes, and the report. */
export interface OnnxQuantizeResult {
  readonly model: OnnxFile;
  readonly bytes: Uint8Array;
  readonly report: OnnxQuantizeReport;
}

const MODES: readonly OnnxQuantMode[] = ['dynamic', 'static', 'weight-only', 'float16'];

function checkOptions(o: OnnxQuantizeOptions, data: OnnxData | undefined): void {
  if (!o || typeof o !== 'object' || !MODES.includes(o.mode))
    throw new ConfigError(
      `onnx.quantize: mode one of ${MODES.join(', ')}, got ${describe(o?.mode)}. Use 'dynamic' to start (no data needed).`,
    );
  const bits = o.weightBits;
  if (bits !== undefined && !(o.mode === 'weight-only' ? [4, 8] : [8, 16]).includes(bits))
    throw new ConfigError(
      `onnx.quantize: weightBits ${o.mode === 'weight-only' ? '4 or 8' : '8'} in mode ${o.mode}, got ${describe(bits)}. ONNX Runtime's integer kernels take 8-bit weights; 4-bit is weight-only MatMulNBits.`,
    );
  if (o.blockSize !== undefined && ![32, 64, 128].includes(o.blockSize))
    throw new ConfigError(`onnx.quantize: blockSize 32, 64 or 128, got ${describe(o.blockSize)}. Use 32.`);
  if (o.granularity !== undefined && o.granularity !== 'per-tensor' && o.granularity !== 'per-channel')
    throw new ConfigError(
      `onnx.quantize: granularity 'per-tensor' or 'per-channel', got ${describe(o.granularity)}. Use 'per-channel'.`,
    );
  if (o.mode !== 'weight-only' && o.weightSymmetric === false)
    throw new ConfigError(
      `onnx.quantize: symmetric weights in mode ${o.mode}, got weightSymmetric false. ONNX Runtime's dynamic and QDQ kernels take int8 weights with zero point 0; use it with 'weight-only'.`,
    );
  for (const [k, v] of [
    ['calibrationCount', o.calibrationCount],
    ['compareCount', o.compareCount],
  ] as const)
    if (v !== undefined && !(Number.isInteger(v) && v >= (k === 'compareCount' ? 0 : 1)))
      throw new ConfigError(
        `onnx.quantize: ${k} a ${k === 'compareCount' ? 'non-negative' : 'positive'} integer, got ${describe(v)}. Use e.g. 32.`,
      );
  if (o.observer) createObserver(o.observer);
  if (o.mode === 'static' && data === undefined)
    throw new ConfigError(
      `onnx.quantize: calibration data for mode 'static', got none. Pass feeds of representative inputs (e.g. 32 of your images), or use mode 'dynamic'.`,
    );
}

function opCounts(model: onnx.IModelProto): Record<string, number> {
  const ops: Record<string, number> = {};
  for (const { graph } of allGraphs(model))
    for (const n of graph.node ?? []) {
      const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : (n.opType ?? '');
      ops[key] = (ops[key] ?? 0) + 1;
    }
  return ops;
}

/**
 * Quantizes an ONNX model (a path, bytes, or onnx.read's result; never modified). `data` (feeds in
 * the model's own layout) calibrates a static quantization and measures every mode against the
 * float model.
 * @example const { bytes, report } = await onnx.quantize('model.onnx', undefined, { mode: 'dynamic' }); report.sizeRatio // ~0.26
 */
export async function quantize(
  model: OnnxFile | Uint8Array | string,
  data: OnnxData | undefined,
  options: OnnxQuantizeOptions,
): Promise<OnnxQuantizeResult> {
  checkOptions(options, data);
  await tf.ready();
  const file = toOnnxFile(model, options.read, 'onnx.quantize');
  const mode = options.mode;
  const warnings: string[] = [];
  const weightBits = options.weightBits ?? (mode === 'weight-only' ? 4 : mode === 'float16' ? 16 : 8);
  const granularity = options.granularity ?? 'per-channel';
  const blockSize = options.blockSize ?? 32;
  const floatBytes = onnx.ModelProto.encode(file.proto).finish();
  const basic = options.preprocess ?? true;
  const working = (await optimizedProto(file, basic)).proto;
  const preprocess = basic ? { nodesBefore: nodeCount(file.proto), nodesAfter: nodeCount(working) } : undefined;
  const names = new Names(working);
  nameNodes(working, names);
  const opset =
    mode === 'dynamic' || mode === 'static'
      ? upgradeProto(working, QUANT_OPSET, names)
      : { from: file.opset, to: file.opset, rewritten: {} };
  const { candidates, skipped } = selectNodes(working, { mode, weightBits, granularity, blockSize, ...pick(options) });
  const rw = new Rewriter(working, names);
  const nodes: NodeQuantReport[] = [];
  const left: SkippedNode[] = [...skipped];
  const pointsReport: ActivationPointReport[] = [];
  let calibrationExamples = 0;
  const symmetric = options.weightSymmetric ?? true;
  if (mode === 'static') {
    const { points, byCandidate } = staticPoints(candidates);
    // Calibrate a copy whose If-branch values are passed out to the main graph.
    const copy = cloneModel(working);
    const copyNames = new Names(copy);
    const copyScopes = new Map(allGraphs(copy).map((s) => [s.path, s]));
    const outName = new Map(
      [...points].map(([k, p]) => [k, exposeValue(copyScopes.get(p.scope.path) as GraphScope, p.value, copyNames)]),
    );
    const calibration = !points.size
      ? { ranges: new Map<string, { min: number; max: number }>(), unobserved: [], examples: 0 }
      : await calibrateValues(onnx.ModelProto.encode(copy).finish(), [...new Set(outName.values())], data as OnnxData, {
          ...(options.observer ? { observer: options.observer } : {}),
          count: options.calibrationCount ?? 100,
          seed: options.seed ?? 0,
        });
    calibrationExamples = calibration.examples;
    const grids = new Map<string, QParams>();
    const kept = candidates.filter((c) => {
      const ok = (byCandidate.get(c) ?? []).every((k) => calibration.ranges.has(outName.get(k) as string));
      if (!ok)
        left.push({
          name: c.name,
          op: c.op,
          reason: 'a value it reads or writes was not produced on the calibration data (an If branch not taken)',
        });
      return ok;
    });
    for (const c of kept)
      for (const k of byCandidate.get(c) ?? []) {
        if (grids.has(k)) continue;
        const range = calibration.ranges.get(outName.get(k) as string) as { min: number; max: number };
        const qp = activationGrid(range, options.activationSymmetric ?? false);
        grids.set(k, qp);
        const p = points.get(k) as StaticPoint;
        pointsReport.push({
          value: p.value,
          ...(p.scope.parent ? { graph: p.scope.path } : {}),
          ...range,
          scale: qp.scale[0] as number,
          zeroPoint: qp.zeroPoint[0] as number,
        });
      }
    nodes.push(...rewriteStatic(rw, kept, points, grids));
  } else {
    for (const c of candidates) {
      const out =
        mode === 'dynamic'
          ? rewriteDynamic(rw, c)
          : mode === 'float16'
            ? rewriteFloat16(rw, c)
            : c.weightBits === 4
              ? rewriteInt4(rw, c, symmetric)
              : rewriteInt8Weights(rw, c, symmetric);
      if (typeof out === 'string') left.push({ name: c.name, op: c.op, reason: out });
      else nodes.push(out);
    }
  }
  rw.apply();
  if (!nodes.length)
    warnings.push(
      `No node was quantized in mode ${mode}: ${left.length ? 'see skipped for why' : 'the model has no node this mode applies to'}.`,
    );
  const bytes = finalize(working, 'onnx.quantize');
  const compareCount = options.compareCount ?? 32;
  let comparison: OnnxQuantizeReport['comparison'];
  if (data !== undefined && compareCount > 0) {
    if (mode === 'static' && !reiterable(data))
      warnings.push(
        'The data could be read once only (a generator), so the comparison with the float model was skipped: pass an array or a function returning fresh feeds.',
      );
    else
      comparison = await compareOutputs(floatBytes, bytes, data, {
        limit: compareCount,
        ...(options.top1 ? { top1: options.top1 } : {}),
      });
  }
  if (!comparison) await (await ortSession(bytes)).release(); // the written model loads in ONNX Runtime
  const result = decodeOnnx(bytes, { maxBytes: 2 ** 31 });
  return {
    model: result,
    bytes,
    report: {
      mode,
      weightBits,
      granularity,
      ...(mode === 'weight-only' && weightBits === 4 ? { blockSize } : {}),
      ...(mode === 'static'
        ? { observer: options.observer?.method ?? 'minmax', activationSymmetric: options.activationSymmetric ?? false }
        : {}),
      opset,
      ...(preprocess ? { preprocess } : {}),
      nodes,
      skipped: left,
      points: pointsReport,
      calibrationExamples,
      floatSizeBytes: file.sizeBytes,
      sizeBytes: bytes.length,
      sizeRatio: bytes.length / file.sizeBytes,
      ops: opCounts(working),
      ...(comparison ? { comparison } : {}),
      warnings,
    },
  };
}

function pick(o: OnnxQuantizeOptions): Pick<OnnxQuantizeOptions, 'ops' | 'skip' | 'only' | 'layers'> {
  return {
    ...(o.ops ? { ops: o.ops } : {}),
    ...(o.skip ? { skip: o.skip } : {}),
    ...(o.only ? { only: o.only } : {}),
    ...(o.layers ? { layers: o.layers } : {}),
  };
}
