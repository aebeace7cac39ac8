// The error of one HTTP request: the status to answer with, extra headers (Retry-After, Allow,
// WWW-Authenticate), and a message that says what was expected and what came.

/** A request the server refuses or cannot answer; `status` is the HTTP status to send. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
