// A sparse runtime for pruned multilayer perceptrons: each Dense layer runs from its CSR
// encoding in plain TypeScript loops. The kernel [in, out] is stored row = input unit, so
// y = x W + b is computed by scattering, for every nonzero input x_i, the nonzeros of row i:
// the work is (nonzero inputs) x (nonzeros per row), and ReLU zeros and blank pixels cost
// nothing. Deep Compression (Han et al. 2016) saw the gain at batch 1 and not with batching;
// the benchmark measures both against the dense tfjs path.
import * as tf from '@tensorflow/tfjs';
import { ShapeError, UnsupportedLayerError, describe } from '../errors';
import { CsrEncoding, IndexBits, encodeCsr, gapAt } from '../core/csr';
import { kernelMatrix } from './size';
import { isModelInput, layerEntry } from '../core/layers';

/** Activations the runtime supports. */
export type SparseActivation = 'relu' | 'linear';

/** One layer of a {@link SparseMlp}: the runtime form of a CSR encoding (padding dropped). */
interface SparseLayer {
  readonly name: string;
  readonly inputs: number;
  readonly outputs: number;
  readonly rowPtr: Int32Array;
  readonly cols: Int32Array;
  readonly values: Float32Array;
  readonly bias: Float32Array;
  readonly activation: SparseActivation;
}

/** One Dense layer as stored: its encoding, bias and activation (plain data). */
export interface SparseDenseSpec {
  readonly name: string;
  readonly kernel: CsrEncoding;
  readonly bias: Float32Array;
  readonly activation: SparseActivation;
}

function fromEncoding(spec: SparseDenseSpec): SparseLayer {
  const enc = spec.kernel;
  const rowPtr = new Int32Array(enc.rows + 1);
  const cols: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < enc.rows; r++) {
    let c = -1;
    for (let i = enc.rowPtr[r] as number; i < (enc.rowPtr[r + 1] as number); i++) {
      c += gapAt(enc, i) + 1;
      const v = enc.values[i] as number;
      if (v !== 0) {
        cols.push(c);
        values.push(v);
      } // padding entries do no work at run time
    }
    rowPtr[r + 1] = values.length;
  }
  if (spec.bias.length !== enc.cols)
    throw new ShapeError(
      `SparseMlp: a bias of ${enc.cols} values for layer ${spec.name}, got ${spec.bias.length}. Pass the layer's own bias.`,
    );
  return {
    name: spec.name,
    inputs: enc.rows,
    outputs: enc.cols,
    rowPtr,
    cols: Int32Array.from(cols),
    values: Float32Array.from(values),
    bias: spec.bias,
    activation: spec.activation,
  };
}

/** A pruned MLP run from sparse storage. Plain data: nothing to dispose. */
export class SparseMlp {
  private readonly layers: SparseLayer[];

  constructor(specs: readonly SparseDenseSpec[]) {
    this.layers = specs.map(fromEncoding);
    for (let i = 1; i < this.layers.length; i++) {
      const a = this.layers[i - 1] as SparseLayer;
      const b = this.layers[i] as SparseLayer;
      if (a.outputs !== b.inputs)
        throw new ShapeError(
          `SparseMlp: layer ${b.name} to take ${a.outputs} inputs (from ${a.name}), got ${b.inputs}. Pass the layers in order.`,
        );
    }
  }

  /**
   * The sparse form of a layers model made only of Dense layers (relu or linear activations),
   * as a `tf.sequential` of Dense layers is; the model is borrowed.
   * @example const mlp = SparseMlp.fromModel(pruned); mlp.predict(pixels, 1)
   */
  static fromModel(model: tf.LayersModel, indexBits: IndexBits = 8): SparseMlp {
    const specs: SparseDenseSpec[] = [];
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      if (isModelInput(cls)) continue;
      const cfg = layer.getConfig() as { activation?: string; useBias?: boolean; use_bias?: boolean };
      if (!layerEntry(cls)?.matMul) {
        throw new UnsupportedLayerError(
          `SparseMlp.fromModel: only Dense layers, got layer "${layer.name}" of class ${cls}. ` +
            `Run other models with tfjs, or build the MLP from Dense layers only.`,
          layer.name,
          cls,
        );
      }
      if (cfg.activation !== 'relu' && cfg.activation !== 'linear') {
        throw new UnsupportedLayerError(
          `SparseMlp.fromModel: relu or linear activations, got ${describe(cfg.activation)} in layer "${layer.name}". ` +
            `Output logits (no softmax) and use relu in hidden layers.`,
          layer.name,
          cls,
        );
      }
      const weights = layer.getWeights();
      const k = kernelMatrix(weights[0] as tf.Tensor);
      const bias = weights[1] ? (weights[1].dataSync() as Float32Array).slice() : new Float32Array(k.cols);
      specs.push({
        name: layer.name,
        kernel: encodeCsr(k.data, k.rows, k.cols, indexBits),
        bias,
        activation: cfg.activation,
      });
    }
    return new SparseMlp(specs);
  }

  /** Input width. */
  get inputSize(): number {
    return this.layers[0]?.inputs ?? 0;
  }

  /** Output width. */
  get outputSize(): number {
    return this.layers[this.layers.length - 1]?.outputs ?? 0;
  }

  /** Multiply-accumulates per example if every input were nonzero (the stored nonzeros). */
  get nonzeros(): number {
    return this.layers.reduce((a, l) => a + l.values.length, 0);
  }

  /**
   * Forward pass of `batch` examples, row-major [batch, inputSize] -> [batch, outputSize].
   * @example mlp.predict(new Float32Array(784), 1).length // 10
   */
  predict(x: Float32Array, batch: number): Float32Array {
    if (x.length !== batch * this.inputSize) {
      throw new ShapeError(
        `SparseMlp.predict: ${batch} x ${this.inputSize} inputs, got ${x.length} values. Pass a row-major [batch, ${this.inputSize}] array.`,
      );
    }
    let act = x;
    for (const l of this.layers) {
      const out = new Float32Array(batch * l.outputs);
      const { rowPtr, cols, values, bias, inputs, outputs } = l;
      for (let b = 0; b < batch; b++) {
        const xo = b * inputs;
        const yo = b * outputs;
        out.set(bias, yo);
        for (let i = 0; i < inputs; i++) {
          const a = act[xo + i] as number;
          if (a === 0) continue;
          const end = rowPtr[i + 1] as number;
          for (let p = rowPtr[i] as number; p < end; p++) {
            const c = yo + (cols[p] as number);
            out[c] = (out[c] as number) + a * (values[p] as number);
          }
        }
      }
      if (l.activation === 'relu') for (let i = 0; i < out.length; i++) if ((out[i] as number) < 0) out[i] = 0;
      act = out;
    }
    return act;
  }

  /** A predictor for `evaluate`: tensor [n, inputSize] in, logits tensor out (caller owns it). */
  asPredictor(): (x: tf.Tensor) => tf.Tensor {
    return (x: tf.Tensor) => {
      const n = x.shape[0] ?? 0;
      return tf.tensor2d(this.predict(x.dataSync() as Float32Array, n), [n, this.outputSize]);
    };
  }
}
