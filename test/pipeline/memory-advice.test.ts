// The calibration memory check on the real wasm heap (4 GiB), through the real executable: a model
// whose activations take about 100 MiB per example. An explicit batch size that cannot fit is
// refused before the first calibration batch (no calibration progress is printed), and the batch
// size the refusal advises then runs: calibration, the error report's two side-by-side passes and
// every export, to the end. (It fills most of wasm's heap once, in a child process.)
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { saveModel } from '../../lib/data/model-io';
import { encodeNpy } from '../../lib/data/npy';
import { cli, tmpDir } from '../cli/helpers';

describe('calibration memory advice: checked before calibrating, and the advised batch size works', function () {
  this.timeout(900_000);

  it('batch size 4096 is refused at once with advice N; --batch-size N then quantizes to the end', async () => {
    const dir = tmpDir('tfc-mem-');
    const input = tf.input({ shape: [512, 512, 3] });
    let y = tf.layers
      .conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', name: 'wide' })
      .apply(input) as tf.SymbolicTensor;
    y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
    y = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    await saveModel(model, path.join(dir, 'model'));
    model.dispose();
    const n = 24;
    const pixels = Uint8Array.from({ length: n * 512 * 512 * 3 }, (_, i) => (i * 2654435761) >>> 24);
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy({ dtype: 'uint8', shape: [n, 512, 512, 3], data: pixels }));
    const args = (batch: number, out: string) => [
      'quantize',
      path.join(dir, 'model'),
      '--mode',
      'static',
      '--data',
      path.join(dir, 'x.npy'),
      '--scale',
      '1/255',
      '--count',
      String(n),
      '--batch-size',
      String(batch),
      '--out',
      path.join(dir, out),
    ];
    const refused = cli(args(4096, 'too-big'));
    expect(refused.status).to.equal(1);
    const advice =
      /ConfigError: expected a batch that fits in wasm's \d+ MiB heap .* Pass batchSize: (\d+) or less \(a recipe's calibration\.batchSize, the quantize command's --batch-size\)/.exec(
        refused.stderr,
      );
    expect(advice, refused.stderr).to.not.equal(null);
    expect(refused.stderr).to.not.match(/calibration: \d+/); // refused before the first calibration batch
    expect(fs.existsSync(path.join(dir, 'too-big'))).to.equal(false);
    const advised = Number(advice?.[1]);
    expect(advised).to.be.within(2, n - 1); // the run below takes several batches of that size
    console.log(`      measured: advised batch size ${advised} for ~100 MiB of activations per example`);

    const ok = cli(args(advised, 'advised'));
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stderr).to.match(new RegExp(`calibration: ${n}/${n}`));
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'advised', 'quantize-report.json'), 'utf8'));
    expect(written.calibrationExamples).to.equal(n);
    expect(written.memory.batchSize).to.be.at.most(advised);
    expect(fs.readdirSync(path.join(dir, 'advised'))).to.include.members(['model.onnx', 'model.json', 'plan']);
  });
});
