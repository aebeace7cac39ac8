// Who may use the inference API (the admin API has its own guard, admin-auth.ts). Three checks,
// the ones TorchServe and Triton offer, plus the browser's:
//   - Origin: a web page on another site can make a browser POST to this server (a form needs no
//     preflight), so requests that carry an Origin are refused (403) unless `cors` lists that
//     origin; listed origins get CORS headers and answered preflights. Scripts and shells send
//     no Origin and are not affected.
//   - Host: a server bound to loopback answers only requests that name a loopback host (or one of
//     `allowedHosts`), so a DNS-rebinding page (which names its own domain) cannot reach it.
//   - An optional bearer token for everything but the health probes (liveness and readiness stay
//     open for orchestrators), compared in constant time.
import { createHash, timingSafeEqual } from 'crypto';
import * as http from 'http';
import { ConfigError, describe } from '../errors';
import { isLoopback } from './admin-auth';
import { RequestError } from './request-error';

/** The inference API's access options (ServerOptions.access). */
export interface AccessOptions {
  /** Origins (scheme://host[:port]) whose web pages may call the API, or '*' for any. Default: none. */
  readonly cors?: readonly string[];
  /** Bearer token every request but the health probes must send (`Authorization: Bearer <token>`), 16 to 512 visible characters. */
  readonly token?: string;
  /** Extra Host header values accepted by a loopback server (e.g. 'models.internal:8080'). */
  readonly allowedHosts?: readonly string[];
}

/** The environment variable the CLI reads the inference token from. */
export const INFERENCE_TOKEN_ENV = 'TFC_INFERENCE_TOKEN';

/** What a route is, for access: health probes are open; reads and inference are checked. */
export type RouteKind = 'health' | 'read' | 'inference' | 'admin';

const TOKEN = /^[\x21-\x7e]{16,512}$/;
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/;
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Checks requests against the server's access options. */
export class AccessGuard {
  private readonly origins: Set<string>;
  private readonly anyOrigin: boolean;
  private readonly tokenDigest?: Buffer;
  private hosts?: Set<string>;

  /** Validates `options` (ConfigError: a malformed origin or token). */
  constructor(
    options: AccessOptions | undefined,
    private readonly host: string,
  ) {
    const cors = options?.cors ?? [];
    for (const o of cors) {
      if (typeof o !== 'string' || (o !== '*' && !ORIGIN.test(o.toLowerCase())))
        throw new ConfigError(
          `startServer: CORS origins as scheme://host[:port] (e.g. https://app.example.com) or '*', got ${describe(o)}. Write the origin exactly as the browser sends it.`,
        );
    }
    this.anyOrigin = cors.includes('*');
    this.origins = new Set(cors.map((o) => o.toLowerCase()));
    const token = options?.token;
    if (token !== undefined && (typeof token !== 'string' || !TOKEN.test(token))) {
      throw new ConfigError(
        `startServer: an inference token of 16 to 512 visible ASCII characters, got ${typeof token === 'string' ? `${token.length} characters` : describe(token)}. Generate one with: openssl rand -hex 32.`,
      );
    }
    this.tokenDigest = token === undefined ? undefined : digest(token);
    this.allowed = options?.allowedHosts ?? [];
  }

  private readonly allowed: readonly string[];

  /** Sets the port the server listens on: a loopback server's requests must name it (or no port) in Host. */
  listening(port: number): void {
    if (!isLoopback(this.host)) return;
    const names = ['127.0.0.1', 'localhost', '[::1]'];
    this.hosts = new Set([...names, ...names.map((n) => `${n}:${port}`), ...this.allowed.map((h) => h.toLowerCase())]);
  }

  /** True when an inference token is required. */
  get tokenRequired(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** The CORS headers for an allowed Origin (none without an Origin). */
  corsHeaders(req: http.IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !this.originAllowed(origin)) return {};
    return { 'access-control-allow-origin': this.anyOrigin ? '*' : origin, vary: 'Origin' };
  }

  /**
   * Throws a RequestError (401 or 403) unless `req` may use a route of `kind`. Admin routes are
   * checked by the admin guard; health probes only by nothing.
   */
  check(req: http.IncomingMessage, route: string, kind: RouteKind): void {
    if (kind === 'health') return;
    if (this.hosts && !this.hosts.has((req.headers.host ?? '').toLowerCase())) {
      throw new RequestError(
        `${route}: a Host header naming this server (127.0.0.1, localhost or [::1], with its port), got ${describe(req.headers.host ?? 'none')}. Use the server's own address, or start it with --allowed-host.`,
        403,
      );
    }
    if (kind === 'admin') return;
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin)) {
      throw new RequestError(
        `${route}: a request from a script, or from a web page whose origin the server allows, got one from ${describe(String(origin).slice(0, 100))}. Start the server with --cors <origin> to allow that page.`,
        403,
      );
    }
    if (this.tokenDigest) {
      const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1] as string), this.tokenDigest)) {
        throw new RequestError(
          `${route}: an Authorization: Bearer <token> header, got ${m ? 'a wrong token' : 'none'}. Send the server's inference token.`,
          401,
          { 'www-authenticate': 'Bearer realm="tfjs-compress"' },
        );
      }
    }
  }

  /** Answers a CORS preflight (OPTIONS): 204 with the allowed methods and headers, or 403. */
  preflight(req: http.IncomingMessage, res: http.ServerResponse, route: string): number {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !this.originAllowed(origin)) {
      throw new RequestError(
        `${route}: a preflight from an origin the server allows, got ${describe(String(origin ?? 'none').slice(0, 100))}. Start the server with --cors <origin> to allow that page.`,
        403,
      );
    }
    res.writeHead(204, {
      ...this.corsHeaders(req),
      'access-control-allow-methods': 'GET, HEAD, POST',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '600',
      'content-length': 0,
    });
    res.end();
    return 204;
  }

  private originAllowed(origin: string): boolean {
    return this.anyOrigin || this.origins.has(origin.toLowerCase());
  }
}
