// A candidate of the search: a channel-pruning level (with the layers kept whole because they are
// sensitive), a precision (float, static INT8 with some layers reverted to float, or int4
// weight-only), with training data distillation of the pruned model from the original, and the
// recipe stages that make it. The stages are what `tfjs-compress run` runs,
// so the candidate the search measured and the recipe it emits are one thing.
import { hashConfig } from '../core/hash';
import type { ExportStage, PruneStage, QuantizeStage, Stage } from '../pipeline/recipe';
import { AutoTarget, isOnnxTarget, pruneTargetOf } from './options';

/** Weight and activation precision of a candidate. */
/** 'int8-dynamic' and 'float16' are candidates of ONNX models only (onnx.quantize's modes 'dynamic' and 'float16'). */
export type CandidatePrecision = 'float' | 'int8' | 'int4-weights' | 'int8-dynamic' | 'float16';

/** One point of the search space. */
export interface Candidate {
  /** Fraction of each channel group removed (0: no pruning). */
  readonly sparsity: number;
  /** Producer layers whose groups keep every channel (too sensitive at this level). */
  readonly keepWhole: readonly string[];
  readonly precision: CandidatePrecision;
  /** INT8: layers reverted to float (the fallback). */
  readonly floatLayers: readonly string[];
  /** Pruned candidates: epochs of distillation from the original model on the training data after pruning (absent or 0: none). */
  readonly fineTuneEpochs?: number;
}

/** The original model, as a candidate. */
export const ORIGINAL: Candidate = { sparsity: 0, keepWhole: [], precision: 'float', floatLayers: [] };

/** A stable key of a candidate (journal entries are keyed by it). */
export function candidateKey(c: Candidate): string {
  return hashConfig({
    s: c.sparsity,
    k: [...c.keepWhole].sort(),
    p: c.precision,
    f: [...c.floatLayers].sort(),
    e: c.fineTuneEpochs ? c.fineTuneEpochs : undefined,
    d: c.fineTuneEpochs ? 'distill' : undefined,
  });
}

/** A short human label, e.g. 'prune 0.5 + int8 (2 float)'. */
export function candidateLabel(c: Candidate): string {
  const parts = [
    ...(c.sparsity > 0
      ? [
          `prune ${c.sparsity}${c.keepWhole.length ? ` (${c.keepWhole.length} whole)` : ''}${c.fineTuneEpochs ? ` + distill ${c.fineTuneEpochs}` : ''}`,
        ]
      : []),
    ...(c.precision === 'int8'
      ? [`int8${c.floatLayers.length ? ` (${c.floatLayers.length} float)` : ''}`]
      : c.precision === 'int4-weights'
        ? ['int4 weights']
        : c.precision === 'int8-dynamic'
          ? ['dynamic int8']
          : c.precision === 'float16'
            ? ['float16 weights']
            : []),
  ];
  return parts.length ? parts.join(' + ') : 'original';
}

/** Recipe layer lists take `*` patterns; the search's layer names hold no `*` (see search.ts), so each matches itself. */
const literal = (name: string) => name;

/**
 * The recipe stages that make `c` and write the artifact for `target`.
 * @example candidateStages({sparsity: 0.5, keepWhole: ['conv1'], precision: 'int8', floatLayers: []}, 'ort', 256)
 *   // [{kind: 'prune', method: 'channels', ...}, {kind: 'quantize', mode: 'static', ...}]
 */
export function candidateStages(c: Candidate, target: AutoTarget, calibrationCount: number): Stage[] {
  const stages: Stage[] = [];
  if (c.sparsity > 0) {
    const prune: PruneStage = {
      kind: 'prune',
      name: 'prune',
      method: 'channels',
      sparsity: c.sparsity,
      target: pruneTargetOf(target),
      ...(c.keepWhole.length ? { layers: Object.fromEntries(c.keepWhole.map((n) => [literal(n), 0])) } : {}),
    };
    stages.push(prune);
    // With training data, the pruned model learns back from the original (the teacher).
    if (c.fineTuneEpochs) stages.push({ kind: 'distill', name: 'distill', epochs: c.fineTuneEpochs, batchSize: 64 });
  }
  if (c.precision === 'int8') {
    const q: QuantizeStage = {
      kind: 'quantize',
      name: 'quantize',
      mode: 'static',
      calibration: { count: calibrationCount },
      ...(c.floatLayers.length ? { skip: c.floatLayers.map(literal) } : {}),
    };
    stages.push(q);
  } else if (c.precision === 'int4-weights') {
    stages.push({ kind: 'quantize', name: 'quantize', mode: 'weight-only', weightBits: 4, blockSize: 32 });
  } else if (c.precision === 'int8-dynamic') {
    stages.push({ kind: 'quantize', name: 'quantize', mode: 'dynamic' });
  } else if (c.precision === 'float16') {
    stages.push({ kind: 'quantize', name: 'quantize', dtype: 'float16' });
  } else if (target !== 'tfjs-wasm' || stages.length === 0) {
    // A float model for ONNX Runtime or TFLite needs its export; tfjs runs the pruned files as they are.
    const e: ExportStage = {
      kind: 'export',
      name: 'export',
      to: target === 'tflite' ? 'tflite' : isOnnxTarget(target) ? 'onnx' : 'tfjs',
    };
    stages.push(e);
  }
  return stages;
}

/** The artifact format that runs on `target`. */
export function targetFormat(target: AutoTarget): 'onnx' | 'tflite' | 'tfjs-layers' {
  return isOnnxTarget(target) ? 'onnx' : target === 'tflite' ? 'tflite' : 'tfjs-layers';
}
