// A search space declared as data, and its genotypes. An MLP genotype picks an input resolution
// (28, or 14 / 7 by average pooling), a depth, a width per layer and an activation; a CNN
// genotype picks a resolution and per stage the channels, kernel size and whether the stage is
// depthwise-separable (MobileNet, Howard et al. 2017). Every stage halves the resolution.
import { ConfigError, describe } from '../errors';

export type Activation = 'relu' | 'relu6' | 'elu' | 'tanh';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'relu6', 'elu', 'tanh'];

/** Choices of an MLP search space (each list holds the allowed values of one decision). */
export interface MlpSpace {
  readonly kind: 'mlp';
  /** Input side after pooling; must divide the image side (28): 28, 14, 7, 4, 2, 1. */
  readonly resolutions: readonly number[];
  /** Number of hidden layers (0 = linear classifier). */
  readonly depths: readonly number[];
  readonly widths: readonly number[];
  readonly activations: readonly Activation[];
}

/** Choices of a CNN search space. */
export interface CnnSpace {
  readonly kind: 'cnn';
  readonly resolutions: readonly number[];
  /** Number of conv stages, each conv -> BN -> activation -> 2x2 max-pool. */
  readonly stages: readonly number[];
  readonly channels: readonly number[];
  readonly kernelSizes: readonly number[];
  /** Allowed values of the depthwise-separable switch: [false], [true] or [false, true]. */
  readonly separable: readonly boolean[];
  readonly activations: readonly Activation[];
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

/** The image side of the course's data sets. */
export const IMAGE_SIDE = 28;

function list(fn: string, name: string, values: readonly unknown[] | undefined, ok: (v: unknown) => boolean, hint: string): void {
  if (!Array.isArray(values) || values.length === 0) {
    throw new ConfigError(`${fn}: a non-empty list of ${name}, got ${describe(values)}. ${hint}.`);
  }
  const bad = values.find((v) => !ok(v));
  if (bad !== undefined) throw new ConfigError(`${fn}: ${name} ${hint.toLowerCase()}, got ${describe(bad)}. Fix the space's ${name}.`);
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const resolutionOk = (v: unknown) => posInt(v) && IMAGE_SIDE % (v as number) === 0;

/**
 * Checks a space: every list non-empty and valid, and at least one genotype realizable
 * (e.g. a CNN's stages must not pool the image below 1 pixel). Throws ConfigError otherwise.
 */
export function validateSpace(space: SearchSpace, fn = 'nas.validateSpace'): void {
  if (!space || (space.kind !== 'mlp' && space.kind !== 'cnn')) {
    throw new ConfigError(`${fn}: a space of kind 'mlp' or 'cnn', got ${describe((space as { kind?: unknown } | undefined)?.kind ?? space)}. Declare e.g. {kind: 'mlp', resolutions: [28, 14], ...}.`);
  }
  list(fn, 'resolutions', space.resolutions, resolutionOk, 'Use sides that divide 28, e.g. [28, 14]');
  list(fn, 'activations', space.activations, (v) => ACTIVATIONS.includes(v as Activation), `Use ${ACTIVATIONS.join(', ')}`);
  if (space.kind === 'mlp') {
    list(fn, 'depths', space.depths, (v) => Number.isInteger(v) && (v as number) >= 0, 'Use integers >= 0, e.g. [1, 2]');
    if (space.depths.some((d) => d > 0)) list(fn, 'widths', space.widths, posInt, 'Use positive integers, e.g. [32, 64]');
    return;
  }
  list(fn, 'stages', space.stages, posInt, 'Use positive integers, e.g. [1, 2]');
  list(fn, 'channels', space.channels, posInt, 'Use positive integers, e.g. [8, 16]');
  list(fn, 'kernelSizes', space.kernelSizes, (v) => posInt(v) && (v as number) % 2 === 1, 'Use odd positive integers, e.g. [3, 5]');
  list(fn, 'separable', space.separable, (v) => typeof v === 'boolean', 'Use booleans, e.g. [false, true]');
  const maxRes = Math.max(...space.resolutions);
  const minStages = Math.min(...space.stages);
  if (maxRes / 2 ** minStages < 1) {
    throw new ConfigError(`${fn}: a realizable space (each stage halves the side), got resolutions up to ${maxRes} with at least ${minStages} stages. ` +
      `Allow fewer stages or a larger resolution.`);
  }
}

/** Stages a CNN genotype may have at a resolution (each halves the side; at least 1 pixel left). */
export function stagesAllowed(space: CnnSpace, resolution: number): number[] {
  return space.stages.filter((s) => resolution / 2 ** s >= 1);
}

/** A stable, readable key of a genotype (for caches and de-duplication), e.g. `mlp-r14-relu-64x32`. */
export function genotypeKey(g: Genotype): string {
  if (g.kind === 'mlp') return `mlp-r${g.resolution}-${g.activation}-${g.widths.length ? g.widths.join('x') : 'linear'}`;
  return `cnn-r${g.resolution}-${g.activation}-${g.stages.map((s) => `${s.separable ? 's' : 'c'}${s.kernelSize}k${s.channels}`).join('-')}`;
}

/** Throws ConfigError unless `g` is a genotype of `space`. */
export function checkGenotype(g: Genotype, space: SearchSpace, fn = 'nas.checkGenotype'): void {
  const fail = (what: string) => {
    throw new ConfigError(`${fn}: a genotype of the space, got ${describe(genotypeKey(g))} (${what}). Sample genotypes with nas.sample.`);
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
    if (g.stages.some((s) => !space.channels.includes(s.channels) || !space.kernelSizes.includes(s.kernelSize) || !space.separable.includes(s.separable))) fail('a stage outside the space');
  }
}
