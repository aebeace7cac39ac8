import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { metricValue } from '../../lib/serve/metrics';
import { loadVersion, publishOnnx } from '../../lib/serve/registry';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { buildReference } from '../../lib/monitor/reference';
import { Monitor } from '../../lib/monitor/monitor';
import { ADMIN_TOKEN, admin, localProbs, post, rawRequest, tinyRegistry } from './fixtures';

const X = [
  [0.1, 0.2, 0.3, 0.4],
  [1, 0, -1, 0.5],
  [0, 0, 0, 0],
];

function expectClose(got: number[], want: number[]): void {
  expect(got).to.have.length(want.length);
  got.forEach((p, k) => expect(p).to.be.closeTo(want[k] as number, 1e-5));
}

describe('serve/server (real HTTP on 127.0.0.1, inference in worker threads)', () => {
  let dir: string;
  let server: InferenceServer;
  before(async () => {
    dir = await tinyRegistry();
    const m1 = await loadVersion(dir, 'tiny', '1');
    await publishOnnx(toOnnx(m1), { registryDir: dir, name: 'tiny', version: '3' }); // version 1 again, as ONNX
    m1.dispose();
    server = await startServer({
      registryDir: dir,
      model: 'tiny',
      version: '1',
      workers: 2,
      admin: { token: ADMIN_TOKEN },
      maxBodyBytes: 4 * 1024 * 1024,
    });
  });
  after(async () => {
    await server.close();
  });

  it('answers single and batch predictions equal to the model, batched in workers, on loopback', async () => {
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.active()).to.deep.equal({ model: 'tiny', version: '1' });
    expect(server.contract).to.deep.equal({
      input: { shape: [4], dtype: 'float32' },
      output: { shape: [3], dtype: 'float32' },
      outputKind: 'logits',
    });
    const model = await loadVersion(dir, 'tiny', '1');
    const rows = Array.from({ length: 40 }, (_, i) => [i / 40, -i / 20, 0.5, (i % 7) / 3]);
    const expected = localProbs(model, [...X, ...rows]);
    model.dispose();
    const one = await post(`${server.url}/v1/predict`, { input: X[0] });
    expect(one.status).to.equal(200);
    expectClose(one.body.probabilities, expected[0] as number[]);
    const batch = await post(`${server.url}/v1/predict`, { inputs: X });
    batch.body.predictions.forEach((p: { probabilities: number[] }, n: number) =>
      expectClose(p.probabilities, expected[n] as number[]),
    );
    // 40 concurrent requests, gathered into shared batches: each still gets its own rows.
    const answers = await Promise.all(rows.map((r) => post(`${server.url}/v1/predict`, { input: r })));
    answers.forEach((a, i) => expectClose(a.body.probabilities, expected[3 + i] as number[]));
    const ids = [
      one.body.id,
      ...batch.body.predictions.map((p: { id: string }) => p.id),
      ...answers.map((a) => a.body.id),
    ];
    expect(new Set(ids).size).to.equal(44); // every prediction its own id, across shared batches
    ids.forEach((id) => expect(id).to.match(/^1-\d+$/));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const batches = metricValue(text, 'tfc_batch_examples_count') as number;
    const examples = metricValue(text, 'tfc_batch_examples_sum') as number;
    expect(examples).to.equal(1 + 3 + 40); // warm-up batches run at load, not through the batcher
    expect(batches).to.be.lessThan(2 + 40);
    // The answers' JSON was encoded in the workers, for every request.
    expect(metricValue(text, 'tfc_stage_duration_seconds_count', { stage: 'encode' })).to.equal(
      metricValue(text, 'tfc_requests_total', { route: '/v1/predict', code: '200' }),
    );
    expect(metricValue(text, 'tfc_workers')).to.equal(2);
    const stats = await server.executorStats();
    expect(stats).to.have.length(2);
  });

  it('swaps to the same model as ONNX (same contract): the answers stay the same', async () => {
    const before = (await post(`${server.url}/v1/predict`, { inputs: X })).body.predictions;
    const r = await admin(server.url, '/v1/admin/swap', { version: '3' });
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({ previous: '1', active: '3' });
    const after = await post(`${server.url}/v1/predict`, { inputs: X });
    expect(after.body.version).to.equal('3');
    after.body.predictions.forEach((p: { probabilities: number[] }, n: number) =>
      expectClose(p.probabilities, before[n].probabilities),
    );
    expect((await admin(server.url, '/v1/admin/rollback')).body).to.deep.equal({ previous: '3', active: '1' });
    expect(server.history()).to.deep.equal(['1']);
  });

  it('answers HEAD on GET routes, 405 with Allow, 404, and refuses float32 overflow and deep nesting with 400', async () => {
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal('');
    const put = await fetch(`${server.url}/healthz`, { method: 'PUT' });
    expect(put.status).to.equal(405);
    expect(put.headers.get('allow')).to.equal('GET, HEAD');
    const get = await fetch(`${server.url}/v1/predict`);
    expect(get.status).to.equal(405);
    expect(get.headers.get('allow')).to.equal('POST');
    expect((await fetch(`${server.url}/nope`)).status).to.equal(404);
    const big = await post(`${server.url}/v1/predict`, '{"input": [1, 2, 1e39, 4]}');
    expect(big.status).to.equal(400);
    expect(big.body.error).to.match(/float32/);
    const deep = await post(`${server.url}/v1/predict`, `{"input": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`);
    expect(deep.status).to.equal(400);
    const deepFeedback = await post(
      `${server.url}/v1/feedback`,
      `{"feedback": [${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}]}`,
    );
    expect(deepFeedback.status).to.equal(400);
    const longString = 'x'.repeat(1_000_000);
    const echo = await post(`${server.url}/v1/predict`, { input: [1, 2, 3, longString] });
    expect(echo.status).to.equal(400);
    expect(JSON.stringify(echo.body).length).to.be.lessThan(600);
    const echoDtype = await post(`${server.url}/v1/predict`, { input: [1, 2, 3, 4], dtype: longString });
    expect(JSON.stringify(echoDtype.body).length).to.be.lessThan(600);
  });

  it('counts a client that goes away as client_abort, not as a server error', async () => {
    const url = new URL(server.url);
    const status = await rawRequest(
      Number(url.port),
      [
        'POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"input": [',
      ],
      { timeoutMs: 300 },
    );
    expect(status).to.equal(0); // the client gave up before any answer
    let aborted: number | undefined;
    for (let i = 0; i < 50 && !aborted; i++) {
      await new Promise((r) => setTimeout(r, 20));
      aborted = metricValue(await (await fetch(`${server.url}/metrics`)).text(), 'tfc_errors_total', {
        route: '/v1/predict',
        kind: 'client_abort',
      });
    }
    expect(aborted).to.equal(1);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricValue(text, 'tfc_errors_total', { route: '/v1/predict', kind: 'internal' })).to.equal(undefined);
  });

  it('matches labelled feedback to prediction ids and reports drift and accuracy', async () => {
    const ref = buildReference(
      new Float32Array(Array.from({ length: 400 }, (_, i) => (i % 7) / 7)),
      100,
      4,
      new Float32Array(Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 0.8 : 0.1))),
      3,
    );
    const monitor = new Monitor(ref, { windowSize: 50, minSamples: 10, referenceAccuracy: 0.9, minFeedback: 2 });
    const s = await startServer({ registryDir: dir, model: 'tiny', monitor, workers: 1 });
    try {
      const p = await post(`${s.url}/v1/predict`, { inputs: X });
      const fb = p.body.predictions.map((q: { id: string; label: number }) => ({ id: q.id, label: q.label }));
      fb[0].label = (fb[0].label + 1) % 3; // one wrong
      const r = await post(`${s.url}/v1/feedback`, { feedback: [...fb, { id: 'nope', label: 1 }] });
      expect(r.body).to.deep.equal({ recorded: 3, unknownIds: ['nope'] });
      expect((await post(`${s.url}/v1/feedback`, { id: 'x' })).status).to.equal(400);
      const report = await (await fetch(`${s.url}/v1/monitor`)).json();
      expect(report.feedback.accuracy).to.be.closeTo(2 / 3, 1e-9);
      expect(report.drift.samples).to.equal(3);
      const text = await (await fetch(`${s.url}/metrics`)).text();
      expect(metricValue(text, 'tfc_feedback_accuracy')).to.be.closeTo(2 / 3, 1e-6);
      expect(metricValue(text, 'tfc_drift_score', { kind: 'input' })).to.be.a('number');
    } finally {
      await s.close();
    }
  });

  it('computes on the main thread with workers: 0 and leaks no tensor there', async () => {
    const before = tf.memory().numTensors;
    const s = await startServer({ registryDir: dir, model: 'tiny', version: '2', workers: 0, batching: false });
    const model = await loadVersion(dir, 'tiny', '2');
    const expected = localProbs(model, X);
    model.dispose();
    const r = await post(`${s.url}/v1/predict`, { inputs: X });
    r.body.predictions.forEach((p: { probabilities: number[] }, n: number) =>
      expectClose(p.probabilities, expected[n] as number[]),
    );
    const inflight = Array.from({ length: 20 }, () =>
      post(`${s.url}/v1/predict`, { inputs: X }).then(
        (q) => q.status,
        () => 'refused',
      ),
    );
    await new Promise((res) => setTimeout(res, 5));
    await s.close();
    for (const status of await Promise.all(inflight)) expect(status === 200 || status === 'refused').to.equal(true);
    expect(tf.memory().numTensors).to.equal(before);
    let refused = false;
    try {
      await fetch(`${s.url}/healthz`);
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
  });
});
