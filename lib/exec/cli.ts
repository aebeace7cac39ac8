// A worker process for distributed runs: connects to the Redis queue and runs jobs on this
// machine's cores until stopped (SIGTERM / SIGINT finish the running jobs first).
//   node node_modules/tfjs-compress/dist/lib/exec/cli.js [--redis redis://host:6379] [--queue name]
//     [--prefix name] [--threads n] [--lock-ms ms] [--stalled-ms ms]
// It runs the library's jobs, and the jobs its process defined before it started: a script of
// yours that defines jobs and then imports this file (or calls exec.startBullMqWorker) serves
// them too. It never loads a module that a job or a queue names. The Redis URL may also come from
// TFJS_COMPRESS_REDIS_URL (better for a password than the command line, which `ps` shows).
import { ConfigError, describe } from '../errors';
import { startBullMqWorker } from './bullmq-worker';
import { PREFIX_ENV, QUEUE_ENV, REDIS_URL_ENV } from './create';
import { closeOnSignals, runMain } from '../core/process-main';

const FLAGS = new Map([
  ['--redis', 'url'],
  ['--queue', 'queue'],
  ['--prefix', 'prefix'],
  ['--threads', 'threads'],
  ['--lock-ms', 'lockMs'],
  ['--stalled-ms', 'stalledMs'],
] as const);
type Key = typeof FLAGS extends Map<string, infer K> ? K : never;

function parse(argv: readonly string[]): Partial<Record<Key, string>> {
  const fn = 'tfjs-compress worker';
  const out: Partial<Record<Key, string>> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] as string;
    const key = FLAGS.get(flag as never);
    if (flag === '--module')
      throw new ConfigError(
        `${fn}: the library's jobs or jobs defined by your own worker script, got --module. ` +
          `Write a script that defines your jobs (exec.defineJob) and calls exec.startBullMqWorker({url, jobs}).`,
      );
    if (!key) throw new ConfigError(`${fn}: one of ${[...FLAGS.keys()].join(', ')}, got ${describe(flag)}. Remove it.`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--'))
      throw new ConfigError(
        `${fn}: a value after ${flag}, got none. Pass e.g. ${flag} ${flag === '--redis' ? 'redis://127.0.0.1:6379' : '2'}.`,
      );
    out[key] = value;
  }
  return out;
}

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(value))
    throw new ConfigError(
      `tfjs-compress worker: ${flag} a positive integer, got ${describe(value)}. Pass e.g. ${flag} 2.`,
    );
  return Number(value);
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const threads = count(a.threads, '--threads');
  const lockMs = count(a.lockMs, '--lock-ms');
  const stalledMs = count(a.stalledMs, '--stalled-ms');
  const queue = a.queue ?? process.env[QUEUE_ENV];
  const prefix = a.prefix ?? process.env[PREFIX_ENV];
  const handle = await startBullMqWorker({
    url: a.url ?? process.env[REDIS_URL_ENV] ?? '',
    ...(queue ? { queue } : {}),
    ...(prefix ? { prefix } : {}),
    ...(threads ? { threads } : {}),
    ...(lockMs ? { lockDurationMs: lockMs } : {}),
    ...(stalledMs ? { stalledIntervalMs: stalledMs } : {}),
  });
  process.stdout.write(
    `tfjs-compress worker ${process.pid} ready: queue ${handle.queue}, ${handle.threads.concurrency} threads, ` +
      `jobs ${[...handle.threads.jobs.keys()].join(', ')}\n`,
  );
  closeOnSignals(() => handle.close());
}

runMain(main);
