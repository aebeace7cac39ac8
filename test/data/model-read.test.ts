// Model folders attacked as a careful attacker (or an unlucky operator) would: manifest paths
// out of the folder, links, FIFOs, devices, repeated files, huge and malformed model.json files.
// Every case must be a DataError (never a TypeError, never a hang), through both readers, and no
// file outside the folder may even be opened: fs.open / fs.openSync are watched and counted.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { ConfigError, DataError } from '../../lib/errors';
import { readArtifacts, readArtifactsAsync } from '../../lib/data/model-read';
import { cacheDir } from '../../lib/core/cache-dir';

const SPEC = [{ name: 'a', shape: [4], dtype: 'float32' }];

interface Attack {
  readonly name: string;
  readonly paths?: unknown;
  readonly json?: unknown;
  readonly raw?: string;
  readonly setup?: (dir: string, base: string) => void;
  readonly weights?: unknown;
}

/** Records every path opened through fs while `fn` runs. */
async function watchOpens<T>(
  fn: () => T | Promise<T>,
): Promise<{ opened: string[]; result: T | undefined; error: unknown }> {
  const opened: string[] = [];

  const f = require('fs') as Record<string, (...a: unknown[]) => unknown>; // the module object (the namespace import is read-only)
  const saved = { open: f.open, openSync: f.openSync, readFileSync: f.readFileSync };
  f.openSync = (p: unknown, ...rest: unknown[]) => {
    opened.push(String(p));
    return (saved.openSync as (...a: unknown[]) => unknown)(p, ...rest);
  };
  f.open = (p: unknown, ...rest: unknown[]) => {
    opened.push(String(p));
    return (saved.open as (...a: unknown[]) => unknown)(p, ...rest);
  };
  f.readFileSync = (p: unknown, ...rest: unknown[]) => {
    opened.push(String(p));
    return (saved.readFileSync as (...a: unknown[]) => unknown)(p, ...rest);
  };
  const promises = fs.promises as unknown as Record<string, (...a: unknown[]) => unknown>;
  const savedPromiseOpen = promises.open as (...a: unknown[]) => unknown;
  promises.open = (p: unknown, ...rest: unknown[]) => {
    opened.push(String(p));
    return savedPromiseOpen(p, ...rest);
  };
  try {
    return { opened, result: await fn(), error: undefined };
  } catch (error) {
    return { opened, result: undefined, error };
  } finally {
    Object.assign(f, saved);
    promises.open = savedPromiseOpen;
  }
}

const timeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`hung for ${ms} ms`)), ms))]);

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

describe('data/model-read: hostile model folders', function () {
  this.timeout(120000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-read-attack-'));
  fs.writeFileSync(path.join(base, 'secret.bin'), Buffer.alloc(16, 7));
  let n = 0;

  /** A folder with a valid 16-byte w.bin and model.json built from the attack. */
  function folder(a: Attack): string {
    const dir = path.join(base, `m${n++}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.alloc(16, 1));
    a.setup?.(dir, base);
    if (a.raw !== undefined) fs.writeFileSync(path.join(dir, 'model.json'), a.raw);
    else if (!fs.existsSync(path.join(dir, 'model.json'))) {
      const json = a.json ?? {
        modelTopology: {},
        weightsManifest: [{ paths: a.paths ?? ['w.bin'], weights: a.weights ?? SPEC }],
      };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    }
    return dir;
  }

  const repeated = 5000;
  const attacks: Attack[] = [
    ...[
      '../secret.bin',
      '../../secret.bin',
      'sub/../../secret.bin',
      './../secret.bin',
      path.join(base, 'secret.bin'),
      '/etc/passwd',
      '/dev/zero',
      '../../../../../../../../../../dev/zero',
      '..\\secret.bin',
      '..%2fsecret.bin',
      '%2e%2e/secret.bin',
      'file:///etc/passwd',
      'https://example.com/w.bin',
      'w.bin\0',
      '',
      '.',
      '..',
    ].map((p) => ({ name: `path ${JSON.stringify(p)}`, paths: [p] })),
    {
      name: 'relative link out',
      paths: ['l.bin'],
      setup: (d) => fs.symlinkSync('../secret.bin', path.join(d, 'l.bin')),
    },
    {
      name: 'absolute link to /etc/passwd',
      paths: ['l.bin'],
      setup: (d) => fs.symlinkSync('/etc/passwd', path.join(d, 'l.bin')),
    },
    { name: 'link to /dev/zero', paths: ['l.bin'], setup: (d) => fs.symlinkSync('/dev/zero', path.join(d, 'l.bin')) },
    {
      name: 'linked folder out, then a file in it',
      paths: ['ld/secret.bin'],
      setup: (d, b) => fs.symlinkSync(b, path.join(d, 'ld')),
    },
    {
      name: 'link chain out',
      paths: ['l1.bin'],
      setup: (d) => {
        fs.symlinkSync('l2.bin', path.join(d, 'l1.bin'));
        fs.symlinkSync('../secret.bin', path.join(d, 'l2.bin'));
      },
    },
    {
      name: 'link loop',
      paths: ['l1.bin'],
      setup: (d) => {
        fs.symlinkSync('l2.bin', path.join(d, 'l1.bin'));
        fs.symlinkSync('l1.bin', path.join(d, 'l2.bin'));
      },
    },
    { name: 'FIFO as weights', paths: ['fifo.bin'], setup: (d) => execFileSync('mkfifo', [path.join(d, 'fifo.bin')]) },
    { name: 'folder as weights', paths: ['sub'], setup: (d) => fs.mkdirSync(path.join(d, 'sub')) },
    ...(isRoot()
      ? [
          {
            name: 'character device (mknod c 1 5) as weights',
            paths: ['zero.bin'],
            setup: (d: string) => execFileSync('mknod', [path.join(d, 'zero.bin'), 'c', '1', '5']),
          },
        ]
      : []),
    {
      name: `the same file ${repeated} times`,
      paths: Array(repeated).fill('w.bin'),
      weights: [{ name: 'a', shape: [4 * repeated], dtype: 'float32' }],
    },
    {
      name: 'the same file by two names (./w.bin)',
      paths: ['w.bin', './w.bin'],
      weights: [{ name: 'a', shape: [8], dtype: 'float32' }],
    },
    {
      name: 'a hard link to a file named before',
      paths: ['w.bin', 'h.bin'],
      weights: [{ name: 'a', shape: [8], dtype: 'float32' }],
      setup: (d) => fs.linkSync(path.join(d, 'w.bin'), path.join(d, 'h.bin')),
    },
    { name: 'paths: 7', paths: 7 },
    { name: 'paths: [null]', paths: [null] },
    { name: 'paths: [7]', paths: [7] },
    { name: 'weights: [null]', weights: [null] },
    { name: 'weights: "x"', weights: 'x' },
    { name: 'a weight without shape', weights: [{ name: 'a', dtype: 'float32' }] },
    { name: 'shape: "4"', weights: [{ name: 'a', shape: '4', dtype: 'float32' }] },
    { name: 'shape: [1.5]', weights: [{ name: 'a', shape: [1.5], dtype: 'float32' }] },
    { name: 'shape: [1e12, 1e12]', weights: [{ name: 'a', shape: [1e12, 1e12], dtype: 'float32' }] },
    { name: 'a weight without dtype', weights: [{ name: 'a', shape: [4] }] },
    { name: 'quantization: 5', weights: [{ name: 'a', shape: [16], dtype: 'float32', quantization: 5 }] },
    { name: 'a weight without a name', weights: [{ shape: [4], dtype: 'float32' }] },
    { name: 'weightsManifest: [null]', json: { modelTopology: {}, weightsManifest: [null] } },
    { name: 'weightsManifest: {}', json: { modelTopology: {}, weightsManifest: {} } },
    { name: 'no weightsManifest', json: { modelTopology: {} } },
    { name: 'model.json: null', raw: 'null' },
    { name: 'model.json: []', raw: '[]' },
    { name: 'model.json: "x"', raw: '"x"' },
    { name: 'model.json: not JSON', raw: '{"modelTopology": ' },
    { name: 'model.json: 100,000 nested arrays', raw: '['.repeat(100000) + ']'.repeat(100000) },
    {
      name: 'model.json: 300 MB (sparse)',
      setup: (d) => {
        fs.writeFileSync(path.join(d, 'model.json'), '');
        fs.truncateSync(path.join(d, 'model.json'), 300 * 1024 * 1024);
      },
    },
    { name: 'model.json: a FIFO', setup: (d) => execFileSync('mkfifo', [path.join(d, 'model.json')]) },
    { name: 'model.json: a folder', setup: (d) => fs.mkdirSync(path.join(d, 'model.json')) },
    {
      name: 'model.json: a link out of the folder',
      setup: (d, b) => {
        fs.writeFileSync(path.join(b, 'outside.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [] }));
        fs.symlinkSync(path.join(b, 'outside.json'), path.join(d, 'model.json'));
      },
    },
    { name: 'model.json: a link to /dev/zero', setup: (d) => fs.symlinkSync('/dev/zero', path.join(d, 'model.json')) },
  ];

  it(`refuses ${attacks.length} hostile folders with a DataError through both readers, opening nothing outside the folder`, async () => {
    let dataErrors = 0;
    let outsideOpens = 0;
    const failures: string[] = [];
    for (const a of attacks) {
      const dir = folder(a);
      const root = fs.realpathSync(dir);
      for (const [reader, read] of [
        ['sync', () => readArtifacts(dir)],
        ['async', () => timeout(readArtifactsAsync(dir), 5000)],
      ] as const) {
        const before = process.memoryUsage().arrayBuffers;
        const { opened, error } = await watchOpens(read);
        const grown = process.memoryUsage().arrayBuffers - before;
        const outside = opened.filter((p) => {
          const rel = path.relative(root, path.resolve(p));
          return rel.startsWith('..') || path.isAbsolute(rel);
        });
        outsideOpens += outside.length;
        if (error instanceof DataError && !/hung/.test(error.message)) dataErrors++;
        else
          failures.push(
            `${reader} ${a.name}: ${error ? `${(error as Error).constructor.name} ${(error as Error).message}` : 'read without error'}`,
          );
        if (outside.length) failures.push(`${reader} ${a.name}: opened ${outside.join(', ')}`);
        if (grown > 4 * 1024 * 1024) failures.push(`${reader} ${a.name}: allocated ${grown} bytes before refusing`);
        if (error instanceof DataError) expect(error.message, a.name).to.match(/^readArtifacts: .+, got .+\. .+/s);
      }
    }
    console.log(
      `      ${attacks.length} attacks x 2 readers: ${dataErrors} DataErrors, ${outsideOpens} opens outside the folder`,
    );
    expect(failures).to.deep.equal([]);
    expect(dataErrors).to.equal(2 * attacks.length);
    expect(outsideOpens).to.equal(0);
  });

  it('still reads a well-formed folder (and a link that stays inside it); the caps can be raised', async () => {
    const dir = folder({
      name: 'ok',
      paths: ['w.bin', 'inner.bin'],
      weights: [{ name: 'a', shape: [8], dtype: 'float32' }],
      setup: (d) => {
        fs.mkdirSync(path.join(d, 'sub'));
        fs.writeFileSync(path.join(d, 'sub', 'x.bin'), Buffer.alloc(16, 2));
        fs.symlinkSync('sub/x.bin', path.join(d, 'inner.bin'));
      },
    });
    const a = await readArtifactsAsync(dir);
    expect(Array.from(a.weightData)).to.deep.equal([...Array(16).fill(1), ...Array(16).fill(2)]);
    expect(Array.from(readArtifacts(dir).weightData)).to.deep.equal(Array.from(a.weightData));
    const capped = await readArtifactsAsync(dir, { maxWeightBytes: 31 }).catch((e: unknown) => e as Error);
    expect(capped).to.be.instanceOf(DataError);
    expect((capped as Error).message).to.match(
      /weight files of at most 31 bytes in all, got 32 .* Raise maxWeightBytes/,
    );
    const jsonBytes = fs.statSync(path.join(dir, 'model.json')).size;
    expect(
      ((await readArtifactsAsync(dir, { maxModelJsonBytes: jsonBytes - 1 }).catch((e: unknown) => e)) as Error).message,
    ).to.match(/Raise maxModelJsonBytes/);
    const big = folder({
      name: 'big',
      setup: (d) => {
        fs.writeFileSync(
          path.join(d, 'model.json'),
          JSON.stringify({
            modelTopology: {},
            weightsManifest: [{ paths: ['w.bin'], weights: SPEC }],
            pad: 'x'.repeat(17 * 1024 * 1024),
          }),
        );
      },
    });
    expect(((await readArtifactsAsync(big).catch((e: unknown) => e)) as Error).message).to.match(
      /a model.json of at most 16777216 bytes/,
    );
    expect((await readArtifactsAsync(big, { maxModelJsonBytes: 32 * 1024 * 1024 })).weightData.length).to.equal(16);
  });

  it('a missing folder or a file given as the folder is a DataError', async () => {
    for (const dir of [path.join(base, 'nope'), path.join(base, 'secret.bin'), path.join(base, 'secret.bin', 'x')]) {
      for (const e of [
        (() => {
          try {
            readArtifacts(dir);
          } catch (x) {
            return x;
          }
        })(),
        await readArtifactsAsync(dir).catch((x: unknown) => x),
      ]) {
        expect(e, dir).to.be.instanceOf(DataError);
        expect((e as Error).message).to.match(/readArtifacts: a model.json in .*, got (ENOENT|ENOTDIR)\. /);
      }
    }
  });

  it('a cache root that is a file is a ConfigError naming the fix', () => {
    const file = path.join(base, 'cache-file');
    fs.writeFileSync(file, 'x');
    const saved = process.env.TFJS_COMPRESS_CACHE;
    process.env.TFJS_COMPRESS_CACHE = file;
    try {
      expect(() => cacheDir('models')).to.throw(
        ConfigError,
        /cacheDir: a cache folder at .*cache-file\/models .*, got (ENOTDIR|EEXIST)\. Point TFJS_COMPRESS_CACHE at a writable folder/,
      );
    } finally {
      if (saved === undefined) delete process.env.TFJS_COMPRESS_CACHE;
      else process.env.TFJS_COMPRESS_CACHE = saved;
    }
  });

  after(() => fs.rmSync(base, { recursive: true, force: true }));
});
