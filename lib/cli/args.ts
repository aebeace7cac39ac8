// Command-line arguments: one spec per subcommand (positionals, options with help text), parsed
// strictly with node's util.parseArgs (an unknown flag, a missing value or a stray argument is a
// usage error: exit code 2), and the `--help` text generated from the same spec, so the two
// never disagree.
import { parseArgs } from 'util';
import { closest } from './suggest';

/** A mistake in how the command was typed (exit code 2). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a subcommand. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** Shown after the flag in help, e.g. 'DIR|FILE.npy'. */
  readonly value?: string;
  readonly short?: string;
}

/** A subcommand: what it does, its arguments and options, and how to run it. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly positionals: readonly { readonly name: string; readonly description: string }[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Lines after the option list (examples, notes). */
  readonly notes?: readonly string[];
}

/** Parsed arguments. */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
}

/** Options every subcommand has. */
export const COMMON: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', description: 'show this help and exit' },
  json: { type: 'boolean', description: 'print one JSON document on stdout (and nothing else there)' },
  backend: { type: 'string', value: 'wasm|cpu', description: 'tfjs backend (default wasm)' },
};

/** Parses `argv` for `spec`; throws UsageError on anything it does not name. `--help` skips the positional check. */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options = { ...COMMON, ...spec.options };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: Object.fromEntries(
        Object.entries(options).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}) }]),
      ),
    }) as typeof parsed;
  } catch (e) {
    throw new UsageError(parseErrorText(e as Error & { code?: string }, Object.keys(options)), spec.name);
  }
  if (parsed.values.help) return parsed;
  if (parsed.positionals.length !== spec.positionals.length) {
    const want = spec.positionals.map((p) => p.name).join(' ') || 'no arguments';
    throw new UsageError(
      `${spec.name} takes ${want}, got ${parsed.positionals.length ? parsed.positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}.`,
      spec.name,
    );
  }
  return parsed;
}

/** util.parseArgs' error in the CLI's words, with the closest known flag for an unknown one. */
function parseErrorText(e: Error & { code?: string }, known: readonly string[]): string {
  const unknown = /^Unknown option '(-{1,2})([^']*)'/.exec(e.message);
  if (unknown) {
    const [, dashes, name] = unknown as unknown as [string, string, string];
    const guess = dashes === '--' ? closest(name.split('=')[0] as string, known) : undefined;
    return `unknown option ${dashes}${name}.${guess ? ` Did you mean --${guess}?` : ''}`;
  }
  return e.message.replace(/\. To specify a positional argument.*$/s, '.');
}

/** The `--help` text of a subcommand. */
export function helpText(spec: CommandSpec): string {
  const options = { ...spec.options, ...COMMON };
  const flag = (k: string, o: OptionSpec) => `${o.short ? `-${o.short}, ` : ''}--${k}${o.value ? ` ${o.value}` : ''}`;
  const width =
    Math.max(
      ...Object.entries(options).map(([k, o]) => flag(k, o).length),
      ...spec.positionals.map((p) => p.name.length),
    ) + 2;
  const lines = [
    `usage: tfjs-compress ${spec.name} ${spec.positionals.map((p) => p.name).join(' ')} [options]`.replace(
      /\s+\[options\]$/,
      ' [options]',
    ),
    '',
    spec.summary,
    '',
    ...(spec.positionals.length
      ? ['arguments:', ...spec.positionals.map((p) => `  ${p.name.padEnd(width)}${p.description}`), '']
      : []),
    'options:',
    ...Object.entries(options).map(([k, o]) => `  ${flag(k, o).padEnd(width)}${o.description}`),
    ...(spec.notes?.length ? ['', ...spec.notes] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** A string option's value, or undefined. */
export function stringArg(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A numeric option within bounds, or undefined when absent; a UsageError otherwise. `1/255` style fractions are accepted. */
export function numberArg(
  args: ParsedArgs,
  name: string,
  o: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const v = stringArg(args, name);
  if (v === undefined) return undefined;
  const frac = /^\s*(-?[\d.]+)\s*\/\s*([\d.]+)\s*$/.exec(v);
  const n = frac ? Number(frac[1]) / Number(frac[2]) : v.trim() === '' ? NaN : Number(v);
  const ok =
    Number.isFinite(n) &&
    (!o.integer || Number.isInteger(n)) &&
    (o.min === undefined || n >= o.min) &&
    (o.max === undefined || n <= o.max);
  if (!ok) {
    const range = [o.min !== undefined ? `>= ${o.min}` : '', o.max !== undefined ? `<= ${o.max}` : '']
      .filter(Boolean)
      .join(' and ');
    throw new UsageError(
      `--${name} must be ${o.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got ${JSON.stringify(v.slice(0, 40))}.`,
    );
  }
  return n;
}

/** A comma-separated list of names (e.g. --skip conv1,block2_*), trimmed, empty entries dropped; or undefined. */
export function listArg(args: ParsedArgs, name: string): string[] | undefined {
  return stringArg(args, name)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A comma-separated list of positive integers (e.g. --batch-sizes 1,32,256), or undefined. */
export function intListArg(args: ParsedArgs, name: string, max = 4096): number[] | undefined {
  const v = stringArg(args, name);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (!parts.length || !nums.every((n) => Number.isInteger(n) && n >= 1 && n <= max)) {
    throw new UsageError(
      `--${name} must be comma-separated integers in [1, ${max}], got ${JSON.stringify(v.slice(0, 40))}.`,
    );
  }
  return nums;
}

/** One of `choices`, or undefined. */
export function choiceArg<T extends string>(args: ParsedArgs, name: string, choices: readonly T[]): T | undefined {
  const v = stringArg(args, name);
  if (v === undefined) return undefined;
  if (!choices.includes(v as T))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(v.slice(0, 40))}.`);
  return v as T;
}

/** A comma-separated list of choices, or undefined. */
export function choiceListArg<T extends string>(
  args: ParsedArgs,
  name: string,
  choices: readonly T[],
): T[] | undefined {
  const v = stringArg(args, name);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  const bad = parts.filter((p) => !choices.includes(p as T));
  if (bad.length)
    throw new UsageError(`--${name} must list values among ${choices.join(', ')}, got ${JSON.stringify(bad[0])}.`);
  return parts as T[];
}
