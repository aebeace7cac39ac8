import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { ConfigError, ShapeError } from '../../lib/errors';
import { encodeNpy } from '../../lib/data/npy';
import { feedsFromFiles } from '../../lib/onnx/data-files';
import { decodeOnnx } from '../../lib/onnx/read';
import { model, node, tinyCnn, tinyMlp, value } from './graphs';

async function rejects(p: Promise<unknown>, type: new (...a: never[]) => Error, message: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).to.be.instanceOf(type);
  expect((e as Error).message).to.match(message);
}

describe('onnx.feedsFromFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-data-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a .npy array into one feeds per example, in the model layout, scaled', async () => {
    const file = path.join(dir, 'x.npy');
    fs.writeFileSync(
      file,
      encodeNpy({ dtype: 'float32', shape: [3, 64], data: Float32Array.from({ length: 192 }, (_, i) => i) }),
    );
    const f = await feedsFromFiles(decodeOnnx(tinyMlp()), file, { scale: 0.5, limit: 2 });
    expect(f).to.have.length(2);
    expect(f[1]!.x!.dims).to.deep.equal([1, 64]);
    expect(Array.from(f[1]!.x!.data as Float32Array).slice(0, 2)).to.deep.equal([32, 32.5]);
    await rejects(feedsFromFiles(decodeOnnx(tinyCnn()), file), ShapeError, /\.npy examples of the model's input shape/);
  });

  it('reads an image folder resized to the input and laid out NCHW with the preprocessing (hand-checked pixel)', async () => {
    fs.mkdirSync(path.join(dir, 'a'));
    // A 4x4 image: red 200, green 100, blue 50 everywhere.
    await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 200, g: 100, b: 50 } } })
      .png()
      .toFile(path.join(dir, 'a', 'one.png'));
    const f = await feedsFromFiles(decodeOnnx(tinyCnn()), dir, {
      inputShape: [1, 3, 8, 8],
      preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.5], channelOrder: 'bgr' },
    });
    expect(f).to.have.length(1);
    const x = f[0]!.x!;
    expect(x.dims).to.deep.equal([1, 3, 8, 8]);
    // Channel 0 is blue (BGR): (50 / 255 - 0.5) / 0.5; channel 2 is red.
    expect(x.data[0]).to.be.closeTo((50 / 255 - 0.5) / 0.5, 1e-6);
    expect(x.data[2 * 64]).to.be.closeTo((200 / 255 - 0.5) / 0.5, 1e-6);
    const free = model({
      nodes: [node('Relu', ['x'], ['y'])],
      inputs: [value('x', ['N', 3, 'H', 'W'])],
      outputs: [value('y', ['N', 3, 'H', 'W'])],
    });
    await rejects(
      feedsFromFiles(decodeOnnx(free), dir),
      ConfigError,
      /height and width to resize images to.*Pass inputShape/,
    );
    expect((await feedsFromFiles(decodeOnnx(free), dir, { inputShape: [1, 3, 2, 6] }))[0]!.x!.dims).to.deep.equal([
      1, 3, 2, 6,
    ]);
  });

  it('refuses models with several inputs (they take feeds from a script)', async () => {
    const two = model({
      nodes: [node('Add', ['a', 'b'], ['y'])],
      inputs: [value('a', [1, 2]), value('b', [1, 2])],
      outputs: [value('y', [1, 2])],
    });
    await rejects(feedsFromFiles(decodeOnnx(two), dir), ConfigError, /one float32 input.*got inputs a, b/);
  });
});
