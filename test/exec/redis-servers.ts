// Redis servers the way users run them, for the executor's tests: with a password
// (`--requirepass`), with ACL users, with TLS (`--tls-port`, a self-signed certificate made with
// openssl), and restarted empty on the same port. Real redis-server processes on 127.0.0.1,
// without persistence, stopped by their PID.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { Redis, RedisOptions } from 'ioredis';
import { freePort } from '../helpers/redis';

export interface TestRedis {
  readonly port: number;
  readonly pid: number;
  /** Stops the server (SIGKILL when `kill`: no goodbye to clients). */
  stop(kill?: boolean): Promise<void>;
}

/** Starts redis-server on `port` with `args`; waits until a client with `client` options answers PING. */
export async function startRedisServer(
  port: number,
  args: readonly string[] = [],
  client: RedisOptions = {},
): Promise<TestRedis> {
  const tls = args.includes('--tls-port');
  const proc: ChildProcess = spawn(
    'redis-server',
    [
      ...(tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...args.filter((a, i) => a !== '--tls-port' && args[i - 1] !== '--tls-port'),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 10000;
  for (;;) {
    const c = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      ...client,
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') {
        c.disconnect();
        break;
      }
    } catch {
      c.disconnect();
      if (Date.now() > deadline || proc.exitCode !== null) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server ${args.join(' ')} did not answer on port ${port}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    pid: proc.pid as number,
    async stop(kill = false) {
      if (proc.exitCode === null && proc.signalCode === null)
        process.kill(proc.pid as number, kill ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}

export { freePort };

/** A self-signed certificate for localhost and 127.0.0.1 (key and cert PEM files in a new folder). */
export function selfSignedCertificate(): { dir: string; key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-tls-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  const r = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  if (r.status !== 0) throw new Error(`openssl failed: ${String(r.stderr)}`);
  return { dir, key, cert };
}

/** True when this redis-server was built with TLS (Debian's is). */
export function redisHasTls(): boolean {
  const r = spawnSync('redis-server', ['--port', '0', '--tls-port', '1', '--tls-cert-file', '/nonexistent'], {
    timeout: 5000,
  });
  return (
    /TLS/.test(String(r.stdout) + String(r.stderr)) &&
    !/Bad directive|unknown/i.test(String(r.stdout) + String(r.stderr))
  );
}
