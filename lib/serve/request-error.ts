// The error of one HTTP request: the status to answer with, extra headers (Retry-After, Allow,
// WWW-Authenticate), and a message that says what was expected and what came.

import { CompressionError } from '../errors';

/** A request the server refuses or cannot answer; `status` is the HTTP status to send. */
export class RequestError extends CompressionError {
  constructor(
    message: string,
    readonly status = 400,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    // No stack trace: a refusal is an answer, not a bug, and a flood of 503s should not pay for
    // thousands of captured stacks a second.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}
