// Running commands as a user's terminal would, for the journey and the README runner: bash in a
// folder, an environment without anything npm or this repository set (an app never sees the
// repository's .npmrc, and `npm run` would pass its config down as npm_config_* variables), a
// time-out that stops the whole process group, and servers started in the background.
import { spawn, ChildProcess } from 'child_process';
import * as http from 'http';
import * as path from 'path';

/** The environment a new user's shell has: this one without npm's, ORT's or the runners' variables. */
export function userEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|NPM_|ONNXRUNTIME_|TFJS_COMPRESS_|TFC_|NODE_OPTIONS$|INIT_CWD$|FORCE_COLOR$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** What a command gave. */
export interface ShellResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  readonly timedOut: boolean;
}

/** Options of {@link sh}. */
export interface ShellOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  /** Each output chunk as it comes (progress in the log). */
  readonly echo?: (chunk: string) => void;
  /** Echo stderr only (stdout holds a result, e.g. --json). */
  readonly echoStderrOnly?: boolean;
}

/** An echo that writes whole lines, each after `prefix` (chunks may end mid-line). */
export function lineEcho(write: (text: string) => void, prefix = '    | '): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) write(`${prefix}${l.replace(/\r/g, '')}\n`);
  };
}

const MAX_KEPT = 4 << 20;

/**
 * The environment of a shell in `cwd`, PWD included: bash keeps a logical folder (one reached
 * through a symbolic link) only when PWD names it, so that `cd ..` goes where the user expects.
 */
function shellEnv(options: { cwd: string; env?: NodeJS.ProcessEnv }): NodeJS.ProcessEnv {
  return { ...(options.env ?? userEnv()), PWD: path.resolve(options.cwd) };
}

/** Runs `script` with `bash -euo pipefail` in its own process group; kills the group on time-out. */
export function sh(script: string, options: ShellOptions): Promise<ShellResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: options.cwd,
      env: shellEnv(options),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      if (stdout.length < MAX_KEPT) stdout += c;
      if (!options.echoStderrOnly) options.echo?.(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      if (stderr.length < MAX_KEPT) stderr += c;
      options.echo?.(c);
    });
    const timer = setTimeout(
      () => {
        timedOut = true;
        killGroup(child, 'SIGKILL');
      },
      options.timeoutMs ?? 20 * 60_000,
    );
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        status: code ?? (signal ? 128 : -1),
        stdout,
        stderr,
        seconds: (Date.now() - started) / 1000,
        timedOut,
      });
    });
  });
}

/** Signals every process of `child`'s group (it was spawned detached, so it leads one). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** A command left running (a server): its output so far, and how to stop it. */
export interface Background {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `script` in bash in its own process group and leaves it running. */
export function background(script: string, options: Omit<ShellOptions, 'timeoutMs'>): Background {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: options.cwd,
    env: shellEnv(options),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (c: string) => {
    if (out.length < MAX_KEPT) out += c;
    options.echo?.(c);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    output: () => out,
    async stop(graceMs = 10_000) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One HTTP request: status, headers and body (no redirects followed). */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error(`no answer from ${url} in time`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits until `url` answers 200 (polling), the server exits, or `timeoutMs` passes. */
export async function waitForHttp(
  url: string,
  server: Background,
  timeoutMs = 180_000,
): Promise<{ ok: boolean; why: string }> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < until) {
    if (server.child.exitCode !== null || server.child.signalCode !== null)
      return { ok: false, why: `the server exited (${server.child.exitCode ?? server.child.signalCode})` };
    try {
      const r = await request(url, { timeoutMs: 5_000 });
      if (r.status === 200) return { ok: true, why: '' };
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ok: false, why: `${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})` };
}

/** The last `n` characters of a command's output, for a failure message. */
export function tail(text: string, n = 1500): string {
  return text.length > n ? `...${text.slice(-n)}` : text;
}
