// A real Redis server for tests: `redis-server` (Debian package, installed by `make setup`) on
// 127.0.0.1 and a free port, without persistence; stopped by its PID.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as path from 'path';
import * as net from 'net';
import { Redis } from 'ioredis';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts redis-server and waits until it answers PING. */
export async function startRedis(): Promise<RedisServer> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error('redis-server is not installed: run `make setup` (Debian package redis-server).');
  }
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined); // refused until the server listens: retried below
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') {
        client.disconnect();
        break;
      }
    } catch {
      client.disconnect();
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server did not answer on port ${port}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    url,
    pid: proc.pid as number,
    async stop() {
      process.kill(proc.pid as number, 'SIGTERM');
      await exited;
    },
  };
}

/**
 * A BullMQ worker process: `entry` (the library's lib/exec/cli.ts, or a script that defines jobs and
 * then runs it) with `--redis url --queue queue` and `args`, resolved once it prints "ready"
 * (rejected if it exits first), with that ready line (it lists the jobs the worker serves).
 */
export function startWorkerProcess(
  entry: string,
  url: string,
  queue: string,
  args: readonly string[],
): Promise<{ proc: ChildProcess; ready: string }> {
  const root = path.resolve(__dirname, '..', '..');
  const proc = spawn(process.execPath, ['--import', 'tsx', entry, '--redis', url, '--queue', queue, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    proc.stderr?.on('data', (d) => {
      err += String(d);
    });
    proc.stdout?.on('data', (d) => {
      const line = String(d);
      if (/ready/.test(line)) resolve({ proc, ready: line });
    });
    proc.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${err}`)));
  });
}

/** Stops a worker process with SIGTERM and waits for it to exit (nothing if it already has). */
export async function stopWorkerProcess(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}
