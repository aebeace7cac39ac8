import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { DataError } from '../../lib/errors';
import { decodeOnnx, readOnnx, toOnnxFile } from '../../lib/onnx/read';
import { tensorFloats } from '../../lib/onnx/tensor';
import { feeds, maxAbsDiff, model, node, run, tinyMlp, value } from './graphs';

/** tinyMlp with its weights moved to `data.bin` beside it (ONNX external data), written to a fresh folder. */
function withExternalData(dir: string, location = 'data.bin'): string {
  const m = onnx.ModelProto.decode(tinyMlp());
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of m.graph!.initializer!) {
    const raw = t.rawData as Uint8Array;
    t.rawData = new Uint8Array(0);
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
    chunks.push(raw);
    offset += raw.length;
  }
  fs.writeFileSync(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(m).finish());
  fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.concat(chunks));
  return path.join(dir, 'model.onnx');
}

describe('onnx.read', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-read-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('decodes a model: opset, IR version and size', () => {
    const bytes = tinyMlp();
    const m = decodeOnnx(bytes);
    expect(m.opset).to.equal(13);
    expect(m.irVersion).to.equal(7);
    expect(m.sizeBytes).to.equal(bytes.length);
  });

  it('loads external data from beside the model, and the model then runs as the inline one does', async () => {
    const file = withExternalData(dir);
    const m = readOnnx(file);
    expect(m.sizeBytes).to.equal(fs.statSync(file).size + fs.statSync(path.join(dir, 'data.bin')).size);
    const w1 = m.proto.graph!.initializer!.find((t) => t.name === 'w1')!;
    const want = decodeOnnx(tinyMlp()).proto.graph!.initializer!.find((t) => t.name === 'w1')!;
    expect(Array.from(tensorFloats(w1))).to.deep.equal(Array.from(tensorFloats(want)));
    const f = feeds([2, 64], 1);
    const a = await run(onnx.ModelProto.encode(m.proto).finish(), f);
    const b = await run(tinyMlp(), f);
    expect(maxAbsDiff(a.y!.data, b.y!.data)).to.equal(0);
  });

  it('refuses external data outside the model folder, at an absolute path, or past the end of its file', () => {
    for (const [location, match] of [
      ['../data.bin', /outside/],
      ['/etc/passwd', /relative to the model's folder/],
    ] as const) {
      const sub = fs.mkdtempSync(path.join(dir, 'm-'));
      const file = withExternalData(sub, location);
      fs.copyFileSync(path.join(sub, 'data.bin'), path.join(dir, 'data.bin'));
      expect(() => readOnnx(file)).to.throw(DataError, match);
    }
    const file = withExternalData(dir);
    fs.truncateSync(path.join(dir, 'data.bin'), 100);
    expect(() => readOnnx(file)).to.throw(DataError, /external data range inside data\.bin/);
  });

  it('refuses external data without a file path, and caps the bytes read', () => {
    const file = withExternalData(dir);
    expect(() => decodeOnnx(new Uint8Array(fs.readFileSync(file)))).to.throw(
      DataError,
      /Read the model from its file path/,
    );
    expect(() => readOnnx(file, { maxExternalBytes: 1000 })).to.throw(DataError, /maxExternalBytes/);
    expect(() => readOnnx(file, { maxBytes: 10 })).to.throw(DataError, /Raise maxBytes/);
  });

  it('refuses bytes that are not a model, a model without a graph, and opsets ONNX Runtime 1.30 does not run', () => {
    expect(() => decodeOnnx(Uint8Array.from([0xff, 0xff, 0xff, 0x0f, 1, 2]))).to.throw(
      DataError,
      /onnx.read: an ONNX model file/,
    );
    expect(() => decodeOnnx(onnx.ModelProto.encode({ irVersion: 7 }).finish())).to.throw(DataError, /with a graph/);
    const old = model({
      opset: 6,
      nodes: [node('Relu', ['x'], ['y'])],
      inputs: [value('x', [1])],
      outputs: [value('y', [1])],
    });
    expect(() => decodeOnnx(old)).to.throw(DataError, /opset 7-21.*got opset 6/);
    const future = model({
      opset: 23,
      nodes: [node('Relu', ['x'], ['y'])],
      inputs: [value('x', [1])],
      outputs: [value('y', [1])],
    });
    expect(() => decodeOnnx(future)).to.throw(DataError, /got opset 23/);
    expect(() => toOnnxFile(42 as unknown as string)).to.throw(DataError, /a path, its bytes/);
  });
});
