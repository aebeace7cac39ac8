// The CLI's progress in a log: periodic lines with an ETA, nothing when quiet (--json). The
// terminal bar is checked through a pseudo-terminal in commands.test.ts.
import { expect } from 'chai';
import { etaSeconds, streamProgress } from '../../lib/cli/progress';

describe('cli: progress', () => {
  it('the CLI progress in a log: a line at each quarter with an ETA, none between; nothing when quiet', () => {
    let t = 0;
    const out: string[] = [];
    const stream = { write: (s: string) => out.push(s), isTTY: false } as unknown as NodeJS.WriteStream;
    const p = streamProgress({ stream, now: () => t });
    p.step('calibrating');
    for (let done = 1; done <= 8; done++) {
      t += 1000;
      p.update('examples', done * 32, 256);
    }
    expect(out).to.deep.equal([
      'calibrating\n',
      '  examples: 32/256 (13%, ETA 7 s)\n',
      '  examples: 64/256 (25%, ETA 6 s)\n',
      '  examples: 128/256 (50%, ETA 4 s)\n',
      '  examples: 192/256 (75%, ETA 2 s)\n',
      '  examples: 256/256 (100%)\n',
    ]);
    const quiet: string[] = [];
    const q = streamProgress({
      quiet: true,
      stream: { write: (s: string) => quiet.push(s) } as unknown as NodeJS.WriteStream,
    });
    q.step('x');
    q.update('y', 1, 2);
    q.line('z');
    expect(quiet).to.deep.equal([]);
    expect(etaSeconds(0, 10_000, 1, 4)).to.equal(30);
    expect(etaSeconds(0, 10_000, 0, 4)).to.equal(undefined);
  });
});
