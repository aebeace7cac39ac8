// What one request holds while the server answers it: its share of the global budget for request
// bodies in flight, and its deadline. The budget bounds the memory that bodies can take all
// together (each body is also capped alone): a body that does not fit is refused at once with 503,
// before it is read, so 150 clients sending nearly-full bodies cannot take the server's memory.
// The deadline starts when the request arrives: when it passes, every stage still waiting on the
// request (reading the body, waiting in line to decode, queued for a worker) fails at once with
// 504, and a request that is still queued is never computed. Both end when the response closes.
import * as http from 'http';
import { RequestError } from './request-error';

/** Bytes of request bodies the server holds at once, all requests together. */
export class BodyBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes reserved now. */
  get usedBytes(): number {
    return this.used;
  }

  /** Reserves `n` bytes; false (nothing reserved) when they do not fit. */
  reserve(n: number): boolean {
    if (this.used + n > this.limitBytes) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

/** One request's budget share and deadline. */
export class RequestScope {
  private reserved = 0;
  private readonly controller = new AbortController();
  private timer?: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly budget: BodyBudget | undefined,
    res: http.ServerResponse,
  ) {
    res.once('close', () => this.end());
  }

  /** Aborted (with the 504 RequestError as its reason) when the deadline passes. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Starts the deadline: `ms` from now, the signal aborts with `error`. */
  startDeadline(ms: number, error: () => RequestError): void {
    if (this.ended || this.timer) return;
    this.timer = setTimeout(() => this.controller.abort(error()), ms);
  }

  /** Reserves `n` bytes of the global budget; a 503 RequestError when they do not fit. */
  reserve(n: number, route: string): void {
    if (!this.budget || n <= 0) return;
    if (!this.budget.reserve(n)) {
      throw new RequestError(
        `${route}: room for this body among the bodies in flight (${this.budget.limitBytes} bytes at most, ${this.budget.usedBytes} taken), got none. Retry in a moment.`,
        503,
        { 'retry-after': '1' },
      );
    }
    this.reserved += n;
  }

  /** `p`, or the deadline's 504 if that comes first. */
  race<T>(p: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    let abort: (() => void) | undefined;
    const late = new Promise<never>((_, reject) => {
      abort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', abort, { once: true });
    });
    return Promise.race([p, late]).finally(() => signal.removeEventListener('abort', abort as () => void));
  }

  /** Releases the budget share and stops the deadline (the response is done). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.budget?.release(this.reserved);
    this.reserved = 0;
  }
}
