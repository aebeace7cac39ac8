// The library's progress events (fit's epochs and batches) shown through the CLI's Progress.
import { ProgressReporter } from '../../train/progress';
import { Progress } from '../progress';

/** Fine-tuning progress: a bar per epoch, a line at each epoch's end. */
export function trainReporter(p: Progress): ProgressReporter {
  return (e) => {
    if (e.kind === 'batch') p.update(`epoch ${e.epoch}/${e.epochs}`, e.batch, e.batches);
    else p.line(`  epoch ${e.log.epoch}/${e.epochs}: loss ${e.log.loss.toFixed(4)}, ${e.log.seconds.toFixed(1)} s`);
  };
}
