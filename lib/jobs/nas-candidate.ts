// Architecture-search candidates as executor jobs: one job trains one genotype with the proxy
// recipe (optionally distilled from a teacher, as Once-for-All trains its sub-networks) and
// scores it, in a worker thread or on a queue worker elsewhere. The evaluator below hands a
// search's proposals to any executor. Data crosses threads as ImageSets (plain typed arrays);
// the teacher as model artifacts (JSON + weight bytes).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { sha256 } from '../core/hash';
import { ImageSet } from '../data/image-set';
import { isTfDataset } from '../data/source';
import { indexedExamples, sourceFingerprint } from '../data/source-info';
import { crossesAsIs } from '../data/shipped';
import { artifactsToModel, modelToArtifacts } from '../data/model-io';
import { ModelArtifacts } from '../data/model-files';
import { defineJob, Executor } from '../exec';
import { checkJobArgs } from '../exec/job';
import { teacherLogits, train as distillTrain } from '../distill';
import type { SoftScale } from '../distill';
import { CandidateResult, CandidateTrainer, Evaluator, Genotype, NasTask, ProxyRecipe } from '../nas';
import { genotypeKey } from '../nas/space';
import { checkProxyData, checkRecipe, DEFAULT_PROXY, proxyEvaluate, recipeLearningRate } from '../nas/proxy';

/** Distillation settings of the proxy training (the soft term scaled by T^2 unless softScale says 'none'). */
export interface ProxyDistillation {
  readonly alpha: number;
  readonly temperature: number;
  readonly softScale?: SoftScale;
}

/** Arguments of the `nas.candidate` job (plain data). */
export interface NasCandidateArgs {
  readonly genotype: Genotype;
  readonly recipe: ProxyRecipe;
  readonly task: NasTask;
  readonly train: ImageSet;
  readonly validation: ImageSet;
  readonly teacher?: { readonly artifacts: ModelArtifacts } & ProxyDistillation;
}

// One teacher (and its logits on one training split) per thread, rebuilt only when it changes.
let teacherMemo: { hash: string; model: tf.LayersModel; logits?: { data: string; table: Float32Array } } | undefined;

async function teacherModel(artifacts: ModelArtifacts): Promise<{ hash: string; model: tf.LayersModel }> {
  const hash =
    sha256(artifacts.weightData).slice(0, 16) + sha256(JSON.stringify(artifacts.modelJson.modelTopology)).slice(0, 16);
  if (teacherMemo?.hash !== hash) {
    teacherMemo?.model.dispose();
    teacherMemo = { hash, model: await artifactsToModel(artifacts, 'the teacher of nas.candidate') };
  }
  return teacherMemo;
}

/** A candidate trainer that distills from `teacher` (logits computed once per training split). */
export async function distillationTrainer(
  artifacts: ModelArtifacts,
  settings: ProxyDistillation,
): Promise<CandidateTrainer> {
  const { hash, model } = await teacherModel(artifacts);
  const softScale = settings.softScale ?? 'temperatureSquared';
  return {
    key: { teacher: hash, alpha: settings.alpha, temperature: settings.temperature, softScale },
    async train(student, data, recipe) {
      // Logits cached by example index need examples fit draws by index (an ImageSet's).
      const set = indexedExamples(data);
      const fp = set && sourceFingerprint(set);
      let table: Float32Array | undefined;
      if (set && fp) {
        if (teacherMemo && teacherMemo.hash === hash && teacherMemo.logits?.data !== fp)
          teacherMemo.logits = { data: fp, table: await teacherLogits(model, set) };
        table = teacherMemo?.logits?.table;
      }
      // The trainer's contract trains `student` itself: the distilled copy's weights go back into it.
      const { model: trained } = await distillTrain(student, data, {
        teacher: model,
        epochs: recipe.epochs,
        seed: recipe.seed,
        batchSize: recipe.batchSize,
        learningRate: recipeLearningRate(recipe),
        alpha: settings.alpha,
        temperature: settings.temperature,
        softScale,
        ...(table ? { teacherLogits: table } : {}),
      });
      student.setWeights(trained.getWeights());
      trained.dispose();
    },
  };
}

/** Throws ConfigError unless `t` is a teacher as the evaluator sends it (model artifacts and settings). */
function checkTeacher(t: unknown): void {
  const shape = 'teacher {artifacts: {modelJson, weightData}, alpha, temperature, softScale?}';
  checkJobArgs(t, 'nas.candidate', shape);
  const art = (t as { artifacts?: unknown }).artifacts as Partial<ModelArtifacts> | undefined;
  if (
    !art ||
    typeof art !== 'object' ||
    !(art.weightData instanceof Uint8Array) ||
    typeof art.modelJson !== 'object' ||
    !art.modelJson
  )
    throw new ConfigError(
      `nas.candidate: a ${shape}, got artifacts ${describe(art)}. Pass the teacher through executorEvaluator.`,
    );
}

/** Trains and scores one candidate (the job run by every worker). */
export const nasCandidate = defineJob(
  'nas.candidate',
  __filename,
  async (a: NasCandidateArgs): Promise<CandidateResult> => {
    checkJobArgs(a, 'nas.candidate', '{genotype, recipe, task, train, validation, teacher?}');
    if (a.teacher !== undefined) checkTeacher(a.teacher);
    const trainer = a.teacher ? await distillationTrainer(a.teacher.artifacts, a.teacher) : undefined;
    return proxyEvaluate(
      a.genotype,
      { task: a.task, train: a.train, validation: a.validation },
      a.recipe,
      trainer ? { trainer } : {},
    );
  },
);

/** The data of an executor-backed search: ImageSets, which can be copied to other threads and machines. */
export interface ExecutorSearchData {
  readonly task: NasTask;
  readonly train: ImageSet;
  readonly validation: ImageSet;
}

/** Options of {@link executorEvaluator}. */
export interface ExecutorEvaluatorOptions {
  readonly recipe?: ProxyRecipe;
  /** Distill every candidate from this model (borrowed; copied to the workers as artifacts). */
  readonly teacher?: { readonly model: tf.LayersModel } & ProxyDistillation;
}

/**
 * An Evaluator that trains candidates as `nas.candidate` jobs on `executor` (threads or a queue).
 * The executor stays the caller's: `close()` does not close it.
 * @example const ev = await executorEvaluator(exec.createExecutor(), {task: nas.taskOf(train), train, validation});
 */
export async function executorEvaluator(
  executor: Executor,
  data: ExecutorSearchData,
  options: ExecutorEvaluatorOptions = {},
): Promise<Evaluator> {
  const fn = 'nas.executorEvaluator';
  for (const [name, split] of [
    ['train', data?.train],
    ['validation', data?.validation],
  ] as const) {
    if (!crossesAsIs(split)) {
      throw new ConfigError(
        `${fn}: ${name} data as an ImageSet (plain arrays that can be copied to worker threads and machines), got ${isTfDataset(split) ? 'a tf.data.Dataset' : describe(split)}. ` +
          `tf.data datasets and tensors cannot cross threads: collect the examples into an ImageSet (makeImageSet), or use nas.LocalEvaluator in this process.`,
      );
    }
  }
  checkProxyData(data, fn);
  const recipe = options.recipe ?? DEFAULT_PROXY;
  checkRecipe(recipe, fn);
  const teacher = options.teacher
    ? {
        artifacts: await modelToArtifacts(options.teacher.model),
        alpha: options.teacher.alpha,
        temperature: options.teacher.temperature,
        ...(options.teacher.softScale ? { softScale: options.teacher.softScale } : {}),
      }
    : undefined;
  let closed = false;
  return {
    concurrency: executor.concurrency,
    async evaluate(genotypes: readonly Genotype[]): Promise<CandidateResult[]> {
      if (closed) throw new ConfigError(`${fn}: an open evaluator, got one already closed. Create a new evaluator.`);
      // Equal genotypes in one round are trained once.
      const keys = genotypes.map(genotypeKey);
      const unique = [...new Map(genotypes.map((g, i) => [keys[i] as string, g])).entries()];
      const results = await executor.map<CandidateResult>(
        unique.map(([, genotype]) => ({
          job: nasCandidate,
          args: {
            genotype,
            recipe,
            task: data.task,
            train: data.train,
            validation: data.validation,
            ...(teacher ? { teacher } : {}),
          },
        })),
      );
      const byKey = new Map(unique.map(([k], i) => [k, results[i] as CandidateResult]));
      return keys.map((k) => byKey.get(k) as CandidateResult);
    },
    async close() {
      closed = true;
    },
  };
}
