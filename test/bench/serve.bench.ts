// Load tests of the inference server (`make bench`), each server in its own process (the
// command-line entry point) on 127.0.0.1, autocannon in this one, servers measured in
// alternating rounds (A B B A) so the shared machine weighs on each alike. Writes
// results/bench-serve.json:
//   1. the course CNN: ONNX Runtime INT8 in worker threads with dynamic batching against the
//      design before (tfjs-wasm fp32 on the main thread, one request at a time), with ORT fp32
//      beside them: ortInt8VsTfjsThroughputRatio (goal >= 3, 0 errors);
//   2. the worker layout for ORT: 2 workers x 1 intra-op thread against 1 worker x 2 threads;
//   3. a MobileNetV2-class model (alpha 0.35, 64x64x3, seeded weights): the same comparison;
//   4. SimpleNet: where a request's time goes (read, parse, queue, compute, encode, transfer, respond);
//   5. /healthz latency (a probe in a third process) while 8 clients send 256-example batches:
//      healthzP99MsUnderBatchLoad (goal <= 50; the default server: workers at nice 10), beside
//      workers at nice 0 and the main-thread design, with each server's own event-loop delay
//      percentiles per round (and idle, for reference) and the load average of the machine.
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { Rng } from '../../lib/core/rng';
import { resultsDir, saveResults } from '../../course/results';
import { loadMnist } from '../../course/data/mnist';
import { loadBaseline } from '../../course/models/baselines';
import { postTraining } from '../../lib/quantize/post-training';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { publishModel, publishOnnx } from '../../lib/serve/registry';
import { metricValue } from '../../lib/serve/metrics';
import { LoadRequest } from '../../lib/bench/load-test';
import { RoundsSummary, loadRounds } from '../../lib/bench/load-rounds';
import { digitRequests } from '../../course/serve-scenario';
import { mobileNetV2 } from '../fixtures/architectures/mobilenet-v2';

const ROUND_SECONDS = Number(process.env.SERVE_BENCH_ROUND_SECONDS ?? 10); // 2 rounds a server: 20 s at 32 connections
const CONNECTIONS = 32;
const ROOT = path.resolve(__dirname, '../..');

interface Child {
  url: string;
  pid: number;
  stop: () => Promise<number | null>;
}

async function startChild(registryDir: string, model: string, version: string, args: string[]): Promise<Child> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'lib/serve/cli.ts'),
      '--registry',
      registryDir,
      '--model',
      model,
      '--version',
      version,
      '--port',
      '0',
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TFC_ADMIN_TOKEN: '' } },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let stopping: Promise<number | null> | undefined;
  return { url, pid: child.pid as number, stop: () => (stopping ??= (child.kill('SIGTERM'), exited)) };
}

/** How many threads of process `pid` run at each nice value (Linux /proc; the main thread is one of them). */
function threadsByNice(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const nice = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16] as string; // field 19 of proc(5)
      out[nice] = (out[nice] ?? 0) + 1;
    }
  } catch {
    /* not Linux */
  }
  return out;
}

/** GETs /healthz every `everyMs` for `ms` from a separate process; resolves with the latencies (ms; -1 for a failure). */
function probeHealthz(url: string, ms: number, everyMs: number): Promise<number[]> {
  const code = `const http = require('http'); const [url, ms, every] = [process.argv[1], +process.argv[2], +process.argv[3]];
    const lat = []; const end = Date.now() + ms;
    const one = () => new Promise((res) => { const t = performance.now();
      http.get(url + '/healthz', (r) => { r.resume(); r.on('end', () => { lat.push(r.statusCode === 200 ? performance.now() - t : -1); res(); }); }).on('error', () => { lat.push(-1); res(); }); });
    (async () => { while (Date.now() < end) { await one(); await new Promise((r) => setTimeout(r, every)); } process.stdout.write(JSON.stringify(lat)); })();`;
  const child = spawn(process.execPath, ['-e', code, url, String(ms), String(everyMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve) => child.on('exit', () => resolve(JSON.parse(out || '[]') as number[])));
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

const summary = (r: RoundsSummary) => ({
  requests: r.requests,
  durationSeconds: r.durationSeconds,
  throughputRps: r.throughputRps,
  failed: r.failed,
  latencyP50Ms: r.latencyP50Ms,
  latencyP99MsMax: r.latencyP99MsMax,
  rounds: r.rounds.map((x) => ({
    throughputRps: x.throughputRps,
    latencyP50Ms: x.latencyP50Ms,
    latencyP99Ms: x.latencyP99Ms,
  })),
});

/** Mean server-side time per predict request in each stage (ms), from a server's /metrics. */
async function stages(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const s of ['read', 'parse', 'queue', 'compute', 'encode', 'transfer', 'respond']) {
    out[s] =
      ((metricValue(text, 'tfc_stage_duration_seconds_sum', { stage: s }) ?? 0) /
        (metricValue(text, 'tfc_stage_duration_seconds_count', { stage: s }) ?? 1)) *
      1000;
  }
  out.serverTotal =
    ((metricValue(text, 'tfc_request_duration_seconds_sum', { route: '/v1/predict', code: '200' }) ?? 0) /
      (metricValue(text, 'tfc_request_duration_seconds_count', { route: '/v1/predict', code: '200' }) ?? 1)) *
    1000;
  out.meanBatchExamples =
    (metricValue(text, 'tfc_batch_examples_sum') ?? 0) / (metricValue(text, 'tfc_batch_examples_count') ?? 1);
  return out;
}

function imageRequests(shape: readonly number[], count: number, seed: number): LoadRequest[] {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => ({
    path: '/v1/predict',
    body: JSON.stringify({ input: Array.from({ length: size }, () => Math.round(rng.next() * 1000) / 1000) }),
  }));
}

/** A server's event-loop delay since its last scrape (ms), from its own metrics; the scrape resets it. */
interface LoopDelay {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}
async function loopDelay(url: string): Promise<LoopDelay> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const ms = (q: string) => (metricValue(text, `tfc_nodejs_eventloop_lag_${q}_seconds`) ?? NaN) * 1000;
  return { p50Ms: ms('p50'), p90Ms: ms('p90'), p99Ms: ms('p99'), maxMs: ms('max'), meanMs: ms('mean') };
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const mnist = loadMnist();
  const registryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-serve-bench-'));
  const children: Child[] = [];
  const start = async (model: string, version: string, args: string[]): Promise<Child> => {
    const c = await startChild(registryDir, model, version, args);
    children.push(c);
    return c;
  };
  // The design before worker threads: the main thread computes each request alone, with no deadline.
  const MAIN_THREAD = ['--workers', '0', '--no-batching', '--timeout-ms', '600000'];
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    /* not a git checkout */
  }
  const results: Record<string, unknown> = {
    commit,
    connections: CONNECTIONS,
    roundSeconds: ROUND_SECONDS,
    roundsPerServer: 2,
    loadAverageAtStart: os.loadavg(),
  };
  let failed = 0;
  try {
    // 1. The course CNN.
    const cnn = await loadBaseline('cnn');
    const q = await postTraining(cnn.model, mnist.train, { mode: 'static', calibrationCount: 1000 });
    await publishModel(cnn.model, { registryDir, name: 'cnn', version: 'tfjs-fp32' });
    await publishOnnx(toOnnx(q.model), { registryDir, name: 'cnn', version: 'onnx-int8' });
    await publishOnnx(toOnnx(cnn.model), { registryDir, name: 'cnn', version: 'onnx-fp32' });
    const digits = digitRequests(mnist.test, { count: 32, seed: 7 });
    const [tfjsMain, ortInt8, ortFp32] = await Promise.all([
      start('cnn', 'tfjs-fp32', MAIN_THREAD),
      start('cnn', 'onnx-int8', []),
      start('cnn', 'onnx-fp32', []),
    ]);
    const cnnRuns = await loadRounds(
      [
        { name: 'tfjsMainThread', url: tfjsMain!.url, requests: digits },
        { name: 'ortInt8Batched', url: ortInt8!.url, requests: digits },
        { name: 'ortFp32Batched', url: ortFp32!.url, requests: digits },
      ],
      { connections: CONNECTIONS, roundSeconds: ROUND_SECONDS, timeoutSeconds: 60 },
    );
    const [a, b, c] = cnnRuns as [RoundsSummary, RoundsSummary, RoundsSummary];
    failed += a.failed + b.failed + c.failed;
    results.ortInt8VsTfjsThroughputRatio = b.throughputRps / a.throughputRps;
    results.cnn = {
      model: `course CNN (${cnn.model.countParams()} params, test accuracy ${cnn.meta.testAccuracy}); INT8: quantize.postTraining static, 1000 calibration images, exporters.toOnnx QDQ`,
      tfjsMainThread: summary(a),
      ortInt8Batched: summary(b),
      ortFp32Batched: summary(c),
      ortInt8VsTfjsThroughputRatio: b.throughputRps / a.throughputRps,
      ortFp32VsTfjsThroughputRatio: c.throughputRps / a.throughputRps,
      ortInt8VsOrtFp32ThroughputRatio: b.throughputRps / c.throughputRps,
      serverStages: { tfjsMainThread: await stages(tfjsMain!.url), ortInt8Batched: await stages(ortInt8!.url) },
    };
    console.log(
      `CNN: tfjs main thread ${a.throughputRps.toFixed(0)} req/s, ORT INT8 batched ${b.throughputRps.toFixed(0)}, ORT fp32 batched ${c.throughputRps.toFixed(0)}; ` +
        `ortInt8VsTfjsThroughputRatio ${(b.throughputRps / a.throughputRps).toFixed(2)}; failed ${a.failed + b.failed + c.failed}`,
    );

    // 2. Worker layout for ORT: two single-threaded workers, or one worker with two intra-op threads.
    const oneWorker = await start('cnn', 'onnx-int8', ['--workers', '1', '--ort-threads', '2']);
    const [twoByOne, oneByTwo] = (await loadRounds(
      [
        { name: 'twoWorkersOneThread', url: ortInt8!.url, requests: digits },
        { name: 'oneWorkerTwoThreads', url: oneWorker.url, requests: digits },
      ],
      { connections: CONNECTIONS, roundSeconds: ROUND_SECONDS, timeoutSeconds: 60 },
    )) as [RoundsSummary, RoundsSummary];
    failed += twoByOne.failed + oneByTwo.failed;
    results.workerLayout = {
      twoWorkersOneThread: summary(twoByOne),
      oneWorkerTwoThreads: summary(oneByTwo),
      better: twoByOne.throughputRps >= oneByTwo.throughputRps ? 'twoWorkersOneThread' : 'oneWorkerTwoThreads',
      default: 'twoWorkersOneThread (workers = cores, ortThreads 1)',
    };
    console.log(
      `ORT INT8 layout: 2 workers x 1 thread ${twoByOne.throughputRps.toFixed(0)} req/s, 1 worker x 2 threads ${oneByTwo.throughputRps.toFixed(0)}`,
    );
    await Promise.all([tfjsMain, ortInt8, ortFp32, oneWorker].map((x) => x!.stop()));

    // 3. A MobileNetV2-class model.
    const shape = [64, 64, 3] as const;
    const mb = mobileNetV2({
      seed: 1,
      alpha: 0.35,
      inputShape: [...shape],
      classes: 10,
      classifierActivation: 'linear',
    });
    const calibration = tf.randomUniform([256, ...shape], 0, 1, 'float32', 3);
    const qm = await postTraining(mb, { xs: calibration }, { mode: 'static', calibrationCount: 256 });
    calibration.dispose();
    await publishModel(mb, { registryDir, name: 'mobilenetv2', version: 'tfjs-fp32' });
    await publishOnnx(toOnnx(qm.model), { registryDir, name: 'mobilenetv2', version: 'onnx-int8' });
    const images = imageRequests(shape, 8, 11);
    const [mbTfjs, mbOrt] = await Promise.all([
      start('mobilenetv2', 'tfjs-fp32', MAIN_THREAD),
      start('mobilenetv2', 'onnx-int8', []),
    ]);
    const [ma, mo] = (await loadRounds(
      [
        { name: 'tfjsMainThread', url: mbTfjs.url, requests: images },
        { name: 'ortInt8Batched', url: mbOrt.url, requests: images },
      ],
      { connections: CONNECTIONS, roundSeconds: ROUND_SECONDS, timeoutSeconds: 60 },
    )) as [RoundsSummary, RoundsSummary];
    failed += ma.failed + mo.failed;
    results.mobilenetV2 = {
      model: `MobileNetV2 alpha 0.35, ${shape.join('x')}, 10 classes, seeded weights (${mb.countParams()} params); INT8 static PTQ on 256 uniform images`,
      tfjsMainThread: summary(ma),
      ortInt8Batched: summary(mo),
      ortInt8VsTfjsThroughputRatio: mo.throughputRps / ma.throughputRps,
      serverStages: { tfjsMainThread: await stages(mbTfjs.url), ortInt8Batched: await stages(mbOrt.url) },
    };
    console.log(
      `MobileNetV2-0.35/64: tfjs main thread ${ma.throughputRps.toFixed(0)} req/s, ORT INT8 batched ${mo.throughputRps.toFixed(0)}; ratio ${(mo.throughputRps / ma.throughputRps).toFixed(2)}`,
    );
    await Promise.all([mbTfjs.stop(), mbOrt.stop()]);
    mb.dispose();
    qm.model.dispose();

    // 4. and 5. SimpleNet: where the time goes, and /healthz under 256-example batches.
    const simple = await loadBaseline('simplenet');
    await publishModel(simple.model, { registryDir, name: 'simplenet', version: '1' });
    const [snWorkers, snMain] = await Promise.all([start('simplenet', '1', []), start('simplenet', '1', MAIN_THREAD)]);
    const [sw, sm] = (await loadRounds(
      [
        { name: 'workersBatched', url: snWorkers.url, requests: digits },
        { name: 'mainThread', url: snMain.url, requests: digits },
      ],
      { connections: CONNECTIONS, roundSeconds: ROUND_SECONDS, timeoutSeconds: 60 },
    )) as [RoundsSummary, RoundsSummary];
    failed += sw.failed + sm.failed;
    const timeGoes = {
      workersBatched: { ...summary(sw), stagesMs: await stages(snWorkers.url) },
      mainThread: { ...summary(sm), stagesMs: await stages(snMain.url) },
    };
    console.log(
      `SimpleNet: workers ${sw.throughputRps.toFixed(0)} req/s, stages ${JSON.stringify(timeGoes.workersBatched.stagesMs, (_k, v) => (typeof v === 'number' ? +v.toFixed(3) : v))}`,
    );
    console.log(
      `SimpleNet: main thread ${sm.throughputRps.toFixed(0)} req/s, stages ${JSON.stringify(timeGoes.mainThread.stagesMs, (_k, v) => (typeof v === 'number' ? +v.toFixed(3) : v))}`,
    );
    const batches: LoadRequest[] = [0, 1, 2, 3].map((k) => ({
      path: '/v1/predict',
      body: JSON.stringify({
        inputs: digitRequests(mnist.test, { count: 256, seed: 100 + k }).map((r) => JSON.parse(r.body as string).input),
      }),
    }));
    const snNice0 = await start('simplenet', '1', ['--worker-nice', '0']);
    const urls: Record<string, string> = {
      workersBatched: snWorkers.url,
      workersNice0: snNice0.url,
      mainThread: snMain.url,
    };
    const pids: Record<string, number> = {
      workersBatched: snWorkers.pid,
      workersNice0: snNice0.pid,
      mainThread: snMain.pid,
    };
    const names = Object.keys(urls);
    const probes: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const loopDelays: Record<string, LoopDelay[]> = Object.fromEntries(names.map((n) => [n, []]));
    const loadAverages: Record<string, number[][]> = Object.fromEntries(names.map((n) => [n, []]));
    // Each server's event-loop delay while idle (3 s, no load): the floor of the figures under load.
    await Promise.all(names.map((n) => loopDelay(urls[n] as string)));
    await new Promise((r) => setTimeout(r, 3000));
    const idleLoopDelay = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, await loopDelay(urls[n] as string)] as const)),
    );
    let probe: Promise<number[]> | undefined;
    const batchRuns = await loadRounds(
      names.map((name) => ({ name, url: urls[name] as string, requests: batches })),
      {
        connections: 8,
        roundSeconds: ROUND_SECONDS,
        timeoutSeconds: 60,
        onRound: async (name, phase) => {
          const url = urls[name] as string;
          if (phase === 'start') {
            await loopDelay(url); // a scrape resets the server's event-loop delay histogram
            loadAverages[name]?.push(os.loadavg());
            probe = probeHealthz(url, ROUND_SECONDS * 1000 - 500, 20);
          } else {
            probes[name]?.push(...(await (probe as Promise<number[]>)));
            loopDelays[name]?.push(await loopDelay(url));
            loadAverages[name]?.push(os.loadavg());
          }
        },
      },
    );
    const health = (xs: number[]) => ({
      samples: xs.length,
      failed: xs.filter((x) => x < 0).length,
      p50Ms: quantile(
        xs.filter((x) => x >= 0),
        0.5,
      ),
      p90Ms: quantile(
        xs.filter((x) => x >= 0),
        0.9,
      ),
      p99Ms: quantile(
        xs.filter((x) => x >= 0),
        0.99,
      ),
      maxMs: Math.max(...xs),
    });
    const healthz: Record<string, unknown> = {
      load: '8 connections, 256-example SimpleNet batches (~1 MB JSON each); a probe process GETs /healthz every 20 ms',
      servers:
        "workersBatched: the default server (no options); workersNice0: --worker-nice 0; mainThread: --workers 0 --no-batching (threadsByNice: each process's threads by nice value)",
      eventLoopDelay:
        "the server's own monitorEventLoopDelay (prom-client, 10 ms resolution: an idle loop reads about 10 ms), per round, reset at its start",
    };
    const fmt = (d: LoopDelay) =>
      `p50 ${d.p50Ms.toFixed(1)} / p90 ${d.p90Ms.toFixed(1)} / p99 ${d.p99Ms.toFixed(1)} / max ${d.maxMs.toFixed(1)}`;
    for (const r of batchRuns) {
      failed += r.failed;
      const h = health(probes[r.name] as number[]);
      healthz[r.name] = {
        healthz: h,
        eventLoopDelayMsByRound: loopDelays[r.name],
        eventLoopDelayMsIdle: idleLoopDelay[r.name],
        threadsByNice: threadsByNice(pids[r.name] as number),
        loadAverageAtRoundStartAndEnd: loadAverages[r.name],
        batchRequests: summary(r),
      };
      console.log(
        `/healthz under 8 x 256-example batches, ${r.name}: p50 ${h.p50Ms.toFixed(1)} ms, p99 ${h.p99Ms.toFixed(1)} ms, ${r.throughputRps.toFixed(1)} batches/s; ` +
          `event-loop delay (ms) ${loopDelays[r.name]?.map(fmt).join(' | ')}; idle ${fmt(idleLoopDelay[r.name] as LoopDelay)}; load average ${loadAverages[r.name]?.map((l) => (l[0] as number).toFixed(2)).join(' -> ')}`,
      );
    }
    const hw = (healthz.workersBatched as { healthz: { p99Ms: number } }).healthz;
    results.healthzP99MsUnderBatchLoad = hw.p99Ms;
    results.healthzLoadAverage = {
      note: 'os.loadavg() (1, 5, 15 min) at the start and end of each round of the default server; 2 cores',
      rounds: loadAverages.workersBatched,
    };
    results.healthzEventLoopDelayMs = { byRound: loopDelays.workersBatched, idle: idleLoopDelay.workersBatched };
    results.simplenet = { testAccuracy: simple.meta.testAccuracy, whereTheTimeGoes: timeGoes };
    results.healthzUnderBatchLoad = healthz;
    await Promise.all([snWorkers.stop(), snMain.stop(), snNice0.stop()]);
    simple.model.dispose();
    cnn.model.dispose();
    q.model.dispose();
    results.failedRequests = failed;
    results.loadAverageAtEnd = os.loadavg(); // 1, 5, 15 min: other work on the machine while this ran
    results.loadGenerator =
      'autocannon in the bench process; each server in its own process (lib/serve/cli.ts); /healthz probe in a third process';
    fs.rmSync(path.join(resultsDir(), 'bench-serve.json'), { force: true }); // no figure of an older run survives
    saveResults('bench-serve', results); // with machineInfo(): CPU model, cores, SIMD / VNNI flags
    console.log(
      `failed requests over all runs: ${failed}; ortInt8VsTfjsThroughputRatio ${(results.ortInt8VsTfjsThroughputRatio as number).toFixed(2)} (goal >= 3); ` +
        `healthzP99MsUnderBatchLoad ${hw.p99Ms.toFixed(1)} ms (goal <= 50)`,
    );
    if (failed !== 0) process.exitCode = 1;
  } finally {
    await Promise.all(children.map((c) => c.stop().catch(() => null)));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
