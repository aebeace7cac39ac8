// A submitter never waits forever. With no worker, map() fails at its deadline with a
// JobTimeoutError and its waiting jobs are removed. When Redis restarts without its data, the
// job no longer exists: map() fails with a JobLostError soon after Redis is back, long before the
// deadline. Client errors during the outage are reported once per kind, not on every retry, and
// nothing reaches the console as an unhandled ioredis error.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { BullMqExecutor, JobLostError, JobTimeoutError } from '../../lib/exec';
import { setOutput } from '../../lib/core/output';
import { freePort, startRedisServer, TestRedis } from './redis-servers';
import { sums } from './fixtures/jobs';

const ARGS = { f: new Float32Array([1]), u: new Uint8Array([2]), tag: 'lost' };

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('exec/lost jobs and deadlines (redis-server restarted empty)', function () {
  this.timeout(240000);
  let server: TestRedis | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('fails at the deadline when no worker takes the jobs, and removes them from the queue', async () => {
    const port = await freePort();
    server = await startRedisServer(port);
    const url = `redis://127.0.0.1:${port}`;
    const ex = new BullMqExecutor({ url, queue: 'nobody', deadlineMs: 1500, checkIntervalMs: 200 });
    try {
      // The deadline fired (a JobTimeoutError that says so), not a wait forever: mocha's timeout bounds the test.
      const e = await rejection(ex.map([1, 2].map((i) => ({ job: sums, args: { ...ARGS, tag: String(i) } }))));
      expect(e).to.be.instanceOf(JobTimeoutError);
      expect(e.message).to.match(/got 2 of 2 unfinished at the deadline/);
      expect(e.message).to.match(/workers run on queue 'nobody'/);
    } finally {
      await ex.close();
    }
    const client = new Redis(url);
    for (let i = 0; i < 50 && (await client.llen('bull:nobody:wait')) > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await client.llen('bull:nobody:wait')).to.equal(0);
    client.disconnect();
  });

  it('fails with JobLostError when Redis comes back empty, and reports the outage once', async () => {
    const port = await freePort();
    server = await startRedisServer(port);
    const url = `redis://127.0.0.1:${port}`;
    const lines: string[] = [];
    const consoleErrors: string[] = [];
    const previous = setOutput((t) => lines.push(t));
    const consoleError = console.error;
    console.error = (...a: unknown[]) => void consoleErrors.push(a.map(String).join(' '));
    const ex = new BullMqExecutor({ url, queue: 'restart', checkIntervalMs: 250 });
    try {
      const running = rejection(ex.run(sums, ARGS)); // no worker: the job waits in the queue
      const client = new Redis(url);
      for (let i = 0; i < 100 && (await client.llen('bull:restart:wait')) === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await client.llen('bull:restart:wait')).to.equal(1);
      client.disconnect();
      await server.stop(true); // kill -9: the data is gone (no persistence)
      await new Promise((r) => setTimeout(r, 3000)); // clients retry for a while
      server = await startRedisServer(port);
      const e = await running;
      // Lost, not timed out: found missing long before the 6-hour default deadline could fire.
      expect(e).to.be.instanceOf(JobLostError);
      expect(e.message).to.match(
        /job 'test\.sums' \(id 1\) in queue 'restart' until it finished, got no such job in Redis/,
      );
    } finally {
      await ex.close();
      setOutput(previous);
      console.error = consoleError;
    }
    // Three clients retried for 3 s: each kind of error is shown once, then one line when Redis answers again.
    const refused = lines.filter((l) => /ECONNREFUSED/.test(l));
    expect(refused, lines.join('\n')).to.have.length(1);
    expect(lines.length, lines.join('\n')).to.be.at.most(4);
    expect(lines.join('\n')).to.match(/answers again/);
    expect(consoleErrors, consoleErrors.join('\n')).to.deep.equal([]);
  });
});
