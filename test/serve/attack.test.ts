// The server attacked as a careful attacker would, on loopback, bounded in count and time:
// thousands of malformed requests of every kind (content, methods, paths, admin without the
// token or from a web page), broken HTTP framing on raw sockets, and slow senders. Not one may
// get a 5xx, and the server must be healthy and correct afterwards.
import { expect } from 'chai';
import { loadTest } from '../../lib/bench/load-test';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { metricValue } from '../../lib/serve/metrics';
import { ADMIN_TOKEN, admin, post, rawRequest, tinyRegistry } from './fixtures';
import { FRAMING_ATTACKS, contentAttacks } from './malformed';

const MAX_BATCH = 16;
const MAX_BODY = 64 * 1024;

async function inParallel<T>(items: readonly T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

describe('serve: attacked (real HTTP on 127.0.0.1)', () => {
  let server: InferenceServer;
  let port: number;
  const counted: Record<string, number> = {};
  const count = (status: number): void => {
    counted[String(status)] = (counted[String(status)] ?? 0) + 1;
  };
  before(async () => {
    const dir = await tinyRegistry();
    server = await startServer({
      registryDir: dir,
      model: 'tiny',
      version: '1',
      workers: 2,
      admin: { token: ADMIN_TOKEN },
      maxBatchSize: MAX_BATCH,
      maxBodyBytes: MAX_BODY,
      headersTimeoutMs: 1000,
      requestTimeoutMs: 2000,
    });
    port = server.port;
  });
  after(async () => {
    await server.close();
  });

  it('answers 5,000 well-framed malformed requests of 50 kinds (and HEAD on predict) with 4xx only, 49 kinds flooded', async () => {
    const kinds = contentAttacks(4, MAX_BATCH, MAX_BODY);
    expect(kinds).to.have.length(50);
    const head = await fetch(`${server.url}/v1/predict`, { method: 'HEAD' });
    expect(head.status).to.equal(405);
    count(head.status);
    // Each kind alone first: its own status, so a kind that slips through is named.
    for (const k of kinds) {
      const res = await fetch(`${server.url}${k.request.path}`, {
        method: k.request.method,
        body: k.request.body,
        headers: {
          ...(k.request.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...k.request.headers,
        },
      }).catch(() => undefined);
      expect(res, k.kind).to.not.equal(undefined);
      expect(res?.status, k.kind).to.be.within(400, 499);
      count(res?.status as number);
      await res?.arrayBuffer();
    }
    // The flood leaves out the body over the cap: its 413 closes the connection (the rest of the
    // body is never read), which autocannon does not count as an answer (checked on its own below).
    const r = await loadTest({
      url: server.url,
      requests: kinds.filter((k) => k.kind !== 'body too large').map((k) => k.request),
      connections: 16,
      amount: 5000,
      timeoutSeconds: 20,
    });
    for (const [code, n] of Object.entries(r.statusCounts)) counted[code] = (counted[code] ?? 0) + n;
    expect(r.requests).to.equal(5000);
    expect(r.status4xx, JSON.stringify(r.statusCounts)).to.equal(5000);
    expect(r.status5xx).to.equal(0);
    expect(r.errors + r.timeouts).to.equal(0);
  });

  it('refuses broken HTTP framing (18 kinds x 30) with 4xx or a closed connection, never a 5xx', async () => {
    const byKind: Record<string, Record<string, number>> = {};
    const jobs = FRAMING_ATTACKS.flatMap((a) => Array.from({ length: 30 }, () => a));
    await inParallel(jobs, 8, async (a) => {
      const clientGivesUp = /larger than the body/.test(a.kind);
      const status = await rawRequest(port, a.chunks, { timeoutMs: clientGivesUp ? 200 : 5000 });
      count(status);
      (byKind[a.kind] ??= {})[String(status)] = (byKind[a.kind]?.[String(status)] ?? 0) + 1;
    });
    for (const [kind, statuses] of Object.entries(byKind)) {
      for (const code of Object.keys(statuses)) {
        const s = Number(code);
        const ok = (s >= 400 && s < 500) || (s === 0 && /larger than the body/.test(kind));
        expect(ok, `${kind}: ${JSON.stringify(statuses)}`).to.equal(true);
      }
    }
    expect(jobs.length).to.equal(540);
  });

  it('cuts off slow senders (headers and bodies) with 408 within the configured timeouts', async () => {
    // The client gives up after 8 s and then reads no status (0): every 408 was sent within 8 s.
    const header =
      'POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n';
    const slowHeaders = Array.from({ length: 4 }, () =>
      rawRequest(port, header.split(''), { gapMs: 100, timeoutMs: 8000 }),
    );
    const slowBodies = Array.from({ length: 4 }, () =>
      rawRequest(port, [`${header}\r\n`, ...'{"input": [0.1, 0.2, 0.3, 0.4]}   '.split('')], {
        gapMs: 300,
        timeoutMs: 8000,
      }),
    );
    const statuses = await Promise.all([...slowHeaders, ...slowBodies]);
    statuses.forEach(count);
    expect(
      statuses.every((s) => s === 408),
      JSON.stringify(statuses),
    ).to.equal(true);
  });

  it('is healthy and correct afterwards, and counted no 5xx', async () => {
    const total = Object.values(counted).reduce((a, b) => a + b, 0);
    expect(total).to.equal(50 + 1 + 5000 + 540 + 8);
    expect(
      Object.keys(counted).filter((c) => Number(c) >= 500),
      JSON.stringify(counted),
    ).to.deep.equal([]);
    expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
    expect((await fetch(`${server.url}/readyz`)).status).to.equal(200);
    const p = await post(`${server.url}/v1/predict`, { input: [0.1, 0.2, 0.3, 0.4] });
    expect(p.status).to.equal(200);
    expect(p.body.probabilities.reduce((a: number, b: number) => a + b, 0)).to.be.closeTo(1, 1e-5);
    expect((await admin(server.url, '/v1/admin/swap', { version: '2' })).status).to.equal(200);
    expect(server.active().version).to.equal('2');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).to.not.match(/tfc_requests_total\{[^}]*code="5\d\d"/);
    expect(metricValue(text, 'tfc_errors_total', { route: '/v1/admin/swap', kind: 'unauthorized' })).to.be.greaterThan(
      0,
    );
    expect(metricValue(text, 'tfc_errors_total', { route: 'other', kind: 'framing' })).to.be.greaterThan(0);
    expect(metricValue(text, 'tfc_workers')).to.equal(2);
  });
});
