// The stage function of each recipe stage that makes a model or files (prune, quantize, distill,
// export): one dispatch for `run` and for auto's candidates. Bench stages measure instead
// (bench-stage.ts), and only `run` has them.
import { StageModel } from './stage-model';
import { BenchStage, Stage } from './recipe';
import { StageContext, StageOutcome, runPrune, runQuantize } from './stages';
import { runDistill } from './distill-stage';
import { runExport } from './export-stage';

/** A recipe stage that makes a model or files. */
export type ModelStage = Exclude<Stage, BenchStage>;

/** Runs `stage` on `input`; `original` is the run's original model, a distill stage's teacher. */
export function runModelStage(
  stage: ModelStage,
  input: StageModel,
  ctx: StageContext,
  original: StageModel,
): Promise<StageOutcome> {
  switch (stage.kind) {
    case 'prune':
      return runPrune(stage, input, ctx);
    case 'quantize':
      return runQuantize(stage, input, ctx);
    case 'distill':
      return runDistill(stage, input, ctx, original);
    case 'export':
      return runExport(stage, input);
  }
}
