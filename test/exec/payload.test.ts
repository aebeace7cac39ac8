// The one payload schema, without Redis: what a queue or a worker thread may hand a worker, and
// the typed error for everything else. Workers never load code a payload names (the registry is
// code inside the worker): a forged definition or a `module` key is refused before any require.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { InlineExecutor, ThreadExecutor } from '../../lib/exec';
import { checkJobValue, parseJobPayload } from '../../lib/exec/payload';
import { blobRefs, decodeBlobs, encodeBlobs } from '../../lib/exec/blobs';
import { fromFailure, isRetryable, parseFailure } from '../../lib/exec/failure';
import { findJob, libraryJobs } from '../../lib/exec/job';
import { CompressionError, ConfigError, DataError } from '../../lib/errors';
import { sums } from './fixtures/jobs';

const HASH = 'ab'.repeat(32);

/** The error `f` throws (or undefined). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A module that leaves a marker file when it is loaded: proof that something required it. */
function evilModule(): { dir: string; file: string; marker: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evil-'));
  const marker = path.join(dir, 'LOADED');
  const file = path.join(dir, 'evil.js');
  fs.writeFileSync(file, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'loaded by ' + process.pid);\n`);
  return { dir, file, marker };
}

describe('exec/payload (one schema for queued jobs, thread tasks, arguments and results)', () => {
  it('accepts {name, args} of JSON values and well-formed blob references', () => {
    const ref = { $blob: HASH, type: 'Float32Array', length: 3 };
    const p = parseJobPayload(
      { name: 'test.sums', args: { f: ref, list: [1, 'a', null, true, { x: [ref] }] } },
      'queued',
      'w',
    );
    expect(p.name).to.equal('test.sums');
    expect(blobRefs(p.args, 'w')).to.deep.equal([ref]);
    // Null-prototype objects (what a careful JSON reader builds) are plain too.
    const bare = Object.assign(Object.create(null) as object, { name: 'a.b', args: {} });
    expect(parseJobPayload(bare, 'queued', 'w').name).to.equal('a.b');
  });

  it('refuses every malformed payload with a DataError that says where', () => {
    const deep = JSON.parse('['.repeat(100000) + ']'.repeat(100000)) as unknown;
    const protoKey = JSON.parse('{"a": {"__proto__": {"polluted": 1}}}') as unknown;
    const cases: [unknown, RegExp][] = [
      [null, /a job payload \{name, args\}, got null/],
      [undefined, /got undefined/],
      ['{"name":"x"}', /got "/],
      [42, /got 42/],
      [[], /got \[\]/],
      [{}, /got the name undefined/],
      [{ name: 'test.sums' }, /got no args/],
      [{ name: 5, args: {} }, /got the name 5/],
      [{ name: ['test.sums'], args: {} }, /got the name \["test\.sums"\]/],
      [{ name: '/tmp/evil.js', args: {} }, /got the name "\/tmp\/evil\.js"/],
      [{ name: 'tfjs-compress:../../x', args: {} }, /got the name "tfjs-compress:\.\.\/\.\.\/x"/],
      [{ name: 'a'.repeat(200), args: {} }, /got the name/],
      [{ name: 'test.sums', module: '/tmp/evil.js', args: {} }, /got the key "module".*never load code/],
      [{ name: 'test.sums', args: {}, file: 'x' }, /got the key "file"/],
      [{ name: 'test.sums', args: { x: Infinity } }, /got Infinity at args\.x/],
      [{ name: 'test.sums', args: { a: [1, { f: () => 1 }] } }, /got function at args\.a\[1\]\.f/],
      [{ name: 'test.sums', args: protoKey }, /got the key "__proto__" at args\.a/],
      [{ name: 'test.sums', args: { constructor: { name: 'x' } } }, /got the key "constructor" at args/],
      [{ name: 'test.sums', args: { b: { prototype: 1 } } }, /got the key "prototype" at args\.b/],
      [{ name: 'test.sums', args: deep }, /nesting deeper than 64/],
      [{ name: 'test.sums', args: new Date(0) }, /got a Date at args/],
      [
        { name: 'test.sums', args: { b: { $blob: HASH, type: 'Uint8Array', length: 1e9 } } },
        /a blob of 1000000000 elements at args\.b/,
      ],
      [
        { name: 'test.sums', args: { b: { $blob: HASH, type: 'Float64Array', length: 2 ** 26 + 1 } } },
        /at most 536870912 bytes/,
      ],
      [
        { name: 'test.sums', args: { b: { $blob: HASH, type: 'constructor', length: 1 } } },
        /a blob of type "constructor"/,
      ],
      [{ name: 'test.sums', args: { b: { $blob: HASH, type: '__proto__', length: 1 } } }, /a blob of type "__proto__"/],
      [{ name: 'test.sums', args: { b: { $blob: HASH, type: 'toString', length: 1 } } }, /a blob of type "toString"/],
      [{ name: 'test.sums', args: { b: { $blob: HASH, type: 'BigInt64Array', length: 1 } } }, /a blob of type/],
      [{ name: 'test.sums', args: { b: { $blob: '../../etc/passwd', type: 'Uint8Array', length: 1 } } }, /a blob hash/],
      [{ name: 'test.sums', args: { b: { $blob: HASH, type: 'Uint8Array', length: -1 } } }, /a blob length -1/],
      [{ name: 'test.sums', args: { b: { $blob: HASH, type: 'Uint8Array', length: 1.5 } } }, /a blob length 1\.5/],
      [{ name: 'test.sums', args: { b: { $blob: HASH, type: 'Uint8Array', length: '10' } } }, /a blob length "10"/],
      [
        { name: 'test.sums', args: { b: { $blob: HASH, type: 'Uint8Array', length: 1, module: 'x' } } },
        /a blob reference with keys/,
      ],
      [{ name: 'test.sums', args: { b: { $blob: HASH } } }, /a blob reference with keys/],
    ];
    for (const [data, pattern] of cases) {
      const e = thrown(() => parseJobPayload(data, 'queued', 'exec worker'));
      expect(e, describeCase(data)).to.be.instanceOf(DataError);
      expect((e as Error).message, describeCase(data)).to.match(pattern);
      expect((e as Error).message).to.match(/^exec worker: /);
    }
    // A thread task is checked the same way (typed arrays instead of references; `$blob` is reserved).
    expect(parseJobPayload({ name: 'a.b', args: { x: new Float32Array(2) } }, 'thread', 't').name).to.equal('a.b');
    expect(thrown(() => parseJobPayload({ name: 'a.b', args: { $blob: HASH } }, 'thread', 't'))).to.be.instanceOf(
      DataError,
    );
    expect(thrown(() => parseJobPayload({ name: 'a.b', module: '/x', args: {} }, 'thread', 't'))).to.be.instanceOf(
      DataError,
    );
  });

  it('checks blob bytes: missing, of another length or another hash are DataErrors, never a RangeError', () => {
    const { value, blobs } = encodeBlobs({ f: new Float32Array([1, 2, 3]) });
    const ref = blobRefs(value, 'w')[0] as { $blob: string };
    expect(thrown(() => decodeBlobs(value, new Map(), 'w'))).to.be.instanceOf(DataError);
    const short = new Map([[ref.$blob, new Uint8Array(4)]]);
    expect((thrown(() => decodeBlobs(value, short, 'w')) as Error).message).to.match(/of 12 bytes .* got 4 bytes/);
    const forged = { f: { ...ref, length: 1e8 } };
    const e = thrown(() => decodeBlobs(forged, blobs, 'w'));
    expect(e).to.be.instanceOf(DataError);
    const decoded = decodeBlobs(value, blobs, 'w') as { f: Float32Array };
    expect(Array.from(decoded.f)).to.deep.equal([1, 2, 3]);
  });

  it("refuses a caller's reserved keys and oversized arrays with a ConfigError", () => {
    expect(thrown(() => checkJobValue({ $blob: 'x' }, 'f'))).to.be.instanceOf(ConfigError);
    expect(thrown(() => checkJobValue(JSON.parse('{"__proto__": 1}'), 'f'))).to.be.instanceOf(ConfigError);
    expect(thrown(() => checkJobValue({ r: new Float32Array(2) }, 'f', 'result', false))).to.be.instanceOf(ConfigError);
    checkJobValue({ skip: undefined, a: [new Uint8Array(1), new Int32Array(1), new Float64Array(1)] }, 'f');
  });

  it('reads failures from a queue by a fixed table: constructor or toString name no class', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'Object']) {
      const f = parseFailure(JSON.stringify({ name, message: 'm' }));
      const err = fromFailure(f, 'job');
      expect(err, name).to.be.instanceOf(CompressionError);
      expect(err.name, name).to.equal('JobError');
      expect(isRetryable(f), name).to.equal(true);
    }
    expect(fromFailure(parseFailure('{"name":"DataError","message":"m"}'), 'j')).to.be.instanceOf(DataError);
    expect(parseFailure('not json').name).to.equal('QueueError');
    expect(parseFailure(JSON.stringify({ name: 'X', message: 'y'.repeat(10000) })).message).to.have.length(4000);
  });
});

describe('exec/job registry (code, never data, decides what runs)', function () {
  this.timeout(120000);

  it('lists each library job with the module that defines exactly it, and nothing else in lib defines a job', () => {
    const LIB = path.resolve(__dirname, '..', '..', 'lib');
    const table = libraryJobs();
    for (const [name, file] of table) {
      expect(findJob(name, table).file.replace(/\.(ts|js)$/, ''), name).to.equal(file);
    }
    const defined: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts'))
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/defineJob\(\s*'([^']+)'/g)) defined.push(m[1] as string);
      }
    };
    walk(LIB);
    expect(defined.filter((n) => n !== 'demo.square').sort()).to.deep.equal([...table.keys()].sort());
  });

  it('never loads a module named by a call, a forged definition or a thread task', async () => {
    const evil = evilModule();
    try {
      const forged = { name: 'test.sums', file: evil.file, run: async () => 1 };
      let e: unknown;
      try {
        await new InlineExecutor().map([{ job: forged, args: {} }]);
      } catch (x) {
        e = x;
      }
      expect(e).to.be.instanceOf(ConfigError);
      expect((e as Error).message).to.match(/a job defined with exec\.defineJob/);
      e = undefined;
      try {
        await new InlineExecutor().map([{ job: evil.file, args: {} }]);
      } catch (x) {
        e = x;
      }
      expect(e).to.be.instanceOf(ConfigError);
      expect((e as Error).message).to.match(/a job this worker runs/);
      const ex = new ThreadExecutor({ workers: 1, jobs: [sums] });
      try {
        expect([...ex.jobs.keys()]).to.include.members(['nas.candidate', 'test.sums']);
        expect([...ex.jobs.keys()]).to.not.include('test.busy'); // only the jobs given
        for (const task of [
          { name: 'test.sums', module: evil.file, args: {} },
          { name: evil.file, args: {} },
          { name: 'test.busy', args: { id: 1, ms: 1, dir: evil.dir } },
          { name: 'constructor', args: {} },
          null,
        ]) {
          const reply = await ex.runTask(task as never);
          expect(reply.ok, JSON.stringify(task)).to.equal(false);
          if (!reply.ok) expect(['DataError', 'ConfigError'], JSON.stringify(task)).to.include(reply.failure.name);
        }
        const ok = await ex.run(sums, { f: new Float32Array([1, 2]), u: new Uint8Array([3]), tag: 't' });
        expect(ok).to.deep.equal({ tag: 't', f: 3, u: 3, types: ['Float32Array', 'Uint8Array'] });
      } finally {
        await ex.close();
      }
      expect(fs.existsSync(evil.marker), 'the evil module was loaded').to.equal(false);
    } finally {
      fs.rmSync(evil.dir, { recursive: true, force: true });
    }
  });
});

function describeCase(data: unknown): string {
  try {
    return JSON.stringify(data)?.slice(0, 120) ?? String(data);
  } catch {
    return String(data);
  }
}
