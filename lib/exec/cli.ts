// A worker process for distributed runs: connects to the Redis queue and runs jobs on this
// machine's cores until stopped (SIGTERM / SIGINT finish the running jobs first).
//   node node_modules/tfjs-compress/dist/exec/cli.js --redis redis://host:6379 [--queue name]
//     [--threads n] [--module /path/to/jobs.js ...]
// The library's own jobs load by themselves; --module loads a file that defines more jobs.
import { modulePath } from './job';
import { startBullMqWorker } from './bullmq-worker';
import { REDIS_URL_ENV } from './create';
import { closeOnSignals, runMain } from '../core/process-main';

function parse(argv: string[]): {
  url?: string;
  queue?: string;
  threads?: number;
  modules: string[];
  lockMs?: number;
  stalledMs?: number;
} {
  const out: {
    url?: string;
    queue?: string;
    threads?: number;
    modules: string[];
    lockMs?: number;
    stalledMs?: number;
  } = { modules: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) break;
    if (flag === '--redis') out.url = value;
    else if (flag === '--queue') out.queue = value;
    else if (flag === '--threads') out.threads = Number(value);
    else if (flag === '--module') out.modules.push(value);
    else if (flag === '--lock-ms') out.lockMs = Number(value);
    else if (flag === '--stalled-ms') out.stalledMs = Number(value);
    else continue;
    i++;
  }
  return out;
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  // Jobs register when their module loads: here, or when a job naming its module first arrives.
  for (const m of a.modules) require(modulePath(m));
  const handle = await startBullMqWorker({
    url: a.url ?? process.env[REDIS_URL_ENV] ?? '',
    ...(a.queue ? { queue: a.queue } : {}),
    ...(a.threads ? { threads: a.threads } : {}),
    ...(a.lockMs ? { lockDurationMs: a.lockMs } : {}),
    ...(a.stalledMs ? { stalledIntervalMs: a.stalledMs } : {}),
  });
  process.stdout.write(
    `tfjs-compress worker ${process.pid} ready: queue ${handle.worker.name}, ${handle.threads.concurrency} threads\n`,
  );
  closeOnSignals(() => handle.close());
}

runMain(main);
