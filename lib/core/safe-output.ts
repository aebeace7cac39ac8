// The one safe-output primitive: every folder this tool writes for a user (`run --out`, and the
// `prune`, `quantize`, `export` commands' --out) goes through it. Its rules:
//   1. The output is a folder that does not exist yet, or an empty one. With `force` it may also
//      be a folder that holds the marker file (OUTPUT_MARKER) of an earlier output of this tool:
//      that folder, and nothing else, is replaced. A folder without the marker may hold the
//      user's own files, so it is never removed, whatever the flags.
//   2. The output never equals, contains, or lies inside any input (the recipe, the model, the
//      data, the labels), compared both as written and after resolving symbolic links: replacing
//      it could delete an input, and writing into an input changes what the next run reads.
//   3. The output path itself is not a symbolic link (what would be replaced is not what was named).
//   4. Names that become folders inside the output (a recipe's stage names) are one validated path
//      segment: letters, digits, '.', '_' and '-', not starting with a dot, at most 64 characters.
// The folder is written atomically (atomic.ts); the marker is part of it, and is checked again
// right before an old output is moved aside.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, describe } from '../errors';
import { writeFolderAtomic } from './atomic';
import { isInside } from './read-file';

/** The file that marks a folder as an output of tfjs-compress (replaceable with --force). */
export const OUTPUT_MARKER = '.tfjs-compress-output.json';

/** A path the command reads (named in errors by its role, e.g. 'the recipe', 'the model'). */
export interface OutputInput {
  readonly role: string;
  readonly path: string;
}

/** Options of {@link writeOutputFolder} and {@link checkOutputFolder}. */
export interface SafeOutputOptions {
  /** The command or function named in errors, e.g. 'run'. */
  readonly caller: string;
  /** Replace an earlier output of this tool (one that holds the marker). */
  readonly force?: boolean;
  /** Every path the command reads: the output may not equal, contain or lie inside any of them. */
  readonly inputs: readonly OutputInput[];
  /** What writes the folder, recorded in the marker (e.g. 'run', 'quantize'). */
  readonly kind: string;
}

/** What {@link checkOutputFolder} found. */
export interface OutputCheck {
  /** The absolute output path. */
  readonly target: string;
  /** True when an earlier output of this tool will be replaced. */
  readonly replaces: boolean;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** True for one safe path segment (see the file header, rule 4). */
export function isPathSegment(name: unknown): name is string {
  return typeof name === 'string' && SEGMENT.test(name);
}

/**
 * `name` when it is one safe path segment; a ConfigError naming `what` otherwise.
 * @example checkPathSegment('01-prune', 'run', 'a stage name') // '01-prune'; '../x' throws
 */
export function checkPathSegment(name: unknown, fn: string, what: string): string {
  if (!isPathSegment(name))
    throw new ConfigError(
      `${fn}: ${what} of 1 to 64 letters, digits, '.', '_' or '-' (not starting with '.' or '-'), got ${describe(name)}. ` +
        `Use a plain folder name such as "int8".`,
    );
  return name;
}

/** The path with symbolic links resolved as far as it exists (the rest appended as written). */
export function realPathOf(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

/** True when `dir` holds a regular-file marker written by this tool. */
export function hasOutputMarker(dir: string): boolean {
  const file = path.join(dir, OUTPUT_MARKER);
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st || !st.isFile() || st.size > 4096) return false;
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { tool?: unknown };
    return json?.tool === 'tfjs-compress';
  } catch {
    return false;
  }
}

function refuse(fn: string, want: string, got: string, fix: string): never {
  throw new ConfigError(`${fn}: ${want}, got ${got}. ${fix}`);
}

/** Rule 2: the output against every input, as written and resolved. */
function checkInputs(fn: string, target: string, inputs: readonly OutputInput[]): void {
  const realTarget = realPathOf(target);
  for (const input of inputs) {
    const abs = path.resolve(input.path);
    const real = realPathOf(abs);
    const pairs: [string, string][] = [
      [target, abs],
      [realTarget, real],
    ];
    for (const [out, inp] of pairs) {
      const relation =
        out === inp ? 'is' : isInside(inp, out) ? 'lies inside' : isInside(out, inp) ? 'contains' : undefined;
      if (relation)
        refuse(
          fn,
          'an output folder apart from every input',
          `${target}, which ${relation} ${input.role} (${input.path})`,
          'Choose an output folder outside the folders the command reads, e.g. a new sibling folder',
        );
    }
  }
}

/**
 * Checks the output folder against the rules of this file without writing anything (what
 * `run --dry-run` calls); throws a ConfigError that says how to fix it.
 */
export function checkOutputFolder(out: string, options: SafeOutputOptions): OutputCheck {
  const fn = options.caller;
  if (typeof out !== 'string' || out === '') refuse(fn, 'an output folder path', describe(out), 'Pass --out DIR');
  const target = path.resolve(out);
  if (path.dirname(target) === target)
    refuse(fn, 'an output folder below the file system root', target, 'Pass a new folder such as ./compressed');
  checkInputs(fn, target, options.inputs);
  const st = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!st) return { target, replaces: false };
  if (st.isSymbolicLink())
    refuse(
      fn,
      'an output folder that is not a symbolic link',
      `${target}, a link to ${fs.readlinkSync(target)}`,
      'Pass the folder the link points to, or a new folder',
    );
  if (!st.isDirectory())
    refuse(fn, 'an output folder (or a path where none exists yet)', `${target}, a file`, 'Choose another path');
  if (fs.readdirSync(target).length === 0) return { target, replaces: false };
  if (!options.force)
    refuse(
      fn,
      'an output folder that does not exist yet',
      `${target}, which exists`,
      `Choose another folder, or pass --force (force: true) to replace an earlier output of tfjs-compress`,
    );
  if (!hasOutputMarker(target))
    refuse(
      fn,
      `an earlier output of tfjs-compress (a folder holding ${OUTPUT_MARKER}) to replace with --force`,
      `${target}, which holds other files and no marker`,
      'It may hold your own files, so it is left alone: choose a new folder, or empty it yourself if nothing in it is needed',
    );
  return { target, replaces: true };
}

/**
 * Writes the output folder `out` as one unit after checking the rules of this file: `fill(tmp)`
 * writes the files into a fresh temporary folder (which already holds the marker), then it is
 * renamed into place. An earlier output is replaced only with `force` and only when it still
 * holds the marker at that moment. On any failure `out` is as it was.
 * @example await writeOutputFolder('out', async (dir) => save(dir), {caller: 'run', kind: 'run', inputs: [{role: 'the model', path: 'model'}]});
 */
export async function writeOutputFolder<T>(
  out: string,
  fill: (tmp: string) => T | Promise<T>,
  options: SafeOutputOptions,
): Promise<T> {
  const { target } = checkOutputFolder(out, options);
  return writeFolderAtomic(
    target,
    async (tmp) => {
      const marker = { tool: 'tfjs-compress', kind: options.kind, createdAt: new Date().toISOString() };
      fs.writeFileSync(path.join(tmp, OUTPUT_MARKER), `${JSON.stringify(marker)}\n`);
      return fill(tmp);
    },
    {
      caller: options.caller,
      force: options.force,
      beforeReplace: (dir) => {
        // Checked again at the last moment: the folder may have changed since the first check.
        checkOutputFolder(dir, options);
      },
    },
  );
}
