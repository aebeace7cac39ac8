// The admin API as an attacker would try it: no token, a wrong token, a web page (Origin,
// Sec-Fetch-Site), a rebinding DNS name (Host), an HTML form (content type); and the command
// line: unknown flags, an empty host, insecure admin off loopback.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { ADMIN_TOKEN, post, tinyRegistry } from './fixtures';

const ROOT = path.resolve(__dirname, '../..');

function cli(
  args: string[],
  env: Record<string, string> = {},
): { child: ReturnType<typeof spawn>; url: Promise<string>; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'lib/serve/cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    void exit.then((code) => reject(new Error(`cli exited ${code}: ${err}`)));
  });
  url.catch(() => undefined);
  return { child, url, exit, stderr: () => err };
}

/** A POST through Node's http (fetch does not let a caller set Host). */
function httpPost(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: any; headers: Headers }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text),
            headers: new Headers(res.headers as Record<string, string>),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve: the admin API and the command line', () => {
  let dir: string;
  let server: InferenceServer;
  before(async () => {
    dir = await tinyRegistry();
    server = await startServer({
      registryDir: dir,
      model: 'tiny',
      version: '1',
      workers: 1,
      admin: { token: ADMIN_TOKEN },
    });
  });
  after(async () => {
    await server.close();
  });

  it('refuses 8 kinds of unauthorized admin requests, then accepts the token', async () => {
    const swap = `${server.url}/v1/admin/swap`;
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const cases: [string, Record<string, string>, string, number][] = [
      ['no token', {}, '{"version": "2"}', 401],
      ['a wrong token', { authorization: 'Bearer not-the-token-0123456789' }, '{"version": "2"}', 401],
      ['the token without Bearer', { authorization: ADMIN_TOKEN }, '{"version": "2"}', 401],
      ['a web page (Origin)', { ...auth, origin: 'http://evil.example' }, '{"version": "2"}', 403],
      ['a cross-site fetch (Sec-Fetch-Site)', { ...auth, 'sec-fetch-site': 'cross-site' }, '{"version": "2"}', 403],
      ['a rebinding name (Host)', { ...auth, host: 'evil.example:80' }, '{"version": "2"}', 403],
      ['an HTML form', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, 'version=2', 415],
      ['text/plain', { ...auth, 'content-type': 'text/plain' }, '{"version": "2"}', 415],
    ];
    for (const [what, headers, body, status] of cases) {
      const r = await httpPost(swap, body, headers);
      expect(r.status, what).to.equal(status);
      expect(r.body.error, what).to.be.a('string');
      if (status === 401) expect(r.headers.get('www-authenticate'), what).to.match(/^Bearer/);
    }
    expect(server.active().version).to.equal('1');
    const ok = await post(swap, '{"version": "2"}', auth);
    expect(ok.status).to.equal(200);
    expect(server.active().version).to.equal('2');
  });

  it('keeps the admin API off without a token; insecure admin only on loopback; no empty host', async () => {
    const s = await startServer({ registryDir: dir, model: 'tiny', workers: 1 });
    try {
      const r = await post(`${s.url}/v1/admin/swap`, { version: '1' });
      expect(r.status).to.equal(403);
      expect(r.body.error).to.match(/admin token/);
    } finally {
      await s.close();
    }
    const refused: [string, object][] = [
      ['insecure admin on all interfaces', { host: '0.0.0.0', admin: { insecure: true } }],
      ['a short token', { admin: { token: 'short' } }],
      ['an empty host', { host: '' }],
    ];
    for (const [what, extra] of refused) {
      let err: unknown;
      try {
        await startServer({ registryDir: dir, model: 'tiny', workers: 1, ...extra });
      } catch (e) {
        err = e;
      }
      expect(err, what).to.be.instanceOf(ConfigError);
    }
    const open = await startServer({
      registryDir: dir,
      model: 'tiny',
      version: '1',
      workers: 1,
      admin: { insecure: true },
    });
    try {
      expect((await post(`${open.url}/v1/admin/swap`, { version: '2' })).status).to.equal(200);
      expect(
        (await post(`${open.url}/v1/admin/swap`, '{"version": "1"}', { origin: 'http://evil.example' })).status,
      ).to.equal(403);
    } finally {
      await open.close();
    }
  });

  it('exits with code 2 on unknown flags, an empty host, bad numbers and insecure admin off loopback', async function () {
    this.timeout(120000);
    const base = ['--registry', dir, '--model', 'tiny', '--port', '0', '--workers', '1'];
    for (const args of [
      ['--regsitry', dir],
      [...base, '--host', ''],
      [...base, '--workers', 'two'],
      [...base, '--host', '0.0.0.0', '--insecure-admin'],
      [...base, 'extra'],
    ]) {
      const run = cli(args, { TFC_ADMIN_TOKEN: '' });
      expect(await run.exit, args.join(' ')).to.equal(2);
      expect(run.stderr()).to.match(/usage: tfjs-compress serve/);
    }
  });

  it('runs from the command line with a token file, swaps with it, and stops on SIGTERM', async function () {
    this.timeout(120000);
    const tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-token-')), 'token');
    fs.writeFileSync(tokenFile, `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    const run = cli([
      '--registry',
      dir,
      '--model',
      'tiny',
      '--version',
      '1',
      '--port',
      '0',
      '--workers',
      '1',
      '--admin-token-file',
      tokenFile,
    ]);
    const url = await run.url;
    expect((await post(`${url}/v1/predict`, { input: [0.1, 0.2, 0.3, 0.4] })).status).to.equal(200);
    expect((await post(`${url}/v1/admin/swap`, { version: '2' })).status).to.equal(401);
    expect(
      (await post(`${url}/v1/admin/swap`, { version: '2' }, { authorization: `Bearer ${ADMIN_TOKEN}` })).status,
    ).to.equal(200);
    run.child.kill('SIGTERM');
    expect(await run.exit).to.equal(0);
  });
});
