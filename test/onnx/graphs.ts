// Hand-made ONNX graphs for the ONNX-in tests (onnx-proto messages, no exporter in between), a
// seeded float generator, the independent validator (Debian's python3-onnx checker, run on a copy
// because it rewrites the file it checks), and an ORT run of any model on feeds.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { Rng } from '../../lib/core/rng';
import { ortSession } from '../../lib/export/onnx/runtime';
import { OnnxFeeds, ortFeeds } from '../../lib/onnx/feeds';
import { makeTensor } from '../../lib/onnx/tensor';

const T = onnx.AttributeProto.AttributeType;
export type A = { int: number } | { ints: number[] } | { float: number } | { floats: number[] } | { str: string };

export function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, A> = {},
  name?: string,
  domain?: string,
): onnx.INodeProto {
  return {
    opType: op,
    input: inputs,
    output: outputs,
    name: name ?? `${op}_${outputs[0]}`,
    ...(domain ? { domain } : {}),
    attribute: Object.entries(attrs).map(([k, a]) =>
      'int' in a
        ? { name: k, type: T.INT, i: a.int }
        : 'ints' in a
          ? { name: k, type: T.INTS, ints: a.ints }
          : 'float' in a
            ? { name: k, type: T.FLOAT, f: a.float }
            : 'floats' in a
              ? { name: k, type: T.FLOATS, floats: a.floats }
              : { name: k, type: T.STRING, s: new TextEncoder().encode(a.str) },
    ),
  };
}

export function value(name: string, dims: (number | string)[], elemType = 1): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Seeded uniform values in [-scale, scale). */
export function randoms(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
}

export function weight(name: string, dims: number[], seed: number, scale = 0.5): onnx.ITensorProto {
  return makeTensor(
    name,
    randoms(
      dims.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    dims,
  );
}

/** A model from parts (default opset 13, IR 7). */
export function model(parts: {
  nodes: onnx.INodeProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  initializers?: onnx.ITensorProto[];
  opset?: number;
  ir?: number;
  extraOpsets?: { domain: string; version: number }[];
}): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: parts.ir ?? 7,
    producerName: 'test',
    opsetImport: [{ domain: '', version: parts.opset ?? 13 }, ...(parts.extraOpsets ?? [])],
    graph: {
      name: 'g',
      node: parts.nodes,
      input: parts.inputs,
      output: parts.outputs,
      initializer: parts.initializers ?? [],
    },
  }).finish();
}

/** A small CNN: Conv(3->16, 3x3) + Relu -> depthwise Conv + Clip(0, 6) -> GlobalAveragePool -> Flatten -> Gemm(16->4) -> Softmax. */
export function tinyCnn(opset = 13): Uint8Array {
  return model({
    opset,
    nodes: [
      node(
        'Conv',
        ['x', 'w1', 'b1'],
        ['c1'],
        { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } },
        'conv1',
      ),
      node('Relu', ['c1'], ['r1'], {}, 'relu1'),
      node(
        'Conv',
        ['r1', 'w2', 'b2'],
        ['c2'],
        { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] }, group: { int: 16 } },
        'dw2',
      ),
      node('Clip', ['c2', 'lo', 'hi'], ['r2'], {}, 'relu6_2'),
      node('GlobalAveragePool', ['r2'], ['p'], {}, 'pool'),
      node('Flatten', ['p'], ['f'], {}, 'flatten'),
      node('Gemm', ['f', 'w3', 'b3'], ['logits'], { transB: { int: 1 } }, 'fc'),
      node('Softmax', ['logits'], ['y'], { axis: { int: 1 } }, 'softmax'),
    ],
    inputs: [value('x', ['N', 3, 8, 8])],
    outputs: [value('y', ['N', 4])],
    initializers: [
      weight('w1', [16, 3, 3, 3], 1),
      weight('b1', [16], 2, 0.1),
      weight('w2', [16, 1, 3, 3], 3),
      weight('b2', [16], 4, 0.1),
      makeTensor('lo', Float32Array.of(0), []),
      makeTensor('hi', Float32Array.of(6), []),
      weight('w3', [4, 16], 5),
      weight('b3', [4], 6, 0.1),
    ],
  });
}

/** A two-layer MLP with MatMul weights: MatMul(64->48) + Add + Relu -> MatMul(48->10). */
export function tinyMlp(): Uint8Array {
  return model({
    nodes: [
      node('MatMul', ['x', 'w1'], ['m1'], {}, 'fc1'),
      node('Add', ['m1', 'b1'], ['a1'], {}, 'bias1'),
      node('Relu', ['a1'], ['h'], {}, 'relu1'),
      node('MatMul', ['h', 'w2'], ['y'], {}, 'fc2'),
    ],
    inputs: [value('x', ['N', 64])],
    outputs: [value('y', ['N', 10])],
    initializers: [weight('w1', [64, 48], 11, 0.3), weight('b1', [48], 12, 0.1), weight('w2', [48, 10], 13, 0.3)],
  });
}

/** Feeds {x} of seeded values in [0, 1). */
export function feeds(dims: number[], seed: number, name = 'x'): OnnxFeeds {
  const n = dims.reduce((a, b) => a * b, 1);
  return { [name]: { data: Float32Array.from(randoms(n, seed), (v) => (v + 1) / 2), dims } };
}

/** Runs a model on feeds in ONNX Runtime; every output by name. */
export async function run(
  bytes: Uint8Array,
  f: OnnxFeeds,
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const s = await ortSession(bytes);
  try {
    const out = await s.run(ortFeeds(s, f, 'test'));
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: t.data as Float32Array, dims: t.dims }]));
  } finally {
    await s.release();
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return a.length === b.length ? m : Infinity;
}

/** True when Debian's python3-onnx is importable by /usr/bin/python3. */
export function hasOnnxChecker(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** onnx.checker.check_model(full_check=True) on a copy of the model; '' when it passes, else the checker's message. */
export function onnxCheck(bytes: Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-check-'));
  try {
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, bytes);
    execFileSync(
      '/usr/bin/python3',
      ['-c', 'import onnx, sys; onnx.checker.check_model(sys.argv[1], full_check=True)', file],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
