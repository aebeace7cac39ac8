// Redis as users run it: a password (`--requirepass`), an ACL user confined to a key prefix, and
// TLS with a self-signed certificate, each with a real redis-server, a real worker and typed
// arrays through blobs. The URL forms are parsed by one function, and a password never appears
// in a message. A wrong password, a missing CA or a forbidden prefix gives a typed error at the
// deadline, and the client error is reported once, not on every retry.
import * as fs from 'fs';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { BullMqExecutor, JobTimeoutError, startBullMqWorker } from '../../lib/exec';
import { redisConnection } from '../../lib/exec/redis';
import type { BullMqWorkerHandle } from '../../lib/exec';
import { ConfigError } from '../../lib/errors';
import { freePort, redisHasTls, selfSignedCertificate, startRedisServer, TestRedis } from './redis-servers';
import { sums } from './fixtures/jobs';

const ARGS = { f: new Float32Array([0.5, 1.5]), u: new Uint8Array([1, 2, 3]), tag: 'conn' };
const RESULT = { tag: 'conn', f: 2, u: 6, types: ['Float32Array', 'Uint8Array'] };

/** The typed error of `p` (fails the test when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('exec/redis URLs (parsing, without a server)', () => {
  it('reads host, port, user, password, database and TLS from one URL', () => {
    expect(redisConnection('redis://127.0.0.1:6390', undefined, 'f')).to.deep.equal({ host: '127.0.0.1', port: 6390 });
    expect(redisConnection('redis://queue.internal', undefined, 'f')).to.deep.equal({
      host: 'queue.internal',
      port: 6379,
    });
    expect(redisConnection('redis://u:p%40ss%2Fw@10.0.0.5:6380/2', undefined, 'f')).to.deep.equal({
      host: '10.0.0.5',
      port: 6380,
      username: 'u',
      password: 'p@ss/w',
      db: 2,
    });
    expect(redisConnection('redis://:only-password@h:1', undefined, 'f')).to.deep.equal({
      host: 'h',
      port: 1,
      password: 'only-password',
    });
    expect(redisConnection('rediss://[::1]:6380', { ca: 'CA' }, 'f')).to.deep.equal({
      host: '::1',
      port: 6380,
      tls: { ca: 'CA' },
    });
    expect(redisConnection('rediss://cache.example.com', undefined, 'f')).to.deep.equal({
      host: 'cache.example.com',
      port: 6379,
      tls: {},
    });
  });

  it('refuses other URLs with a ConfigError that never shows the password', () => {
    const bad: [unknown, RegExp][] = [
      ['http://h:6379', /scheme http:/],
      ['redis://', /a Redis URL/],
      ['redis://h:0', /port 0/],
      ['redis://h:99999', /a Redis URL/],
      ['redis://h:6379/x', /only a database number/],
      ['redis://h:6379/0/1', /only a database number/],
      ['redis://h:6379?tls=true', /query options/],
      ['redis://h:6379?sentinels=x', /query options/],
      ['redis://h#frag', /query options/],
      ['redis://u:%E0%A4%A@h', /badly percent-encoded/],
      ['/tmp/redis.sock', /a Redis URL/],
      ['', /a Redis URL/],
      [undefined, /got undefined/],
      [6379, /got 6379/],
      ['redis://' + 'a'.repeat(3000), /a Redis URL/],
    ];
    for (const [url, pattern] of bad) {
      let e: unknown;
      try {
        redisConnection(url, undefined, 'f');
      } catch (x) {
        e = x;
      }
      expect(e, String(url)).to.be.instanceOf(ConfigError);
      expect((e as Error).message, String(url)).to.match(pattern);
    }
    let e: unknown;
    try {
      redisConnection('http://admin:hunter2@h:6379', undefined, 'f');
    } catch (x) {
      e = x;
    }
    expect((e as Error).message).to.not.include('hunter2');
    expect(() => redisConnection('redis://h', { ca: 'x' }, 'f')).to.throw(ConfigError, /use rediss:\/\//i);
    expect(() => new BullMqExecutor({ url: 'redis://127.0.0.1:1', queue: 'a:b' })).to.throw(ConfigError, /queue name/);
    expect(() => new BullMqExecutor({ url: 'redis://127.0.0.1:1', prefix: 'a b' })).to.throw(ConfigError, /key prefix/);
    expect(() => new BullMqExecutor({ url: 'redis://127.0.0.1:1', deadlineMs: 0 })).to.throw(ConfigError, /deadlineMs/);
  });
});

describe('exec/redis servers (password, ACL user and prefix, TLS)', function () {
  this.timeout(240000);
  let server: TestRedis | undefined;
  let worker: BullMqWorkerHandle | undefined;
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await server?.stop();
    server = undefined;
  });

  it('works with a password in the URL, and a wrong one fails typed at the deadline, reported once', async () => {
    const port = await freePort();
    server = await startRedisServer(port, ['--requirepass', 's3cret pass'], { password: 's3cret pass' });
    const url = `redis://:${encodeURIComponent('s3cret pass')}@127.0.0.1:${port}`;
    worker = await startBullMqWorker({ url, queue: 'auth', threads: 1, jobs: [sums] });
    const ex = new BullMqExecutor({ url, queue: 'auth' });
    try {
      expect(await ex.run(sums, ARGS)).to.deep.equal(RESULT);
    } finally {
      await ex.close();
    }
    const errors: Error[] = [];
    const wrong = new BullMqExecutor({
      url: `redis://:wrong-${'x'}@127.0.0.1:${port}`,
      queue: 'auth',
      deadlineMs: 3000,
      onRedisError: (e) => errors.push(e),
    });
    try {
      const e = await rejection(wrong.run(sums, ARGS));
      expect(e).to.be.instanceOf(JobTimeoutError);
      expect(e.message).to.match(/no connection to Redis/);
      expect(e.message).to.not.include('wrong-x');
    } finally {
      await wrong.close();
    }
    const auth = errors.filter((e) => /WRONGPASS|NOAUTH|invalid password/i.test(e.message));
    expect(auth.length, errors.map((e) => e.message).join(' | ')).to.equal(1);
  });

  it('keeps every key under the prefix, so an ACL user confined to it works, and another prefix is refused', async () => {
    const port = await freePort();
    server = await startRedisServer(port, ['--requirepass', 'admin-pw'], { password: 'admin-pw' });
    const admin = new Redis({ host: '127.0.0.1', port, password: 'admin-pw' });
    await admin.call('ACL', 'SETUSER', 'team', 'on', '>team-pw', '~team:*', '&*', '+@all');
    const url = `redis://team:team-pw@127.0.0.1:${port}`;
    worker = await startBullMqWorker({ url, queue: 'jobs', prefix: 'team', threads: 1, jobs: [sums] });
    const ex = new BullMqExecutor({ url, queue: 'jobs', prefix: 'team' });
    try {
      expect(await ex.run(sums, ARGS)).to.deep.equal(RESULT);
    } finally {
      await ex.close();
    }
    const keys = await admin.keys('*');
    expect(keys.length).to.be.above(0);
    expect(keys.filter((k) => !k.startsWith('team:'))).to.deep.equal([]);
    expect(keys.filter((k) => k.startsWith('team:jobs:blob:'))).to.have.length(2);
    const outside = new BullMqExecutor({ url, queue: 'jobs', deadlineMs: 20000 });
    try {
      const e = await rejection(outside.run(sums, ARGS));
      expect(e).to.be.instanceOf(ConfigError);
      expect(e.message).to.match(/NOPERM/);
      expect(e.message).to.match(/ACL ~bull:\*/);
      expect(e.message).to.not.include('team-pw');
    } finally {
      await outside.close();
    }
    admin.disconnect();
  });

  it('connects with TLS (rediss://) when given the CA, and refuses an unknown certificate', async function () {
    if (!redisHasTls()) this.skip(); // Debian's redis-server has TLS; a build without it cannot run this
    const { dir, key, cert } = selfSignedCertificate();
    try {
      const ca = fs.readFileSync(cert);
      const port = await freePort();
      server = await startRedisServer(
        port,
        [
          '--tls-port',
          String(port),
          '--tls-cert-file',
          cert,
          '--tls-key-file',
          key,
          '--tls-ca-cert-file',
          cert,
          '--tls-auth-clients',
          'no',
        ],
        { tls: { ca, servername: 'localhost' } },
      );
      const url = `rediss://localhost:${port}`;
      worker = await startBullMqWorker({ url, tls: { ca }, queue: 'tls', threads: 1, jobs: [sums] });
      const ex = new BullMqExecutor({ url, tls: { ca }, queue: 'tls' });
      try {
        expect(await ex.run(sums, ARGS)).to.deep.equal(RESULT);
      } finally {
        await ex.close();
      }
      const errors: Error[] = [];
      const untrusted = new BullMqExecutor({
        url,
        queue: 'tls',
        deadlineMs: 3000,
        onRedisError: (e) => errors.push(e),
      });
      try {
        expect(await rejection(untrusted.run(sums, ARGS))).to.be.instanceOf(JobTimeoutError);
      } finally {
        await untrusted.close();
      }
      const certErrors = errors.filter((e) => /self[- ]signed|certificate/i.test(e.message));
      expect(certErrors.length, errors.map((e) => e.message).join(' | ')).to.equal(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
