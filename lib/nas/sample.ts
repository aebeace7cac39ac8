// Seeded sampling and mutation of genotypes. A mutation changes exactly one decision (Real et al.
// 2019: "hidden state" / "op" mutations), re-drawing until the child differs from its parent
// when the space allows it.
import { Rng } from '../core/rng';
import {
  CnnSpace,
  CnnStage,
  Genotype,
  genotypeKey,
  MlpSpace,
  SearchSpace,
  stagesAllowed,
  validateSpace,
} from './space';

function sampleStage(space: CnnSpace, rng: Rng): CnnStage {
  return {
    channels: rng.pick(space.channels),
    kernelSize: rng.pick(space.kernelSizes),
    separable: rng.pick(space.separable),
  };
}

function sampleWith(space: SearchSpace, rng: Rng): Genotype {
  if (space.kind === 'mlp') {
    const depth = rng.pick(space.depths);
    return {
      kind: 'mlp',
      resolution: rng.pick(space.resolutions),
      widths: Array.from({ length: depth }, () => rng.pick(space.widths)),
      activation: rng.pick(space.activations),
    };
  }
  const realizable = space.resolutions.filter((r) => stagesAllowed(space, r).length > 0);
  const resolution = rng.pick(realizable);
  const n = rng.pick(stagesAllowed(space, resolution));
  return {
    kind: 'cnn',
    resolution,
    stages: Array.from({ length: n }, () => sampleStage(space, rng)),
    activation: rng.pick(space.activations),
  };
}

/**
 * A uniformly random genotype of `space` (each decision drawn independently).
 * @example sample({kind: 'mlp', resolutions: [14], depths: [1], widths: [32], activations: ['relu']}, new Rng(1)) // mlp-r14-relu-32
 */
export function sample(space: SearchSpace, rng: Rng): Genotype {
  validateSpace(space, 'nas.sample');
  return sampleWith(space, rng);
}

function mutateMlp(g: Genotype & { kind: 'mlp' }, space: MlpSpace, rng: Rng): Genotype {
  const widths = [...g.widths];
  switch (rng.int(4)) {
    case 0:
      return { ...g, resolution: rng.pick(space.resolutions) };
    case 1:
      return { ...g, activation: rng.pick(space.activations) };
    case 2: {
      const depth = rng.pick(space.depths);
      while (widths.length > depth) widths.splice(rng.int(widths.length), 1);
      while (widths.length < depth) widths.splice(rng.int(widths.length + 1), 0, rng.pick(space.widths));
      return { ...g, widths };
    }
    default:
      if (widths.length === 0) return { ...g, resolution: rng.pick(space.resolutions) };
      widths[rng.int(widths.length)] = rng.pick(space.widths);
      return { ...g, widths };
  }
}

function mutateCnn(g: Genotype & { kind: 'cnn' }, space: CnnSpace, rng: Rng): Genotype {
  const stages = [...g.stages];
  const i = rng.int(stages.length);
  const stage = stages[i] as CnnStage;
  switch (rng.int(6)) {
    case 0: {
      const resolution = rng.pick(space.resolutions);
      return stagesAllowed(space, resolution).includes(stages.length) ? { ...g, resolution } : g;
    }
    case 1:
      return { ...g, activation: rng.pick(space.activations) };
    case 2: {
      const n = rng.pick(stagesAllowed(space, g.resolution));
      while (stages.length > n) stages.splice(rng.int(stages.length), 1);
      while (stages.length < n) stages.splice(rng.int(stages.length + 1), 0, sampleStage(space, rng));
      return { ...g, stages };
    }
    case 3:
      stages[i] = { ...stage, channels: rng.pick(space.channels) };
      return { ...g, stages };
    case 4:
      stages[i] = { ...stage, kernelSize: rng.pick(space.kernelSizes) };
      return { ...g, stages };
    default:
      stages[i] = { ...stage, separable: rng.pick(space.separable) };
      return { ...g, stages };
  }
}

/**
 * A copy of `parent` with one decision re-drawn (different from the parent when the space has
 * an alternative within a few tries). Deterministic for a seeded `rng`.
 */
export function mutate(parent: Genotype, space: SearchSpace, rng: Rng): Genotype {
  validateSpace(space, 'nas.mutate');
  const key = genotypeKey(parent);
  let child = parent;
  for (let tries = 0; tries < 20 && genotypeKey(child) === key; tries++) {
    child =
      parent.kind === 'mlp' && space.kind === 'mlp'
        ? mutateMlp(parent, space, rng)
        : parent.kind === 'cnn' && space.kind === 'cnn'
          ? mutateCnn(parent, space, rng)
          : sampleWith(space, rng);
  }
  return child;
}
