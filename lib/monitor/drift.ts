// Drift detection over a sliding window of recent traffic: the window's feature, class and
// confidence distributions are binned with the reference's edges and compared by PSI (and KL for
// the predicted classes). The input score is the largest feature PSI, so one feature moving a
// lot is enough to alert.
import { ConfigError, describe } from '../errors';
import { argmaxRows, inputFeatures } from './features';
import { binCounts, klDivergence, psi, smoothedProportions } from './divergence';
import { DriftReference } from './reference';

/** Thresholds on PSI. Defaults follow the usual reading: warn at 0.1, alert at 0.25. */
export interface DriftThresholds {
  readonly warn: number;
  readonly alert: number;
}

export const DEFAULT_THRESHOLDS: DriftThresholds = { warn: 0.1, alert: 0.25 };

/** 'insufficient' until the window holds `minSamples` examples. */
export type DriftStatus = 'insufficient' | 'ok' | 'warn' | 'alert';

/** What the drift detector sees now. */
export interface DriftReport {
  readonly samples: number;
  readonly status: DriftStatus;
  /** Largest PSI over the input features. */
  readonly inputPsi: number;
  /** PSI of the predicted-class distribution (and of the confidence distribution). */
  readonly predictionPsi: number;
  readonly predictionKl: number;
  readonly confidencePsi: number;
  readonly featurePsi: Record<string, number>;
  /** Human-readable reasons for warn/alert. */
  readonly alerts: string[];
}

/** Options for {@link DriftDetector}. */
export interface DriftOptions {
  /** Most recent examples kept. Default 500. */
  readonly windowSize?: number;
  /** No verdict below this many examples. Default 200. */
  readonly minSamples?: number;
  readonly thresholds?: DriftThresholds;
}

/** A sliding-window drift detector against a reference. */
export class DriftDetector {
  readonly windowSize: number;
  readonly minSamples: number;
  readonly thresholds: DriftThresholds;
  private readonly nf: number;
  private readonly feats: Float32Array;
  private readonly labels: Int32Array;
  private readonly conf: Float32Array;
  private next = 0;
  private filled = 0;

  constructor(
    readonly reference: DriftReference,
    options: DriftOptions = {},
  ) {
    this.windowSize = options.windowSize ?? 500;
    this.minSamples = options.minSamples ?? Math.min(200, this.windowSize);
    this.thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
    if (!(Number.isInteger(this.windowSize) && this.windowSize > 0 && this.minSamples <= this.windowSize)) {
      throw new ConfigError(
        `DriftDetector: a positive integer windowSize >= minSamples, got windowSize ${describe(this.windowSize)}, minSamples ${describe(this.minSamples)}. Use e.g. 500 and 200.`,
      );
    }
    if (!(this.thresholds.warn > 0 && this.thresholds.alert >= this.thresholds.warn)) {
      throw new ConfigError(
        `DriftDetector: thresholds 0 < warn <= alert, got ${JSON.stringify(this.thresholds)}. Use e.g. {warn: 0.1, alert: 0.25}.`,
      );
    }
    this.nf = reference.features.length;
    this.feats = new Float32Array(this.windowSize * this.nf);
    this.labels = new Int32Array(this.windowSize);
    this.conf = new Float32Array(this.windowSize);
  }

  /** Adds `count` examples (row-major inputs) and their class probabilities to the window. */
  observe(values: ArrayLike<number>, count: number, probs: ArrayLike<number>): void {
    const { exampleSize, classes } = this.reference;
    if (values.length !== count * exampleSize || probs.length !== count * classes) {
      throw new ConfigError(
        `DriftDetector.observe: ${count * exampleSize} values and ${count * classes} probabilities, got ${values.length} and ${probs.length}. ` +
          `Pass inputs of the reference's example size.`,
      );
    }
    const f = inputFeatures(values, count, exampleSize);
    const { labels, confidences } = argmaxRows(probs, count, classes);
    for (let n = 0; n < count; n++) {
      const slot = this.next;
      this.feats.set(f.subarray(n * this.nf, (n + 1) * this.nf), slot * this.nf);
      this.labels[slot] = labels[n] as number;
      this.conf[slot] = confidences[n] as number;
      this.next = (this.next + 1) % this.windowSize;
      this.filled = Math.min(this.windowSize, this.filled + 1);
    }
  }

  /** Empties the window (after a retrain or a model swap). */
  reset(): void {
    this.next = 0;
    this.filled = 0;
  }

  report(): DriftReport {
    const n = this.filled;
    const ref = this.reference;
    const featurePsi: Record<string, number> = {};
    let inputPsi = 0;
    let worst = '';
    if (n === 0) {
      return {
        samples: 0,
        status: 'insufficient',
        inputPsi: 0,
        predictionPsi: 0,
        predictionKl: 0,
        confidencePsi: 0,
        featurePsi,
        alerts: [],
      };
    }
    ref.features.forEach((feat, j) => {
      const col = new Float32Array(n);
      for (let i = 0; i < n; i++) col[i] = this.feats[i * this.nf + j] as number;
      const v = psi(feat.proportions, smoothedProportions(binCounts(feat.edges, col)));
      featurePsi[feat.name] = v;
      if (v > inputPsi) {
        inputPsi = v;
        worst = feat.name;
      }
    });
    const classCounts = new Array<number>(ref.classes).fill(0);
    for (let i = 0; i < n; i++)
      classCounts[this.labels[i] as number] = (classCounts[this.labels[i] as number] as number) + 1;
    const recent = smoothedProportions(classCounts);
    const predictionPsi = psi(ref.predictedClass, recent);
    const predictionKl = klDivergence(recent, ref.predictedClass);
    const confidencePsi = psi(
      ref.confidence.proportions,
      smoothedProportions(binCounts(ref.confidence.edges, this.conf.subarray(0, n))),
    );
    const alerts: string[] = [];
    const t = this.thresholds;
    const level = (v: number): DriftStatus => (v > t.alert ? 'alert' : v > t.warn ? 'warn' : 'ok');
    const rank = { insufficient: 0, ok: 1, warn: 2, alert: 3 };
    let status: DriftStatus = 'ok';
    for (const [what, v] of [
      [`input feature ${worst}`, inputPsi],
      ['predicted classes', predictionPsi],
      ['prediction confidence', confidencePsi],
    ] as const) {
      const l = level(v);
      if (l !== 'ok') alerts.push(`${l}: PSI of ${what} is ${v.toFixed(3)} (warn > ${t.warn}, alert > ${t.alert})`);
      if (rank[l] > rank[status]) status = l;
    }
    if (n < this.minSamples) status = 'insufficient';
    return {
      samples: n,
      status,
      inputPsi,
      predictionPsi,
      predictionKl,
      confidencePsi,
      featurePsi,
      alerts: n < this.minSamples ? [] : alerts,
    };
  }
}
