// Adam with one kernel per variable (Kingma & Ba 2015, arXiv:1412.6980), the same maths as
// tfjs's tf.train.adam, element by element in the same float32 order.
//
// Why: tfjs's Adam runs ~12 element-wise kernels per variable and step (mul, add, square, div,
// sqrt, ...), each allocating a tensor; on a small network that is a large share of a training
// step. Here one kernel, registered through tfjs's public kernel API (tf.registerKernel), reads
// the variable, both moments and the gradient once and writes the three new tensors in one
// pass: on wasm a SIMD function working in the backend's heap (adam-simd.ts), elsewhere a
// typed-array loop through readSync.
// Every operation is rounded to float32 (Math.fround) in the order tfjs computes it, so the
// update equals the stock optimizer's bit for bit where the backend's kernels are IEEE float32
// (tested against tf.train.adam on cpu and wasm).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { adamSimd } from './adam-simd';
import { HeapBackend } from '../core/wasm-override';

/** The kernel's name in tfjs's registry (one per backend, registered on first use). */
export const FUSED_ADAM_KERNEL = 'TfcFusedAdam';

/** The scalars of one update (float32 values, as tfjs holds them). */
interface AdamAttrs {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t, rounded to float32 as tfjs's sub(1, accBeta) gives them. */
  readonly oneMinusAccBeta1: number;
  readonly oneMinusAccBeta2: number;
}

/**
 * One Adam step over typed arrays: writes x1, m1, v1 from x, m, v and the gradient g, in tfjs's
 * float32 order: m1 = m*b1 + g*(1-b1); v1 = v*b2 + g^2*(1-b2);
 * x1 = (m1/(1-b1^t)) / (sqrt(v1/(1-b2^t)) + eps) * -lr + x.
 */
export function adamStep(
  x: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  x1: Float32Array,
  m1: Float32Array,
  v1: Float32Array,
  a: AdamAttrs,
): void {
  const f = Math.fround;
  const b1 = f(a.beta1),
    c1 = f(1 - a.beta1),
    b2 = f(a.beta2),
    c2 = f(1 - a.beta2);
  const d1 = f(a.oneMinusAccBeta1),
    d2 = f(a.oneMinusAccBeta2),
    eps = f(a.epsilon),
    nlr = f(-a.learningRate);
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i] as number;
    const mi = f(f((m[i] as number) * b1) + f(gi * c1));
    const vi = f(f((v[i] as number) * b2) + f(f(gi * gi) * c2));
    m1[i] = mi;
    v1[i] = vi;
    const denominator = f(f(Math.sqrt(f(vi / d2))) + eps);
    x1[i] = f(f(f(f(mi / d1) / denominator) * nlr) + (x[i] as number));
  }
}

/** What every tfjs backend offers (cpu returns its own arrays without copying). */
interface PlainBackend {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

const sizeOf = (t: tf.TensorInfo): number => t.shape.reduce((p, d) => p * d, 1);

function kernelFunc({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo[] {
  const { x, m, v, g } = inputs as Record<'x' | 'm' | 'v' | 'g', tf.TensorInfo>;
  const a = attrs as unknown as AdamAttrs;
  if ('typedArrayFromHeap' in (backend as object)) {
    const b = backend as HeapBackend;
    // Allocate first: an allocation may grow the heap and detach views made before it.
    const outs = [
      b.makeOutput([...x.shape], 'float32'),
      b.makeOutput([...x.shape], 'float32'),
      b.makeOutput([...x.shape], 'float32'),
    ] as const;
    const memory = b.wasm.asm?.memory ?? b.wasm.wasmMemory;
    const simd = memory ? adamSimd(memory) : undefined;
    if (simd) {
      const f = Math.fround;
      const ptr = (t: tf.TensorInfo) => b.getMemoryOffset(t.dataId);
      simd(
        ptr(x),
        ptr(m),
        ptr(v),
        ptr(g),
        ptr(outs[0]),
        ptr(outs[1]),
        ptr(outs[2]),
        sizeOf(x),
        f(a.beta1),
        f(1 - a.beta1),
        f(a.beta2),
        f(1 - a.beta2),
        f(a.oneMinusAccBeta1),
        f(a.oneMinusAccBeta2),
        f(a.epsilon),
        f(-a.learningRate),
      );
      return [...outs];
    }
    const view = (t: tf.TensorInfo) => b.typedArrayFromHeap(t);
    adamStep(view(x), view(m), view(v), view(g), view(outs[0]), view(outs[1]), view(outs[2]), a);
    return [...outs];
  }
  const b = backend as PlainBackend;
  const read = (t: tf.TensorInfo) => b.readSync(t.dataId) as Float32Array;
  const size = (read(x) as Float32Array).length;
  const [x1, m1, v1] = [new Float32Array(size), new Float32Array(size), new Float32Array(size)];
  adamStep(read(x), read(m), read(v), read(g), x1, m1, v1, a);
  return [
    b.makeTensorInfo([...x.shape], 'float32', x1),
    b.makeTensorInfo([...x.shape], 'float32', m1),
    b.makeTensorInfo([...x.shape], 'float32', v1),
  ];
}

/** Registers the kernel for the active backend if it is not there yet (idempotent). */
function ensureKernel(): void {
  const backendName = tf.getBackend();
  if (tf.getKernel(FUSED_ADAM_KERNEL, backendName) === undefined) {
    tf.registerKernel({
      kernelName: FUSED_ADAM_KERNEL,
      backendName,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
}

/** A named tensor, as tfjs optimizers save their weights. */
type NamedTensor = { name: string; tensor: tf.Tensor };
type Moment = { originalName: string; variable: tf.Variable };

/**
 * Adam whose update is one kernel per variable. A drop-in for tf.train.adam: same constructor
 * arguments, same update, same `getWeights` layout (iterations, first moments, second moments).
 */
export class FusedAdam extends tf.Optimizer {
  /** Serialized as tfjs's Adam: its config and weights are the same. */
  static get className(): string {
    return 'Adam';
  }
  private accBeta1: number;
  private accBeta2: number;
  private firstMoments: Moment[] = [];
  private secondMoments: Moment[] = [];

  constructor(
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon: number = tf.backend().epsilon(),
  ) {
    super();
    for (const [name, value, ok] of [
      ['learningRate', learningRate, learningRate > 0],
      ['beta1', beta1, beta1 >= 0 && beta1 < 1],
      ['beta2', beta2, beta2 >= 0 && beta2 < 1],
      ['epsilon', epsilon, epsilon > 0],
    ] as [string, number, boolean][]) {
      if (!(Number.isFinite(value) && ok))
        throw new ConfigError(
          `fusedAdam: ${name} ${name.startsWith('beta') ? 'in [0, 1)' : '> 0'}, got ${describe(value)}. Use tfjs's defaults (1e-3, 0.9, 0.999, 1e-7).`,
        );
    }
    this.accBeta1 = Math.fround(beta1);
    this.accBeta2 = Math.fround(beta2);
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    ensureKernel();
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const f = Math.fround;
    const attrs: AdamAttrs = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      oneMinusAccBeta1: f(1 - this.accBeta1),
      oneMinusAccBeta2: f(1 - this.accBeta2),
    };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name] as tf.Variable;
        this.firstMoments[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        this.secondMoments[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]?.tensor : variableGradients[name];
        if (gradient == null) return;
        const m = (this.firstMoments[i] as Moment).variable;
        const v = (this.secondMoments[i] as Moment).variable;
        const [x1, m1, v1] = tf
          .engine()
          .runKernel(
            FUSED_ADAM_KERNEL,
            { x: value, m, v, g: gradient } as unknown as tf.NamedTensorMap,
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
        m.assign(m1 as tf.Tensor);
        v.assign(v1 as tf.Tensor);
        value.assign(x1 as tf.Tensor);
      });
    });
    this.accBeta1 = f(this.accBeta1 * f(this.beta1));
    this.accBeta2 = f(this.accBeta2 * f(this.beta2));
    this.incrementIterations();
  }

  override dispose(): void {
    tf.dispose([...this.firstMoments, ...this.secondMoments].map((m) => m.variable));
    this.firstMoments = [];
    this.secondMoments = [];
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const moments = [...this.firstMoments, ...this.secondMoments];
    return [await this.saveIterations(), ...moments.map((m) => ({ name: m.originalName, tensor: m.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const t = this.iterations + 1;
    // tfjs's Adam recomputes beta^t with pow on float32 scalars.
    this.accBeta1 = tf.tidy(() => tf.pow(this.beta1, t).dataSync()[0] as number);
    this.accBeta2 = tf.tidy(() => tf.pow(this.beta2, t).dataSync()[0] as number);
    const count = values.length / 2;
    this.dispose();
    this.firstMoments = values
      .slice(0, count)
      .map((v) => ({ originalName: v.name, variable: v.tensor.variable(false) }));
    this.secondMoments = values
      .slice(count, 2 * count)
      .map((v) => ({ originalName: v.name, variable: v.tensor.variable(false) }));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/**
 * Adam with one kernel per variable; the same arguments and update as tf.train.adam.
 * @example const opt = fusedAdam(1e-3); opt.minimize(() => loss(), false, variables);
 */
export function fusedAdam(learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdam {
  return new FusedAdam(learningRate, beta1, beta2, epsilon ?? tf.backend().epsilon());
}
