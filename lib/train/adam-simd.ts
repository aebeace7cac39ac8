// Adam's element-wise update as a tiny WebAssembly SIMD function that works in place on the
// tfjs wasm backend's own memory (it imports the backend's WebAssembly.Memory), four floats at
// a time. The module is assembled here from its opcodes (about 600 bytes), so nothing is
// downloaded or built: WebAssembly SIMD is part of the wasm 2.0 standard that tfjs's SIMD
// binary already requires. Every f32x4 operation is IEEE float32, in the order of tfjs's Adam
// (see fused-adam.ts), so the result equals the stock optimizer's bit for bit.
//
// Layout of the exported function adam(x, m, v, g, x1, m1, v1, n, b1, c1, b2, c2, d1, d2, eps, nlr):
// byte offsets of seven float32 arrays of n elements in the memory, then the float32 scalars.

const I32 = 0x7f,
  F32 = 0x7d,
  V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

// Opcodes (WebAssembly core 2.0 and its SIMD proposal, now standard).
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32c = (v: number) => [0x41, ...sleb(v)];
const simd = (op: number) => [0xfd, ...uleb(op)];
const memarg = (alignLog2: number) => [...uleb(alignLog2), 0];
const I32_ADD = [0x6a],
  I32_AND = [0x71],
  I32_SHL = [0x74],
  I32_GE_U = [0x4f];
const F32_LOAD = [0x2a, ...memarg(2)],
  F32_STORE = [0x38, ...memarg(2)];
const F32_SQRT = [0x91],
  F32_ADD = [0x92],
  F32_MUL = [0x94],
  F32_DIV = [0x95];
const V_LOAD = [...simd(0x00), ...memarg(2)],
  V_STORE = [...simd(0x0b), ...memarg(2)];
const V_SPLAT = simd(0x13),
  V_SQRT = simd(0xe3),
  V_ADD = simd(0xe4),
  V_MUL = simd(0xe6),
  V_DIV = simd(0xe7);
const BLOCK = [0x02, 0x40],
  LOOP = [0x03, 0x40],
  END = [0x0b];
const brIf = (depth: number) => [0x0d, ...uleb(depth)];
const br = (depth: number) => [0x0c, ...uleb(depth)];

// Parameters 0-6: pointers x, m, v, g, x1, m1, v1; 7: n; 8-15: b1, c1, b2, c2, d1, d2, eps, nlr.
const OFF = 16,
  END_AT = 17; // i32 locals
const SPLAT0 = 18; // v128 locals 18-25: the eight scalars splatted
const G = 26,
  M = 27,
  V = 28; // v128 locals
const SG = 29,
  SM = 30,
  SV = 31; // f32 locals of the scalar tail

/** One loop over [OFF, END_AT) in steps of `stride` bytes, with the given element ops. */
function loop(stride: number, kind: 'vector' | 'scalar'): number[] {
  const [load, store, add, mul, div, sqrt] =
    kind === 'vector'
      ? [V_LOAD, V_STORE, V_ADD, V_MUL, V_DIV, V_SQRT]
      : [F32_LOAD, F32_STORE, F32_ADD, F32_MUL, F32_DIV, F32_SQRT];
  const scalar = (k: number) => (kind === 'vector' ? get(SPLAT0 + k) : get(8 + k)); // b1 c1 b2 c2 d1 d2 eps nlr
  const [g, m, v] = kind === 'vector' ? [G, M, V] : [SG, SM, SV];
  const at = (ptr: number) => [...get(ptr), ...get(OFF), ...I32_ADD];
  // A moment's update, the same moving average for both: old * scalar(b) + term * scalar(c), old read at `ptr`.
  const moment = (ptr: number, b: number, term: number[], c: number) => [
    ...at(ptr),
    ...load,
    ...scalar(b),
    ...mul,
    ...term,
    ...scalar(c),
    ...mul,
    ...add,
  ];
  return [
    ...BLOCK,
    ...LOOP,
    ...get(OFF),
    ...get(END_AT),
    ...I32_GE_U,
    ...brIf(1),
    ...at(3),
    ...load,
    ...set(g),
    // m1 = m * b1 + g * c1
    ...moment(1, 0, get(g), 1),
    ...set(m),
    // v1 = v * b2 + (g * g) * c2
    ...moment(2, 2, [...get(g), ...get(g), ...mul], 3),
    ...set(v),
    ...at(5),
    ...get(m),
    ...store,
    ...at(6),
    ...get(v),
    ...store,
    // x1 = ((m1 / d1) / (sqrt(v1 / d2) + eps)) * nlr + x
    ...at(4),
    ...get(m),
    ...scalar(4),
    ...div,
    ...get(v),
    ...scalar(5),
    ...div,
    ...sqrt,
    ...scalar(6),
    ...add,
    ...div,
    ...scalar(7),
    ...mul,
    ...at(0),
    ...load,
    ...add,
    ...store,
    ...get(OFF),
    ...i32c(stride),
    ...I32_ADD,
    ...set(OFF),
    ...br(0),
    ...END,
    ...END,
  ];
}

/** The module's bytes; `shared` for the threaded backend's SharedArrayBuffer memory. */
export function adamModuleBytes(shared: boolean): Uint8Array {
  const type = [0x60, ...vec([...Array(8).fill([I32]), ...Array(8).fill([F32])]), 0];
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const memoryImport = [...name('env'), ...name('memory'), 0x02, ...limits];
  const body = [
    ...vec(
      [
        [2, I32],
        [11, V128],
        [3, F32],
      ].map(([count, t]) => [...uleb(count as number), t as number]),
    ),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [...get(8 + k), ...V_SPLAT, ...set(SPLAT0 + k)]),
    ...get(7),
    ...i32c(-4),
    ...I32_AND,
    ...i32c(2),
    ...I32_SHL,
    ...set(END_AT), // whole vectors
    ...loop(16, 'vector'),
    ...get(7),
    ...i32c(2),
    ...I32_SHL,
    ...set(END_AT), // the remaining 0-3 elements
    ...loop(4, 'scalar'),
    ...END,
  ];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([type])),
    ...section(2, vec([memoryImport])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('adam'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** adam(x, m, v, g, x1, m1, v1, n, b1, c1, b2, c2, d1, d2, eps, nlr) on byte offsets of `memory`. */
export type AdamSimdFn = (...args: number[]) => void;

const instances = new WeakMap<WebAssembly.Memory, AdamSimdFn>();

/** The update function bound to `memory` (compiled once per memory), or undefined where SIMD wasm is unavailable. */
export function adamSimd(memory: WebAssembly.Memory): AdamSimdFn | undefined {
  const cached = instances.get(memory);
  if (cached) return cached;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(adamModuleBytes(shared));
    const fn = new WebAssembly.Instance(module, { env: { memory } }).exports.adam as AdamSimdFn;
    instances.set(memory, fn);
    return fn;
  } catch {
    return undefined; // no SIMD in this engine: the caller uses the typed-array loop
  }
}
