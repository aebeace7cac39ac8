// The serving manifest of an ONNX version: `serving.json` beside `model.onnx`, written at publish
// time from the ONNX graph itself. It states the serving contract (input and output shapes and
// dtypes, logits or probabilities) and the file's size and sha256, so a server can refuse a
// truncated, replaced or corrupt model file before handing a byte of it to ONNX Runtime.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { DataError, describe } from '../errors';
import { ServingContract, classifierContract } from './contract';

/** The file names of an ONNX version folder. */
export const ONNX_FILE = 'model.onnx';
export const MANIFEST_FILE = 'serving.json';
const MAX_MANIFEST_BYTES = 64 * 1024;

/** `serving.json`. */
export interface ServingManifest {
  readonly format: 'onnx';
  readonly file: typeof ONNX_FILE;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** ONNX input and output names (the graph's own). */
  readonly inputName: string;
  readonly outputName: string;
  readonly contract: ServingContract;
}

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT

function declared(v: onnx.IValueInfoProto | undefined, what: string): { name: string; shape: (number | null)[] } {
  const t = v?.type?.tensorType;
  if (!v?.name || !t)
    throw new DataError(
      `onnxServingManifest: a graph ${what} that is a tensor, got ${describe(v?.name)}. Export with exporters.toOnnx.`,
    );
  if (t.elemType !== FLOAT)
    throw new DataError(
      `onnxServingManifest: a float32 graph ${what}, got ONNX element type ${t.elemType}. Serve models with float32 inputs and outputs.`,
    );
  const shape = (t.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : null,
  );
  return { name: v.name, shape };
}

/** Follows the graph output back through Identity/Transpose/Reshape/Flatten and Q/DQ nodes: does a Softmax produce it? */
function producedBySoftmax(graph: onnx.IGraphProto, output: string): boolean {
  const byOutput = new Map<string, onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) byOutput.set(o, n);
  let node = byOutput.get(output);
  for (let hops = 0; node && hops < 8; hops++) {
    if (node.opType === 'Softmax') return true;
    // Q/DQ pairs (an INT8 QDQ graph quantizes its output) keep the values on a grid: still probabilities.
    if (
      !['Identity', 'Transpose', 'Reshape', 'Flatten', 'QuantizeLinear', 'DequantizeLinear'].includes(node.opType ?? '')
    )
      return false;
    node = byOutput.get((node.input ?? [])[0] ?? '');
  }
  return false;
}

/**
 * The serving manifest of ONNX bytes: one float32 input and output with fixed per-example shapes
 * (DataError or ShapeError otherwise), their names, the size and the sha256 of the bytes.
 */
export function onnxServingManifest(bytes: Uint8Array): ServingManifest {
  let m: onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new DataError(
      `onnxServingManifest: an ONNX model, got bytes that do not decode ("${(e as Error).message}"). Pass exporters.toOnnx(model).bytes.`,
    );
  }
  const g = m.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name));
  const inputs = (g?.input ?? []).filter((v) => !inits.has(v.name ?? ''));
  if (!g || inputs.length !== 1 || (g.output ?? []).length !== 1) {
    throw new DataError(
      `onnxServingManifest: a graph with one input and one output, got ${inputs.length} and ${(g?.output ?? []).length}. Serve each head as its own model.`,
    );
  }
  const input = declared(inputs[0], 'input');
  const output = declared(g.output?.[0], 'output');
  return {
    format: 'onnx',
    file: ONNX_FILE,
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    inputName: input.name,
    outputName: output.name,
    contract: classifierContract(
      'onnxServingManifest',
      input.shape,
      output.shape,
      producedBySoftmax(g, output.name) ? 'probabilities' : 'logits',
    ),
  };
}

const isShape = (s: unknown): boolean =>
  Array.isArray(s) && s.length > 0 && s.length <= 8 && s.every((d) => Number.isInteger(d) && d > 0 && d <= 1 << 24);
const isTensor = (t: unknown): boolean =>
  !!t &&
  typeof t === 'object' &&
  isShape((t as { shape?: unknown }).shape) &&
  (t as { dtype?: unknown }).dtype === 'float32';

/** Reads and checks `dir/serving.json` (size-capped, every field typed). */
export function readServingManifest(dir: string): ServingManifest {
  const file = path.join(dir, MANIFEST_FILE);
  const bad = (got: string): DataError =>
    new DataError(
      `readServingManifest: a serving.json written by publishOnnx in ${dir}, got ${got}. Publish the version again.`,
      file,
    );
  let text: string;
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile()) throw bad('something that is not a regular file');
    if (st.size > MAX_MANIFEST_BYTES) throw bad(`${st.size} bytes (at most ${MAX_MANIFEST_BYTES})`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw bad((e as NodeJS.ErrnoException).code ?? 'an unreadable file');
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw bad('invalid JSON');
  }
  const c = (j?.contract ?? {}) as Record<string, unknown>;
  const ok =
    j &&
    typeof j === 'object' &&
    j.format === 'onnx' &&
    j.file === ONNX_FILE &&
    Number.isInteger(j.sizeBytes) &&
    (j.sizeBytes as number) > 0 &&
    typeof j.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(j.sha256) &&
    typeof j.inputName === 'string' &&
    typeof j.outputName === 'string' &&
    isTensor(c.input) &&
    isTensor(c.output) &&
    (c.outputKind === 'logits' || c.outputKind === 'probabilities');
  if (!ok) throw bad('missing or mistyped fields');
  return j as unknown as ServingManifest;
}

/**
 * Reads `model.onnx` of a version folder: a regular file inside the folder (symlinks resolved),
 * at most `maxBytes`, of the size and sha256 the manifest states. DataError otherwise.
 */
export async function readOnnxFile(dir: string, manifest: ServingManifest, maxBytes: number): Promise<Uint8Array> {
  const file = path.join(dir, ONNX_FILE);
  const fail = (got: string): DataError =>
    new DataError(
      `readOnnxFile: ${file} as serving.json describes it (${manifest.sizeBytes} bytes, at most ${maxBytes}), ` +
        `got ${got}. Publish the version again, or raise maxModelBytes if the model is that large.`,
      file,
    );
  if (manifest.sizeBytes > maxBytes) throw fail(`a manifest declaring ${manifest.sizeBytes} bytes`);
  let handle: fs.promises.FileHandle | undefined;
  try {
    const real = await fs.promises.realpath(file);
    const root = await fs.promises.realpath(dir);
    if (path.dirname(real) !== root) throw fail('a link to a file outside the folder');
    // O_NONBLOCK: opening a FIFO never waits for a writer; fstat then refuses it.
    handle = await fs.promises.open(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = await handle.stat();
    if (!st.isFile()) throw fail('something that is not a regular file');
    if (st.size !== manifest.sizeBytes) throw fail(`${st.size} bytes`);
    const bytes = new Uint8Array(st.size);
    const { bytesRead } = await handle.read(bytes, 0, st.size, 0);
    if (bytesRead !== st.size) throw fail(`${bytesRead} bytes read`);
    if (createHash('sha256').update(bytes).digest('hex') !== manifest.sha256)
      throw fail('other bytes (sha256 differs)');
    return bytes;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw fail((e as NodeJS.ErrnoException).code ?? 'an unreadable file');
  } finally {
    await handle?.close();
  }
}
