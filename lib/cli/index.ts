// The command line (the `tfjs-compress` executable's subcommands), callable from a script too.
export { runCli } from './cli';
export type { CommandSpec, OptionSpec, ParsedArgs } from './args';
export type { Progress } from './progress';
