// Who may swap and roll back models. The admin API answers only requests that carry the bearer
// token (compared in constant time), come from no web page (no Origin header, no cross-site
// Sec-Fetch-Site: a browser always sends them on a cross-origin POST), name this server in Host
// (a DNS-rebinding page names its own domain) and send JSON (an HTML form cannot). Without a
// token the admin API is off, unless `insecure` is set, which only a loopback server accepts.
import { createHash, timingSafeEqual } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { ConfigError, describe } from '../errors';
import { RequestError } from './request-error';

/** The admin API's options (ServerOptions.admin). */
export interface AdminOptions {
  /** The bearer token admin requests must send (`Authorization: Bearer <token>`), 16 to 512 visible characters. */
  readonly token?: string;
  /** Admin API without a token. Refused unless the server binds a loopback address. */
  readonly insecure?: boolean;
  /** Extra Host header values accepted on admin requests (e.g. 'models.internal:8080'). */
  readonly allowedHosts?: readonly string[];
}

/** The environment variable the CLI reads the admin token from. */
export const ADMIN_TOKEN_ENV = 'TFC_ADMIN_TOKEN';
const TOKEN = /^[\x21-\x7e]{16,512}$/;

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Reads a token from a file (its first line; at most 4 KiB): the admin or the inference token. */
export function readTokenFile(file: string, fn = 'readTokenFile'): string {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > 4096)
      throw new ConfigError(
        `${fn}: a regular file of at most 4096 bytes at ${file}, got ${st.isFile() ? `${st.size} bytes` : 'something else'}. Write the token alone in a file.`,
      );
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(
      `${fn}: a readable token file at ${file}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Check the path.`,
    );
  }
  return (text.split(/\r?\n/)[0] ?? '').trim();
}

/** Reads an admin token from a file (its first line; at most 4 KiB). */
export function readAdminTokenFile(file: string): string {
  return readTokenFile(file, 'readAdminTokenFile');
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Checks admin requests against the server's admin options. */
export class AdminGuard {
  private readonly tokenDigest?: Buffer;
  private hosts = new Set<string>();

  /**
   * Validates `options` for a server bound to `host` (ConfigError: a malformed token, or
   * `insecure` on a non-loopback address).
   */
  constructor(
    readonly options: AdminOptions | undefined,
    private readonly host: string,
  ) {
    const token = options?.token;
    if (token !== undefined && (typeof token !== 'string' || !TOKEN.test(token))) {
      throw new ConfigError(
        `startServer: an admin token of 16 to 512 visible ASCII characters, got ${typeof token === 'string' ? `${token.length} characters` : describe(token)}. ` +
          `Generate one with: openssl rand -hex 32.`,
      );
    }
    if (options?.insecure && token === undefined && !isLoopback(host)) {
      throw new ConfigError(
        `startServer: insecure admin (no token) only on a loopback address, got host ${describe(host)}. Pass an admin token, or bind 127.0.0.1.`,
      );
    }
    this.tokenDigest = token === undefined ? undefined : digest(token);
  }

  /** Sets the port the server listens on: admin requests must name it in Host. */
  listening(port: number): void {
    const h = this.host;
    const names = isLoopback(h) ? ['127.0.0.1', 'localhost', '[::1]'] : [h.includes(':') ? `[${h}]` : h];
    this.hosts = new Set(
      [...names.map((n) => `${n}:${port}`), ...(this.options?.allowedHosts ?? [])].map((x) => x.toLowerCase()),
    );
  }

  /** True when the admin API answers at all. */
  get enabled(): boolean {
    return this.tokenDigest !== undefined || this.options?.insecure === true;
  }

  /** Throws a RequestError (401, 403 or 415) unless `req` may act as admin. */
  check(req: http.IncomingMessage, route: string): void {
    if (!this.enabled) {
      throw new RequestError(
        `${route}: a server started with an admin token, got one without. Start it with --admin-token-file <file> or ${ADMIN_TOKEN_ENV}.`,
        403,
      );
    }
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if (origin !== undefined || (site !== undefined && site !== 'none')) {
      throw new RequestError(
        `${route}: an admin request from a script or shell (no Origin), got one from a web page${typeof origin === 'string' ? ` (Origin ${describe(origin)})` : ''}. Admin actions are not for browsers.`,
        403,
      );
    }
    const host = (req.headers.host ?? '').toLowerCase();
    if (!this.hosts.has(host)) {
      throw new RequestError(
        `${route}: a Host header naming this server (${[...this.hosts].join(', ')}), got ${describe(host)}. Use the server's own address.`,
        403,
      );
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new RequestError(
        `${route}: Content-Type application/json, got ${describe(req.headers['content-type'] ?? 'none')}. Send a JSON body.`,
        415,
      );
    }
    if (this.tokenDigest) {
      const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1] as string), this.tokenDigest)) {
        throw new RequestError(
          `${route}: an Authorization: Bearer <admin token> header, got ${m ? 'a wrong token' : 'none'}. Send the server's admin token.`,
          401,
          { 'www-authenticate': 'Bearer realm="tfjs-compress admin"' },
        );
      }
    }
  }
}
