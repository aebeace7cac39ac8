// Pruning schedules after TFMOT (tfmot.sparsity.keras): when to update the masks and to what
// sparsity, as a function of the optimizer step. PolynomialDecay is Zhu & Gupta 2017
// (arXiv:1710.01878): s(t) = s_f + (s_i - s_f) (1 - (t - t0) / (t1 - t0))^power.
import { ConfigError, describe } from '../errors';
import { checkSparsity } from './masks';

/** A pruning schedule: whether to recompute the masks at `step`, and the sparsity then. */
export interface PruningSchedule {
  shouldPrune(step: number): boolean;
  sparsityAt(step: number): number;
  /** Plain-data description (for reports and cache keys). */
  toJSON(): Record<string, unknown>;
}

function checkSteps(fn: string, begin: number, end: number, frequency: number): void {
  if (!(Number.isInteger(begin) && begin >= 0))
    throw new ConfigError(`${fn}: beginStep a non-negative integer, got ${describe(begin)}. Use e.g. 0.`);
  if (!(Number.isInteger(end) && (end === -1 || end >= begin)))
    throw new ConfigError(`${fn}: endStep -1 or an integer >= beginStep, got ${describe(end)}. Use e.g. 1000.`);
  if (!(Number.isInteger(frequency) && frequency > 0))
    throw new ConfigError(`${fn}: frequency a positive integer, got ${describe(frequency)}. Use e.g. 100.`);
}

/** Options of {@link ConstantSparsity}. */
export interface ConstantSparsityOptions {
  readonly targetSparsity: number;
  readonly beginStep?: number;
  /** -1 (default): keep pruning to the end of training. */
  readonly endStep?: number;
  readonly frequency?: number;
}

/**
 * The same sparsity at every pruning step in [beginStep, endStep], every `frequency` steps.
 * @example new ConstantSparsity({targetSparsity: 0.9, frequency: 100}).shouldPrune(200) // true
 */
export class ConstantSparsity implements PruningSchedule {
  readonly targetSparsity: number;
  readonly beginStep: number;
  readonly endStep: number;
  readonly frequency: number;

  constructor(options: ConstantSparsityOptions) {
    this.targetSparsity = checkSparsity('ConstantSparsity', options?.targetSparsity, 'targetSparsity');
    this.beginStep = options.beginStep ?? 0;
    this.endStep = options.endStep ?? -1;
    this.frequency = options.frequency ?? 100;
    checkSteps('ConstantSparsity', this.beginStep, this.endStep, this.frequency);
  }

  shouldPrune(step: number): boolean {
    return (
      step >= this.beginStep &&
      (this.endStep === -1 || step <= this.endStep) &&
      (step - this.beginStep) % this.frequency === 0
    );
  }

  sparsityAt(step: number): number {
    return step >= this.beginStep ? this.targetSparsity : 0;
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: 'ConstantSparsity',
      targetSparsity: this.targetSparsity,
      beginStep: this.beginStep,
      endStep: this.endStep,
      frequency: this.frequency,
    };
  }
}

/** Options of {@link PolynomialDecay}. */
export interface PolynomialDecayOptions {
  readonly initialSparsity: number;
  readonly finalSparsity: number;
  readonly beginStep?: number;
  readonly endStep: number;
  /** Default 3 (prune fast early, gently near the end). */
  readonly power?: number;
  readonly frequency?: number;
}

/**
 * Sparsity rising from initialSparsity to finalSparsity between beginStep and endStep.
 * @example new PolynomialDecay({initialSparsity: 0, finalSparsity: 0.9, endStep: 100}).sparsityAt(100) // 0.9
 */
export class PolynomialDecay implements PruningSchedule {
  readonly initialSparsity: number;
  readonly finalSparsity: number;
  readonly beginStep: number;
  readonly endStep: number;
  readonly power: number;
  readonly frequency: number;

  constructor(options: PolynomialDecayOptions) {
    this.initialSparsity = checkSparsity('PolynomialDecay', options?.initialSparsity, 'initialSparsity');
    this.finalSparsity = checkSparsity('PolynomialDecay', options.finalSparsity, 'finalSparsity');
    this.beginStep = options.beginStep ?? 0;
    this.endStep = options.endStep;
    this.power = options.power ?? 3;
    this.frequency = options.frequency ?? 100;
    checkSteps('PolynomialDecay', this.beginStep, this.endStep, this.frequency);
    if (this.endStep === -1)
      throw new ConfigError(
        `PolynomialDecay: an endStep >= beginStep, got -1. Set endStep to the step where finalSparsity is reached.`,
      );
    if (!(this.power > 0))
      throw new ConfigError(`PolynomialDecay: power > 0, got ${describe(this.power)}. Use 3 (Zhu & Gupta).`);
  }

  shouldPrune(step: number): boolean {
    return (
      step >= this.beginStep &&
      step <= this.endStep &&
      ((step - this.beginStep) % this.frequency === 0 || step === this.endStep)
    );
  }

  sparsityAt(step: number): number {
    if (step < this.beginStep) return 0;
    const span = Math.max(this.endStep - this.beginStep, 1);
    const p = Math.min(Math.max((step - this.beginStep) / span, 0), 1);
    return this.finalSparsity + (this.initialSparsity - this.finalSparsity) * (1 - p) ** this.power;
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: 'PolynomialDecay',
      initialSparsity: this.initialSparsity,
      finalSparsity: this.finalSparsity,
      beginStep: this.beginStep,
      endStep: this.endStep,
      power: this.power,
      frequency: this.frequency,
    };
  }
}
