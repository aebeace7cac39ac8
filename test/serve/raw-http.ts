// Raw HTTP/1.1 on a socket, for the attacks fetch cannot make: headers sent without the body
// (held open), bodies that never end, 100 MB uploads. Reports the status, whether the server
// closed the connection, and how many bytes the client managed to write.
import * as net from 'net';

/** One raw request on its own connection. */
export interface RawRequest {
  /** Status of the first answer (0 when the server closed without one). */
  readonly status: Promise<number>;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  /** The answer's header block (lower-cased), once the status is known. */
  headers(): string;
  /** Bytes written so far by the client. */
  written(): number;
  /** Writes more of the body. */
  write(data: string | Buffer): void;
  /**
   * Streams `total` bytes of spaces as fast as the server reads them (chunked framing when asked),
   * as an attacker does: on after the answer, until the connection closes.
   */
  stream(total: number, chunked?: boolean): void;
  destroy(): void;
}

/** Opens a connection and sends `head` (request line and headers, without the blank line) and `body`. */
export function rawOpen(port: number, head: string, body: string | Buffer = ''): RawRequest {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  let written = 0;
  let answered = false;
  let resolveStatus!: (s: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  socket.on('data', (d) => {
    data += d.toString('latin1');
    if (!answered && /\r\n\r\n/.test(data)) {
      answered = true;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolveStatus(m ? Number(m[1]) : 0);
    }
  });
  socket.on('error', () => undefined);
  void closed.then(() => resolveStatus(0));
  const write = (d: string | Buffer): void => {
    if (socket.destroyed) return;
    written += Buffer.byteLength(d);
    socket.write(d);
  };
  write(`${head}\r\n\r\n`);
  if (body.length > 0) write(body);
  return {
    status,
    closed,
    headers: () => data.split('\r\n\r\n')[0]?.toLowerCase() ?? '',
    written: () => written,
    write,
    stream: (total, chunked = false) => {
      const piece = Buffer.alloc(64 * 1024, 0x20);
      const framed = chunked
        ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
        : piece;
      let sent = 0;
      const pump = (): void => {
        while (!socket.destroyed && sent < total) {
          sent += piece.length;
          written += framed.length;
          if (!socket.write(framed)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    },
    destroy: () => socket.destroy(),
  };
}
