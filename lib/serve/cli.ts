// Command-line entry point of the inference server (a script, so it may print), also reached as
// `tfjs-compress serve ...` (lib/cli/main.ts hands over to it):
//   node dist/serve/cli.js --registry models --model simplenet [--version 2] [--port 8080] [--host 127.0.0.1]
//     [--workers 2] [--worker-nice 10] [--ort-threads 1] [--max-batch-size 256] [--max-delay-ms 0] [--max-queue-examples N]
//     [--timeout-ms 10000] [--no-batching] [--admin-token-file FILE | TFC_ADMIN_TOKEN=... | --insecure-admin]
// (or `node --import tsx lib/serve/cli.ts ...` from the sources). Unknown flags and bad values are
// usage errors (exit code 2). The admin API (swap, rollback) is on with a token from a file or the
// TFC_ADMIN_TOKEN environment variable; --insecure-admin turns it on without one, on loopback only.
// SIGINT / SIGTERM shut it down gracefully (in-flight requests finish).
import { parseArgs } from 'util';
import { initBackend } from '../core/backend';
import { ConfigError } from '../errors';
import { ADMIN_TOKEN_ENV, AdminOptions, readAdminTokenFile } from './admin-auth';
import { ServerOptions, startServer } from './server';
import { closeOnSignals, runMain } from '../core/process-main';

const USAGE = `usage: tfjs-compress serve --registry <dir> --model <name> [--version <v>] [--port <n>] [--host <addr>]
  [--workers <n>] [--worker-nice <0-19>] [--ort-threads <n>] [--max-batch-size <n>] [--max-delay-ms <ms>] [--max-queue-examples <n>]
  [--timeout-ms <ms>] [--max-body-bytes <n>] [--no-batching] [--admin-token-file <file> | --insecure-admin]
  --workers 0 computes on the main thread (the design before worker threads; for comparison only).
  --worker-nice (default 10, Linux) lowers the workers' priority so the event loop answers first; 0 competes equally.
  The admin token can also come from the ${ADMIN_TOKEN_ENV} environment variable.\n`;

const NUMBERS = [
  'port',
  'workers',
  'worker-nice',
  'ort-threads',
  'max-batch-size',
  'max-delay-ms',
  'max-queue-examples',
  'timeout-ms',
  'max-body-bytes',
] as const;

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

/** Parses argv into server options; exits with code 2 on any usage error. */
function parse(argv: string[]): ServerOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        registry: { type: 'string' },
        model: { type: 'string' },
        version: { type: 'string' },
        host: { type: 'string' },
        'admin-token-file': { type: 'string' },
        'insecure-admin': { type: 'boolean' },
        'no-batching': { type: 'boolean' },
        help: { type: 'boolean' },
        ...Object.fromEntries(NUMBERS.map((k) => [k, { type: 'string' as const }])),
      },
    }).values;
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  if (!str('registry') || !str('model')) usage('--registry and --model are required.');
  if (str('host') !== undefined && str('host')?.trim() === '')
    usage('--host must not be empty (an empty host binds every interface; say 0.0.0.0 if that is meant).');
  const num = (k: string): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0)
      usage(`--${k} must be a non-negative number, got ${JSON.stringify(v.slice(0, 40))}.`);
    return n;
  };
  let admin: AdminOptions | undefined;
  const tokenFile = str('admin-token-file');
  const envToken = process.env[ADMIN_TOKEN_ENV];
  if (tokenFile !== undefined) admin = { token: readAdminTokenFile(tokenFile) };
  else if (envToken !== undefined && envToken !== '') admin = { token: envToken.trim() };
  else if (values['insecure-admin']) admin = { insecure: true };
  return {
    registryDir: str('registry') as string,
    model: str('model') as string,
    version: str('version'),
    host: str('host'),
    port: num('port') ?? 8080,
    workers: num('workers'),
    workerNice: num('worker-nice'),
    ortThreads: num('ort-threads'),
    maxBatchSize: num('max-batch-size'),
    maxDelayMs: num('max-delay-ms'),
    maxQueueExamples: num('max-queue-examples'),
    timeoutMs: num('timeout-ms'),
    maxBodyBytes: num('max-body-bytes'),
    admin,
    batching: values['no-batching'] ? false : undefined,
  };
}

async function main(): Promise<void> {
  let options: ServerOptions;
  try {
    options = parse(process.argv.slice(2));
  } catch (e) {
    usage((e as Error).message);
  }
  await initBackend('wasm');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(options);
  } catch (e) {
    if (e instanceof ConfigError) usage(e.message);
    throw e;
  }
  const adminState = options.admin?.token
    ? 'admin API on (token)'
    : options.admin?.insecure
      ? 'admin API on WITHOUT a token (loopback)'
      : 'admin API off (no token)';
  process.stdout.write(`serving ${options.model}@${server.active().version} at ${server.url} (${adminState})\n`);
  closeOnSignals(() => server.close());
}

runMain(main);
