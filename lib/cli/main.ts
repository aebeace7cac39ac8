#!/usr/bin/env node
// The `tfjs-compress` executable (package.json "bin"): `npx tfjs-compress profile ./model`.
// `serve` hands over to the inference server's own command line (lib/serve/cli.ts), which reads
// process.argv itself; every other subcommand runs in runCli.
import * as path from 'path';
import { runCli } from './cli';

const given = process.argv.slice(2);
// `help serve` is `serve --help`.
const argv = given[0] === 'help' && given[1] === 'serve' && given.length === 2 ? ['serve', '--help'] : given;
if (argv[0] === 'serve') {
  process.argv = [process.argv[0] as string, path.join(__dirname, '..', 'serve', 'cli.js'), ...argv.slice(1)];

  require('../serve/cli');
} else {
  runCli(argv).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`tfjs-compress: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
