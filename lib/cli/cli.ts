// The `tfjs-compress` command line: subcommand dispatch, --help, --json, and exit codes
// (0 done, 1 failed: a typed library error or a failed check, 2 usage: an unknown subcommand or
// flag, a missing or malformed argument). Results go to stdout (with --json, one JSON document
// and nothing else); progress, warnings and errors go to stderr.
import { CompressionError } from '../errors';
import { initBackend } from '../core/backend';
import { setOutput } from '../core/output';
import { CommandSpec, ParsedArgs, UsageError, choiceArg, helpText, parseCommand } from './args';
import { CommandContext, CommandResult } from './common';
import { streamProgress } from './progress';
import { closest } from './suggest';
import { userMessage } from './error-text';
import { PROFILE, runProfile } from './commands/profile';
import { QUANTIZE, runQuantizeCommand } from './commands/quantize';
import { PRUNE, runPruneCommand } from './commands/prune';
import { EXPORT, runExportCommand } from './commands/export';
import { BENCH, runBenchCommand } from './commands/bench';
import { RUN, runRunCommand } from './commands/run';
import { AUTO, runAutoCommand } from './commands/auto';

type Runner = (args: ParsedArgs, ctx: CommandContext) => Promise<CommandResult>;

/** The subcommands, in the order help lists them. */
export const COMMANDS: readonly (readonly [CommandSpec, Runner])[] = [
  [PROFILE, runProfile],
  [QUANTIZE, runQuantizeCommand],
  [PRUNE, runPruneCommand],
  [EXPORT, runExportCommand],
  [BENCH, runBenchCommand],
  [RUN, runRunCommand],
  [AUTO, runAutoCommand],
];

const SERVE_SUMMARY = 'Serve models from a registry over HTTP (see `tfjs-compress serve --help`).';

/** The top-level help. */
export function mainHelp(): string {
  const width = 10;
  return [
    'usage: tfjs-compress <command> [arguments] [options]',
    '',
    'Compress TensorFlow.js models without Python: profile, prune, quantize, export and benchmark your own model folders.',
    '',
    'commands:',
    ...COMMANDS.map(([s]) => `  ${s.name.padEnd(width)}${s.summary}`),
    `  ${'serve'.padEnd(width)}${SERVE_SUMMARY}`,
    '',
    "Run `tfjs-compress help <command>` (or `tfjs-compress <command> --help`) for a command's options.",
    'Exit codes: 0 done, 1 failed (a typed error says why), 2 usage error.',
    '',
  ].join('\n');
}

const write = (stream: NodeJS.WriteStream, text: string) =>
  new Promise<void>((resolve) => {
    stream.write(text, () => resolve());
  });

/** Every command name, `serve` and `help` included (for "did you mean"). */
export const COMMAND_NAMES: readonly string[] = [...COMMANDS.map(([s]) => s.name), 'serve', 'help'];

/** The usage error for a command that does not exist, with the closest one. */
function unknownCommand(name: string): string {
  const guess = closest(name, COMMAND_NAMES);
  return `tfjs-compress: unknown command ${JSON.stringify(name.slice(0, 40))}.${guess ? ` Did you mean \`tfjs-compress ${guess}\`?` : ''}\n\n${mainHelp()}`;
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [first, ...others] = argv;
  if (first === undefined || first === '--help' || first === '-h' || (first === 'help' && others.length === 0)) {
    await write(first === undefined ? process.stderr : process.stdout, mainHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version') {
    const { packageVersion } = await import('../pipeline/report');
    await write(process.stdout, `${packageVersion('tfjs-compress')}\n`);
    return 0;
  }
  // `help <command>` is `<command> --help`.
  const [name, rest] = first === 'help' ? [others[0] as string, ['--help']] : [first, others];
  if (first === 'help' && others.length > 1) {
    await write(process.stderr, `tfjs-compress help: takes one command name, got ${others.length}.\n\n${mainHelp()}`);
    return 2;
  }
  const entry = COMMANDS.find(([s]) => s.name === name);
  if (!entry) {
    await write(process.stderr, unknownCommand(name));
    return 2;
  }
  const [spec, run] = entry;
  let json = false;
  try {
    const args = parseCommand(spec, rest);
    if (args.values.help) {
      await write(process.stdout, helpText(spec));
      return 0;
    }
    json = Boolean(args.values.json);
    const backend = choiceArg(args, 'backend', ['wasm', 'cpu'] as const) ?? 'wasm';
    // Library text (notebook checks, training lines) goes to stderr: stdout is for results.
    setOutput((text) => {
      if (!json) process.stderr.write(`${text}\n`);
    });
    await initBackend(backend);
    const progress = streamProgress({ quiet: json });
    const result = await run(args, { progress, print: (t) => process.stdout.write(`${t}\n`) });
    if (json) await write(process.stdout, `${JSON.stringify(result.json, null, 1)}\n`);
    else await write(process.stdout, `${result.text}\n`);
    if (result.failed) {
      await write(process.stderr, `tfjs-compress ${spec.name}: failed a check (see above).\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      await write(
        process.stderr,
        `tfjs-compress ${spec.name}: ${e.message}\nRun \`tfjs-compress help ${spec.name}\` for its arguments and options.\n`,
      );
      return 2;
    }
    const typed = e instanceof CompressionError;
    const shown = typed ? userMessage((e as Error).message) : undefined;
    const message = typed
      ? `${(e as Error).name}: ${shown}`
      : `unexpected error (please report it): ${(e as Error)?.stack ?? String(e)}`;
    await write(process.stderr, `tfjs-compress ${spec.name}: ${message}\n`);
    if (json)
      await write(
        process.stdout,
        `${JSON.stringify({ error: { name: (e as Error)?.name ?? 'Error', message: shown ?? (e as Error)?.message ?? String(e) } })}\n`,
      );
    return 1;
  }
}
