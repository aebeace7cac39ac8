// The server's security figures (`make bench`), each server in its own process (the command-line
// entry point) on 127.0.0.1, real HTTP clients (node's http) in this one. Writes the `server`
// section of results/bench-security.json (read-modify-write under a lock, atomically; the other
// sections, such as `fuzz`, are kept):
//   - timeoutLatenessP99Ms: 16 clients flood a slow model (4 -> 2048 -> 2048 -> 3, 64-example
//     batches) served with a 150 ms deadline; for every 504, arrival at the client minus 150 ms
//     (goal <= 100);
//   - queueFullAnswerP99Ms: in the same flood (a queue of 2 batches), how long a 503 takes (goal <= 50);
//   - swapFailedRequests: 20 swaps between two versions of a 42 MB layers model (1000 -> 10500 ->
//     10) under 16 clients, failed requests counted (goal 0);
//   - bodyBudgetPeakRssBytes: 150 concurrent nearly-full bodies (3 MB of JSON each, under the
//     3.3 MB cap of a 784-input model) against the default 64 MiB budget for bodies in flight:
//     the server's peak RSS (VmHWM), beside the same flood with the budget lifted (1 GiB), in
//     alternating rounds (A B B A), each in a fresh process; the bound is stated in the file.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../../lib/core/backend';
import { machineInfo } from '../../lib/core/machine';
import { writeJsonAtomic } from '../../lib/core/atomic';
import { resultsDir } from '../../course/results';
import { simpleNet } from '../../course/models/simplenet';
import { publishModel } from '../../lib/serve/registry';

const ROOT = path.resolve(__dirname, '../..');
const FLOOD_SECONDS = Number(process.env.SECURITY_BENCH_SECONDS ?? 20);
const TOKEN = 'bench-admin-token-0123456789abcdef';
const MIB = 1024 * 1024;

interface Child {
  url: string;
  pid: number;
  stop: () => Promise<number | null>;
}

async function startChild(args: string[]): Promise<Child> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'lib/serve/cli.ts'), '--port', '0', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TFC_ADMIN_TOKEN: TOKEN, TFC_INFERENCE_TOKEN: '' },
    },
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

/** VmRSS and VmHWM (peak) of a process, in bytes. */
function memory(pid: number): { rssBytes: number; peakRssBytes: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** One request with node's http: status (0 for a socket error) and latency (ms, send to the end of the answer). */
function request(
  url: string,
  body: Buffer,
  agent: http.Agent | false,
  headers: Record<string, string> = {},
  p = '/v1/predict',
): Promise<{ status: number; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      `${url}${p}`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end(body);
  });
}

/** `clients` closed loops sending `body` until `until()` says stop. */
async function flood(url: string, body: Buffer, clients: number, until: () => boolean) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const out: { status: number; ms: number }[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!until()) out.push(await request(url, body, agent));
    }),
  );
  agent.destroy();
  return out;
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number) : NaN;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const counts = (xs: readonly { status: number }[]) =>
  xs.reduce<Record<string, number>>((a, x) => ({ ...a, [x.status]: (a[x.status] ?? 0) + 1 }), {});

/** Writes `section` as results/bench-security.json's `key`, keeping the other keys, under a lock file. */
async function mergeResults(key: string, section: unknown): Promise<string> {
  const file = path.join(resultsDir(), 'bench-security.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lock = `${file}.lock`;
  for (let i = 0; ; i++) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
      break;
    } catch {
      const st = fs.statSync(lock, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 5 * 60_000) fs.rmSync(lock, { force: true }); // a crashed writer's
      if (i > 600) throw new Error(`bench-security: ${lock} held for 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    let previous: Record<string, unknown> = {};
    if (fs.existsSync(file)) previous = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeJsonAtomic(file, { ...previous, [key]: section });
  } finally {
    fs.rmSync(lock, { force: true });
  }
  return file;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const registryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-security-bench-'));
  const publish = async (name: string, version: string, opts: Parameters<typeof simpleNet>[0]) => {
    const m = simpleNet(opts);
    const r = await publishModel(m, { registryDir, name, version });
    m.dispose();
    return r.weightBytes;
  };
  const children: Child[] = [];
  const start = async (args: string[]) => {
    const c = await startChild(['--registry', registryDir, ...args]);
    children.push(c);
    return c;
  };
  const loadAtStart = os.loadavg();
  try {
    // 1 and 2: deadlines and a full queue, one flood.
    await publish('slow', '1', { seed: 1, hidden: [2048, 2048], inputSize: 4, numClasses: 3 });
    const slow = await start([
      '--model',
      'slow',
      '--workers',
      '2',
      '--timeout-ms',
      '150',
      '--max-batch-size',
      '64',
      '--max-queue-examples',
      '128',
    ]);
    const batch = Buffer.from(
      JSON.stringify({ inputs: Array.from({ length: 64 }, (_, i) => [i / 64, 0.5, -0.25, 1]) }),
    );
    const end = Date.now() + FLOOD_SECONDS * 1000;
    const answers = await flood(slow.url, batch, 16, () => Date.now() > end);
    await slow.stop();
    const late = answers.filter((a) => a.status === 504).map((a) => a.ms - 150);
    const full = answers.filter((a) => a.status === 503).map((a) => a.ms);
    const deadlines = {
      clients: 16,
      seconds: FLOOD_SECONDS,
      timeoutMs: 150,
      statuses: counts(answers),
      timeoutLatenessP50Ms: round(quantile(late, 0.5)),
      timeoutLatenessP99Ms: round(quantile(late, 0.99)),
      timeoutLatenessMaxMs: round(Math.max(...late)),
      queueFullAnswerP50Ms: round(quantile(full, 0.5)),
      queueFullAnswerP99Ms: round(quantile(full, 0.99)),
      okLatencyP50Ms: round(
        quantile(
          answers.filter((a) => a.status === 200).map((a) => a.ms),
          0.5,
        ),
      ),
    };
    console.log(`deadlines and a full queue: ${JSON.stringify(deadlines)}`);

    // 3: 20 swaps of a 42 MB model under 16 clients.
    const big = { hidden: [10500], inputSize: 1000, numClasses: 10 };
    const bigBytes = await publish('big', '1', { seed: 1, ...big });
    await publish('big', '2', { seed: 2, ...big });
    const swapServer = await start(['--model', 'big', '--version', '1', '--workers', '2']);
    const one = Buffer.from(JSON.stringify({ input: Array.from({ length: 1000 }, (_, i) => (i % 13) / 13) }));
    let swapping = true;
    const load = flood(swapServer.url, one, 16, () => !swapping);
    await new Promise((r) => setTimeout(r, 1000));
    const swapMs: number[] = [];
    const swapStatuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await request(
        swapServer.url,
        Buffer.from(JSON.stringify({ version: i % 2 ? '1' : '2' })),
        false,
        { authorization: `Bearer ${TOKEN}` },
        '/v1/admin/swap',
      );
      swapMs.push(r.ms);
      swapStatuses.push(r.status);
    }
    await new Promise((r) => setTimeout(r, 1000));
    swapping = false;
    const during = await load;
    const swapPeak = memory(swapServer.pid).peakRssBytes;
    await swapServer.stop();
    const swaps = {
      model: `SimpleNet 1000 -> 10500 -> 10 (tfjs layers, ${bigBytes} weight bytes), two seeds`,
      clients: 16,
      swaps: swapStatuses.length,
      swapStatuses: counts(swapStatuses.map((status) => ({ status }))),
      swapMsP50: round(quantile(swapMs, 0.5)),
      swapMsMax: round(Math.max(...swapMs)),
      requests: during.length,
      statuses: counts(during),
      swapFailedRequests: during.filter((a) => a.status !== 200).length,
      serverPeakRssBytes: swapPeak,
    };
    console.log(`swaps: ${JSON.stringify(swaps)}`);

    // 4: 150 concurrent nearly-full bodies, budget on (A) and lifted (B), A B B A.
    await publish('mlp', '1', { seed: 1, hidden: [64], inputSize: 784, numClasses: 10 });
    const maxBodyBytes = 256 * 784 * 16 + 65536; // the server's default for a 784-input model
    const numbers = Array.from({ length: 784 }, (_, i) => (0.1 + (i % 97) / 1000).toFixed(12)).join(',');
    const body = Buffer.from(`{"inputs": [${Array.from({ length: 256 }, () => `[${numbers}]`).join(',')}]}`);
    const rounds: Record<string, unknown>[] = [];
    for (const budgetOn of [true, false, false, true]) {
      const s = await start([
        '--model',
        'mlp',
        '--workers',
        '2',
        ...(budgetOn ? [] : ['--max-bodies-bytes', String(1024 * MIB)]),
      ]);
      await new Promise((r) => setTimeout(r, 1500));
      const idle = memory(s.pid);
      const answers150 = await Promise.all(Array.from({ length: 150 }, () => request(s.url, body, false)));
      const peak = memory(s.pid).peakRssBytes;
      await new Promise((r) => setTimeout(r, 5000));
      const after = memory(s.pid).rssBytes;
      await s.stop();
      rounds.push({
        budget: budgetOn ? 'default 64 MiB' : 'lifted to 1 GiB',
        idleRssBytes: idle.rssBytes,
        peakRssBytes: peak,
        rssAfter5sBytes: after,
        statuses: counts(answers150),
        latencyP99Ms: round(
          quantile(
            answers150.map((a) => a.ms),
            0.99,
          ),
        ),
      });
      console.log(`bodies: ${JSON.stringify(rounds[rounds.length - 1])}`);
    }
    const on = rounds.filter((r) => r.budget === 'default 64 MiB');
    const off = rounds.filter((r) => r.budget !== 'default 64 MiB');
    const peakOn = Math.max(...on.map((r) => r.peakRssBytes as number));
    const peakOff = Math.max(...off.map((r) => r.peakRssBytes as number));
    const idleMax = Math.max(...on.map((r) => r.idleRssBytes as number));
    // The bound: the idle server, plus the bodies the budget admits (64 MiB), their chunks held once
    // more while a worker parses them (transferred copies), and the parse's JavaScript arrays
    // (about two bytes of heap a byte of JSON), plus 64 MiB of allocator slack: idle + 4 x budget + 64 MiB.
    const bound = idleMax + 4 * 64 * MIB + 64 * MIB;
    const bodies = {
      bodies: 150,
      bodyBytes: body.length,
      maxBodyBytes,
      maxBodiesBytes: 64 * MIB,
      rounds,
      peakRssBudgetOnBytes: peakOn,
      peakRssBudgetLiftedBytes: peakOff,
      peakRssRatioLiftedOverOn: round(peakOff / peakOn, 2),
      bodyBudgetRssBoundBytes: bound,
      boundRule: 'idle RSS + 4 x maxBodiesBytes (64 MiB) + 64 MiB',
    };
    console.log(`bodies: peak ${peakOn} B with the budget, ${peakOff} B lifted; bound ${bound} B`);

    const section = {
      timeoutLatenessP99Ms: deadlines.timeoutLatenessP99Ms,
      queueFullAnswerP99Ms: deadlines.queueFullAnswerP99Ms,
      swapFailedRequests: swaps.swapFailedRequests,
      bodyBudgetPeakRssBytes: peakOn,
      bodyBudgetRssBoundBytes: bound,
      goals: {
        timeoutLatenessP99Ms: 100,
        queueFullAnswerP99Ms: 50,
        swapFailedRequests: 0,
        bodyBudgetPeakRssBytes: `<= ${bound}`,
      },
      met: {
        timeoutLatenessP99Ms: deadlines.timeoutLatenessP99Ms <= 100,
        queueFullAnswerP99Ms: deadlines.queueFullAnswerP99Ms <= 50,
        swapFailedRequests: swaps.swapFailedRequests === 0 && swaps.swaps === 20 && bigBytes >= 40e6,
        bodyBudgetPeakRssBytes: peakOn <= bound,
      },
      deadlines,
      swaps,
      bodies,
      serverEntry:
        'lib/serve/cli.ts through tsx (each process and worker also holds the transpiler: idle RSS is higher than dist/)',
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg(),
      machine: machineInfo(),
      date: new Date().toISOString(),
    };
    const file = await mergeResults('server', section);
    console.log(`wrote the server section of ${file}: ${JSON.stringify(section.met)}`);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
