// The small things an attacker or an unlucky operator meets first: numbers in other bases, a port
// in use, the words of a first-load error, a version that is not a string, two rollbacks at once;
// and the command line's TLS, token and CORS flags.
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { ConfigError, DataError } from '../../lib/errors';
import { startServer } from '../../lib/serve/server';
import { ListenError } from '../../lib/serve/server-options';
import { ADMIN_TOKEN, admin, hostileVersions, tinyRegistry } from './fixtures';

const ROOT = path.resolve(__dirname, '../..');

function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'lib/serve/cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, TFC_ADMIN_TOKEN: '', TFC_INFERENCE_TOKEN: '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /at (https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    void exit.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  url.catch(() => undefined);
  return { child, url, exit, out: () => out, err: () => err };
}

describe('serve: the lows (ports, first-load words, versions, rollback races) and the command line', () => {
  let dir: string;
  before(async () => {
    dir = await tinyRegistry();
  });

  it('refuses ports and numbers not written in decimal digits (0x1f90, 1e3, 8080.5, a leading space, 0b11, Infinity) with exit code 2', async function () {
    this.timeout(120000);
    const base = ['--registry', dir, '--model', 'tiny', '--workers', '1'];
    for (const [flag, value] of [
      ['--port', '0x1f90'],
      ['--port', '1e3'],
      ['--port', '8080.5'],
      ['--port', ' 80'],
      ['--timeout-ms', '0b11'],
      ['--max-batch-size', 'Infinity'],
    ]) {
      const run = cli([...base, flag as string, value as string]);
      expect(await run.exit, `${flag} ${value}`).to.equal(2);
      expect(run.err()).to.match(/must be a whole number in decimal digits/);
    }
    const half = cli([...base, '--port', '0', '--tls-cert', 'x.pem']);
    expect(await half.exit).to.equal(2);
    expect(half.err()).to.match(/--tls-cert and --tls-key go together/);
  });

  it('answers a port in use with a typed error and advice, from the API and from the command line', async function () {
    this.timeout(120000);
    const first = await startServer({ registryDir: dir, model: 'tiny', workers: 1 });
    try {
      let err: unknown;
      try {
        await startServer({ registryDir: dir, model: 'tiny', workers: 1, port: first.port });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ListenError);
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(
        new RegExp(`port ${first.port} on 127\\.0\\.0\\.1 in use by another program \\(EADDRINUSE\\)\\. .*--port 0`),
      );
      const run = cli(['--registry', dir, '--model', 'tiny', '--workers', '1', '--port', String(first.port)]);
      expect(await run.exit).to.equal(2);
      expect(run.err()).to.match(/^tfjs-compress serve: startServer: a free port to listen on, got port \d+/);
      expect(run.err()).to.not.match(/at .*\.js:\d+|Error: listen/);
    } finally {
      await first.close();
    }
  });

  it('names a first load as startServer, never swap:', async () => {
    const hostile = await tinyRegistry();
    await hostileVersions(hostile);
    for (const version of ['nan', 'truncated', 'tampered-onnx', 'garbage-onnx', 'nan-onnx']) {
      let err: unknown;
      try {
        await startServer({ registryDir: hostile, model: 'tiny', version, workers: 1 });
      } catch (e) {
        err = e;
      }
      expect(err, version).to.be.instanceOf(DataError);
      expect((err as Error).message, version).to.not.match(/^swap:|swap: /);
    }
  });

  it('answers 400 to a version that is not a string, 404 to an unknown one, and 409 to the loser of two rollbacks', async () => {
    const s = await startServer({
      registryDir: dir,
      model: 'tiny',
      version: '1',
      workers: 1,
      admin: { token: ADMIN_TOKEN },
    });
    try {
      for (const version of [2, null, ['2'], { v: '2' }, true]) {
        const r = await admin(s.url, '/v1/admin/swap', { version });
        expect(r.status, JSON.stringify(version)).to.equal(400);
        expect(r.body.error).to.match(/Send the version as a JSON string/);
      }
      expect((await admin(s.url, '/v1/admin/swap', {})).status).to.equal(400);
      expect((await admin(s.url, '/v1/admin/swap', { version: '9' })).status).to.equal(404);
      for (let round = 0; round < 3; round++) {
        expect((await admin(s.url, '/v1/admin/swap', { version: '2' })).status).to.equal(200);
        const both = await Promise.all([admin(s.url, '/v1/admin/rollback'), admin(s.url, '/v1/admin/rollback')]);
        expect(both.map((r) => r.status).sort()).to.deep.equal([200, 409]);
        expect(both.find((r) => r.status === 409)?.body.error).to.match(/a version served before/);
        expect(s.history()).to.deep.equal(['1']);
      }
    } finally {
      await s.close();
    }
  });

  it('serves HTTPS with a token and a CORS origin from the command line', async function () {
    this.timeout(120000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-cli-tls-'));
    const cert = path.join(tmp, 'cert.pem');
    const key = path.join(tmp, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const tokenFile = path.join(tmp, 'token');
    fs.writeFileSync(tokenFile, 'cli-inference-token-0123456789\n', { mode: 0o600 });
    const run = cli([
      '--registry',
      dir,
      '--model',
      'tiny',
      '--workers',
      '1',
      '--port',
      '0',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--token-file',
      tokenFile,
      '--cors',
      'https://app.example',
    ]);
    const url = await run.url;
    expect(url).to.match(/^https:/);
    expect(run.out()).to.match(/inference token required; web pages of https:\/\/app\.example/);
    // fetch cannot take a CA here: ask through node's https, trusting the certificate.
    const probe = (auth: string): number =>
      Number(
        execFileSync(process.execPath, [
          '-e',
          `require('https').request('${url}/v1/predict',{method:'POST',ca:require('fs').readFileSync('${cert}'),headers:{'content-type':'application/json',authorization:'${auth}'}},r=>{console.log(r.statusCode);r.resume()}).end('{"input":[0,0,0,0]}')`,
        ]).toString(),
      );
    expect(probe('Bearer cli-inference-token-0123456789')).to.equal(200);
    expect(probe('Bearer nope-nope-nope-nope-nope')).to.equal(401);
    run.child.kill('SIGTERM');
    expect(await run.exit).to.equal(0);
  });
});
