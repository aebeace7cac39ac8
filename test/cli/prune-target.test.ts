// `tfjs-compress prune --method channels` with --target and --round-to, through the real
// executable: the kept channels follow the runtime's measured tile by default, --round-to 1 opts
// out, and bad combinations exit 2 (usage) with a message that says what to pass.
import * as path from 'path';
import { expect } from 'chai';
import { saveModel } from '../../lib/data/model-io';
import { tileOf } from '../../lib/prune/tiles';
import { mobileNetV2 } from '../fixtures/architectures';
import { cli, tmpDir } from './helpers';

describe('cli: prune --target / --round-to', function () {
  this.timeout(300_000);

  it('channels: default target any, --target ort, --round-to 1; bad flags are usage errors', async () => {
    const dir = tmpDir();
    const modelDir = path.join(dir, 'mobilenet');
    const model = mobileNetV2({ seed: 2, inputShape: [32, 32, 3], classes: 10, classifierActivation: 'linear' });
    await saveModel(model, modelDir);
    model.dispose();
    const prune = (extra: string[], out: string) =>
      cli([
        'prune',
        modelDir,
        '--method',
        'channels',
        '--sparsity',
        '0.3',
        ...extra,
        '--out',
        path.join(dir, out),
        '--json',
      ]);
    const expectCounts = (
      report: { groups: { channelsBefore: number; channelsAfter: number; reason?: string }[] },
      m: number,
    ) => {
      for (const g of report.groups.filter((x) => !x.reason))
        expect(g.channelsAfter % m === 0 || g.channelsAfter === g.channelsBefore, JSON.stringify(g)).to.equal(true);
    };
    for (const [extra, target, roundTo] of [
      [[], 'any', tileOf('any')],
      [['--target', 'ort'], 'ort', tileOf('ort')],
      [['--round-to', '1'], undefined, 1],
    ] as const) {
      const r = prune([...extra], `out-${extra.join('') || 'default'}`);
      expect(r.status, r.stderr).to.equal(0);
      const { report } = JSON.parse(r.stdout);
      expect(report.target).to.equal(target);
      expect(report.roundTo).to.equal(roundTo);
      expect(report.macsRatio).to.be.below(1);
      expectCounts(report, roundTo);
    }
    for (const [args, message] of [
      [['--target', 'gpu'], /--target must be one of any, ort, tfjs-wasm, tflite, got "gpu"/],
      [['--round-to', '0'], /--round-to/],
      [['--target', 'ort', '--round-to', '8'], /--target or --round-to, not both/],
    ] as const) {
      const r = prune([...args], 'bad');
      expect(r.status, r.stdout).to.equal(2); // a usage error
      expect(r.stderr).to.match(message);
    }
    const magnitude = cli(['prune', modelDir, '--sparsity', '0.5', '--round-to', '16', '--out', path.join(dir, 'm')]);
    expect(magnitude.status).to.equal(2);
    expect(magnitude.stderr).to.match(/--target and --round-to choose channel counts: use them with --method channels/);
  });
});
