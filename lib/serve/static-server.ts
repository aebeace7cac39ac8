// A tiny static file server for the browser deployment (the web/ page, the tfjs bundle and the
// model files), on 127.0.0.1 by default. Read-only, GET/HEAD only, no directory listings, and
// paths are resolved inside their mount so `..` cannot escape it.
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';

/** Options for {@link startStaticServer}. */
export interface StaticServerOptions {
  /** URL prefix -> folder, e.g. {'/': 'web', '/models/': 'build/web-models'}; longest prefix wins. */
  readonly mounts: Record<string, string>;
  /** URL path -> single file, e.g. {'/tf.min.js': 'node_modules/@tensorflow/tfjs/dist/tf.min.js'}. */
  readonly files?: Record<string, string>;
  readonly port?: number;
  readonly host?: string;
}

/** A running static server. */
export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.bin': 'application/octet-stream', '.png': 'image/png', '.wasm': 'application/wasm',
};

function resolveFile(options: StaticServerOptions, urlPath: string): string | undefined {
  const direct = options.files?.[urlPath];
  if (direct) return path.resolve(direct);
  const prefix = Object.keys(options.mounts).filter((p) => urlPath.startsWith(p)).sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) return undefined;
  const root = path.resolve(options.mounts[prefix] as string);
  let rel = urlPath.slice(prefix.length);
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';
  const file = path.resolve(root, rel);
  return file.startsWith(root + path.sep) ? file : undefined;
}

/**
 * Serves files read-only over HTTP.
 * @example const s = await startStaticServer({mounts: {'/': 'web'}}); // s.url -> http://127.0.0.1:PORT
 */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const server = http.createServer((req, res) => {
    let urlPath: string;
    try {
      urlPath = decodeURIComponent((req.url ?? '/').split('?')[0] as string);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end('GET or HEAD only');
      return;
    }
    const file = resolveFile(options, urlPath);
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${urlPath}`);
      return;
    }
    const data = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': data.length, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : data);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
