// Runs the README's code blocks in order, as a reader typing them would: one terminal whose
// folder carries over from block to block (a `cd` in one block holds for the next), starting in
// the clone; shell blocks in bash (-euo pipefail); TypeScript blocks saved as a script in the
// current folder, type-checked strictly against the installed package's declarations and run
// with node; JSON blocks parsed; "file NAME" blocks saved; "background URL" blocks started and
// waited for. A block fails on a non-zero exit, a type error, a time-out or invalid JSON, and the
// runner says which block (line, section) and shows the end of its output. Skips are counted.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { ReadmeBlock, readmeBlocks } from './readme-blocks';
import { Background, background, lineEcho, sh, tail, userEnv, waitForHttp } from './shell';

/** What happened to one block. */
export interface BlockOutcome {
  readonly line: number;
  readonly section: string;
  readonly language: string;
  readonly status: 'passed' | 'failed' | 'skipped' | 'text';
  readonly seconds: number;
  readonly reason?: string;
}

/** The whole README. */
export interface ReadmeRun {
  readonly outcomes: BlockOutcome[];
  readonly run: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Options of {@link runReadme}. */
export interface ReadmeRunOptions {
  /** The folder the reader's terminal starts in (the clone, as the README's first blocks assume). */
  readonly startDir: string;
  /** Where the repository's TypeScript and @types are (to type-check TypeScript blocks). */
  readonly repoDir: string;
  readonly log: (text: string) => void;
  /** Per block (default 20 minutes). */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Type errors of a TypeScript block saved as `file`, resolved from its folder (the app's node_modules). */
export function typeErrors(file: string, repoDir: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [path.join(repoDir, 'node_modules', '@types')],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return text;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.basename(d.file.fileName)}:${line + 1}:${character + 1} ${text}`;
  });
}

async function runBlock(
  block: ReadmeBlock,
  cwd: string,
  o: ReadmeRunOptions,
  servers: Background[],
): Promise<{ cwd: string; status: BlockOutcome['status']; reason?: string }> {
  const env = o.env ?? userEnv();
  const timeoutMs = o.timeoutMs ?? 20 * 60_000;
  const echo = lineEcho((t) => o.log(t.replace(/\n$/, '')));
  const { action } = block;
  if (action.kind === 'skip') return { cwd, status: 'skipped', reason: action.reason };
  if (action.kind === 'file') {
    const file = path.join(cwd, action.name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, block.code);
    if (block.language === 'json') JSON.parse(block.code);
    return { cwd, status: 'passed' };
  }
  if (block.language === 'json') {
    try {
      JSON.parse(block.code);
      return { cwd, status: 'passed' };
    } catch (e) {
      return { cwd, status: 'failed', reason: `not valid JSON: ${(e as Error).message}` };
    }
  }
  if (action.kind === 'background') {
    if (block.language !== 'sh') return { cwd, status: 'failed', reason: 'a background block must be shell' };
    const server = background(block.code, { cwd, env, echo });
    servers.push(server);
    const ready = await waitForHttp(action.url, server);
    return ready.ok
      ? { cwd, status: 'passed' }
      : { cwd, status: 'failed', reason: `${ready.why}\n${tail(server.output())}` };
  }
  if (block.language === 'sh') {
    const marker = `/tmp/.readme-cwd-${process.pid}`;
    // The folder the block ends in, even when it fails part way (an EXIT trap).
    const r = await sh(`trap 'pwd > ${marker}' EXIT\n${block.code}`, { cwd, env, timeoutMs, echo });
    let next = cwd;
    try {
      next = fs.readFileSync(marker, 'utf8').trim() || cwd;
      fs.rmSync(marker);
    } catch {
      /* killed (time-out): the folder it was in is unknown */
    }
    if (r.status !== 0)
      return {
        cwd: next,
        status: 'failed',
        reason: `${r.timedOut ? 'timed out' : `exit ${r.status}`}\n${tail(r.stdout + r.stderr)}`,
      };
    return { cwd: next, status: 'passed' };
  }
  // TypeScript and JavaScript: a script saved in the current folder (so it resolves the app's packages).
  const dir = fs.mkdtempSync(path.join(cwd, '.readme-block-'));
  try {
    const base = path.join(dir, `line-${block.line}`);
    let js = block.code;
    if (block.language === 'ts') {
      fs.writeFileSync(`${base}.mts`, block.code);
      const errors = typeErrors(`${base}.mts`, o.repoDir);
      if (errors.length) return { cwd, status: 'failed', reason: `type errors:\n${errors.join('\n')}` };
      js = ts.transpileModule(block.code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
    }
    fs.writeFileSync(`${base}.mjs`, js);
    const r = await sh(`node ${JSON.stringify(`${base}.mjs`)}`, { cwd, env, timeoutMs, echo });
    if (r.status !== 0)
      return {
        cwd,
        status: 'failed',
        reason: `${r.timedOut ? 'timed out' : `exit ${r.status}`}\n${tail(r.stdout + r.stderr)}`,
      };
    return { cwd, status: 'passed' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every code block of the README at `readmePath`. */
export async function runReadme(readmePath: string, o: ReadmeRunOptions): Promise<ReadmeRun> {
  const blocks = readmeBlocks(fs.readFileSync(readmePath, 'utf8'));
  const outcomes: BlockOutcome[] = [];
  const servers: Background[] = [];
  let cwd = o.startDir;
  // Once the reader has left the clone for the app, a block that would run in the clone (after a
  // failed `cd`) is not run: it would install packages into the repository or write files there.
  const clone = fs.realpathSync(o.repoDir);
  const inClone = (dir: string) => {
    const real = fs.realpathSync(dir);
    return real === clone || real.startsWith(`${clone}${path.sep}`);
  };
  let leftClone = false;
  // Every block runs inside the folder that holds the start folder (the journey's temporary one).
  const sandbox = path.dirname(path.resolve(o.startDir));
  // The clone's package files must come out as they went in (a block that installs into the
  // clone by mistake stops the run).
  const guarded = ['package.json', 'package-lock.json'].map((f) => path.join(clone, f));
  const snapshot = () => guarded.map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '')).join('\0');
  const before = snapshot();
  try {
    for (const block of blocks) {
      const where = `README line ${block.line} (${block.section || 'top'}, ${block.info || 'text'})`;
      if (!block.language) {
        outcomes.push({ line: block.line, section: block.section, language: block.info, status: 'text', seconds: 0 });
        continue;
      }
      o.log(`${where}: ${block.action.kind === 'skip' ? `skipped: ${block.action.reason}` : block.action.kind}`);
      const started = Date.now();
      let result: Awaited<ReturnType<typeof runBlock>>;
      const outside = !`${path.resolve(cwd)}${path.sep}`.startsWith(`${sandbox}${path.sep}`);
      if (block.action.kind !== 'skip' && (outside || (leftClone && inClone(cwd)))) {
        result = {
          cwd,
          status: 'failed',
          reason: outside
            ? `not run: the terminal is in ${cwd}, outside the folder the README is run in (${sandbox})`
            : 'not run: an earlier block failed before leaving the clone for the app',
        };
      } else {
        try {
          result = await runBlock(block, cwd, o, servers);
        } catch (e) {
          result = { cwd, status: 'failed', reason: (e as Error).message };
        }
      }
      cwd = result.cwd;
      if (!inClone(cwd)) leftClone = true;
      if (snapshot() !== before) {
        outcomes.push({
          line: block.line,
          section: block.section,
          language: block.language,
          status: 'failed',
          seconds: (Date.now() - started) / 1000,
          reason: "it changed the clone's package.json or package-lock.json: the run stops here",
        });
        o.log(`${where}: FAILED: it changed the clone's package.json or package-lock.json; no further block is run`);
        break;
      }
      const seconds = (Date.now() - started) / 1000;
      outcomes.push({
        line: block.line,
        section: block.section,
        language: block.language,
        status: result.status,
        seconds,
        ...(result.reason ? { reason: result.reason } : {}),
      });
      if (result.status === 'failed') o.log(`${where}: FAILED after ${seconds.toFixed(1)} s: ${result.reason}`);
      else if (result.status === 'passed') o.log(`${where}: ok (${seconds.toFixed(1)} s)`);
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  return {
    outcomes,
    run: outcomes.filter((x) => x.status === 'passed' || x.status === 'failed').length,
    failed: outcomes.filter((x) => x.status === 'failed').length,
    skipped: outcomes.filter((x) => x.status === 'skipped').length,
  };
}
