// The static file server behind the browser demo, attacked: traversal on every route (encoded,
// double-encoded, absolute, backslashes, NUL), links out of the roots, FIFOs, devices, folders;
// no file outside the roots may even be opened (fs.open is watched and counted). Files are
// streamed (a child process serving 30 GETs of a 46 MB file keeps a small peak RSS), ranges are
// answered, and a HEAD or GET on a file over 2 GiB works.
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { startStaticServer } from '../../lib/serve/static-server';
import { transpileLib } from '../helpers/transpile';

/** Sends a raw request (fetch would normalize `..` and `\` away); returns the status code (0: connection closed). */
function rawStatus(url: string, method: string, target: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s: net.Socket = net.connect(Number(u.port), u.hostname, () =>
      s.write(`${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let out = '';
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1] ?? 0)));
    s.on('error', () => resolve(0));
    s.setTimeout(5000, () => s.destroy());
  });
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

describe('serve/static server', function () {
  this.timeout(180000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-static-'));
  const web = path.join(base, 'web');
  const models = path.join(base, 'models');
  const single = path.join(base, 'lib', 'tf.min.js');
  fs.mkdirSync(web);
  fs.mkdirSync(path.join(models, 'a'), { recursive: true });
  fs.mkdirSync(path.dirname(single), { recursive: true });
  fs.writeFileSync(path.join(web, 'index.html'), '<p>hi</p>');
  fs.writeFileSync(path.join(web, 'app.mjs'), 'export {}');
  fs.writeFileSync(path.join(models, 'a', 'model.json'), '{}');
  fs.writeFileSync(path.join(models, 'a', 'w.bin'), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  fs.writeFileSync(single, '// tf');
  fs.writeFileSync(path.join(base, 'secret.txt'), 'secret');
  fs.symlinkSync('../secret.txt', path.join(web, 'out.txt'));
  fs.symlinkSync('/etc/passwd', path.join(models, 'a', 'passwd.bin'));
  fs.symlinkSync(base, path.join(web, 'up'));
  fs.symlinkSync('/dev/zero', path.join(models, 'a', 'zero.bin'));
  fs.symlinkSync('w.bin', path.join(models, 'a', 'alias.bin')); // inside: allowed
  execFileSync('mkfifo', [path.join(models, 'a', 'fifo.bin')]);
  if (isRoot()) execFileSync('mknod', [path.join(web, 'dev.bin'), 'c', '1', '5']);
  const options = { mounts: { '/': web, '/models/': models }, files: { '/tf.min.js': single } };
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('refuses traversal, links out, FIFOs and devices on every route, opening nothing outside the roots', async () => {
    const roots = [web, models, single].map((p) => fs.realpathSync(p));
    const opened: string[] = [];

    const f = require('fs') as Record<string, (...a: unknown[]) => unknown>;
    const saved = { open: f.open, openSync: f.openSync, createReadStream: f.createReadStream };
    f.open = (p: unknown, ...r: unknown[]) => {
      opened.push(String(p));
      return (saved.open as (...a: unknown[]) => unknown)(p, ...r);
    };
    f.openSync = (p: unknown, ...r: unknown[]) => {
      opened.push(String(p));
      return (saved.openSync as (...a: unknown[]) => unknown)(p, ...r);
    };
    const s = await startStaticServer(options);
    const statuses: Record<string, number> = {};
    let attacks = 0;
    try {
      const tricks = [
        '../secret.txt',
        '%2e%2e/secret.txt',
        '%2E%2E%2Fsecret.txt',
        '%252e%252e/secret.txt',
        '..%2fsecret.txt',
        '..%5csecret.txt',
        '..\\secret.txt',
        '%2e%2e%5csecret.txt',
        '/etc/passwd',
        '%2fetc%2fpasswd',
        '//etc/passwd',
        '.%2e/secret.txt',
        '%00',
        'index.html%00.png',
        './../secret.txt',
        'a/../../secret.txt',
        '%c0%ae%c0%ae/secret.txt',
        '%',
        '..',
        '.',
        'up/secret.txt',
        'out.txt',
        'dev.bin',
        'a/passwd.bin',
        'a/zero.bin',
        'a/fifo.bin',
        'a',
        'a/',
      ];
      for (const prefix of ['/', '/models/', '/tf.min.js/', '/nowhere/']) {
        for (const t of tricks) {
          for (const method of ['GET', 'HEAD']) {
            const status = await rawStatus(s.url, method, prefix + t);
            statuses[status] = (statuses[status] ?? 0) + 1;
            attacks++;
            expect([400, 404], `${method} ${prefix}${t}`).to.include(status);
          }
        }
      }
      for (const target of ['http://127.0.0.1/../secret.txt', '*', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd']) {
        const status = await rawStatus(s.url, 'GET', target);
        attacks++;
        statuses[status] = (statuses[status] ?? 0) + 1;
        expect([400, 404], target).to.include(status);
      }
      // The legitimate routes still work, including a link that stays inside its root.
      expect((await fetch(`${s.url}/`)).status).to.equal(200);
      expect((await fetch(`${s.url}/tf.min.js`)).status).to.equal(200);
      expect(
        Array.from(new Uint8Array(await (await fetch(`${s.url}/models/a/alias.bin`)).arrayBuffer())),
      ).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      Object.assign(f, saved);
      await s.close();
    }
    const outside = opened.filter((p) => !roots.some((r) => p === r || !path.relative(r, p).startsWith('..')));
    console.log(
      `      ${attacks} traversal requests on 4 routes: ${JSON.stringify(statuses)}; files opened outside the roots: ${outside.length}`,
    );
    expect(outside).to.deep.equal([]);
  });

  it('sets content types, answers ranges, 405 with Allow, and HEAD/GET on a 3 GiB file', async () => {
    const big = path.join(models, 'big.bin');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 3 * 1024 ** 3); // sparse: 3 GiB of zeros
    fs.writeFileSync(path.join(models, 'tail.bin'), 'x');
    fs.appendFileSync(big, 'END');
    const s = await startStaticServer(options);
    try {
      expect((await fetch(`${s.url}/app.mjs`)).headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
      expect((await fetch(`${s.url}/models/a/model.json`)).headers.get('content-type')).to.match(/^application\/json/);
      expect((await fetch(`${s.url}/models/a/w.bin`)).headers.get('x-content-type-options')).to.equal('nosniff');
      const r1 = await fetch(`${s.url}/models/a/w.bin`, { headers: { range: 'bytes=2-4' } });
      expect([
        r1.status,
        r1.headers.get('content-range'),
        Array.from(new Uint8Array(await r1.arrayBuffer())),
      ]).to.deep.equal([206, 'bytes 2-4/10', [2, 3, 4]]);
      const r2 = await fetch(`${s.url}/models/a/w.bin`, { headers: { range: 'bytes=-3' } });
      expect(Array.from(new Uint8Array(await r2.arrayBuffer()))).to.deep.equal([7, 8, 9]);
      const r3 = await fetch(`${s.url}/models/a/w.bin`, { headers: { range: 'bytes=10-' } });
      expect([r3.status, r3.headers.get('content-range')]).to.deep.equal([416, 'bytes */10']);
      expect((await fetch(`${s.url}/models/a/w.bin`, { headers: { range: 'bytes=0-1,4-5' } })).status).to.equal(416);
      const post = await fetch(`${s.url}/index.html`, { method: 'POST', body: 'x' });
      expect([post.status, post.headers.get('allow')]).to.deep.equal([405, 'GET, HEAD']);
      const head = await fetch(`${s.url}/models/big.bin`, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-length')]).to.deep.equal([200, String(3 * 1024 ** 3 + 3)]);
      const tail = await fetch(`${s.url}/models/big.bin`, { headers: { range: 'bytes=-3' } });
      expect([tail.status, await tail.text()]).to.deep.equal([206, 'END']);
      const whole = await fetch(`${s.url}/models/big.bin`);
      const reader = (whole.body as ReadableStream<Uint8Array>).getReader();
      expect((await reader.read()).value?.length).to.be.greaterThan(0);
      await reader.cancel(); // the client goes away mid-file
      expect((await fetch(`${s.url}/`)).status).to.equal(200);
    } finally {
      await s.close();
    }
    await startStaticServer({ ...options, host: '' }).then(
      () => expect.fail('bound every interface'),
      (e: unknown) => expect(e).to.be.instanceOf(ConfigError),
    );
  });

  it('streams: 30 concurrent GETs of a 46 MB file keep the serving process small', async () => {
    const file = path.join(models, 'big46.bin');
    fs.writeFileSync(file, Buffer.alloc(46 * 1024 * 1024, 3));
    const dir = path.join(base, 'child');
    transpileLib(dir, ['errors.ts', 'serve/static-server.ts']);
    fs.writeFileSync(
      path.join(dir, 'server.js'),
      `require('./lib/serve/static-server.js').startStaticServer({ mounts: { '/': ${JSON.stringify(models)} } })` +
        `.then((s) => process.stdout.write(s.url + '\\n'));`,
    );
    const child = spawn(process.execPath, [path.join(dir, 'server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((resolve) =>
        child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())),
      );
      const rssKb = (field: string) =>
        Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
      const idleKb = rssKb('VmRSS');
      const sizes = await Promise.all(
        Array.from({ length: 30 }, async () => {
          const res = await fetch(`${url}/big46.bin`);
          let n = 0;
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
          return n;
        }),
      );
      const peakMb = rssKb('VmHWM') / 1024;
      console.log(
        `      30 x 46 MB streamed (${(sizes.reduce((a, b) => a + b, 0) / 2 ** 20).toFixed(0)} MiB): server RSS idle ${(idleKb / 1024).toFixed(0)} MB, peak ${peakMb.toFixed(0)} MB`,
      );
      expect(sizes.every((n) => n === 46 * 1024 * 1024)).to.equal(true);
      expect(peakMb - idleKb / 1024).to.be.lessThan(200);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
