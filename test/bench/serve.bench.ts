// Load test of the inference server (`make bench`): the server runs in its own process (the
// command-line entry point) on 127.0.0.1, autocannon drives it from this one.
//   1. baseline (dense fp32 SimpleNet) and compressed (90% pruned) side by side: 20 s at 32
//      connections each; throughput, p50/p99, errors (must be 0);
//   2. a hot-swap and a rollback during 10 s of load: no failed request;
//   3. 1,000 malformed requests: all 4xx, and the server still healthy afterwards.
// Writes results/bench-serve.json.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../lib/course/results';
import { machineInfo } from '../../lib/core/machine';
import { loadMnist } from '../../lib/data/mnist';
import { publishModel } from '../../lib/serve/registry';
import { deploymentModels } from '../../lib/course/deploy-models';
import { loadTest } from '../../lib/bench/load-test';
import { digitRequests, loadWithActions, malformedRequests } from '../../lib/course/serve-scenario';

const SECONDS = Number(process.env.SERVE_BENCH_SECONDS ?? 20);
const CONNECTIONS = 32;

async function startChild(registryDir: string): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'lib/serve/cli.ts'), '--registry', registryDir, '--model', 'simplenet', '--version', '1', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out); if (m) resolve(m[1] as string); });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, stop: () => new Promise((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); }) };
}

const postJson = async (url: string, body: unknown) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

async function main(): Promise<void> {
  await initBackend('wasm');
  const { baseline, compressed } = await deploymentModels();
  const registryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-serve-bench-'));
  await publishModel(baseline.model, { registryDir, name: 'simplenet', version: '1', meta: { label: baseline.label } });
  await publishModel(compressed.model, { registryDir, name: 'simplenet', version: '2', meta: { label: compressed.label } });
  const requests = digitRequests(loadMnist().test, { count: 32, seed: 7 });
  const server = await startChild(registryDir);
  try {
    const runs: Record<string, unknown> = {};
    for (const [version, m] of [['1', baseline], ['2', compressed]] as const) {
      await postJson(`${server.url}/v1/admin/swap`, { version });
      const r = await loadTest({ url: server.url, requests, connections: CONNECTIONS, durationSeconds: SECONDS });
      runs[version === '1' ? 'baseline' : 'compressed'] = { label: m.label, testAccuracy: m.testAccuracy, ...r };
      console.log(`${m.label}: ${r.throughputRps.toFixed(0)} req/s, p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms, ` +
        `${r.requests} requests, errors ${r.errors + r.timeouts}, non-2xx ${r.requests - r.status2xx}`);
    }
    const b = runs.baseline as { throughputRps: number; latencyP99Ms: number };
    const c = runs.compressed as { throughputRps: number; latencyP99Ms: number };
    console.log(`compressed / baseline: throughput x${(c.throughputRps / b.throughputRps).toFixed(2)}, p99 x${(c.latencyP99Ms / b.latencyP99Ms).toFixed(2)}`);

    const swap = await loadWithActions({ url: server.url, requests, connections: CONNECTIONS, durationSeconds: 10 }, [
      { atSeconds: 3, name: 'swap to 1', run: () => postJson(`${server.url}/v1/admin/swap`, { version: '1' }) },
      { atSeconds: 6, name: 'rollback', run: () => postJson(`${server.url}/v1/admin/rollback`, {}) },
    ]);
    const failed = swap.load.errors + swap.load.timeouts + (swap.load.requests - swap.load.status2xx);
    console.log(`hot-swap under load: ${swap.load.requests} requests, ${failed} failed; actions ${JSON.stringify(swap.actions.map((a) => a.result ?? a.error))}`);

    const kinds = malformedRequests(784);
    const bad = await loadTest({ url: server.url, requests: kinds.map((k) => k.request), connections: 8, amount: 1000 });
    const healthz = (await fetch(`${server.url}/healthz`)).status;
    const readyz = (await fetch(`${server.url}/readyz`)).status;
    const after = await postJson(`${server.url}/v1/predict`, JSON.parse(requests[0]?.body as string));
    console.log(`malformed: ${bad.requests} requests, ${bad.status4xx} answered 4xx (${JSON.stringify(bad.statusCounts)}); healthz ${healthz}, readyz ${readyz}, predict after: label ${after.label}`);
    const metricsText = await (await fetch(`${server.url}/metrics`)).text();
    saveResults('bench-serve', {
      connections: CONNECTIONS, durationSeconds: SECONDS, ...runs,
      compressedThroughputRatio: c.throughputRps / b.throughputRps,
      hotSwap: { ...swap.load, failed, actions: swap.actions },
      malformed: { requests: bad.requests, status4xx: bad.status4xx, statusCounts: bad.statusCounts, kinds: kinds.map((k) => k.kind), healthzAfter: healthz, readyzAfter: readyz },
      metricsBytes: metricsText.length,
      loadGenerator: 'autocannon in the parent process; server in a child process (lib/serve/cli.ts)',
      machine: machineInfo(),
    });
    if (failed !== 0 || bad.status4xx !== bad.requests || healthz !== 200) process.exitCode = 1;
  } finally {
    console.log(`server exit code ${await server.stop()}`);
    baseline.model.dispose();
    compressed.model.dispose();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
