// Small HTTP helpers over Node's http: bounded body reading and JSON answers.
import * as http from 'http';
import { RequestError } from './validate';

/** Reads the request body up to `limitBytes`; a larger body is a 413 RequestError. */
export function readBody(req: http.IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume(); // drain so the connection can be reused
      reject(new RequestError(`predict: a body of at most ${limitBytes} bytes, got ${declared} (Content-Length). Send smaller batches.`, 413));
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      total += c.length;
      if (total > limitBytes) {
        failed = true;
        reject(new RequestError(`predict: a body of at most ${limitBytes} bytes, got more. Send smaller batches.`, 413));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => { if (!failed) resolve(Buffer.concat(chunks)); });
    req.on('error', (e) => { if (!failed) { failed = true; reject(e); } });
  });
}

/** Parses a JSON body; malformed JSON is a 400 RequestError. */
export function parseJson(buf: Buffer, route: string): unknown {
  if (buf.length === 0) throw new RequestError(`${route}: a JSON body, got an empty body.`);
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new RequestError(`${route}: valid JSON, got a parse error (${(e as Error).message}). Send Content-Type application/json with a JSON object.`);
  }
}

/** Sends a JSON answer. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
