// Who may use the inference API, attacked as a web page on another site would (Origin, a form
// POST, a preflight, a DNS-rebinding Host), and as a client without the token would; and HTTPS
// with a real certificate made by openssl in a temporary folder.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { ADMIN_TOKEN, tinyRegistry } from './fixtures';

const APP = 'https://app.example';
const EVIL = 'https://evil.example';
const TOKEN = 'inference-token-0123456789abcdef';
const BODY = JSON.stringify({ input: [0.1, 0.2, 0.3, 0.4] });

/** A request through Node's http (fetch does not let a caller set Origin or Host as a browser would). */
function request(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: string,
  ca?: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https') ? https : http;
    const req = mod.request(
      url,
      {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(ca ? { ca } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* empty or text */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve: access (Origin and CORS, Host, inference token, TLS)', () => {
  let dir: string;
  before(async () => {
    dir = await tinyRegistry();
  });

  describe('a server allowing one web origin', () => {
    let s: InferenceServer;
    before(async () => {
      s = await startServer({ registryDir: dir, model: 'tiny', workers: 1, access: { cors: [APP] } });
    });
    after(async () => {
      await s.close();
    });

    it('refuses predict, feedback, infer and reads from other origins (403), answers the allowed origin with CORS headers', async () => {
      const infer = JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [0, 0, 0, 0] }],
      });
      const refused: [string, string, string | undefined][] = [
        ['/v1/predict', 'POST', BODY],
        ['/v1/feedback', 'POST', '{"id": "1-1", "label": 0}'],
        ['/v2/models/tiny/infer', 'POST', infer],
        ['/v1/models', 'GET', undefined],
        ['/metrics', 'GET', undefined],
      ];
      for (const [route, method, body] of refused) {
        for (const origin of [EVIL, 'null', 'https://app.example.evil.example', 'http://app.example']) {
          const r = await request(`${s.url}${route}`, method, { origin }, body);
          expect(r.status, `${route} from ${origin}`).to.equal(403);
          expect(r.headers['access-control-allow-origin'], route).to.equal(undefined);
        }
      }
      // An HTML form on another site posts multipart without a preflight: refused before its body is read.
      const form = await request(
        `${s.url}/v1/predict`,
        'POST',
        {
          origin: EVIL,
          'content-type': 'multipart/form-data; boundary=x',
        },
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
      );
      expect(form.status).to.equal(403);
      expect(form.body.error).to.match(/--cors <origin>/);
      const ok = await request(`${s.url}/v1/predict`, 'POST', { origin: APP }, BODY);
      expect(ok.status).to.equal(200);
      expect(ok.headers['access-control-allow-origin']).to.equal(APP);
      expect(ok.headers.vary).to.match(/Origin/);
      // Probes stay open to anyone; scripts (no Origin) are not affected.
      expect((await request(`${s.url}/healthz`, 'GET', { origin: EVIL })).status).to.equal(200);
      expect((await request(`${s.url}/v1/predict`, 'POST', {}, BODY)).status).to.equal(200);
    });

    it('answers preflights for the allowed origin (204) and refuses the others (403)', async () => {
      const pre = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };
      const ok = await request(`${s.url}/v1/predict`, 'OPTIONS', { origin: APP, ...pre });
      expect(ok.status).to.equal(204);
      expect(ok.headers['access-control-allow-origin']).to.equal(APP);
      expect(ok.headers['access-control-allow-methods']).to.match(/POST/);
      expect(ok.headers['access-control-allow-headers']).to.match(/content-type/);
      expect((await request(`${s.url}/v1/predict`, 'OPTIONS', { origin: EVIL, ...pre })).status).to.equal(403);
      expect((await request(`${s.url}/v1/admin/swap`, 'OPTIONS', { origin: APP, ...pre })).status).to.equal(405);
    });
  });

  it('refuses every web origin without --cors, and foreign Host names on a loopback server (DNS rebinding)', async () => {
    const s = await startServer({
      registryDir: dir,
      model: 'tiny',
      workers: 1,
      access: { allowedHosts: ['models.internal:8080'] },
    });
    try {
      expect((await request(`${s.url}/v1/predict`, 'POST', { origin: APP }, BODY)).status).to.equal(403);
      const rebound = await request(`${s.url}/v1/predict`, 'POST', { host: `evil.example:${s.port}` }, BODY);
      expect(rebound.status).to.equal(403);
      expect(rebound.body.error).to.match(/a Host header naming this server/);
      expect((await request(`${s.url}/v1/models`, 'GET', { host: 'evil.example' })).status).to.equal(403);
      for (const host of [`localhost:${s.port}`, '127.0.0.1', `[::1]:${s.port}`, 'models.internal:8080'])
        expect((await request(`${s.url}/v1/predict`, 'POST', { host }, BODY)).status, host).to.equal(200);
      expect((await request(`${s.url}/healthz`, 'GET', { host: 'evil.example' })).status).to.equal(200);
    } finally {
      await s.close();
    }
  });

  it('requires the inference token everywhere but the health probes; the admin API keeps its own token', async () => {
    const s = await startServer({
      registryDir: dir,
      model: 'tiny',
      version: '1',
      workers: 1,
      access: { token: TOKEN },
      admin: { token: ADMIN_TOKEN },
    });
    try {
      const bearer = { authorization: `Bearer ${TOKEN}` };
      for (const [route, method, body] of [
        ['/v1/predict', 'POST', BODY],
        ['/v2/models/tiny/infer', 'POST', '{}'],
        ['/v1/models', 'GET', undefined],
        ['/metrics', 'GET', undefined],
        ['/v2/models/tiny', 'GET', undefined],
      ] as const) {
        const auths: Record<string, string>[] = [
          {},
          { authorization: 'Bearer wrong-token-0123456789abc' },
          { authorization: TOKEN },
        ];
        for (const auth of auths) {
          const r = await request(`${s.url}${route}`, method, auth, body);
          expect(r.status, `${route} ${JSON.stringify(auth)}`).to.equal(401);
          expect(r.headers['www-authenticate']).to.match(/^Bearer/);
        }
      }
      expect((await request(`${s.url}/v1/predict`, 'POST', bearer, BODY)).status).to.equal(200);
      expect((await request(`${s.url}/metrics`, 'GET', bearer)).status).to.equal(200);
      for (const probe of ['/healthz', '/readyz', '/v2/health/live', '/v2/health/ready', '/v2/models/tiny/ready'])
        expect((await request(`${s.url}${probe}`, 'GET')).status, probe).to.equal(200);
      const swap = JSON.stringify({ version: '2' });
      expect((await request(`${s.url}/v1/admin/swap`, 'POST', bearer, swap)).status).to.equal(401);
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      expect((await request(`${s.url}/v1/admin/swap`, 'POST', admin, swap)).status).to.equal(200);
    } finally {
      await s.close();
    }
    let err: unknown;
    try {
      await startServer({ registryDir: dir, model: 'tiny', workers: 1, access: { token: 'short' } });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    let cors: unknown;
    await startServer({ registryDir: dir, model: 'tiny', workers: 1, access: { cors: ['evil.example'] } }).catch(
      (e: unknown) => (cors = e),
    );
    expect(cors).to.be.instanceOf(ConfigError);
    expect((cors as Error).message).to.match(/scheme:\/\/host\[:port\]/);
  });

  it('serves HTTPS with a certificate made by openssl; plain HTTP on that port gets no answer', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-tls-'));
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
    const ca = fs.readFileSync(cert);
    const s = await startServer({
      registryDir: dir,
      model: 'tiny',
      workers: 1,
      tls: { cert: ca, key: fs.readFileSync(key) },
    });
    try {
      expect(s.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const r = await request(`${s.url}/v1/predict`, 'POST', {}, BODY, ca);
      expect(r.status).to.equal(200);
      expect(r.body.probabilities).to.have.length(3);
      let failed = false;
      await request(`http://127.0.0.1:${s.port}/healthz`, 'GET').then(
        (x) => (failed = x.status >= 400),
        () => (failed = true),
      );
      expect(failed).to.equal(true);
      // Without the CA the certificate is refused: it is a real one, checked by the client.
      let untrusted: unknown;
      await request(`${s.url}/healthz`, 'GET').catch((e: unknown) => (untrusted = e));
      expect(String(untrusted)).to.match(/self.signed|certificate/i);
    } finally {
      await s.close();
    }
  });
});
