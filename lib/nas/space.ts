// A search space declared as data, and its genotypes, for a task (the input shape h x w x c and
// the number of classes, declared or read from the data). An MLP genotype picks an input
// resolution (the image height, or a divisor of it reached by average pooling), a depth, a width
// per layer and an activation; a CNN genotype picks a resolution and per stage the channels,
// kernel size and whether the stage is depthwise-separable (MobileNet, Howard et al. 2017).
// Every stage halves the resolution.
import { ConfigError, describe } from '../errors';
import { ImageSet } from '../data/image-set';

/** What a search is for: the input of one example (h, w, c; NHWC) and the number of classes. */
export interface NasTask {
  readonly inputShape: readonly [number, number, number];
  readonly classes: number;
}

/**
 * The task of an ImageSet: its image shape and class count.
 * @example taskOf(loadMnist().train) // {inputShape: [28, 28, 1], classes: 10}
 */
export function taskOf(set: ImageSet): NasTask {
  return { inputShape: [set.height, set.width, set.channels], classes: set.classNames.length };
}

/** Throws ConfigError unless `task` is {inputShape: [h, w, c], classes} with positive integers (classes >= 2). */
export function checkTask(task: NasTask, fn = 'nas.checkTask'): void {
  const s = task?.inputShape;
  if (!Array.isArray(s) || s.length !== 3 || !s.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ConfigError(
      `${fn}: a task with inputShape [height, width, channels] of positive integers, got ${describe(s)}. ` +
        `Declare it, e.g. {inputShape: [28, 28, 1], classes: 10}, or use nas.taskOf(imageSet).`,
    );
  }
  if (!(Number.isInteger(task.classes) && task.classes >= 2)) {
    throw new ConfigError(
      `${fn}: a task with classes an integer >= 2, got ${describe(task.classes)}. Pass the number of classes of the data.`,
    );
  }
}

/** The pooling factor that brings the task's height to `resolution`, or undefined when none does (both sides must divide). */
export function poolFactor(task: NasTask, resolution: number): number | undefined {
  const [h, w] = task.inputShape;
  const k = h / resolution;
  return Number.isInteger(k) && k >= 1 && w % k === 0 ? k : undefined;
}

export type Activation = 'relu' | 'relu6' | 'elu' | 'tanh';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'relu6', 'elu', 'tanh'];

/** The choices every search space has (each list holds the allowed values of one decision). */
interface SpaceChoices {
  /** Input height after pooling; each must divide the task's height (and its width at the same factor), e.g. 28, 14, 7 for 28x28 images. */
  readonly resolutions: readonly number[];
  readonly activations: readonly Activation[];
}

/** Choices of an MLP search space. */
export interface MlpSpace extends SpaceChoices {
  readonly kind: 'mlp';
  /** Number of hidden layers (0 = linear classifier). */
  readonly depths: readonly number[];
  readonly widths: readonly number[];
}

/** Choices of a CNN search space. */
export interface CnnSpace extends SpaceChoices {
  readonly kind: 'cnn';
  /** Number of conv stages, each conv -> BN -> activation -> 2x2 max-pool. */
  readonly stages: readonly number[];
  readonly channels: readonly number[];
  readonly kernelSizes: readonly number[];
  /** Allowed values of the depthwise-separable switch: [false], [true] or [false, true]. */
  readonly separable: readonly boolean[];
}

export type SearchSpace = MlpSpace | CnnSpace;

export interface MlpGenotype {
  readonly kind: 'mlp';
  readonly resolution: number;
  readonly widths: readonly number[];
  readonly activation: Activation;
}

export interface CnnStage {
  readonly channels: number;
  readonly kernelSize: number;
  readonly separable: boolean;
}

export interface CnnGenotype {
  readonly kind: 'cnn';
  readonly resolution: number;
  readonly stages: readonly CnnStage[];
  readonly activation: Activation;
}

export type Genotype = MlpGenotype | CnnGenotype;

function list(
  fn: string,
  name: string,
  values: readonly unknown[] | undefined,
  ok: (v: unknown) => boolean,
  hint: string,
): void {
  if (!Array.isArray(values) || values.length === 0) {
    throw new ConfigError(`${fn}: a non-empty list of ${name}, got ${describe(values)}. ${hint}.`);
  }
  const bad = values.find((v) => !ok(v));
  if (bad !== undefined)
    throw new ConfigError(`${fn}: ${name} ${hint.toLowerCase()}, got ${describe(bad)}. Fix the space's ${name}.`);
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
/**
 * Checks a space: every list non-empty and valid, and at least one genotype realizable
 * (e.g. a CNN's stages must not pool the image below 1 pixel); with a task, every resolution
 * reachable by pooling its images. Throws ConfigError otherwise.
 */
export function validateSpace(space: SearchSpace, fn = 'nas.validateSpace', task?: NasTask): void {
  if (!space || (space.kind !== 'mlp' && space.kind !== 'cnn')) {
    throw new ConfigError(
      `${fn}: a space of kind 'mlp' or 'cnn', got ${describe((space as { kind?: unknown } | undefined)?.kind ?? space)}. Declare e.g. {kind: 'mlp', resolutions: [28, 14], ...}.`,
    );
  }
  if (task) {
    checkTask(task, fn);
    const [h, w] = task.inputShape;
    list(
      fn,
      'resolutions',
      space.resolutions,
      (v) => posInt(v) && poolFactor(task, v as number) !== undefined,
      `Use heights that divide the input's ${h} (its width ${w} by the same factor), e.g. [${h}${h % 2 === 0 && w % 2 === 0 ? `, ${h / 2}` : ''}]`,
    );
  } else {
    list(fn, 'resolutions', space.resolutions, posInt, 'Use positive integers, e.g. [28, 14]');
  }
  list(
    fn,
    'activations',
    space.activations,
    (v) => ACTIVATIONS.includes(v as Activation),
    `Use ${ACTIVATIONS.join(', ')}`,
  );
  if (space.kind === 'mlp') {
    list(
      fn,
      'depths',
      space.depths,
      (v) => Number.isInteger(v) && (v as number) >= 0,
      'Use integers >= 0, e.g. [1, 2]',
    );
    if (space.depths.some((d) => d > 0))
      list(fn, 'widths', space.widths, posInt, 'Use positive integers, e.g. [32, 64]');
    return;
  }
  list(fn, 'stages', space.stages, posInt, 'Use positive integers, e.g. [1, 2]');
  list(fn, 'channels', space.channels, posInt, 'Use positive integers, e.g. [8, 16]');
  list(
    fn,
    'kernelSizes',
    space.kernelSizes,
    (v) => posInt(v) && (v as number) % 2 === 1,
    'Use odd positive integers, e.g. [3, 5]',
  );
  list(fn, 'separable', space.separable, (v) => typeof v === 'boolean', 'Use booleans, e.g. [false, true]');
  const maxRes = Math.max(...space.resolutions);
  const minStages = Math.min(...space.stages);
  if (maxRes / 2 ** minStages < 1) {
    throw new ConfigError(
      `${fn}: a realizable space (each stage halves the side), got resolutions up to ${maxRes} with at least ${minStages} stages. ` +
        `Allow fewer stages or a larger resolution.`,
    );
  }
}

/** Stages a CNN genotype may have at a resolution (each halves the side; at least 1 pixel left). */
export function stagesAllowed(space: CnnSpace, resolution: number): number[] {
  return space.stages.filter((s) => resolution / 2 ** s >= 1);
}

/** A stable, readable key of a genotype (for caches and de-duplication), e.g. `mlp-r14-relu-64x32`. */
export function genotypeKey(g: Genotype): string {
  if (g.kind === 'mlp')
    return `mlp-r${g.resolution}-${g.activation}-${g.widths.length ? g.widths.join('x') : 'linear'}`;
  return `cnn-r${g.resolution}-${g.activation}-${g.stages.map((s) => `${s.separable ? 's' : 'c'}${s.kernelSize}k${s.channels}`).join('-')}`;
}

/** Throws ConfigError unless `g` is a genotype of `space`. */
export function checkGenotype(g: Genotype, space: SearchSpace, fn = 'nas.checkGenotype'): void {
  const fail = (what: string) => {
    throw new ConfigError(
      `${fn}: a genotype of the space, got ${describe(genotypeKey(g))} (${what}). Sample genotypes with nas.sample.`,
    );
  };
  if (g.kind !== space.kind) fail(`kind ${g.kind} in a ${space.kind} space`);
  if (!space.resolutions.includes(g.resolution)) fail(`resolution ${g.resolution}`);
  if (!space.activations.includes(g.activation)) fail(`activation ${g.activation}`);
  if (g.kind === 'mlp' && space.kind === 'mlp') {
    if (!space.depths.includes(g.widths.length)) fail(`depth ${g.widths.length}`);
    if (g.widths.some((w) => !space.widths.includes(w))) fail('a width outside the space');
  }
  if (g.kind === 'cnn' && space.kind === 'cnn') {
    if (!stagesAllowed(space, g.resolution).includes(g.stages.length)) fail(`${g.stages.length} stages`);
    if (
      g.stages.some(
        (s) =>
          !space.channels.includes(s.channels) ||
          !space.kernelSizes.includes(s.kernelSize) ||
          !space.separable.includes(s.separable),
      )
    )
      fail('a stage outside the space');
  }
}
