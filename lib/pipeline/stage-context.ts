// What a recipe stage sees of its run: the seed, the run's data, and where progress goes.
import { LoadedData } from '../data/data-files';
import { ProgressReporter } from '../train/progress';

/** What stages see of the run. */
export interface StageContext {
  readonly seed: number;
  readonly data: {
    readonly calibration?: LoadedData;
    readonly evaluation?: LoadedData;
    readonly training?: LoadedData;
  };
  /** Epoch and batch progress of fine-tuning. */
  readonly trainProgress?: ProgressReporter;
  /** Progress of long steps (calibration, exports): `done` of `total` units. */
  readonly update?: (label: string, done: number, total: number) => void;
}
