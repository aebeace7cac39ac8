// Command-line entry point of the browser demo (a script, so it may print): `make demo`, or
//   node dist/course/cli.js [--port 8765] [--host 127.0.0.1] [--dir build/web-demo]
// Builds the demo's models from the deployment chapter's cached SimpleNets (trained on the first
// run, a few minutes), writes them under --dir, serves the page on loopback only and prints its
// URL. Unknown flags and bad values are usage errors (exit code 2); Ctrl-C stops it.
import * as path from 'path';
import { parseArgs } from 'util';
import { initBackend } from '../lib/core/backend';
import { loadMnist } from './data/mnist';
import { consoleProgress } from '../lib/train/progress';
import { deploymentModels } from './deploy-models';
import { prepareWebModels, startWebDemo } from './web-demo';
import { webDemoModels } from './web-demo-models';
import { closeOnSignals, runMain } from '../lib/core/process-main';
import { REPO_ROOT } from './paths';

const USAGE = 'usage: cli [--port <n>] [--host 127.0.0.1|::1|localhost] [--dir <folder>]\n';
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exit(2);
}

function parse(argv: string[]): { port: number; host: string; dir: string } {
  let values: Record<string, string | boolean | undefined> = {};
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        dir: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const port = Number(values.port ?? 8765);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536))
    usage(`--port must be an integer in [0, 65535], got ${JSON.stringify(String(values.port).slice(0, 20))}.`);
  const host = String(values.host ?? '127.0.0.1');
  if (!LOOPBACK.has(host))
    usage(
      `--host must be a loopback address (127.0.0.1, ::1 or localhost), got ${JSON.stringify(host.slice(0, 40))}: the demo is for this machine only.`,
    );
  return { port, host, dir: path.resolve(String(values.dir ?? path.join(REPO_ROOT, 'build', 'web-demo'))) };
}

async function main(): Promise<void> {
  const { port, host, dir } = parse(process.argv.slice(2));
  await initBackend('wasm');
  process.stdout.write('preparing the models (the first run trains and caches them)...\n');
  const { baseline, compressed } = await deploymentModels({ progress: consoleProgress('pruned SimpleNet') });
  const mnist = loadMnist();
  const demo = await webDemoModels({
    baseline: baseline.model,
    pruned: compressed.model,
    calibration: mnist.train,
    baselineLabel: baseline.label,
    prunedLabel: compressed.label,
  });
  const info = prepareWebModels(dir, demo.models, mnist.test, 200);
  demo.decoded.dispose();
  baseline.model.dispose();
  compressed.model.dispose();
  const server = await startWebDemo(dir, port, host).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE') usage(`port ${port} is in use: pass another, e.g. make demo DEMO_PORT=${port + 1}.`);
    throw e;
  });
  for (const m of info.models) process.stdout.write(`  ${m.key}: ${m.fileBytes} bytes (${m.format})\n`);
  process.stdout.write(`browser demo at ${server.url}/  (models in ${dir}; Ctrl-C to stop)\n`);
  closeOnSignals(() => server.close());
}

runMain(main);
