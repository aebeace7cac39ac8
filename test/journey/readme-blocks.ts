// The README's code blocks, as a reader meets them: fenced blocks in order, each with its
// language, its first line number and what the line before it asks of the runner, written as a
// visible HTML comment (rendered pages hide it; the source shows it):
//   <!-- readme-test: skip (why) -->        not run; the reason is required and counted
//   <!-- readme-test: file NAME -->         the block is a file the reader saves as NAME (relative)
//   <!-- readme-test: background URL -->    a server: started, then waited for until URL answers;
//                                           stopped when every block has run
// Without a comment, shell blocks run in bash and TypeScript blocks are compiled and run; JSON
// blocks must parse. Blocks in other languages (text, output) are shown text, not code.

/** What the runner does with a block. */
export type BlockAction =
  | { readonly kind: 'run' }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'file'; readonly name: string }
  | { readonly kind: 'background'; readonly url: string };

/** Languages whose blocks are code. */
export type BlockLanguage = 'sh' | 'ts' | 'js' | 'json';

/** One fenced block of the README. */
export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's info string as written ('sh', 'ts', 'json', ...). */
  readonly info: string;
  /** Normalised language, or undefined for shown text. */
  readonly language: BlockLanguage | undefined;
  readonly code: string;
  readonly action: BlockAction;
  /** The nearest heading above the block (for messages). */
  readonly section: string;
}

const LANGUAGES: Readonly<Record<string, BlockLanguage>> = {
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  console: 'sh',
  ts: 'ts',
  typescript: 'ts',
  js: 'js',
  javascript: 'js',
  mjs: 'js',
  json: 'json',
};

const DIRECTIVE = /^<!--\s*readme-test:\s*(.*?)\s*-->$/;

/** A malformed README directive (a runner error, reported with its line). */
export class DirectiveError extends Error {}

function parseDirective(text: string, line: number): BlockAction {
  const skip = /^skip\s*\((.+)\)$/.exec(text);
  if (skip) return { kind: 'skip', reason: (skip[1] as string).trim() };
  const file = /^file\s+(\S+)$/.exec(text);
  if (file) {
    const name = file[1] as string;
    if (name.startsWith('/') || name.split('/').includes('..'))
      throw new DirectiveError(
        `README line ${line}: a file directive names a relative path inside the app, got ${name}`,
      );
    return { kind: 'file', name };
  }
  const bg = /^background\s+(https?:\/\/\S+)$/.exec(text);
  if (bg) return { kind: 'background', url: bg[1] as string };
  throw new DirectiveError(
    `README line ${line}: a readme-test directive is "skip (reason)", "file NAME" or "background URL", got "${text}"`,
  );
}

/**
 * The fenced blocks of `markdown`, in order.
 * @example readmeBlocks('<!-- readme-test: skip (needs a GPU) -->\n```sh\nnvidia-smi\n```\n')[0].action // {kind: 'skip', reason: 'needs a GPU'}
 */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    const heading = /^#{1,6}\s+(.*)$/.exec(text);
    if (heading) section = (heading[1] as string).trim();
    const fence = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)\s*$/.exec(text);
    if (!fence) continue;
    const [, indent, marker, info] = fence as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] as string).trimStart().startsWith(marker)) {
      body.push((lines[j] as string).slice(indent.length));
      j++;
    }
    if (j >= lines.length) throw new DirectiveError(`README line ${i + 1}: a code block that is never closed`);
    // The directive is the last non-empty line before the fence.
    let k = i - 1;
    while (k >= 0 && (lines[k] as string).trim() === '') k--;
    const directive = k >= 0 ? DIRECTIVE.exec((lines[k] as string).trim()) : null;
    const language = LANGUAGES[info.toLowerCase()];
    const action: BlockAction = directive ? parseDirective(directive[1] as string, k + 1) : { kind: 'run' };
    if (directive && !language)
      throw new DirectiveError(
        `README line ${k + 1}: a readme-test directive above a block of shown text (${info || 'no language'})`,
      );
    blocks.push({ line: i + 1, info, language, code: `${body.join('\n')}\n`, action, section });
    i = j;
  }
  return blocks;
}
