// Command-line entry point of the inference server (a script, so it may print):
//   node --import tsx lib/serve/cli.ts --registry models --model simplenet [--version 2] [--port 8080] [--host 127.0.0.1]
//   node dist/serve/cli.js ...   (after `npm run build`)
// SIGINT / SIGTERM shut it down gracefully (in-flight requests finish).
import { initBackend } from '../core/backend';
import { startServer } from './server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const registryDir = arg('registry');
  const model = arg('model');
  if (!registryDir || !model) {
    process.stderr.write('usage: cli --registry <dir> --model <name> [--version <v>] [--port <n>] [--host <h>]\n');
    process.exit(2);
  }
  await initBackend('wasm');
  const server = await startServer({ registryDir, model, version: arg('version'), port: Number(arg('port') ?? 8080), host: arg('host') ?? '127.0.0.1' });
  process.stdout.write(`serving ${model}@${server.active().version} at ${server.url}\n`);
  const stop = (): void => {
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
