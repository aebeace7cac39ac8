// What can be known about a recipe before any stage runs: whether each stage can take what the
// one before leaves (a float layers model, a quantization plan of some mode, or a graph model),
// whether the data each needs is there, and which artifacts each stage will write. `run` checks
// it after loading the data and before the first stage, so a mistake in stage 4 does not cost
// stages 1 to 3; `run --dry-run` prints it as the plan.
import { ConfigError } from '../errors';
import { ArtifactFormat, ArtifactRuntime } from '../data/deployment';
import { QuantizeStage, Recipe, Stage } from './recipe';
import { planPrecision } from './export-stage';
import { PLAN_FOLDER } from './artifact';

/** What a stage hands to the next. */
type ModelState =
  | { readonly kind: 'float' }
  | { readonly kind: 'graph' }
  | {
      readonly kind: 'plan';
      readonly mode: 'weight-only' | 'dynamic' | 'static';
      readonly weightBits: number;
      readonly activationBits: number;
      readonly blockSize?: number;
    };

/** What the data of a run holds. */
export interface DataPresence {
  readonly calibration: boolean;
  /** Labelled training data. */
  readonly training: boolean;
  readonly evaluationLabelled: boolean;
}

/** An artifact a stage will write. */
export interface PlannedArtifact {
  /** Relative to the run folder. */
  readonly file: string;
  readonly format: ArtifactFormat;
  readonly runtime: ArtifactRuntime;
  readonly deployable: boolean;
  readonly precision: string;
  /** A rough size: parameters x bytes per weight. */
  readonly estimatedBytes: number;
  /** When it is written only if a condition holds, e.g. 'if the model converts'. */
  readonly condition?: string;
  /** Scored on the evaluation data. */
  readonly scored: boolean;
  /** Timed by a bench stage. */
  readonly bench: boolean;
}

function refuse(i: number, want: string, got: string, fix: string): never {
  throw new ConfigError(`recipe: stages[${i}] ${want}, got ${got}. ${fix}`);
}

function quantizeState(s: QuantizeStage): ModelState {
  const mode = s.mode ?? 'static';
  return {
    kind: 'plan',
    mode,
    weightBits: s.weightBits ?? 8,
    activationBits: s.activationBits ?? 8,
    ...(s.blockSize ? { blockSize: s.blockSize } : {}),
  };
}

/** The state after stage `i`, or a ConfigError saying why the stage cannot take `state`. */
function next(s: Stage, i: number, state: ModelState, data: DataPresence, original: ModelState): ModelState {
  const input = 'from' in s && s.from === 'original' ? original : state;
  const layersOnly = (verb: string) => {
    if (input.kind === 'graph')
      refuse(
        i,
        `a layers model to ${verb}`,
        'a graph model',
        'Graph models take quantize with dtype uint8, uint16 or float16, and export to tfjs',
      );
  };
  switch (s.kind) {
    case 'prune':
      layersOnly('prune');
      if (input.kind === 'plan')
        refuse(i, 'a float model to prune', 'a quantized one', 'Put quantization after pruning in the recipe');
      if (s.fineTune?.epochs && !data.training)
        refuse(
          i,
          'labelled data.training to fine-tune on',
          'none',
          'Add "data": {"training": {"path": ...}} or drop fineTune',
        );
      return { kind: 'float' };
    case 'distill':
      layersOnly('distill');
      if (input.kind === 'plan')
        refuse(i, 'a float model to distill', 'a quantized one', 'Put quantization after distillation in the recipe');
      if (!data.training)
        refuse(
          i,
          'labelled data.training to distill on',
          'none',
          'Add "data": {"training": {"path": ...}} or drop the distill stage',
        );
      return { kind: 'float' };
    case 'quantize':
      if (input.kind === 'graph') {
        if (s.mode)
          refuse(
            i,
            `a layers model for mode '${s.mode}'`,
            'a graph model',
            'Graph models take dtype uint8, uint16 or float16',
          );
        return { kind: 'graph' };
      }
      if (s.dtype)
        refuse(
          i,
          'dtype (tfjs weight storage) with graph models only',
          'a layers model',
          `Use an export stage to tfjs with dtype ${s.dtype}, or mode`,
        );
      if (input.kind === 'plan')
        refuse(i, 'a float model to quantize', 'a quantized one', 'Quantize once, from a float model');
      if ((s.mode ?? 'static') === 'static' && !data.calibration)
        refuse(
          i,
          "calibration data for mode 'static'",
          'none',
          'Add "data": {"calibration": {"path": ...}} with a few hundred examples',
        );
      return quantizeState(s);
    case 'export':
      if (s.to !== 'tfjs') layersOnly(`export to ${s.to}`);
      if (input.kind === 'graph' && s.dtype === 'auto')
        refuse(i, 'dtype uint8, uint16 or float16 for a graph model', "'auto'", 'Use uint8');
      if (s.to === 'tflite' && input.kind === 'plan' && input.mode !== 'static')
        refuse(
          i,
          'a static quantization plan (full-integer INT8) or a float model for TFLite',
          `mode '${input.mode}'`,
          "Quantize with mode 'static', or export this one to ONNX",
        );
      if (s.to === 'coreml' && input.kind === 'plan' && input.blockSize)
        refuse(
          i,
          'a plan without blockwise int4 kernels for Core ML',
          `blocks of ${input.blockSize}`,
          'Export it to ONNX (MatMulNBits), or quantize with 8 bits',
        );
      return input;
    case 'bench':
      return state;
  }
}

/** Throws a ConfigError for the first stage that cannot run on what it gets, or whose data is missing. */
export function preflight(recipe: Recipe, kind: 'layers' | 'graph', data: DataPresence): void {
  if (recipe.checks?.maxAccuracyDrop !== undefined && !data.evaluationLabelled)
    throw new ConfigError(
      `recipe: labelled data.evaluation for checks.maxAccuracyDrop, got ${recipe.data?.evaluation ? 'evaluation data without labels' : 'none'}. ` +
        `Add evaluation data with labels (an image folder of class subfolders, or "labels" for .npy), or drop the check.`,
    );
  const original: ModelState = { kind: kind === 'graph' ? 'graph' : 'float' };
  let state = original;
  recipe.stages.forEach((s, i) => {
    state = next(s, i, state, data, original);
  });
}

/** The artifacts each stage will write (the run's layout; sizes are rough estimates). */
export function plannedArtifacts(
  recipe: Recipe,
  names: readonly string[],
  kind: 'layers' | 'graph',
  params: number,
): { name: string; kind: string; artifacts: PlannedArtifact[] }[] {
  const original: ModelState = { kind: kind === 'graph' ? 'graph' : 'float' };
  let state = original;
  const all: DataPresence = { calibration: true, training: true, evaluationLabelled: true };
  return recipe.stages.map((s, i) => {
    const name = names[i] as string;
    const input = 'from' in s && s.from === 'original' ? original : state;
    state = next(s, i, state, all, original);
    const at = (file: string) => `${name}/${file}`;
    const one = (a: Omit<PlannedArtifact, 'scored' | 'bench'> & Partial<PlannedArtifact>): PlannedArtifact => ({
      scored: a.runtime !== 'coreml',
      bench: false,
      ...a,
    });
    const plan = input.kind === 'plan' ? input : undefined;
    const bytesPerWeight = plan ? plan.weightBits / 8 : 4;
    let artifacts: PlannedArtifact[] = [];
    if (s.kind === 'prune' || s.kind === 'distill')
      artifacts = [
        one({
          file: at('model.json'),
          format: 'tfjs-layers',
          runtime: 'tfjs',
          deployable: true,
          precision: 'float32-weights',
          estimatedBytes: 4 * params,
          bench: true,
        }),
      ];
    else if (s.kind === 'quantize' && input.kind === 'graph')
      artifacts = [
        one({
          file: at('model.json'),
          format: 'tfjs-graph',
          runtime: 'tfjs',
          deployable: true,
          precision: `${s.dtype ?? 'uint8'}-weights`,
          estimatedBytes: (s.dtype === 'uint8' || !s.dtype ? 1 : 2) * params,
        }),
      ];
    else if (s.kind === 'quantize' && state.kind === 'plan') {
      const p = state;
      artifacts = [
        one({
          file: at('model.onnx'),
          format: 'onnx',
          runtime: 'ort',
          deployable: true,
          precision: planPrecision(p),
          estimatedBytes: Math.ceil((params * p.weightBits) / 8),
          bench: true,
          condition: 'if every layer converts',
        }),
        ...(p.mode === 'static'
          ? [
              one({
                file: at('model.tflite'),
                format: 'tflite',
                runtime: 'tflite',
                deployable: true,
                precision: 'int8',
                estimatedBytes: params,
                condition: 'if the model converts',
              }),
            ]
          : []),
        one({
          file: at('model.json'),
          format: 'tfjs-layers',
          runtime: 'tfjs',
          deployable: true,
          precision: p.weightBits > 8 ? 'uint16-weights' : 'uint8-weights',
          estimatedBytes: (p.weightBits > 8 ? 2 : 1) * params,
          condition: p.weightBits > 8 ? undefined : 'a 2-byte type where uint8 would lose a channel',
        }),
        one({
          file: at(`${PLAN_FOLDER}/model.json`),
          format: 'plan',
          runtime: 'none',
          deployable: false,
          precision: `fp32-simulating-${planPrecision(p)}`,
          estimatedBytes: 4 * params,
        }),
      ];
    } else if (s.kind === 'export') {
      const precision =
        s.to === 'tfjs'
          ? `${s.dtype ?? (plan ? 'auto' : 'float32')}-weights`
          : s.to === 'coreml'
            ? plan
              ? 'linear8-weights'
              : 'fp32'
            : s.to === 'tflite'
              ? plan
                ? 'int8'
                : 'fp32'
              : planPrecision(plan);
      const format: ArtifactFormat = s.to === 'tfjs' ? (input.kind === 'graph' ? 'tfjs-graph' : 'tfjs-layers') : s.to;
      const runtime: ArtifactRuntime = s.to === 'tfjs' ? 'tfjs' : s.to === 'onnx' ? 'ort' : s.to;
      const file =
        s.to === 'tfjs'
          ? 'model.json'
          : s.to === 'onnx'
            ? 'model.onnx'
            : s.to === 'tflite'
              ? 'model.tflite'
              : 'model.mlmodel';
      artifacts = [
        one({
          file: at(file),
          format,
          runtime,
          deployable: true,
          precision,
          estimatedBytes: Math.ceil(params * (s.to === 'tfjs' && !plan && !s.dtype ? 4 : bytesPerWeight)),
          bench: s.to === 'onnx',
        }),
      ];
    }
    return { name, kind: s.kind, artifacts };
  });
}
