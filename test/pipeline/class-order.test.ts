// Class-name order and preprocessing from the recipe reach the scores and deploy.json: MNIST
// test images as PNGs in class folders named by word ("eight", "five", ... sort alphabetically in
// an order that is not the model's), scored by the real MNIST CNN against an accuracy computed
// here with stock tfjs on the same pixels.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { PNG } from 'pngjs';
import { loadMnist } from '../../course/data/mnist';
import { validateDeployment } from '../../lib/data/deployment';
import { DataError } from '../../lib/errors';
import { runRecipe } from '../../lib/pipeline/run';
import { validateRecipe } from '../../lib/pipeline/recipe';
import { MNIST_CNN, loadMnistCnn, verifiedModelFiles } from '../fixtures/real-models';
import { tmpDir } from '../cli/helpers';

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const N = 120;

function grayPng(pixels: Uint8Array): Buffer {
  const p = new PNG({ width: 28, height: 28 });
  pixels.forEach((v, i) => p.data.set([v, v, v, 255], 4 * i));
  return PNG.sync.write(p);
}

describe('run: the recipe says the class order and the preprocessing; the scores and deploy.json follow', function () {
  this.timeout(600_000);
  let dir: string;
  let reference: number;

  before(async () => {
    dir = tmpDir('tfc-classes-');
    fs.cpSync(verifiedModelFiles(MNIST_CNN).dir, path.join(dir, 'model'), { recursive: true });
    const { test } = loadMnist();
    const images = test.images.slice(0, N * 784);
    for (const w of WORDS) fs.mkdirSync(path.join(dir, 'eval', w), { recursive: true });
    for (let i = 0; i < N; i++)
      fs.writeFileSync(
        path.join(dir, 'eval', WORDS[test.labels[i] as number] as string, `${i}.png`),
        grayPng(images.subarray(i * 784, (i + 1) * 784)),
      );
    fs.writeFileSync(path.join(dir, 'labels.txt'), `${WORDS.join('\n')}\n`);
    // The reference: stock tfjs on the same pixels / 255, against MNIST's labels.
    const m = await loadMnistCnn();
    const y = tf.tidy(() =>
      (m.predict(tf.tensor4d(Float32Array.from(images), [N, 28, 28, 1]).div(255)) as tf.Tensor).argMax(-1),
    );
    const top = await y.data();
    y.dispose();
    m.dispose();
    reference = Array.from(top).filter((v, i) => v === test.labels[i]).length / N;
    expect(reference).to.be.greaterThan(0.9);
  });

  const run = async (evaluation: object, name: string) => {
    const recipe = validateRecipe({
      version: 1,
      model: 'model',
      data: { evaluation: { path: 'eval', ...evaluation } },
      stages: [{ kind: 'export', to: 'onnx' }],
    });
    const out = path.join(dir, name);
    const report = await runRecipe(recipe, { baseDir: dir, outDir: out });
    return {
      report,
      deployment: validateDeployment(JSON.parse(fs.readFileSync(path.join(out, 'deploy.json'), 'utf8'))),
    };
  };

  it('classNames map the folders to the model order: the accuracy is the reference; without them the folders sort alphabetically and it is not', async () => {
    const tensors = tf.memory().numTensors;
    const named = await run({ classNames: WORDS }, 'named');
    expect(named.report.stages[0]?.accuracy).to.equal(reference);
    expect(named.report.stages[1]?.accuracy).to.be.closeTo(reference, 0.02); // the fp32 ONNX file in ORT
    expect(named.deployment.output.classNames).to.deep.equal(WORDS);
    expect(named.deployment.input.preprocessing).to.deep.equal({
      preset: 'unit',
      scale: 1 / 255,
      mean: [0],
      std: [1],
      channelOrder: 'rgb',
    });
    const fromFile = await run({ labelsFile: 'labels.txt' }, 'labels-file');
    expect(fromFile.report.stages[0]?.accuracy).to.equal(reference);
    expect(fromFile.deployment.output.classNames).to.deep.equal(WORDS);
    const alphabetical = await run({}, 'alphabetical');
    expect(alphabetical.report.stages[0]?.accuracy).to.be.below(0.5);
    expect(alphabetical.deployment.output.classNames).to.deep.equal([...WORDS].sort());
    expect(tf.memory().numTensors).to.equal(tensors);
  });

  it('an explicit preprocessing is applied (x / 255 spelled out gives the reference, mobilenet [-1, 1] does not) and recorded', async () => {
    const custom = await run({ classNames: WORDS, preprocessing: { preset: 'none', scale: 1 / 255 } }, 'custom');
    expect(custom.report.stages[0]?.accuracy).to.be.closeTo(reference, 1 / N + 1e-9);
    expect(custom.deployment.input.preprocessing).to.deep.include({ preset: 'custom', scale: 1 / 255 });
    const mobilenet = await run({ classNames: WORDS, preprocessing: 'mobilenet' }, 'mobilenet');
    expect(mobilenet.report.stages[0]?.accuracy).to.not.equal(reference);
    expect(mobilenet.deployment.input.preprocessing).to.deep.include({
      preset: 'mobilenet',
      scale: 1 / 127.5,
      mean: [1],
    });
  });

  it('a class folder missing from classNames, or the wrong number of names, is a typed error and no output', async () => {
    let error: unknown;
    try {
      await run({ classNames: WORDS.slice(0, 9).concat('ten') }, 'bad-names');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(DataError);
    // The image-folder loader applies classNames itself now, and names the folder that is not among them.
    expect((error as Error).message).to.match(
      /class subfolders of .*eval that are among the 10 class names, got 1 that are not: "nine"/,
    );
    error = undefined;
    try {
      await run({ classNames: WORDS.slice(0, 5) }, 'few-names');
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.match(/one class name per model output \(10\), got 5/);
    expect(fs.existsSync(path.join(dir, 'bad-names')) || fs.existsSync(path.join(dir, 'few-names'))).to.equal(false);
  });
});
