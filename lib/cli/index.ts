// The command line (the `tfjs-compress` executable's subcommands), callable from a script too.
export { runCli, mainHelp, COMMANDS } from './cli';
export { UsageError, parseCommand, helpText } from './args';
export type { CommandSpec, OptionSpec, ParsedArgs } from './args';
export { streamProgress } from './progress';
export type { Progress } from './progress';
