// The malformed requests of the attack tests, by kind: well-framed HTTP with bad content (sent
// by autocannon), and broken framing sent on raw sockets. Every one must get a 4xx (or, for
// framing the server cannot parse, a closed connection), never a 5xx.
import { LoadRequest } from '../../lib/bench/load-test';

/**
 * Well-framed requests with bad content, for an input of `size` values, `maxBatch` examples, `maxBodyBytes`.
 * (HEAD is checked apart: autocannon waits for the body a HEAD answer's Content-Length announces.)
 */
export function contentAttacks(
  size: number,
  maxBatch: number,
  maxBodyBytes: number,
): { kind: string; request: LoadRequest }[] {
  const ok = new Array<number>(size).fill(0.5);
  const at = (v: string) => `{"input": [${ok.slice(1).join(',')},${v}]}`;
  const post = (kind: string, body: string, path = '/v1/predict', headers?: Record<string, string>) => ({
    kind,
    request: { method: 'POST', path, body, headers },
  });
  const call = (kind: string, method: string, path: string, headers?: Record<string, string>) => ({
    kind,
    request: { method, path, headers },
  });
  const deep = (n: number) => `{"input": ${'['.repeat(n)}${']'.repeat(n)}}`;
  const bearer = { authorization: 'Bearer wrong-token-0123456789abcdef' };
  return [
    post('truncated JSON', '{"input": [1, 2,'),
    post('JSON array', '[1, 2, 3]'),
    post('JSON string', '"hello"'),
    post('JSON null', 'null'),
    post('JSON number', '42'),
    post('empty body', ''),
    post('wrong length', JSON.stringify({ input: ok.slice(1) })),
    post('string value', at('"0.5"')),
    post('null value', at('null')),
    post('object value', at('{"a": 1}')),
    post('boolean value', at('true')),
    post('float32 overflow', at('1e39')),
    post('negative float32 overflow', at('-1e39')),
    post('infinite literal', at('1e999')),
    post('nested 20,000 deep', deep(20000)),
    post('objects nested 10,000 deep', `{"input": ${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}`),
    post('dtype int8', JSON.stringify({ input: ok, dtype: 'int8' })),
    post('dtype object', `{"input": [${ok.join(',')}], "dtype": ${'['.repeat(5000)}${']'.repeat(5000)}}`),
    post('empty batch', '{"inputs": []}'),
    post('input and inputs', JSON.stringify({ input: ok, inputs: [ok] })),
    post('inputs not an array', '{"inputs": 5}'),
    post('ragged batch', JSON.stringify({ inputs: [ok, ok.slice(1)] })),
    post('batch too large', JSON.stringify({ inputs: new Array(maxBatch + 1).fill(ok) })),
    post('body too large', `{"input": [${'0.5,'.repeat(Math.ceil(maxBodyBytes / 4))}0]}`),
    post('long string value', at(`"${'x'.repeat(Math.floor(maxBodyBytes / 2))}"`)),
    post('lone surrogates', '{"input": "\ud800\udfff\ud800"}'),
    post('duplicate keys', `{"input": [${ok.join(',')}], "input": "x"}`),
    post('__proto__ key', `{"__proto__": {"input": [${ok.join(',')}]}}`),
    call('GET predict', 'GET', '/v1/predict'),
    call('PUT predict', 'PUT', '/v1/predict'),
    call('DELETE predict', 'DELETE', '/v1/predict'),
    call('PATCH healthz', 'PATCH', '/healthz'),
    call('OPTIONS predict', 'OPTIONS', '/v1/predict'),
    call('dot-dot path', 'GET', '/v1/predict/../admin/swap'),
    call('encoded traversal', 'GET', '/%2e%2e/%2e%2e/etc/passwd'),
    call('long path', 'GET', `/${'a'.repeat(4000)}`),
    post('swap without token', '{"version": "2"}', '/v1/admin/swap'),
    post('swap with a wrong token', '{"version": "2"}', '/v1/admin/swap', bearer),
    post('swap from a web page', '{"version": "2"}', '/v1/admin/swap', { origin: 'http://evil.example' }),
    post('swap as a form', 'version=2', '/v1/admin/swap', { 'content-type': 'application/x-www-form-urlencoded' }),
    post('rollback as text', '{}', '/v1/admin/rollback', { 'content-type': 'text/plain' }),
    post('swap with a foreign Host', '{"version": "2"}', '/v1/admin/swap', { host: 'evil.example' }),
    post('feedback without id', '{"label": 1}', '/v1/feedback'),
    post('feedback nested deep', `{"feedback": [${'['.repeat(20000)}${']'.repeat(20000)}]}`, '/v1/feedback'),
    post('feedback label string', '{"id": "x", "label": "1"}', '/v1/feedback'),
    post('v2 infer not a request', '[1, 2, 3]', '/v2/models/tiny/infer'),
    post(
      'v2 infer wrong shape',
      JSON.stringify({ inputs: [{ name: 'input', shape: [1, size + 1], datatype: 'FP32', data: [...ok, 0] }] }),
      '/v2/models/tiny/infer',
    ),
    post('v2 infer unknown model', '{"inputs": []}', '/v2/models/other/infer'),
    post('PNG garbage', 'not a png at all', '/v1/predict', { 'content-type': 'image/png' }),
    post('multipart without boundary', '--x\r\n', '/v1/predict', { 'content-type': 'multipart/form-data' }),
  ];
}

const chunk = (body: string): string => `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n`;

/** Raw bytes the HTTP parser must refuse (400, 431) or close on. */
export const FRAMING_ATTACKS: { kind: string; chunks: string[] }[] = [
  { kind: 'not HTTP', chunks: ['GARBAGE GARBAGE\r\n\r\n'] },
  { kind: 'HTTP/9.9', chunks: ['GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n'] },
  {
    kind: 'two Content-Lengths',
    chunks: ['POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
  },
  {
    kind: 'Content-Length and chunked',
    chunks: [
      'POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
  },
  {
    kind: 'bad chunk size',
    chunks: ['POST /v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  },
  {
    kind: 'chunk longer than declared',
    chunks: ['POST /v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n'],
  },
  { kind: 'NUL in a header', chunks: ['GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n'] },
  { kind: 'header without colon', chunks: ['GET /healthz HTTP/1.1\r\nHost x\r\n\r\n'] },
  { kind: 'negative Content-Length', chunks: ['POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'] },
  { kind: 'text Content-Length', chunks: ['POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'] },
  { kind: 'headers over 16 KiB', chunks: [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`] },
  { kind: 'space before colon', chunks: ['GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n'] },
  { kind: 'bare LF line endings', chunks: ['GET /healthz HTTP/1.1\nHost: x\n\n'] },
  { kind: 'obsolete line folding', chunks: ['GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  b\r\n\r\n'] },
  { kind: 'invalid method token', chunks: ['G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n'] },
  { kind: 'URL with a space', chunks: ['GET /heal thz HTTP/1.1\r\nHost: x\r\n\r\n'] },
  {
    kind: 'chunked JSON nested deep',
    chunks: [
      'POST /v1/predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      chunk(`{"input":${'['.repeat(10000)}${']'.repeat(10000)}}`),
      '0\r\n\r\n',
    ],
  },
  {
    kind: 'Content-Length larger than the body, then close',
    chunks: ['POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"input": [1'],
  },
];
