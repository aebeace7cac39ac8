// Command-line entry point of the inference server (a script, so it may print), also reached as
// `tfjs-compress serve ...` (lib/cli/main.ts hands over to it). Two ways to name what to serve:
//   tfjs-compress serve ./compressed            a run folder (deploy.json), a model folder or an .onnx
//                                               file: published into a registry (deploy.ts), then served
//   tfjs-compress serve --registry models --model simplenet [--version 2]   a registry version
// Options: see USAGE. Unknown flags and bad values are usage errors (exit code 2); numbers are
// decimal digits only (0x1f90 is refused). The admin API (swap, rollback) is on with a token
// from a file or TFC_ADMIN_TOKEN; --insecure-admin turns it on without one, on loopback only. An
// inference token (--token-file or TFC_INFERENCE_TOKEN) guards everything but the health probes.
// SIGINT / SIGTERM shut it down gracefully (in-flight requests finish).
import { parseArgs } from 'util';
import { initBackend } from '../core/backend';
import { readRegularFile } from '../core/read-file';
import { ConfigError } from '../errors';
import { PREPROCESS_PRESETS, PreprocessPreset } from '../data/preprocess';
import { INFERENCE_TOKEN_ENV, AccessOptions } from './access';
import { ADMIN_TOKEN_ENV, AdminOptions, isLoopback, readAdminTokenFile, readTokenFile } from './admin-auth';
import { publishForServing } from './deploy';
import { ServerOptions, startServer } from './server';
import { ListenError } from './server-options';
import { closeOnSignals, runMain } from '../core/process-main';

const USAGE = `usage: tfjs-compress serve <run folder | model folder | model.onnx> [options]
       tfjs-compress serve --registry <dir> --model <name> [--version <v>] [options]
  A run folder (written by \`tfjs-compress run\`) serves its recommended artifact (ONNX INT8 on ONNX Runtime when
  there is one), with its class names and preprocessing. It is published first into --registry <dir> (default:
  registry/ in the tfjs-compress cache folder; never inside the run folder).
  what to serve:  [--name <registry name>] [--artifact <file in deploy.json>]
                  [--labels <file, one class name a line>] [--preprocessing ${PREPROCESS_PRESETS.join('|')}] (model folder / .onnx only)
  network:        [--port <n>] (default 8080) [--host <addr>] (default 127.0.0.1) [--tls-cert <pem> --tls-key <pem>]
  access:         [--token-file <file> | ${INFERENCE_TOKEN_ENV}=...] [--cors <origin>]... [--allowed-host <host:port>]...
                  [--admin-token-file <file> | ${ADMIN_TOKEN_ENV}=... | --insecure-admin]
  budgets:        [--timeout-ms <ms>] [--max-queue-examples <n>] [--max-body-bytes <n>] [--max-bodies-bytes <n>]
                  [--max-image-bytes <n>] [--max-image-pixels <n>] [--max-model-bytes <n>]
  compute:        [--workers <n>] [--worker-nice <0-19>] [--ort-threads <n>] [--max-batch-size <n>] [--max-delay-ms <ms>] [--no-batching]
  --workers 0 computes on the main thread (the design before worker threads; for comparison only).
  Web pages of other origins are refused unless --cors names them. Health probes need no token.\n`;

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
  'max-bodies-bytes',
  'max-image-bytes',
  'max-image-pixels',
  'max-model-bytes',
] as const;
const STRINGS = [
  'registry',
  'model',
  'version',
  'name',
  'artifact',
  'labels',
  'preprocessing',
  'host',
  'tls-cert',
  'tls-key',
  'token-file',
  'admin-token-file',
] as const;

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** What the command line asks for: a target to publish first (or a registry version), and the server's options. */
interface Parsed {
  readonly target?: string;
  readonly values: Values;
  readonly server: Omit<ServerOptions, 'registryDir' | 'model' | 'version'>;
}

const readPem = (file: string, what: string): Buffer =>
  Buffer.from(
    readRegularFile(file, {
      fn: 'serve',
      what,
      maxBytes: 1024 * 1024,
      tooLargeAdvice: 'Pass the PEM file itself.',
    }),
  );

/** Parses argv; exits with code 2 on any usage error. */
function parse(argv: string[]): Parsed {
  let values: Values;
  let positionals: string[];
  try {
    const r = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        'insecure-admin': { type: 'boolean' },
        'no-batching': { type: 'boolean' },
        help: { type: 'boolean' },
        cors: { type: 'string', multiple: true },
        'allowed-host': { type: 'string', multiple: true },
        ...Object.fromEntries([...NUMBERS, ...STRINGS].map((k) => [k, { type: 'string' as const }])),
      },
    });
    values = r.values as Values;
    positionals = r.positionals;
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  if (positionals.length > 1) usage(`one thing to serve, got ${positionals.length}: ${positionals.join(' ')}.`);
  const target = positionals[0];
  if (target !== undefined && str('model') !== undefined)
    usage('--model names a registry model; with a folder or file to serve, name it with --name.');
  if (target === undefined && (!str('registry') || !str('model')))
    usage('a run folder, model folder or .onnx file to serve, or --registry and --model.');
  if (target === undefined)
    for (const k of ['name', 'artifact', 'labels', 'preprocessing'])
      if (str(k) !== undefined) usage(`--${k} goes with a folder or file to serve, not with --model.`);
  if (target !== undefined && str('version') !== undefined)
    usage(
      '--version picks a registry version with --model; a folder or file to serve is published as its own version.',
    );
  if (str('host') !== undefined && str('host')?.trim() === '')
    usage('--host must not be empty (an empty host binds every interface; say 0.0.0.0 if that is meant).');
  const p = str('preprocessing');
  if (p !== undefined && !(PREPROCESS_PRESETS as readonly string[]).includes(p))
    usage(`--preprocessing one of ${PREPROCESS_PRESETS.join(', ')}, got ${JSON.stringify(p.slice(0, 40))}.`);
  const num = (k: string): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    if (!/^\d{1,15}$/.test(v))
      usage(`--${k} must be a whole number in decimal digits, got ${JSON.stringify(v.slice(0, 40))}.`);
    return Number(v);
  };
  if ((str('tls-cert') === undefined) !== (str('tls-key') === undefined))
    usage('--tls-cert and --tls-key go together (the certificate and its private key, PEM).');
  let admin: AdminOptions | undefined;
  const tokenFile = str('admin-token-file');
  const envToken = process.env[ADMIN_TOKEN_ENV];
  if (tokenFile !== undefined) admin = { token: readAdminTokenFile(tokenFile) };
  else if (envToken !== undefined && envToken !== '') admin = { token: envToken.trim() };
  else if (values['insecure-admin']) admin = { insecure: true };
  const inferenceFile = str('token-file');
  const envInference = process.env[INFERENCE_TOKEN_ENV];
  const token =
    inferenceFile !== undefined
      ? readTokenFile(inferenceFile, 'serve')
      : envInference !== undefined && envInference !== ''
        ? envInference.trim()
        : undefined;
  const access: AccessOptions = {
    ...(values.cors ? { cors: values.cors as string[] } : {}),
    ...(values['allowed-host'] ? { allowedHosts: values['allowed-host'] as string[] } : {}),
    ...(token !== undefined ? { token } : {}),
  };
  const pixels = num('max-image-pixels');
  return {
    ...(target !== undefined ? { target } : {}),
    values,
    server: {
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
      maxBodiesBytes: num('max-bodies-bytes'),
      maxImageBytes: num('max-image-bytes'),
      maxModelBytes: num('max-model-bytes'),
      ...(pixels !== undefined ? { images: { maxPixels: pixels } } : {}),
      ...(str('tls-cert') !== undefined
        ? {
            tls: {
              cert: readPem(str('tls-cert') as string, 'a PEM certificate'),
              key: readPem(str('tls-key') as string, 'a PEM private key'),
            },
          }
        : {}),
      admin,
      access,
      batching: values['no-batching'] ? false : undefined,
    },
  };
}

/** Class names from a labels file: one a line, blank lines at the end ignored. */
function readLabels(file: string): string[] {
  const text = Buffer.from(
    readRegularFile(file, {
      fn: 'serve',
      what: 'a labels file (one class name a line)',
      maxBytes: 16 * 1024 * 1024,
      tooLargeAdvice: 'Keep one class name a line.',
    }),
  ).toString('utf8');
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function main(): Promise<void> {
  let parsed: Parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (e) {
    usage((e as Error).message);
  }
  const str = (k: string): string | undefined => parsed.values[k] as string | undefined;
  await initBackend('wasm');
  let where: Pick<ServerOptions, 'registryDir' | 'model' | 'version'>;
  if (parsed.target !== undefined) {
    const labels = str('labels');
    const p = await publishForServing(parsed.target, {
      ...(str('registry') !== undefined ? { registryDir: str('registry') } : {}),
      ...(str('name') !== undefined ? { name: str('name') } : {}),
      ...(str('artifact') !== undefined ? { artifact: str('artifact') } : {}),
      ...(labels !== undefined ? { classNames: readLabels(labels) } : {}),
      ...(str('preprocessing') !== undefined
        ? { preprocessing: { preset: str('preprocessing') as PreprocessPreset } }
        : {}),
      ...(parsed.server.maxModelBytes !== undefined ? { maxModelBytes: parsed.server.maxModelBytes } : {}),
    });
    process.stdout.write(
      `${p.published ? 'published' : 'found'} ${p.name}@${p.version} in ${p.registryDir}: ${p.reason}\n`,
    );
    where = { registryDir: p.registryDir, model: p.name, version: p.version };
  } else {
    where = { registryDir: str('registry') as string, model: str('model') as string, version: str('version') };
  }
  const options: ServerOptions = { ...parsed.server, ...where };
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(options);
  } catch (e) {
    if (e instanceof ListenError) {
      process.stderr.write(`tfjs-compress serve: ${e.message}\n`);
      process.exit(2);
    }
    if (e instanceof ConfigError) usage(e.message);
    throw e;
  }
  closeOnSignals(() => server.close()); // before the line that says it serves: a client may stop it at once
  const admin = options.admin?.token
    ? 'admin API on (token)'
    : options.admin?.insecure
      ? 'admin API on WITHOUT a token (loopback)'
      : 'admin API off (no token)';
  const inference = options.access?.token ? 'inference token required' : 'no inference token';
  const origins = options.access?.cors?.length ? `web pages of ${options.access.cors.join(', ')}` : 'no web pages';
  process.stdout.write(
    `serving ${options.model}@${server.active().version} at ${server.url} (${admin}; ${inference}; ${origins})\n`,
  );
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.tls)
    process.stderr.write(
      `warning: serving on ${host} without TLS: tokens and data cross the network in clear. Pass --tls-cert and --tls-key.\n`,
    );
}

runMain(main);
