// Where a training step's time goes: the step split into its phases (making the batch tensors,
// the forward pass with the loss, the backward pass, the optimizer's update), each timed over
// many steps on the wall clock and in process CPU time, and one step's kernels from tf.profile,
// grouped by kernel name and by role. On tfjs's wasm and cpu backends every kernel runs
// synchronously, so the wall time of a call is its compute time; on a machine shared with
// other work the CPU time is the steadier of the two (it does not count time spent waiting for
// a core).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { DataSource, SourceBatch, checkedSource, readBatches } from '../data/source';
import { inputShapeOf, modelLoss, outputUnits } from './model-output';
import { fusedAdam } from './fused-adam';
import { trainableVariables } from './fit';

/** The phases of a step. */
export type StepPhase = 'data' | 'forward' | 'backward' | 'optimizer';

/** Milliseconds per step of one phase: median over rounds of the per-round mean. */
export interface PhaseTime {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** One kernel of the profiled step. */
export interface KernelTime {
  readonly name: string;
  /** Input shapes of its first call, e.g. [[128, 784], [784, 256]]. */
  readonly inputShapes: number[][];
  readonly calls: number;
  /** Summed kernel time of its calls in one step (wall clock). */
  readonly ms: number;
  readonly phase: Exclude<StepPhase, 'data'>;
}

/** What {@link profileStep} measured. */
export interface StepProfile {
  readonly batchSize: number;
  readonly steps: number;
  readonly phases: Record<StepPhase, PhaseTime>;
  /** Sum of the four phases. */
  readonly step: PhaseTime;
  /** Examples per second from the summed phases (wall clock and CPU time). */
  readonly examplesPerSecond: { readonly wall: number; readonly cpu: number };
  /** The kernels of one step, largest first; a kernel that another kernel calls is listed too. */
  readonly kernels: KernelTime[];
  /** Steps whose kernels were profiled (each kernel's time is its median over them). */
  readonly profiledSteps: number;
  readonly backend: string;
}

/** Options for {@link profileStep}. */
export interface StepProfileOptions {
  readonly batchSize?: number;
  /** Steps per round (default 20) and rounds (default 3); the first round's steps also warm up. */
  readonly steps?: number;
  readonly rounds?: number;
  /** Default: the library's Adam (fusedAdam, as fit uses), learning rate 1e-3. Borrowed. */
  readonly optimizer?: tf.Optimizer;
  readonly seed?: number;
  /** Steps profiled kernel by kernel (default 5). */
  readonly profiledSteps?: number;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Trains `model` for (rounds + 1) x steps steps (it is modified, as fit would) while timing each
 * phase, and profiles the kernels of one more step.
 * @example const p = await profileStep(simpleNet({seed: 0}), loadMnist().train, {batchSize: 128}); p.phases.optimizer.cpuMs
 */
export async function profileStep(
  model: tf.LayersModel,
  data: DataSource,
  options: StepProfileOptions = {},
): Promise<StepProfile> {
  const fn = 'profileStep';
  const checked = checkedSource(data, fn);
  const batchSize = options.batchSize ?? 128;
  const steps = options.steps ?? 20;
  const rounds = options.rounds ?? 3;
  const profiled = options.profiledSteps ?? 5;
  for (const [k, v] of [
    ['batchSize', batchSize],
    ['steps', steps],
    ['rounds', rounds],
    ['profiledSteps', profiled],
  ] as [string, number][]) {
    if (!(Number.isInteger(v) && v > 0))
      throw new ConfigError(
        `${fn}: ${k} a positive integer, got ${describe(v)}. Use e.g. batchSize 128, steps 20, rounds 3.`,
      );
  }
  const optimizer = options.optimizer ?? fusedAdam(1e-3);
  const variables = trainableVariables(model);
  const loss = modelLoss(model);
  const lossOf = (b: SourceBatch) => loss(b.ys as tf.Tensor, model.apply(b.xs, { training: true }) as tf.Tensor);
  const limit = ((rounds + 1) * steps + profiled) * batchSize;
  const it = readBatches(checked, {
    // options checked above: batchSize, and a limit of positive integers
    batchSize,
    seed: options.seed ?? 0,
    limit,
    inputShape: inputShapeOf(model, fn),
    classes: outputUnits(model, fn),
    caller: fn,
  });
  const perRound = {
    data: [] as number[][],
    forward: [] as number[][],
    backward: [] as number[][],
    optimizer: [] as number[][],
  };
  let kernels: KernelTime[] = [];
  try {
    for (let r = 0; r <= rounds; r++) {
      const sums = { data: [0, 0], forward: [0, 0], backward: [0, 0], optimizer: [0, 0] };
      const add = (phase: keyof typeof sums, w0: number, c0: number) => {
        (sums[phase][0] as number) += performance.now() - w0;
        (sums[phase][1] as number) += cpuNow() - c0;
      };
      for (let s = 0; s < steps; s++) {
        let w = performance.now(),
          c = cpuNow();
        const next = await it.next();
        if (next.done)
          throw new ConfigError(`${fn}: at least ${limit} examples, got fewer. Pass more data or fewer steps.`);
        const b = next.value;
        if (!b.ys)
          throw new ConfigError(
            `${fn}: batches with targets (ys), got a batch without them. Pass {xs, ys} or an ImageSet.`,
          );
        add('data', w, c);
        // One computeGradients call: the time inside the loss function is the forward pass (kernels
        // run synchronously while the tape records), the rest of the call is the backward pass.
        const inside = [0, 0];
        w = performance.now();
        c = cpuNow();
        const { value, grads } = optimizer.computeGradients(() => {
          const w1 = performance.now(),
            c1 = cpuNow();
          const l = lossOf(b);
          inside[0] = performance.now() - w1;
          inside[1] = cpuNow() - c1;
          return l;
        }, variables);
        const callWall = performance.now() - w,
          callCpu = cpuNow() - c;
        (sums.forward[0] as number) += inside[0] as number;
        (sums.forward[1] as number) += inside[1] as number;
        (sums.backward[0] as number) += callWall - (inside[0] as number);
        (sums.backward[1] as number) += Math.max(0, callCpu - (inside[1] as number));
        w = performance.now();
        c = cpuNow();
        optimizer.applyGradients(grads);
        add('optimizer', w, c);
        tf.dispose([value, ...Object.values(grads)]);
      }
      if (r === 0) continue; // warm-up round
      for (const k of Object.keys(sums) as (keyof typeof sums)[]) perRound[k].push(sums[k].map((t) => t / steps));
    }
    const runs: KernelTime[][] = [];
    for (let p = 0; p < profiled; p++) {
      const next = await it.next();
      if (next.done) break;
      runs.push(await profileKernels(() => lossOf(next.value), optimizer, variables));
    }
    kernels = medianKernels(runs);
  } finally {
    await it.return(undefined);
    if (!options.optimizer) optimizer.dispose();
  }
  const phases = Object.fromEntries(
    (Object.keys(perRound) as StepPhase[]).map((k) => [
      k,
      { wallMs: median(perRound[k].map((t) => t[0] as number)), cpuMs: median(perRound[k].map((t) => t[1] as number)) },
    ]),
  ) as Record<StepPhase, PhaseTime>;
  const total = (key: keyof PhaseTime) => Object.values(phases).reduce((a, p) => a + p[key], 0);
  const step = { wallMs: total('wallMs'), cpuMs: total('cpuMs') };
  return {
    batchSize,
    steps: rounds * steps,
    phases,
    step,
    kernels,
    profiledSteps: profiled,
    backend: tf.getBackend(),
    examplesPerSecond: { wall: (batchSize * 1000) / step.wallMs, cpu: (batchSize * 1000) / step.cpuMs },
  };
}

// tf.profile returns the engine's one profile object each time: copy its kernels before the next call.
const kernelsOf = async (f: () => void) => [...(await tf.profile(f)).kernels];

async function profileKernels(
  lossFn: () => tf.Scalar,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
): Promise<KernelTime[]> {
  const forward = await kernelsOf(() =>
    tf.tidy(() => {
      lossFn();
    }),
  );
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  const gradients = await kernelsOf(() => {
    result = optimizer.computeGradients(lossFn, variables);
  });
  const { value, grads } = result as { value: tf.Scalar; grads: tf.NamedTensorMap };
  const update = await kernelsOf(() => optimizer.applyGradients(grads));
  tf.dispose([value, ...Object.values(grads)]);
  // computeGradients replays the forward pass first: its first kernels are the forward's.
  const tagged = [
    ...gradients.map((k, i) => ({ k, phase: (i < forward.length ? 'forward' : 'backward') as KernelTime['phase'] })),
    ...update.map((k) => ({ k, phase: 'optimizer' as const })),
  ];
  const byKey = new Map<
    string,
    { name: string; inputShapes: number[][]; calls: number; ms: number; phase: KernelTime['phase'] }
  >();
  for (const { k, phase } of tagged) {
    const key = `${phase} ${k.name} ${JSON.stringify(k.inputShapes)}`;
    const e = byKey.get(key) ?? { name: k.name, inputShapes: k.inputShapes as number[][], calls: 0, ms: 0, phase };
    e.calls++;
    e.ms += Number(k.kernelTimeMs);
    byKey.set(key, e);
  }
  return [...byKey.values()];
}

/** Per kernel (phase, name, shapes), the median of its per-step time over the profiled steps, largest first. */
function medianKernels(runs: KernelTime[][]): KernelTime[] {
  const byKey = new Map<string, { first: KernelTime; ms: number[] }>();
  for (const run of runs) {
    for (const k of run) {
      const key = `${k.phase} ${k.name} ${JSON.stringify(k.inputShapes)}`;
      const e = byKey.get(key) ?? { first: k, ms: [] };
      e.ms.push(k.ms);
      byKey.set(key, e);
    }
  }
  return [...byKey.values()].map((e) => ({ ...e.first, ms: median(e.ms) })).sort((a, b) => b.ms - a.ms);
}
