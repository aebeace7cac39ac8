// Small HTTP helpers over Node's http: bounded body reading (a client that goes away is a
// ClientAbortError, not a server failure) and JSON answers whose error messages are capped, so a
// request never gets its own megabyte echoed back.
import * as http from 'http';
import type { Socket } from 'net';
import { RequestError } from './request-error';
import type { RequestScope } from './request-scope';

/** The client closed the connection before the answer (nginx's 499 "client closed request"). */
export class ClientAbortError extends RequestError {
  constructor(route: string) {
    super(`${route}: a complete request, got a connection closed by the client.`, 499);
  }
}

/** Longest error message sent back (characters). */
export const MAX_ERROR_CHARS = 400;

/** How a body is read beyond its size cap. */
export interface BodyOptions {
  /** The request's budget share and deadline: the body is reserved in the global budget (503 when it does not fit), and reading stops at the deadline. */
  readonly scope?: RequestScope;
  /** Receives each chunk instead of keeping it (a streaming parser); throwing stops the read with that error. */
  readonly sink?: (chunk: Buffer) => void;
}

/** Reads the request body up to `limitBytes`; a larger body is a 413 RequestError. */
export async function readBody(
  req: http.IncomingMessage,
  limitBytes: number,
  route: string,
  options: BodyOptions = {},
): Promise<Buffer> {
  const chunks = await readBodyChunks(req, limitBytes, route, options);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/**
 * Reads the request body up to `limitBytes` as the chunks the socket gave (not joined: a large
 * body goes to a worker as they are, and is joined there); a larger body is a 413 RequestError.
 * A declared Content-Length is checked (and reserved in the global budget) before a byte is
 * read; a chunked body is counted and reserved as it comes. After a refusal nothing more is
 * kept: the server answers with `Connection: close` and stops reading.
 */
export function readBodyChunks(
  req: http.IncomingMessage,
  limitBytes: number,
  route: string,
  options: BodyOptions = {},
): Promise<Buffer[]> {
  const { scope, sink } = options;
  return new Promise((resolve, reject) => {
    const header = req.headers['content-length'];
    const declared = header === undefined ? undefined : Number(header);
    const tooLarge = (got: string): RequestError =>
      new RequestError(`${route}: a body of at most ${limitBytes} bytes, got ${got}. Send smaller batches.`, 413);
    try {
      if (declared !== undefined && declared > limitBytes) throw tooLarge(`${declared} (Content-Length)`);
      if (declared !== undefined) scope?.reserve(declared, route);
    } catch (e) {
      reject(e as Error);
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const stop = (): void => {
      done = true;
      req.removeListener('data', onData);
      scope?.signal.removeEventListener('abort', onAbort);
    };
    const fail = (e: Error): void => {
      if (done) return;
      stop();
      req.pause();
      reject(e);
    };
    const onAbort = (): void => fail(scope?.signal.reason as Error);
    const onData = (c: Buffer): void => {
      total += c.length;
      try {
        if (total > limitBytes) throw tooLarge('more');
        if (declared === undefined) scope?.reserve(c.length, route);
        if (sink) sink(c);
        else chunks.push(c);
      } catch (e) {
        fail(e as Error);
      }
    };
    if (scope?.signal.aborted) return onAbort();
    scope?.signal.addEventListener('abort', onAbort, { once: true });
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      stop();
      resolve(chunks);
    });
    req.on('error', () => fail(new ClientAbortError(route)));
    req.on('close', () => {
      if (!req.complete) fail(new ClientAbortError(route));
    });
  });
}

/** Unread bodies up to this many bytes are read and dropped after the answer (the connection stays open). */
export const DRAIN_BYTES = 64 * 1024;
/** After refusing a larger body: how long, and how many more of its bytes, the server reads before closing. */
const LINGER_MS = 2000;
const LINGER_BYTES = 1024 * 1024;

/**
 * Whether an answer sent before the body was read must close the connection: true unless the body
 * is fully received or declared small (then Node reads and drops it, and the connection is kept).
 */
export function mustClose(req: http.IncomingMessage): boolean {
  if (req.complete) return false;
  const declared = Number(req.headers['content-length']);
  return !(declared <= DRAIN_BYTES);
}

/**
 * Closes the connection after an answer that refused the body, as nginx's lingering close does:
 * the answer and a FIN go out, then at most LINGER_BYTES more of the body are read (and dropped)
 * for at most LINGER_MS, so the client reads the answer instead of a reset, and the rest of a
 * 100 MB body is never read. Call it before sending an answer with `Connection: close`.
 */
export function lingerClose(req: http.IncomingMessage): void {
  const socket = req.socket as Socket & { destroySoon?: () => void };
  // Node's server calls destroySoon() once an answer with Connection: close is written.
  socket.destroySoon = () => {
    socket.end();
    let read = 0;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    req.removeAllListeners('data');
    req.on('data', (c: Buffer) => {
      read += c.length;
      if (read > LINGER_BYTES) socket.destroy();
    });
    req.resume();
  };
}

/** Sends a JSON answer (`head` true: headers only, for HEAD requests). */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
  head = false,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(head ? undefined : text);
}

/** Sends a JSON body already encoded (UTF-8 bytes): the event loop writes it as it is. */
export function sendJsonBytes(res: http.ServerResponse, status: number, body: Uint8Array): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.byteLength });
  res.end(body);
}

/**
 * Sends `{error, status}` (or the Open Inference Protocol's `{error}` when `v2`) with the message
 * capped at MAX_ERROR_CHARS.
 */
export function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
  head = false,
  v2 = false,
): void {
  const error = message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS - 3)}...` : message;
  sendJson(res, status, v2 ? { error } : { error, status }, headers, head);
}
