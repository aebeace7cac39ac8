// The static file server behind the browser demo: read-only, and never outside its mounts.
import * as net from 'net';
import * as path from 'path';
import { expect } from 'chai';
import { startStaticServer } from '../../lib/serve/static-server';

const ROOT = path.resolve(__dirname, '../..');

/** Sends a raw request line (fetch normalizes `..` away, so traversal is tested on the socket). */
function rawGet(url: string, target: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s: net.Socket = net.connect(Number(u.port), u.hostname, () => s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let out = '';
    s.on('data', (d: Buffer) => { out += d.toString(); });
    s.on('end', () => resolve(out.split('\r\n')[0] as string));
    s.on('error', reject);
  });
}

describe('serve/static server', () => {
  it('serves read-only files and never outside its mounts', async () => {
    const s = await startStaticServer({ mounts: { '/': path.join(ROOT, 'web') } });
    try {
      expect((await fetch(`${s.url}/`)).status).to.equal(200);
      expect((await fetch(`${s.url}/app.js`)).headers.get('content-type')).to.match(/javascript/);
      expect(await rawGet(s.url, '/../package.json')).to.match(/404/);
      expect(await rawGet(s.url, '/%2e%2e/package.json')).to.match(/404/);
      expect((await fetch(`${s.url}/index.html`, { method: 'POST' })).status).to.equal(405);
    } finally {
      await s.close();
    }
  });
});
