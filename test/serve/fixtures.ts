// Registries for the server tests: tiny MLPs (4 inputs, 3 classes) as TensorFlow.js and ONNX
// versions, the broken versions an unlucky operator or an attacker would publish, and HTTP
// helpers (admin requests with the token, raw sockets).
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { onnx } from 'onnx-proto';
import { simpleNet } from '../../course/models/simplenet';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { publishModel, publishOnnx, versionDir } from '../../lib/serve/registry';

/** The admin token of the test servers. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** A fresh registry folder with `name` at versions '1' (seed 1) and '2' (seed 2). */
export async function tinyRegistry(name = 'tiny'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-registry-'));
  for (const version of ['1', '2']) {
    const model = simpleNet({ seed: Number(version), hidden: [8], inputSize: 4, numClasses: 3 });
    await publishModel(model, { registryDir: dir, name, version });
    model.dispose();
  }
  return dir;
}

/** A model with NaN in the kernel of its first (`first`) or last Dense layer. */
function nanModel(first: boolean): tf.LayersModel {
  const m = simpleNet({ seed: 5, hidden: [8], inputSize: 4, numClasses: 3 });
  const dense = m.layers.filter((l) => l.getWeights().length > 0);
  const layer = dense[first ? 0 : dense.length - 1] as tf.layers.Layer;
  const [k, b] = layer.getWeights() as [tf.Tensor, tf.Tensor];
  const bad = tf.fill(k.shape, NaN);
  layer.setWeights([bad, b]);
  bad.dispose();
  return m;
}

/** ONNX bytes of `model` with every float32 initializer's first value set to NaN. */
function poisonOnnx(bytes: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  for (const t of m.graph?.initializer ?? []) {
    if (t.dataType === 1 && t.rawData && t.rawData.length >= 4) {
      const raw = Buffer.from(t.rawData);
      raw.writeFloatLE(NaN, 0);
      t.rawData = raw;
    }
  }
  return onnx.ModelProto.encode(m).finish();
}

/**
 * Publishes the versions a swap must refuse, and one it must accept, next to '1' and '2':
 * 'onnx' (the same contract as ONNX: accepted), 'wide' (5 inputs: 409), 'nan' / 'nan-hidden' / 'nan-onnx' (NaN weights: 422),
 * 'truncated' (weights.bin cut short: 422), 'tampered-onnx' (bytes changed after publishing: 422),
 * 'garbage-onnx' (random bytes with a matching manifest: 422), 'bad-manifest' (serving.json
 * mistyped: 422), 'huge-onnx' and 'huge' (over a 256 KiB maxModelBytes: 422).
 */
export async function hostileVersions(
  dir: string,
  name = 'tiny',
): Promise<{ refused: Record<string, number>; accepted: string[] }> {
  const opts = (version: string) => ({ registryDir: dir, name, version });
  const ok = simpleNet({ seed: 3, hidden: [8], inputSize: 4, numClasses: 3 });
  await publishOnnx(toOnnx(ok), opts('onnx'));
  await publishOnnx(toOnnx(ok), opts('tampered-onnx'));
  const tampered = path.join(versionDir(dir, name, 'tampered-onnx'), 'model.onnx');
  const bytes = fs.readFileSync(tampered);
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0xff;
  fs.writeFileSync(tampered, bytes);
  await publishOnnx(toOnnx(ok), opts('garbage-onnx'));
  const garbage = new Uint8Array(644).map((_, i) => (i * 73 + 11) % 256);
  const gdir = versionDir(dir, name, 'garbage-onnx');
  const manifest = JSON.parse(fs.readFileSync(path.join(gdir, 'serving.json'), 'utf8'));
  fs.writeFileSync(path.join(gdir, 'model.onnx'), garbage);
  fs.writeFileSync(
    path.join(gdir, 'serving.json'),
    JSON.stringify({
      ...manifest,
      sizeBytes: garbage.length,
      sha256: createHash('sha256').update(garbage).digest('hex'),
    }),
  );
  await publishOnnx(toOnnx(ok), opts('bad-manifest'));
  fs.writeFileSync(
    path.join(versionDir(dir, name, 'bad-manifest'), 'serving.json'),
    JSON.stringify({ ...manifest, contract: { input: { shape: 'x' } } }),
  );
  ok.dispose();
  const wide = simpleNet({ seed: 4, hidden: [8], inputSize: 5, numClasses: 3 });
  await publishModel(wide, opts('wide'));
  wide.dispose();
  for (const [version, first] of [
    ['nan', false],
    ['nan-hidden', true],
  ] as const) {
    const nan = nanModel(first);
    await publishModel(nan, opts(version));
    nan.dispose();
  }
  const clean = simpleNet({ seed: 8, hidden: [8], inputSize: 4, numClasses: 3 });
  await publishOnnx(poisonOnnx(toOnnx(clean).bytes), opts('nan-onnx'));
  clean.dispose();
  const cut = simpleNet({ seed: 6, hidden: [8], inputSize: 4, numClasses: 3 });
  await publishModel(cut, opts('truncated'));
  cut.dispose();
  const wfile = path.join(versionDir(dir, name, 'truncated'), 'weights.bin');
  fs.writeFileSync(wfile, fs.readFileSync(wfile).subarray(0, 20));
  const huge = simpleNet({ seed: 7, hidden: [20000], inputSize: 4, numClasses: 3 });
  await publishOnnx(toOnnx(huge), opts('huge-onnx'));
  await publishModel(huge, opts('huge'));
  huge.dispose();
  return {
    refused: {
      wide: 409,
      nan: 422,
      'nan-hidden': 422,
      'nan-onnx': 422,
      truncated: 422,
      'tampered-onnx': 422,
      'garbage-onnx': 422,
      'bad-manifest': 422,
      'huge-onnx': 422,
      huge: 422,
    },
    accepted: ['onnx'],
  };
}

/** The maxModelBytes the hostile versions are meant for ('huge-onnx' and 'huge' are over it). */
export const TEST_MAX_MODEL_BYTES = 256 * 1024;

/** POSTs JSON (or a raw string) and returns status, headers and parsed body. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* plain text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** An admin POST with the test token. */
export function admin(
  url: string,
  route: string,
  body: unknown = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  return post(`${url}${route}`, body, { authorization: `Bearer ${ADMIN_TOKEN}` });
}

/** Sends raw bytes on a fresh connection; resolves with the status of the first answer, or 0 if the server closed without one. */
export function rawRequest(
  port: number,
  chunks: readonly (string | Buffer)[],
  options: { gapMs?: number; timeoutMs?: number } = {},
): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve(m ? Number(m[1]) : 0);
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 10000);
    socket.on('data', (d) => {
      data += d.toString('latin1');
      if (/\r\n\r\n/.test(data)) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (settled || socket.destroyed) return;
        socket.write(c);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
    });
  });
}

/** Softmax of a model's logits on rows (reference for the server's answers). */
export function localProbs(model: tf.LayersModel, rows: number[][]): number[][] {
  return tf.tidy(() => tf.softmax(model.predict(tf.tensor2d(rows)) as tf.Tensor).arraySync() as number[][]);
}
