// Small HTTP helpers over Node's http: bounded body reading (a client that goes away is a
// ClientAbortError, not a server failure) and JSON answers whose error messages are capped, so a
// request never gets its own megabyte echoed back.
import * as http from 'http';
import { RequestError } from './request-error';

/** The client closed the connection before the answer (nginx's 499 "client closed request"). */
export class ClientAbortError extends RequestError {
  constructor(route: string) {
    super(`${route}: a complete request, got a connection closed by the client.`, 499);
  }
}

/** Longest error message sent back (characters). */
export const MAX_ERROR_CHARS = 400;

/** Reads the request body up to `limitBytes`; a larger body is a 413 RequestError. */
export async function readBody(req: http.IncomingMessage, limitBytes: number, route: string): Promise<Buffer> {
  const chunks = await readBodyChunks(req, limitBytes, route);
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/**
 * Reads the request body up to `limitBytes` as the chunks the socket gave (not joined: a large
 * body goes to a worker as they are, and is joined there); a larger body is a 413 RequestError.
 */
export function readBodyChunks(req: http.IncomingMessage, limitBytes: number, route: string): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume(); // drain so the connection can be reused
      reject(
        new RequestError(
          `${route}: a body of at most ${limitBytes} bytes, got ${declared} (Content-Length). Send smaller batches.`,
          413,
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const fail = (e: Error): void => {
      if (done) return;
      done = true;
      reject(e);
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      total += c.length;
      if (total > limitBytes) {
        fail(new RequestError(`${route}: a body of at most ${limitBytes} bytes, got more. Send smaller batches.`, 413));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks);
    });
    req.on('error', () => fail(new ClientAbortError(route)));
    req.on('close', () => {
      if (!req.complete) fail(new ClientAbortError(route));
    });
  });
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

/** Sends `{error, status}` with the message capped at MAX_ERROR_CHARS. */
export function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
  head = false,
): void {
  const error = message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS - 3)}...` : message;
  sendJson(res, status, { error, status }, headers, head);
}
