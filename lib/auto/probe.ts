// The search's accuracy-only probes as an executor job, `auto.probe`: a channel group's sensitivity
// (the float model with that group alone pruned, scored on the search data) and an untimed
// candidate (its stages run, its artifact scored in its runtime: NNCF's ranking of INT8 layers).
// They share nothing but the inputs, so they run in parallel on the executor's workers (threads, or
// BullMQ workers elsewhere). Timed evaluations never come here: timings taken side by side on
// shared cores would measure the sharing.
// The job's arguments are plain data: the float model as artifacts (JSON + weight bytes), the
// options that change a measurement, and the search (and training) data as an ImageSet or as
// tensors' values with their shapes. A tf.data.Dataset cannot travel: such searches probe locally.
import * as tf from '@tensorflow/tfjs';
import { sha256 } from '../core/hash';
import { defineJob, Executor } from '../exec';
import { checkJobArgs } from '../exec/job';
import { DataSource } from '../data/source';
import { ShippedSource, shipSource, unshipSource } from '../data/shipped';
import { LoadedData } from '../data/data-files';
import { artifactsToModel, modelToArtifacts } from '../data/model-io';
import { ModelArtifacts } from '../data/model-files';
import { Candidate } from './candidate';
import { EvalContext, Evaluation, evaluateCandidate } from './evaluate';
import { ResolvedAutoOptions } from './options';
import { sensitivityAccuracy } from './sensitivity';

/** The options that change a measurement (no functions, no folders). */
type ProbeOptions = Omit<ResolvedAutoOptions, 'journalDir' | 'onEvaluation' | 'budgetSeconds' | 'executor'>;

/** What one probe measures. */
export type ProbeSpec =
  | { readonly kind: 'sensitivity'; readonly layer: string; readonly sparsity: number }
  | { readonly kind: 'candidate'; readonly candidate: Candidate };

/** Arguments of the `auto.probe` job. */
export interface AutoProbeArgs {
  readonly model: ModelArtifacts;
  readonly options: ProbeOptions;
  readonly inputShape: number[];
  readonly classes?: number;
  readonly search: ShippedSource;
  readonly training?: ShippedSource;
  readonly probe: ProbeSpec;
}

/** What a probe returns: a sensitivity's accuracy, or a candidate's evaluation. */
export type ProbeResult = { readonly accuracy: number } | Evaluation;

const asLoaded = (source: DataSource): LoadedData => ({
  source,
  kind: 'npy',
  count: 0,
  labelled: true,
  paths: [],
  dispose: () => undefined,
});

/** Runs one probe in this thread. */
export async function runProbe(probe: ProbeSpec, ctx: EvalContext): Promise<ProbeResult> {
  if (probe.kind === 'sensitivity') return { accuracy: await sensitivityAccuracy(ctx, probe.layer, probe.sparsity) };
  return evaluateCandidate(probe.candidate, ctx, false);
}

/**
 * The arguments shared by every probe of one search (the probe itself is added per call), or
 * undefined when the data cannot travel to a worker (a tf.data.Dataset).
 */
export async function probeShared(ctx: EvalContext): Promise<Omit<AutoProbeArgs, 'probe'> | undefined> {
  const search = await shipSource(ctx.search.source);
  const training = ctx.training ? await shipSource(ctx.training.source) : undefined;
  if (!search || (ctx.training && !training)) return undefined;
  const { journalDir: _d, onEvaluation: _f, budgetSeconds: _b, executor: _e, ...options } = ctx.options;
  return {
    model: await modelToArtifacts(ctx.original.model),
    options,
    inputShape: [...ctx.inputShape],
    ...(ctx.classes !== undefined ? { classes: ctx.classes } : {}),
    search,
    ...(training ? { training } : {}),
  };
}

// One original model per worker thread, rebuilt only when a probe of another search arrives.
let memo: { hash: string; model: tf.LayersModel } | undefined;

/** The `auto.probe` job: one accuracy-only probe of a search, in a worker. */
export const autoProbe = defineJob('auto.probe', __filename, async (args: AutoProbeArgs): Promise<ProbeResult> => {
  const fn = 'auto.probe';
  checkJobArgs(args, fn, '{model, options, inputShape, search, probe}');
  const hash = sha256(args.model.weightData) + sha256(JSON.stringify(args.model.modelJson));
  if (memo?.hash !== hash) {
    memo?.model.dispose();
    memo = undefined;
    memo = { hash, model: await artifactsToModel(args.model, 'the model of auto.probe') };
  }
  const search = unshipSource(args.search, fn);
  const training = args.training ? unshipSource(args.training, fn) : undefined;
  try {
    const ctx: EvalContext = {
      original: { kind: 'layers', model: memo.model },
      options: args.options as ResolvedAutoOptions,
      inputShape: args.inputShape,
      ...(args.classes !== undefined ? { classes: args.classes } : {}),
      search: asLoaded(search.source),
      ...(training ? { training: asLoaded(training.source) } : {}),
    };
    return await runProbe(args.probe, ctx);
  } finally {
    search.dispose();
    training?.dispose();
  }
});

/** Runs `probe` on `executor` with the search's shared arguments. */
export function probeOn(
  executor: Executor,
  shared: Omit<AutoProbeArgs, 'probe'>,
  probe: ProbeSpec,
): Promise<ProbeResult> {
  return executor.run(autoProbe, { ...shared, probe });
}
