// A small static file server for the browser deployment (the web/ page, the tfjs and
// onnxruntime-web bundles and their wasm, the model files), on 127.0.0.1 by default. Read-only,
// GET/HEAD only, no directory listings. Each request path is decoded once, refused if it holds a
// NUL, a backslash or a `..` segment, resolved inside its mount, and resolved again with realpath:
// a symlink may point anywhere inside its mount's real folder, never out of it. Only regular files
// are served (lstat before opening, a non-blocking open so a FIFO never hangs, fstat after), and
// they are streamed from the open descriptor (no whole-file buffering; any size, with single
// byte ranges). File errors become statuses; nothing a client sends can crash the process.
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { ConfigError } from '../errors';

/** Options for {@link startStaticServer}. */
export interface StaticServerOptions {
  /** URL prefix -> folder, e.g. {'/': 'web', '/models/': 'build/web-models'}; longest prefix wins. */
  readonly mounts: Record<string, string>;
  /** URL path -> single file, e.g. {'/tf.min.js': 'node_modules/@tensorflow/tfjs/dist/tf.min.js'}. */
  readonly files?: Record<string, string>;
  readonly port?: number;
  /** Default 127.0.0.1; an empty string is refused (it would bind every interface). */
  readonly host?: string;
}

/** A running static server. */
export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;

class HttpStatus extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const inside = (root: string, p: string): boolean => {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** The file for a URL path (not yet resolved through links), or a 400/404. */
function candidate(options: StaticServerOptions, urlPath: string): { file: string; root: string } {
  if (urlPath.includes('\0') || urlPath.includes('\\') || urlPath.split('/').some((s) => s === '..' || s === '.')) {
    throw new HttpStatus(400, 'bad path');
  }
  const direct = options.files?.[urlPath];
  if (direct) return { file: path.resolve(direct), root: path.resolve(direct) };
  const prefix = Object.keys(options.mounts)
    .filter((p) => urlPath.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) throw new HttpStatus(404, 'not found');
  const root = path.resolve(options.mounts[prefix] as string);
  let rel = urlPath.slice(prefix.length);
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';
  const file = path.resolve(root, rel.replace(/^\/+/, ''));
  if (!inside(root, file)) throw new HttpStatus(404, 'not found');
  return { file, root };
}

const ERRNO_STATUS: Record<string, number> = {
  ENOENT: 404,
  ENOTDIR: 404,
  ELOOP: 404,
  EISDIR: 404,
  ENAMETOOLONG: 414,
  EACCES: 403,
  EPERM: 403,
};

/** Opens a regular file inside its root's real folder; the caller closes the descriptor. */
async function openInside(file: string, root: string): Promise<{ fd: number; st: fs.Stats; real: string }> {
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([fs.promises.realpath(file), fs.promises.realpath(root)]);
  } catch (e) {
    throw new HttpStatus(ERRNO_STATUS[(e as NodeJS.ErrnoException).code ?? ''] ?? 404, 'not found');
  }
  if (!inside(realRoot, real)) throw new HttpStatus(404, 'not found'); // a link out of the mount
  const pre = await fs.promises.lstat(real);
  if (!pre.isFile()) throw new HttpStatus(404, 'not found'); // folders, FIFOs, devices, sockets
  const fd = await new Promise<number>((resolve, reject) =>
    fs.open(real, OPEN_FLAGS, (e, d) => (e ? reject(e) : resolve(d))),
  );
  const st = await new Promise<fs.Stats>((resolve, reject) => fs.fstat(fd, (e, s) => (e ? reject(e) : resolve(s))));
  if (!st.isFile() || st.ino !== pre.ino || st.dev !== pre.dev) {
    fs.close(fd, () => undefined);
    throw new HttpStatus(404, 'not found');
  }
  return { fd, st, real };
}

/** One `bytes=` range of a file of `size` bytes: [start, end] inclusive, or 416. */
function parseRange(header: string, size: number): [number, number] {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw new HttpStatus(416, 'one byte range, e.g. bytes=0-1023');
  let start: number;
  let end: number;
  if (m[1] === '') {
    // the last N bytes
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (!(start <= end && start < size)) throw new HttpStatus(416, 'range not satisfiable');
  return [start, end];
}

async function serve(options: StaticServerOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET or HEAD only');
    return;
  }
  let urlPath: string;
  try {
    urlPath = decodeURIComponent((req.url ?? '/').split('?')[0] as string);
  } catch {
    throw new HttpStatus(400, 'bad path');
  }
  if (!urlPath.startsWith('/')) throw new HttpStatus(400, 'bad path');
  const { file, root } = candidate(options, urlPath);
  const { fd, st, real } = await openInside(file, root);
  let closeFd = true;
  try {
    const headers: http.OutgoingHttpHeaders = {
      'content-type': TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    let [start, end] = [0, st.size - 1];
    let status = 200;
    if (req.headers.range !== undefined) {
      try {
        [start, end] = parseRange(req.headers.range, st.size);
      } catch (e) {
        res
          .writeHead(416, { 'content-range': `bytes */${st.size}`, 'content-type': 'text/plain' })
          .end((e as Error).message);
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${st.size}`;
    }
    headers['content-length'] = Math.max(0, end - start + 1);
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || st.size === 0) {
      res.end();
      return;
    }
    // The stream owns the descriptor from here (autoClose), also when the client goes away.
    const stream = fs.createReadStream('', { fd, start, end, autoClose: true, highWaterMark: 256 * 1024 });
    closeFd = false;
    await new Promise<void>((resolve) => {
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      res.on('close', () => {
        stream.destroy();
        resolve();
      });
      stream.pipe(res);
    });
  } finally {
    if (closeFd) fs.close(fd, () => undefined);
  }
}

/**
 * Serves files read-only over HTTP (see the file header for what is refused).
 * @example const s = await startStaticServer({mounts: {'/': 'web'}}); // s.url -> http://127.0.0.1:PORT
 */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const host = options.host ?? '127.0.0.1';
  if (!host)
    throw new ConfigError(
      `startStaticServer: a host to bind such as 127.0.0.1, got an empty string (every interface). Pass host explicitly.`,
    );
  const server = http.createServer((req, res) => {
    serve(options, req, res).catch((e: unknown) => {
      const status =
        e instanceof HttpStatus ? e.status : (ERRNO_STATUS[(e as NodeJS.ErrnoException)?.code ?? ''] ?? 500);
      if (!res.headersSent)
        res
          .writeHead(status, { 'content-type': 'text/plain' })
          .end(status === 404 ? 'not found' : e instanceof HttpStatus ? e.message : 'error');
      else res.destroy();
    });
  });
  server.requestTimeout = 30000;
  server.headersTimeout = 10000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
