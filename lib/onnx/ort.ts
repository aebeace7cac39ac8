// What ONNX-in asks of ONNX Runtime (every session from exporters' one factory, ortSession):
// - `optimizeBasic`: ONNX Runtime's basic graph optimizations written back to ONNX (constant
//   folding, Constant nodes into initializers, Conv + BatchNormalization / Add / Mul fusion,
//   redundant node elimination). Basic optimizations run before execution providers are chosen,
//   so the result is portable; it is the pre-processing ORT's own quantization tools recommend
//   (onnxruntime.quantization.quant_pre_process).
// - `traceRun`: one run under ONNX Runtime's profiler with optimizations off: every node, in every
//   subgraph, with its input and output shapes and its kernel time.
// - `observeValues`: runs over the data with chosen intermediate values exposed as extra graph
//   outputs (how ORT's calibrators read activations), handing each run's values to a callback.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { DataError } from '../errors';
import { ortSession } from '../export/onnx/runtime';
import { OnnxData, eachFeeds, ortFeeds, runSession } from './feeds';

function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-compress-onnx-'));
  return fn(dir).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

/** The model after ONNX Runtime's basic (portable) graph optimizations. */
export async function optimizeBasic(bytes: Uint8Array): Promise<Uint8Array> {
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'optimized.onnx');
    const session = await ortSession(bytes, { optimization: 'basic', optimizedModelFilePath: file });
    await session.release();
    return new Uint8Array(fs.readFileSync(file));
  });
}

/** One node's run as the profiler saw it. */
export interface NodeTrace {
  readonly op: string;
  /** Dims of each input and output (undefined for an absent or non-tensor one). */
  readonly inputs: (number[] | undefined)[];
  readonly outputs: (number[] | undefined)[];
  /** Kernel time of the run, in ms. */
  readonly latencyMs: number;
}

interface ProfileEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly dur?: number;
  readonly args?: {
    readonly op_name?: string;
    readonly input_type_shape?: Record<string, number[]>[];
    readonly output_type_shape?: Record<string, number[]>[];
  };
}

const dimsOf = (entry: Record<string, number[]> | undefined): number[] | undefined =>
  entry ? Object.values(entry)[0] : undefined;

/**
 * Runs the model `runs` times on `feeds` under ONNX Runtime's profiler (graph optimizations off,
 * so node names are the model's) and returns each node's shapes and median kernel time, by node
 * name. Nodes that did not run (the branch of an If not taken) are absent.
 */
export async function traceRun(bytes: Uint8Array, data: OnnxData, runs = 3): Promise<Map<string, NodeTrace>> {
  return withTempDir(async (dir) => {
    const session = await ortSession(bytes, { optimization: 'disabled', profileFilePrefix: path.join(dir, 'trace') });
    try {
      let feeds;
      for await (const f of eachFeeds(data, 'onnx.profile', 1)) feeds = ortFeeds(session, f, 'onnx.profile');
      if (!feeds) throw new DataError(`onnx.profile: one example to run, got none. Pass data or inputShapes.`);
      for (let i = 0; i < runs; i++) await runSession(session, feeds, 'onnx.profile');
      session.endProfiling();
    } finally {
      await session.release();
    }
    const file = fs.readdirSync(dir).find((f) => f.startsWith('trace') && f.endsWith('.json'));
    if (!file)
      throw new DataError(
        `onnx.profile: a profiler trace from ONNX Runtime, got none. Check that the temp folder is writable.`,
      );
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[];
    const times = new Map<string, number[]>();
    const out = new Map<string, NodeTrace>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
      const name = e.name.slice(0, -'_kernel_time'.length);
      times.set(name, [...(times.get(name) ?? []), (e.dur ?? 0) / 1000]);
      out.set(name, {
        op: e.args?.op_name ?? '',
        inputs: (e.args?.input_type_shape ?? []).map(dimsOf),
        outputs: (e.args?.output_type_shape ?? []).map(dimsOf),
        latencyMs: 0,
      });
    }
    for (const [name, t] of out) {
      const sorted = (times.get(name) ?? [0]).sort((a, b) => a - b);
      out.set(name, { ...t, latencyMs: sorted[Math.floor(sorted.length / 2)] as number });
    }
    return out;
  });
}

/** A copy of `bytes` whose main graph also outputs the values named (untyped outputs: ONNX Runtime infers them). */
export function withOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const graph = m.graph as onnx.GraphProto;
  const present = new Set(graph.output.map((o) => o.name));
  for (const n of names) if (!present.has(n)) graph.output.push(onnx.ValueInfoProto.create({ name: n }));
  return onnx.ModelProto.encode(m).finish();
}

/**
 * Runs the model on each feeds of `data` (at most `limit`), exposing `names` as outputs, and calls
 * `observe` with each run's values (float32 data and dims, by name). One run's values are alive at
 * a time. Returns the number of runs.
 */
export async function observeValues(
  bytes: Uint8Array,
  names: readonly string[],
  data: OnnxData,
  observe: (values: Map<string, { data: Float32Array; dims: readonly number[] }>) => void,
  options: { readonly limit?: number; readonly fn: string },
): Promise<number> {
  const session = await ortSession(withOutputs(bytes, names), { optimization: 'disabled' });
  let runs = 0;
  try {
    for await (const f of eachFeeds(data, options.fn, options.limit)) {
      const out = await runSession(session, ortFeeds(session, f, options.fn), options.fn, names);
      const values = new Map<string, { data: Float32Array; dims: readonly number[] }>();
      for (const n of names) {
        const t = out[n];
        if (t && t.type === 'float32') values.set(n, { data: t.data as Float32Array, dims: t.dims });
      }
      observe(values);
      for (const t of Object.values(out)) t.dispose?.();
      runs++;
    }
  } finally {
    await session.release();
  }
  return runs;
}
