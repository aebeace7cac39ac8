// The Open Inference Protocol (KServe v2 REST), checked with a client written as a KServe or
// Triton client is: plain HTTP and the specification's JSON, nothing of this library's own API.
// Health, server and model metadata, readiness, inference (flat and nested data, batches, the
// request id echoed, Triton's classification extension), and the protocol's error objects.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { publishForServing } from '../../lib/serve/deploy';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { tinyRegistry } from './fixtures';
import {
  CLASS_NAMES,
  MOBILENET,
  RunFolder,
  SIZE,
  imageClassifier,
  oracle,
  pixels,
  writeRunFolder,
} from './run-fixtures';
import { preprocessPixels } from '../../lib/data/preprocess';
import * as tf from '@tensorflow/tfjs';

/** A minimal Open Inference Protocol REST client, as the specification describes it. */
class InferenceClient {
  constructor(private readonly base: string) {}

  private async call(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(`${this.base}${p}`, {
      method,
      ...(body !== undefined
        ? {
            headers: { 'content-type': 'application/json' },
            body: typeof body === 'string' ? body : JSON.stringify(body),
          }
        : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  isServerLive = async (): Promise<boolean> => (await this.call('GET', '/v2/health/live')).status === 200;
  isServerReady = async (): Promise<boolean> => (await this.call('GET', '/v2/health/ready')).status === 200;
  serverMetadata = () => this.call('GET', '/v2');
  isModelReady = async (model: string, version?: string): Promise<boolean> =>
    (await this.call('GET', `/v2/models/${model}${version ? `/versions/${version}` : ''}/ready`)).status === 200;
  modelMetadata = (model: string, version?: string) =>
    this.call('GET', `/v2/models/${model}${version ? `/versions/${version}` : ''}`);
  infer = (model: string, request: unknown, version?: string) =>
    this.call('POST', `/v2/models/${model}${version ? `/versions/${version}` : ''}/infer`, request);
}

describe('serve: the Open Inference Protocol (KServe v2 REST), with a client written from the specification', () => {
  let run: RunFolder;
  let server: InferenceServer;
  let client: InferenceClient;
  let name: string;
  let version: string;
  before(async () => {
    const m = imageClassifier(3);
    run = await writeRunFolder(m);
    m.dispose();
    const registry = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-reg-'));
    const p = await publishForServing(run.dir, { registryDir: registry, name: 'classifier' });
    name = p.name;
    version = p.version;
    server = await startServer({ registryDir: registry, model: name, version, workers: 2, maxBatchSize: 8 });
    client = new InferenceClient(server.url);
  });
  after(async () => {
    await server.close();
  });

  /** One example of the model's input, preprocessed, as the float data a client would send. */
  const example = (seed: number): { px: Uint8Array; data: number[] } => {
    const px = pixels(seed);
    const x = tf.tidy(() => preprocessPixels(tf.tensor4d(px, [1, SIZE, SIZE, 3], 'int32'), MOBILENET));
    const data = Array.from(x.dataSync());
    x.dispose();
    return { px, data };
  };

  it('answers the health probes, the server metadata, the model metadata and readiness', async () => {
    expect(await client.isServerLive()).to.equal(true);
    expect(await client.isServerReady()).to.equal(true);
    const meta = await client.serverMetadata();
    expect(meta.status).to.equal(200);
    expect(meta.json.name).to.equal('tfjs-compress');
    expect(meta.json.version).to.match(/^\d+\.\d+\.\d+/);
    expect(meta.json.extensions).to.include('classification');
    const model = await client.modelMetadata(name);
    expect(model.status).to.equal(200);
    expect(model.json).to.deep.include({
      name,
      versions: [version],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, SIZE, SIZE, 3] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    });
    expect((await client.modelMetadata(name, version)).json.name).to.equal(name);
    expect(await client.isModelReady(name)).to.equal(true);
    expect(await client.isModelReady(name, version)).to.equal(true);
    expect(await client.isModelReady('other')).to.equal(false);
  });

  it('infers a batch (flat data, then nested), echoes the id, and equals ONNX Runtime and /v1/predict', async () => {
    const a = example(1);
    const b = example(2);
    const r = await client.infer(name, {
      id: 'req-42',
      inputs: [{ name: 'input', shape: [2, SIZE, SIZE, 3], datatype: 'FP32', data: [...a.data, ...b.data] }],
    });
    expect(r.status, JSON.stringify(r.json)).to.equal(200);
    expect(r.json.model_name).to.equal(name);
    expect(r.json.model_version).to.equal(version);
    expect(r.json.id).to.equal('req-42');
    expect(r.json.outputs).to.have.length(1);
    const out = r.json.outputs[0];
    expect(out).to.deep.include({ name: 'probabilities', datatype: 'FP32', shape: [2, 3] });
    const want = [...(await oracle(run.int8, a.px, MOBILENET)), ...(await oracle(run.int8, b.px, MOBILENET))];
    out.data.forEach((v: number, i: number) => expect(v).to.be.closeTo(want[i] as number, 1e-5));
    // Nested data, row-major as the shape says: the same answer.
    const rows = (d: number[]) =>
      Array.from({ length: SIZE }, (_, y) =>
        Array.from({ length: SIZE }, (_, x) => d.slice((y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3)),
      );
    const nested = await client.infer(
      name,
      { inputs: [{ name: 'input', shape: [2, SIZE, SIZE, 3], datatype: 'FP32', data: [rows(a.data), rows(b.data)] }] },
      version,
    );
    expect(nested.json.outputs[0].data).to.deep.equal(out.data);
    expect(nested.json.id).to.equal(undefined);
    const v1 = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [a.data, b.data] }),
    });
    const p = (await v1.json()) as { predictions: { probabilities: number[] }[] };
    expect(p.predictions.flatMap((x) => x.probabilities)).to.deep.equal(out.data);
  });

  it("answers Triton's classification extension with 'probability:index:class name' strings", async () => {
    const a = example(5);
    const r = await client.infer(name, {
      inputs: [{ name: 'input', shape: [1, SIZE, SIZE, 3], datatype: 'FP32', data: a.data }],
      outputs: [{ name: 'probabilities', parameters: { classification: 2 } }],
    });
    expect(r.status, JSON.stringify(r.json)).to.equal(200);
    const out = r.json.outputs[0];
    expect(out).to.deep.include({ name: 'probabilities', datatype: 'BYTES', shape: [1, 2] });
    const want = await oracle(run.int8, a.px, MOBILENET);
    const order = [0, 1, 2].sort((i, j) => (want[j] as number) - (want[i] as number));
    out.data.forEach((entry: string, k: number) => {
      const [p, i, label] = entry.split(':');
      expect(Number(i)).to.equal(order[k]);
      expect(label).to.equal(CLASS_NAMES[order[k] as number]);
      expect(Number(p)).to.be.closeTo(want[order[k] as number] as number, 1e-5);
    });
  });

  it('answers malformed requests with the protocol error object {"error": ...} and a 4xx', async () => {
    const ok = { name: 'input', shape: [1, SIZE, SIZE, 3], datatype: 'FP32', data: example(1).data };
    const cases: [string, string, unknown, number, RegExp][] = [
      ['unknown model', 'other', { inputs: [ok] }, 404, /the model 'classifier', got an unknown model name/],
      ['not JSON', name, '{"inputs": [', 400, /valid JSON/],
      ['an array body', name, [ok], 400, /an inference request object/],
      ['no inputs', name, {}, 400, /"inputs" a list of exactly one tensor/],
      ['two inputs', name, { inputs: [ok, ok] }, 400, /exactly one tensor/],
      ['a wrong input name', name, { inputs: [{ ...ok, name: 'x' }] }, 400, /inputs\[0\]\.name "input"/],
      ['FP64 data', name, { inputs: [{ ...ok, datatype: 'FP64' }] }, 400, /datatype "FP32"/],
      [
        'a shape without the batch',
        name,
        { inputs: [{ ...ok, shape: [SIZE, SIZE, 3] }] },
        400,
        /shape \[batch, 16, 16, 3\]/,
      ],
      ['a batch over the maximum', name, { inputs: [{ ...ok, shape: [9, SIZE, SIZE, 3] }] }, 400, /batch in \[1, 8\]/],
      [
        'data shorter than the shape',
        name,
        { inputs: [{ ...ok, data: ok.data.slice(1) }] },
        400,
        /must hold 768 numbers/,
      ],
      [
        'a string in the data',
        name,
        { inputs: [{ ...ok, data: ['1', ...ok.data.slice(1)] }] },
        400,
        /must be a number/,
      ],
      [
        'binary data',
        name,
        { inputs: [{ ...ok, parameters: { binary_data_size: 3072 } }] },
        400,
        /binary tensor extension/,
      ],
      [
        'an unknown output',
        name,
        { inputs: [ok], outputs: [{ name: 'logits' }] },
        400,
        /outputs\[0\]\.name "probabilities"/,
      ],
      [
        'classification 0',
        name,
        { inputs: [ok], outputs: [{ name: 'probabilities', parameters: { classification: 0 } }] },
        400,
        /classification an integer/,
      ],
      ['a numeric id', name, { id: 7, inputs: [ok] }, 400, /"id" a string/],
    ];
    for (const [what, model, body, status, message] of cases) {
      const r = await client.infer(model, body);
      expect(r.status, what).to.equal(status);
      expect(Object.keys(r.json), what).to.deep.equal(['error']);
      expect(r.json.error, what).to.match(message);
    }
    const versioned = await client.infer(name, { inputs: [ok] }, 'not-served');
    expect(versioned.status).to.equal(404);
    expect(versioned.json.error).to.match(/version '.+' \(the one served\)/);
    const get = await fetch(`${server.url}/v2/models/${name}/infer`);
    expect(get.status).to.equal(405);
    expect(Object.keys((await get.json()) as object)).to.deep.equal(['error']);
  });

  it('serves a TensorFlow.js registry model under its name, platform tensorflowjs, without class names', async () => {
    const s = await startServer({ registryDir: await tinyRegistry(), model: 'tiny', workers: 1 });
    try {
      const c = new InferenceClient(s.url);
      const meta = await c.modelMetadata('tiny');
      expect(meta.json.platform).to.equal('tensorflowjs');
      expect(meta.json.inputs[0].shape).to.deep.equal([-1, 4]);
      const r = await c.infer('tiny', {
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [0.1, 0.2, 0.3, 0.4] }],
        outputs: [{ name: 'probabilities', parameters: { classification: 1 } }],
      });
      expect(r.json.outputs[0].data[0]).to.match(/^[0-9.e-]+:[0-2]$/);
    } finally {
      await s.close();
    }
  });
});
