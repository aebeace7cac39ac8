// Progress of long work: countProgress for independent jobs (notebook sweeps), formatDuration.
import { expect } from 'chai';
import { countProgress, formatDuration } from '../../lib/train/progress';
import { setOutput } from '../../lib/core/output';

/** Captures what a test's code sends to the output sink. */
function captured(f: () => void): string[] {
  const lines: string[] = [];
  const previous = setOutput((t) => lines.push(t));
  try {
    f();
  } finally {
    setOutput(previous);
  }
  return lines;
}

describe('train: progress of long work', () => {
  it('formatDuration: seconds, minutes and seconds, hours and minutes', () => {
    expect([0, 41.4, 59.6, 125, 3600, 3725, -1, NaN].map(formatDuration)).to.deep.equal([
      '0 s',
      '41 s',
      '1 min 00 s',
      '2 min 05 s',
      '1 h 00 min',
      '1 h 02 min',
      '?',
      '?',
    ]);
  });

  it('countProgress: jobs done, time so far and time left at the rate so far, through the output sink', () => {
    let t = 1000;
    const lines = captured(() => {
      const progress = countProgress('sweep', { now: () => t });
      t += 20_000;
      progress(1, 4);
      t += 40_000;
      progress(3, 4, 'fine-tune 0.9');
      t += 5_000;
      progress(4, 4);
    });
    expect(lines).to.deep.equal([
      'sweep: 1/4 done in 20 s, about 1 min 00 s left',
      'sweep: 3/4 done in 1 min 00 s, about 20 s left (fine-tune 0.9)',
      'sweep: 4/4 done in 1 min 05 s',
    ]);
  });
});
