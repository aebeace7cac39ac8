// Input generators for the parser fuzzer (fast-check arbitraries), of two kinds:
// - structure-aware: a valid input (a recipe, a model.json, a PNG, an ONNX file) with a few
//   mutations, so most cases get past the first checks and reach the deeper ones;
// - raw: random bytes or random JSON values.
// Mutations are the classic ones of AFL-style fuzzers (bit flips, interesting bytes and 32-bit
// values, truncation, insertion, duplication) and, for JSON, replacing, deleting and adding
// fields, with values chosen to hit edges: -1, 0, 2^31, 1e308, NaN, Infinity, '..', '__proto__',
// deep nesting, long strings and arrays.
import fc from 'fast-check';

/** Values that sit on the edges parsers get wrong. */
export const INTERESTING_VALUES: readonly unknown[] = [
  -1,
  0,
  -0,
  1,
  1.5,
  255,
  256,
  65535,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 + 2,
  -(2 ** 31),
  1e308,
  -1e308,
  5e-324,
  Infinity,
  -Infinity,
  NaN,
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  'NaN',
  '..',
  '../../x',
  '/etc/passwd',
  'a/../../b',
  'C:\\x',
  'file:///etc/passwd',
  '\u0000',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'prototype',
  'x'.repeat(70_000),
  null,
  true,
  false,
  [],
  {},
  [[[[[[[[[[[]]]]]]]]]]],
  new Array(100_000).fill(0),
  { length: 1e9 },
];

/** Keys added to objects: prototype keys, near-miss and valid field names. */
export const INTERESTING_KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  '',
  'x',
  'kind',
  'name',
  'module',
  'file',
  'path',
  'shape',
  'dtype',
  '$blob',
];

/** A JSON-ish value deep enough to overflow a naive recursive walker. */
export function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const interestingValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INTERESTING_VALUES) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 200_000 }).map(deepArray) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer() },
);

/** One change to a JSON document: at a path (indices into the keys met, taken modulo their count). */
interface JsonMutation {
  readonly path: readonly number[];
  readonly action: 'replace' | 'delete' | 'add' | 'wrap' | 'duplicate' | 'stringify' | 'nudge';
  readonly value: unknown;
  readonly key: string;
  readonly nudge: number;
}

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  path: fc.array(fc.nat(1000), { maxLength: 6 }),
  action: fc.constantFrom('replace', 'replace', 'delete', 'add', 'wrap', 'duplicate', 'stringify', 'nudge'),
  value: interestingValue,
  key: fc.oneof(fc.constantFrom(...INTERESTING_KEYS), fc.string({ maxLength: 12 })),
  nudge: fc.constantFrom(-1, 1, 0.5, 2, -2, 1e-9, 1e9),
});

/** Sets an own property, as JSON.parse does (assignment to `__proto__` would change the prototype instead). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function apply(root: unknown, m: JsonMutation): unknown {
  const edit = (v: unknown): unknown => {
    switch (m.action) {
      case 'replace':
        return m.value;
      case 'wrap':
        return [v];
      case 'duplicate':
        return Array.isArray(v) ? [...v, ...v] : v;
      case 'stringify':
        try {
          return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined');
        } catch {
          return '[[['; // too deep to stringify
        }
      case 'nudge':
        return typeof v === 'number' ? v + m.nudge * (Math.abs(v) || 1) : m.value;
      default:
        return v;
    }
  };
  if (m.path.length === 0 || root === null || typeof root !== 'object')
    return m.action === 'delete' ? root : edit(root);
  let parent = root as Record<string, unknown>;
  for (let depth = 0; ; depth++) {
    const keys = Object.keys(parent);
    if (m.action === 'add' && (depth === m.path.length - 1 || keys.length === 0)) {
      if (Array.isArray(parent)) parent.push(m.value);
      else setOwn(parent, m.key, m.value);
      return root;
    }
    if (keys.length === 0) return root;
    const key = keys[(m.path[depth] as number) % keys.length] as string;
    const child = parent[key];
    if (depth >= m.path.length - 1 || child === null || typeof child !== 'object') {
      if (m.action === 'delete') {
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
      } else setOwn(parent, key, edit(child));
      return root;
    }
    parent = child as Record<string, unknown>;
  }
}

/** `valid` (a JSON document) with 1 to `max` mutations; a fresh copy per case. */
export function mutatedJson(valid: unknown, max = 4): fc.Arbitrary<unknown> {
  const text = JSON.stringify(valid);
  return fc.array(jsonMutation, { minLength: 1, maxLength: max }).map((ms) => {
    let doc = JSON.parse(text) as unknown;
    for (const m of ms) doc = apply(doc, m);
    return doc;
  });
}

/** Random JSON, text that may not parse (parsed when it does), or a mutated valid document. */
export function jsonInputs(valid: unknown): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: mutatedJson(valid) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(...INTERESTING_VALUES) },
  );
}

/** One change to a byte string. Offsets are taken modulo the length; `head` offsets favour the first 64 bytes. */
type ByteMutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'byte'; readonly at: number; readonly value: number }
  | { readonly op: 'u32'; readonly at: number; readonly value: number; readonly little: boolean }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'duplicate'; readonly at: number; readonly length: number };

const offset = fc.oneof(fc.nat(63), fc.nat(1 << 20));
const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: offset, bit: fc.nat(7) }),
  fc.record({
    op: fc.constant('byte' as const),
    at: offset,
    value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x20, 0x22),
  }),
  fc.record({
    op: fc.constant('u32' as const),
    at: offset,
    value: fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 0x10000, 7000, 1 << 24),
    little: fc.boolean(),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: offset }),
  fc.record({ op: fc.constant('insert' as const), at: offset, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: offset, length: fc.integer({ min: 1, max: 256 }) }),
);

function applyBytes(base: Uint8Array, ms: readonly ByteMutation[]): Uint8Array {
  let b = Uint8Array.from(base);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.op) {
      case 'flip':
        b[at] = (b[at] as number) ^ (1 << m.bit);
        break;
      case 'byte':
        b[at] = m.value;
        break;
      case 'u32':
        if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at, m.value, m.little);
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'insert':
        b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
        break;
      case 'duplicate': {
        const piece = b.subarray(at, at + m.length);
        b = Uint8Array.from([...b.subarray(0, at + piece.length), ...piece, ...b.subarray(at + piece.length)]);
        break;
      }
    }
  }
  return b;
}

/** `valid` bytes with 1 to `max` mutations. */
export function mutatedBytes(valid: Uint8Array, max = 8): fc.Arbitrary<Uint8Array> {
  return fc.array(byteMutation, { minLength: 1, maxLength: max }).map((ms) => applyBytes(valid, ms));
}

/** Random bytes, optionally after a fixed prefix (a format's magic number, to get past the first check). */
export function rawBytes(prefix?: Uint8Array, maxLength = 4096): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength }).map((b) => (prefix ? Uint8Array.from([...prefix, ...b]) : b));
}

/** Mutated valid bytes (most cases), raw bytes after the magic, and raw bytes. */
export function byteInputs(valids: readonly Uint8Array[], magic?: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 7, arbitrary: fc.constantFrom(...valids).chain((v) => mutatedBytes(v)) },
    { weight: 2, arbitrary: rawBytes(magic) },
    { weight: 1, arbitrary: rawBytes() },
  );
}
