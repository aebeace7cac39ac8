// The comparison table's second column: each row measured on a real-size network too. A speed-up
// measured on an MNIST model is mostly fixed costs; the brief's figures are about networks such as
// MobileNetV2 and ResNet50 at 224x224. `make bench` times those (test/bench/real-size-*.bench.ts)
// into results/bench-real-size.json, committed with its machine and date; this reads that file's
// metrics and builds, per row, a size, speed and accuracy cell with its verdict, each naming the
// one change it measures. Nothing here measures or types a figure: a missing key is 'not measured'.
import { ClaimRange, TableRowKey } from './brief';
import { RealSizeColumn, cell, numberAt } from './comparison';

export type { RealSizeColumn };

/** The claims of a row (the same as its course-model column's). */
export interface RowClaims {
  readonly size: ClaimRange;
  readonly speed: ClaimRange;
  readonly accuracyKept: ClaimRange;
}

/** A row key of the table, including the combined row. */
export type RealSizeRowKey = TableRowKey | 'combined';

/** Size and speed cells are allowed 5% of the bound (the brief's round numbers), as in the course column. */
const TOLERANCE = 0.05;

const fmt = (v: number | undefined, digits = 2) => (v === undefined ? 'n/a' : v.toFixed(digits));

/** A list of names at a dotted path, joined ('none' when empty, 'n/a' when absent). */
function listAt(data: unknown, dotted: string): string {
  let cur: unknown = data;
  for (const k of dotted.split('.'))
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  if (!Array.isArray(cur)) return 'n/a';
  return cur.length ? cur.map(String).join('; ') : 'none';
}

interface Spec {
  readonly model: string;
  readonly size?: number;
  readonly sizeNote: string;
  readonly speed?: number;
  readonly speedNote: string;
  readonly accuracy?: number;
  readonly accuracyNote: string;
}

const NO_ACCURACY =
  'not measured at full size (random weights time the network; accuracy comes from trained models: the course column)';

function spec(key: RealSizeRowKey, m: unknown): Spec | undefined {
  const at = (p: string) => numberAt(m, p);
  const ratio = (a: string, b: string) => {
    const x = at(a);
    const y = at(b);
    return x !== undefined && y !== undefined && y > 0 ? x / y : undefined;
  };
  const agreement = (model: string, runtime: 'ort' | 'tflite', photos: string) => {
    const a = at(`int8.${model}.${runtime}Top1AgreementWithFp32`);
    return {
      accuracy: a,
      accuracyNote:
        a === undefined
          ? 'not measured: run make bench (real-size-agreement)'
          : `top-1 agreement of ${runtime === 'ort' ? 'ONNX Runtime' : 'TFLite'} INT8 with fp32 on ${fmt(at(`int8.${model}.images`), 0)} views of real photographs (${photos}, real weights); ` +
            `largest probability change ${fmt(at(`int8.${model}.simVsFp32MaxProbDiff`), 3)}, runtime vs simulation ${fmt(at(`int8.${model}.${runtime}VsSimMaxProbDiff`), 3)}` +
            (at(`int8.${model}.biasCorrected.simVsFp32MaxProbDiff`) === undefined
              ? '.'
              : `; with bias correction (Nagel et al. 2019): largest change ${fmt(at(`int8.${model}.biasCorrected.simVsFp32MaxProbDiff`), 3)}, top-1 agreement ${fmt(at(`int8.${model}.biasCorrected.${runtime}Top1AgreementWithFp32`), 3)}.`),
    };
  };
  switch (key) {
    case 'original':
      return {
        model: 'ResNet50 and MobileNetV2 1.0, 224x224, fp32',
        size: 1,
        sizeNote: `ONNX fp32 files: ResNet50 ${fmt(at('int8.resnet50.onnxFp32Bytes'), 0)} bytes, MobileNetV2 ${fmt(at('int8.mobilenetv2.onnxFp32Bytes'), 0)} bytes: the 100%.`,
        speed: 1,
        speedNote: `ORT fp32 p50 at batch 1, one thread: ResNet50 ${fmt(at('int8.resnet50.p50Ms.ort-fp32@1x1t'), 1)} ms, MobileNetV2 ${fmt(at('int8.mobilenetv2.p50Ms.ort-fp32@1x1t'), 1)} ms: the 1x.`,
        accuracy: 1,
        accuracyNote: 'the reference.',
      };
    case 'weightPruning':
      return {
        model: 'ResNet50 / MobileNetV2 layer shapes, 90% of weights zero; sparse CSR kernel vs dense tfjs-wasm',
        size: at('weightPruning.sizeRatio'),
        sizeNote: "CSR (8-bit relative indices) bytes / dense fp32 bytes of ResNet50's 2048x1000 classifier.",
        speed: at('weightPruning.denseLayerSpeedupBatch1'),
        speedNote:
          `the sparse kernel against the dense one (the change: sparse storage and kernel), ResNet50's classifier at batch 1; batch 8: ${fmt(at('weightPruning.denseLayerSpeedupBatch8'))}x. ` +
          `It pays at batch 1 on: ${listAt(m, 'weightPruning.paysAtBatch1')}; at batch 8 on: ${listAt(m, 'weightPruning.paysAtBatch8')}.`,
        accuracyNote: NO_ACCURACY,
      };
    case 'channelPruning':
      return {
        model: 'ResNet50 224, half the MACs removed (hardware-aware channel counts), ORT',
        size: at('channels.resnet50.half.sizeRatio') ?? at('channels.resnet50.half.paramsRatio'),
        sizeNote: 'parameters (or file bytes) of the pruned ResNet50 / the original.',
        speed: at('channels.resnet50.half.ortSpeedupBatch1'),
        speedNote: 'pruned vs original in ONNX Runtime fp32 at batch 1 (the change: the channels removed).',
        accuracyNote: NO_ACCURACY,
      };
    case 'int8':
      return {
        model: 'ResNet50 224, static INT8 vs fp32, both in ONNX Runtime',
        size: ratio('int8.resnet50.onnxInt8Bytes', 'int8.resnet50.onnxFp32Bytes'),
        sizeNote: 'ONNX INT8 (QDQ) file / ONNX fp32 file.',
        speed: at('int8.resnet50.ortSpeedupBatch1'),
        speedNote:
          `ORT fp32 / ORT int8 at batch 1, one thread (the change: quantization); batched (8 on two threads): ${fmt(at('int8.resnet50.ortSpeedupBatched'))}x; ` +
          `MobileNetV2: ${fmt(at('int8.mobilenetv2.ortSpeedupBatch1'))}x at batch 1, EfficientNet-B0: ${fmt(at('int8.efficientnetb0.ortSpeedupBatch1'))}x.`,
        ...agreement('mobilenetv2', 'ort', "nsfwjs's MobileNetV2"),
      };
    case 'tfliteInt8':
      return {
        model: 'ResNet50 224, full-integer INT8 vs fp32, both in TFLite 2.9',
        size: ratio('int8.resnet50.tfliteInt8Bytes', 'int8.resnet50.tfliteFp32Bytes'),
        sizeNote: '.tflite INT8 file / .tflite fp32 file.',
        speed: at('int8.resnet50.tfliteSpeedupBatch1'),
        speedNote:
          `TFLite fp32 / TFLite int8 at batch 1, one thread (the change: quantization; tfjs-tflite-node's TFLite 2.9 runs its builtin kernels, without XNNPACK); ` +
          `MobileNetV2: ${fmt(at('int8.mobilenetv2.tfliteSpeedupBatch1'))}x, EfficientNet-B0: ${fmt(at('int8.efficientnetb0.tfliteSpeedupBatch1'))}x.`,
        ...agreement('inceptionv3', 'tflite', "nsfwjs's InceptionV3 at 299"),
      };
    case 'int4':
      return undefined;
    case 'distillation':
      return {
        model: 'teacher ResNet50 -> student MobileNetV2 1.0, 224x224, ORT fp32',
        size: at('kd.resnet50ToMobilenetv2.sizeRatio'),
        sizeNote: "student's ONNX file / teacher's.",
        speed: at('kd.resnet50ToMobilenetv2.speedup'),
        speedNote: `teacher / student p50 in ORT fp32 at batch 1, one thread (the change: the architecture); batched: ${fmt(at('kd.resnet50ToMobilenetv2.speedupBatched'))}x.`,
        accuracyNote: NO_ACCURACY,
      };
    case 'nas':
      return {
        model: 'MobileNetV2 space (width, resolution, expansion, depth) searched under a latency budget in ORT',
        size: at('nas.chosen.sizeRatio'),
        sizeNote: `chosen network's ONNX file / MobileNetV2 1.0 at 224's; chosen: width ${fmt(at('nas.chosen.alpha'))}, resolution ${fmt(at('nas.chosen.resolution'), 0)}, expansion ${fmt(at('nas.chosen.expansion'), 0)}.`,
        speed: at('nas.chosen.speedupOnTarget'),
        speedNote: `MobileNetV2 1.0 at 224 / the chosen network, ORT fp32 at batch 1 (the target the budget of ${fmt(at('nas.budgetMs'), 1)} ms was measured on).`,
        accuracyNote: NO_ACCURACY,
      };
    case 'combined':
      return {
        model: 'ResNet50 fp32 -> MobileNetV2 1.0 INT8 (distillation and quantization together), ORT',
        size: at('combined.resnet50ToMobilenetv2Int8.sizeRatio'),
        sizeNote: "MobileNetV2 INT8 ONNX file / ResNet50 fp32's.",
        speed: at('combined.resnet50ToMobilenetv2Int8.speedup'),
        speedNote:
          'ResNet50 ORT fp32 / MobileNetV2 ORT int8 at batch 1: two changes at once (architecture and precision), named as such.',
        accuracyNote: NO_ACCURACY,
      };
  }
}

/**
 * The real-size column of a row from the metrics of results/bench-real-size.json (undefined when
 * the row has no real-size counterpart, e.g. int4 weight-only). Missing figures give 'not
 * measured' cells that say which bench writes them.
 * @example realSizeColumn('int8', readResults('bench-real-size').metrics, claims)?.speed.measured // ORT fp32 / ORT int8 on ResNet50
 */
export function realSizeColumn(key: RealSizeRowKey, metrics: unknown, claims: RowClaims): RealSizeColumn | undefined {
  const s = spec(key, metrics);
  if (!s) return undefined;
  const missing = (v: number | undefined, note: string) =>
    v === undefined && !note.startsWith('not measured') ? `not measured (run make bench): ${note}` : note;
  return {
    model: s.model,
    size: cell(s.size, claims.size, 'lower', missing(s.size, s.sizeNote), TOLERANCE),
    speed: cell(s.speed, claims.speed, 'higher', missing(s.speed, s.speedNote), TOLERANCE),
    accuracyKept: cell(s.accuracy, claims.accuracyKept, 'higher', s.accuracyNote),
  };
}
