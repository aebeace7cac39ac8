import { spawn } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { metricValue } from '../../lib/serve/metrics';
import { loadVersion } from '../../lib/serve/registry';
import { buildReference } from '../../lib/monitor/reference';
import { Monitor } from '../../lib/monitor/monitor';
import { localProbs, post, tinyRegistry } from './fixtures';

const X = [[0.1, 0.2, 0.3, 0.4], [1, 0, -1, 0.5], [0, 0, 0, 0]];

describe('serve/server (real HTTP on 127.0.0.1)', () => {
  let dir: string;
  let server: InferenceServer | undefined;
  before(async () => { dir = await tinyRegistry(); });
  afterEach(async () => { await server?.close(); server = undefined; });

  it('answers single and batch predictions equal to the model, on loopback', async () => {
    server = await startServer({ registryDir: dir, model: 'tiny' });
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.active()).to.deep.equal({ model: 'tiny', version: '2' });
    const model = await loadVersion(dir, 'tiny', '2');
    const expected = localProbs(model, X);
    model.dispose();
    const one = await post(`${server.url}/v1/predict`, { input: X[0] });
    expect(one.status).to.equal(200);
    expect(one.body.version).to.equal('2');
    expect(one.body.probabilities).to.have.length(3);
    one.body.probabilities.forEach((p: number, k: number) => expect(p).to.be.closeTo((expected[0] as number[])[k] as number, 1e-5));
    const batch = await post(`${server.url}/v1/predict`, { inputs: X });
    expect(batch.status).to.equal(200);
    expect(batch.body.predictions).to.have.length(3);
    batch.body.predictions.forEach((p: { label: number; probabilities: number[] }, n: number) => {
      const e = expected[n] as number[];
      expect(p.label).to.equal(e.indexOf(Math.max(...e)));
    });
  });

  it('answers malformed requests with 4xx and a message, and stays healthy', async () => {
    server = await startServer({ registryDir: dir, model: 'tiny', maxBodyBytes: 2000, maxBatch: 8 });
    const u = `${server.url}/v1/predict`;
    const cases: [unknown, number, RegExp][] = [
      ['{not json', 400, /valid JSON/],
      [{ input: [1, 2] }, 400, /4 numbers/],
      [{ input: [1, 'x', 3, 4] }, 400, /must be a number/],
      ['{"input": [1, 2, 1e999, 4]}', 400, /finite/],
      [{ inputs: new Array(9).fill([0, 0, 0, 0]) }, 400, /at most 8/],
      [{ inputs: new Array(200).fill([0.123456, 0.123456, 0.123456, 0.123456]) }, 413, /at most 2000 bytes/],
      ['', 400, /empty body/],
    ];
    for (const [body, status, msg] of cases) {
      const r = await post(u, body);
      expect(r.status, JSON.stringify(body).slice(0, 40)).to.equal(status);
      expect(r.body.error).to.match(msg);
    }
    expect((await fetch(u)).status).to.equal(405);
    expect((await fetch(`${server.url}/nope`)).status).to.equal(404);
    expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
    expect((await post(u, { input: X[0] })).status).to.equal(200);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricValue(text, 'tfc_errors_total', { route: '/v1/predict', kind: 'validation' })).to.equal(6);
    expect(metricValue(text, 'tfc_errors_total', { route: '/v1/predict', kind: 'too_large' })).to.equal(1);
    expect(metricValue(text, 'tfc_requests_total', { route: '/v1/predict', code: '200' })).to.equal(1);
    expect(metricValue(text, 'tfc_model_version_info', { model: 'tiny', version: '2' })).to.equal(1);
    expect(text).to.match(/tfc_request_duration_seconds_bucket\{le="0.001",route="\/v1\/predict",code="200"\}/);
  });

  it('hot-swaps without failing in-flight requests, then rolls back', async () => {
    server = await startServer({ registryDir: dir, model: 'tiny', version: '1' });
    expect((await (await fetch(`${server.url}/readyz`)).json()).ready).to.equal(true);
    const s = server;
    const load = Array.from({ length: 150 }, (_, i) => new Promise((r) => setTimeout(r, i % 30)).then(() => post(`${s.url}/v1/predict`, { inputs: X })));
    const swapped = await post(`${s.url}/v1/admin/swap`, { version: '2' });
    const results = await Promise.all(load);
    expect(swapped.status).to.equal(200);
    expect(swapped.body).to.deep.equal({ previous: '1', active: '2' });
    expect(results.every((r) => r.status === 200)).to.equal(true);
    const versions = new Set(results.map((r) => r.body.version));
    expect(versions.has('2')).to.equal(true);
    expect((await post(`${s.url}/v1/predict`, { input: X[0] })).body.version).to.equal('2');
    const back = await post(`${s.url}/v1/admin/rollback`, {});
    expect(back.body).to.deep.equal({ previous: '2', active: '1' });
    expect((await post(`${s.url}/v1/predict`, { input: X[0] })).body.version).to.equal('1');
    expect((await post(`${s.url}/v1/admin/rollback`, {})).status).to.equal(409);
    expect((await post(`${s.url}/v1/admin/swap`, { version: '9' })).status).to.equal(400);
    const models = await (await fetch(`${s.url}/v1/models`)).json();
    expect(models).to.deep.include({ version: '1', versions: ['1', '2'] });
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(metricValue(text, 'tfc_model_version_info', { model: 'tiny', version: '1' })).to.equal(1);
    expect(metricValue(text, 'tfc_model_version_info', { model: 'tiny', version: '2' })).to.equal(0);
  });

  it('shuts down gracefully: in-flight requests finish, models are freed, the port closes', async () => {
    const before = tf.memory().numTensors;
    const s = await startServer({ registryDir: dir, model: 'tiny' });
    const inflight = Array.from({ length: 20 }, () => post(`${s.url}/v1/predict`, { inputs: X }));
    await new Promise((r) => setTimeout(r, 5));
    await s.close();
    const results = await Promise.allSettled(inflight);
    // Requests the server had accepted are answered; none gets a 5xx.
    for (const r of results) if (r.status === 'fulfilled') expect(r.value.status).to.equal(200);
    expect(tf.memory().numTensors).to.equal(before);
    let refused = false;
    try { await fetch(`${s.url}/healthz`); } catch { refused = true; }
    expect(refused).to.equal(true);
  });

  it('matches labelled feedback to prediction ids and reports drift and accuracy', async () => {
    const ref = buildReference(new Float32Array(Array.from({ length: 400 }, (_, i) => (i % 7) / 7)), 100, 4,
      new Float32Array(Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 0.8 : 0.1))), 3);
    const monitor = new Monitor(ref, { windowSize: 50, minSamples: 10, referenceAccuracy: 0.9, minFeedback: 2 });
    server = await startServer({ registryDir: dir, model: 'tiny', monitor });
    const p = await post(`${server.url}/v1/predict`, { inputs: X });
    const fb = p.body.predictions.map((q: { id: string; label: number }) => ({ id: q.id, label: q.label }));
    (fb[0] as { label: number }).label = ((fb[0] as { label: number }).label + 1) % 3; // one wrong
    const r = await post(`${server.url}/v1/feedback`, { feedback: [...fb, { id: 'nope', label: 1 }] });
    expect(r.body).to.deep.equal({ recorded: 3, unknownIds: ['nope'] });
    expect((await post(`${server.url}/v1/feedback`, { id: 'x' })).status).to.equal(400);
    const report = await (await fetch(`${server.url}/v1/monitor`)).json();
    expect(report.feedback.count).to.equal(3);
    expect(report.feedback.accuracy).to.be.closeTo(2 / 3, 1e-9);
    expect(report.drift.samples).to.equal(3);
    expect(report.recommendation.action).to.equal('retrain');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricValue(text, 'tfc_feedback_accuracy')).to.be.closeTo(2 / 3, 1e-6);
    expect(metricValue(text, 'tfc_drift_score', { kind: 'input' })).to.be.a('number');
  });

  it('runs from the command line and stops on SIGTERM', async function () {
    this.timeout(60000);
    const root = path.resolve(__dirname, '../..');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'lib/serve/cli.ts'), '--registry', dir, '--model', 'tiny', '--port', '0'], { cwd: root });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out); if (m) resolve(m[1] as string); });
      child.on('exit', (code) => reject(new Error(`cli exited ${code}`)));
    });
    expect((await post(`${url}/v1/predict`, { input: X[0] })).status).to.equal(200);
    const code = await new Promise<number | null>((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); });
    expect(code).to.equal(0);
  });
});
