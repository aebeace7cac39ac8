// The job queue attacked as an attacker who can write to Redis would: jobs written straight into
// BullMQ's keys with ioredis (no tfjs-compress code on the attacker's side), naming modules by
// absolute path or with the library's prefix climbing out with `../`, unknown names, and
// malformed payloads. A module that leaves a marker file when loaded proves that nothing is
// required; each job fails with a typed error, is not retried, and the worker keeps working.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess, spawn } from 'child_process';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { BullMqExecutor } from '../../lib/exec';
import { startRedis, RedisServer } from '../helpers/redis';
import { sums } from './fixtures/jobs';

const ROOT = path.resolve(__dirname, '..', '..');
const LIB = path.join(ROOT, 'lib');
const WORKER = path.join(__dirname, 'fixtures', 'worker.ts');
const QUEUE = 'attack';
const HASH = 'cd'.repeat(32);

interface Outcome {
  readonly state: 'completed' | 'failed';
  readonly failure?: { name: string; message: string };
  readonly attemptsMade: number;
}

describe('exec/queue attacks (jobs written into Redis directly)', function () {
  this.timeout(240000);
  let redis: RedisServer;
  let client: Redis;
  let worker: ChildProcess;
  let workerOut = '';
  let dir = '';
  let marker = '';
  let evil = '';

  /** Writes a job the way BullMQ stores one: a hash with raw `data`, its id in the wait list, a wake-up marker. */
  async function inject(id: string, data: string): Promise<void> {
    await client.hset(`bull:${QUEUE}:${id}`, {
      name: 'x',
      data,
      opts: '{"attempts":3}',
      timestamp: Date.now(),
      delay: 0,
      priority: 0,
    });
    await client.lpush(`bull:${QUEUE}:wait`, id);
    await client.zadd(`bull:${QUEUE}:marker`, 0, '0');
  }

  async function outcome(id: string): Promise<Outcome> {
    for (let i = 0; i < 1200; i++) {
      const h = await client.hgetall(`bull:${QUEUE}:${id}`);
      if (h.finishedOn) {
        const failed = h.failedReason !== undefined;
        return {
          state: failed ? 'failed' : 'completed',
          ...(failed ? { failure: JSON.parse(h.failedReason as string) as { name: string; message: string } } : {}),
          attemptsMade: Number(h.atm ?? h.attemptsMade ?? 0), // BullMQ stores it as 'atm'
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} never finished`);
  }

  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-attack-'));
    marker = path.join(dir, 'LOADED');
    evil = path.join(dir, 'evil.js');
    fs.writeFileSync(evil, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'loaded by ' + process.pid);\n`);
    worker = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER, '--redis', redis.url, '--queue', QUEUE, '--threads', '1'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    worker.stdout?.on('data', (d) => (workerOut += String(d)));
    worker.stderr?.on('data', (d) => (workerOut += String(d)));
    for (let i = 0; i < 600 && !/ready/.test(workerOut); i++) await new Promise((r) => setTimeout(r, 100));
    expect(workerOut).to.match(/ready: queue attack, 1 threads, jobs .*test\.sums/);
  });

  after(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    client?.disconnect();
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('never loads a module a job names, by absolute path or by the library prefix climbing out', async () => {
    const climbing = `tfjs-compress:${path.relative(LIB, evil).replace(/\.js$/, '')}`; // tfjs-compress:../../../tmp/...
    expect(climbing).to.match(/^tfjs-compress:(\.\.\/)+/);
    const attacks: [string, unknown, RegExp][] = [
      ['abs-module', { name: 'test.sums', module: evil, args: {} }, /got the key "module"/],
      ['climb-module', { name: 'test.sums', module: climbing, args: {} }, /got the key "module"/],
      ['climb-module-unknown', { name: 'evil.job', module: climbing, args: {} }, /got the key "module"/],
      ['abs-name', { name: evil, args: {} }, /got the name/],
      ['climb-name', { name: climbing, args: {} }, /got the name/],
      ['prefix-name', { name: 'tfjs-compress:../../x', args: {} }, /got the name/],
      ['unknown-name', { name: 'evil.job', args: {} }, /a job this worker runs, got "evil\.job"/],
      ['constructor-name', { name: 'constructor', args: {} }, /a job this worker runs, got "constructor"/],
      ['toString-name', { name: 'toString', args: {} }, /a job this worker runs/],
      ['file-key', { name: 'test.sums', file: evil, args: {} }, /got the key "file"/],
    ];
    for (const [id, data] of attacks) await inject(id, JSON.stringify(data));
    for (const [id, , pattern] of attacks) {
      const o = await outcome(id);
      expect(o.state, id).to.equal('failed');
      expect(['DataError', 'ConfigError'], id).to.include(o.failure?.name);
      expect(o.failure?.message, id).to.match(pattern);
      expect(o.attemptsMade, `${id}: a typed error is not retried`).to.equal(1);
    }
    expect(fs.existsSync(marker), 'the evil module was loaded').to.equal(false);
  });

  it('fails every malformed payload typed, and keeps working', async () => {
    const deepArgs = `{"name":"test.sums","args":${'['.repeat(50000)}${']'.repeat(50000)}}`;
    const ref = (type: unknown, length: unknown, hash: unknown = HASH): string =>
      JSON.stringify({ name: 'test.sums', args: { f: { $blob: hash, type, length }, u: [], tag: 'x' } });
    // A blob whose stored bytes do not match its reference (length, then hash).
    await client.set(`bull:${QUEUE}:blob:${HASH}`, Buffer.alloc(12));
    const wrongHash = 'ef'.repeat(32);
    await client.set(`bull:${QUEUE}:blob:${wrongHash}`, Buffer.alloc(12));
    const attacks: [string, string, RegExp][] = [
      ['null', 'null', /a job payload \{name, args\}, got null/],
      ['string', '"test.sums"', /got "test\.sums"/],
      ['number', '42', /got 42/],
      ['array', '[]', /got \[\]/],
      ['empty', '{}', /got the name undefined/],
      ['empty-text', '', /got the name undefined/],
      ['not-json', '{"name": "test.sums", args', /data that does not parse/],
      ['missing-args', '{"name":"test.sums"}', /got no args/],
      ['name-number', '{"name":5,"args":{}}', /got the name 5/],
      ['infinity', '{"name":"test.sums","args":{"x":1e999}}', /got Infinity at args\.x/],
      ['proto-key', '{"name":"test.sums","args":{"__proto__":{"isAdmin":true}}}', /got the key "__proto__" at args/],
      [
        'proto-nested',
        '{"name":"test.sums","args":{"a":[{"constructor":{"prototype":{}}}]}}',
        /"constructor" at args\.a\[0\]/,
      ],
      ['deep', deepArgs, /nesting deeper than 64/],
      ['blob-1e9', ref('Uint8Array', 1e9), /a blob of 1000000000 elements at args\.f/],
      ['blob-constructor', ref('constructor', 1), /a blob of type "constructor"/],
      ['blob-proto', ref('__proto__', 1), /a blob of type "__proto__"/],
      ['blob-negative', ref('Float32Array', -3), /a blob length -3/],
      ['blob-path-hash', ref('Uint8Array', 1, '../../../etc/passwd'), /a blob hash/],
      ['blob-missing', ref('Uint8Array', 4, 'aa'.repeat(32)), /got none \(expired or never stored\)/],
      ['blob-wrong-length', ref('Float32Array', 1000), /of 4000 bytes, got 12 bytes/],
      ['blob-wrong-hash', ref('Float32Array', 3, wrongHash), /with that sha256, got bytes with another/],
    ];
    for (const [id, data] of attacks) await inject(id, data);
    for (const [id, , pattern] of attacks) {
      const o = await outcome(id);
      expect(o.state, id).to.equal('failed');
      expect(o.failure?.name, id).to.equal('DataError');
      expect(o.failure?.message, id).to.match(pattern);
      expect(o.attemptsMade, id).to.equal(1);
    }
    // The worker is alive, printed no stack trace, and still runs a real job (typed arrays as blobs).
    expect(worker.exitCode).to.equal(null);
    expect(workerOut).to.not.match(/\n\s+at /);
    expect(workerOut).to.not.match(/Unhandled/);
    const ex = new BullMqExecutor({ url: redis.url, queue: QUEUE });
    try {
      const r = await ex.run(sums, { f: new Float32Array([1, 2, 3.5]), u: new Uint8Array([7, 8]), tag: 'after' });
      expect(r).to.deep.equal({ tag: 'after', f: 6.5, u: 15, types: ['Float32Array', 'Uint8Array'] });
    } finally {
      await ex.close();
    }
    expect(fs.existsSync(marker)).to.equal(false);
  });
});
