// The course's reference data: the brief's comparison table (claims to test, not results) and
// the literature figures to cite beside measurements (../shared/COURSE.md). Notebooks display
// these labelled as claims and citations; measured values come only from code that measures.

/** A range claimed by the brief, e.g. size 30-50% of the original. */
export interface ClaimRange {
  readonly min: number;
  readonly max: number;
}

/** One row of the brief's table. Sizes and accuracy kept are fractions of the original; speed is a ratio. */
export interface BriefRow {
  readonly key: 'original' | 'weightPruning' | 'channelPruning' | 'int8' | 'distillation' | 'nas';
  readonly technique: string;
  readonly sizeFraction: ClaimRange;
  readonly speedup: ClaimRange;
  readonly accuracyKept: ClaimRange;
  readonly typicalUse: string;
  /** The notebook that measures the row. */
  readonly notebook: string;
}

/** The brief's table, as the brief states it. */
export const BRIEF_TABLE: readonly BriefRow[] = [
  {
    key: 'original',
    technique: 'original model',
    sizeFraction: { min: 1, max: 1 },
    speedup: { min: 1, max: 1 },
    accuracyKept: { min: 1, max: 1 },
    typicalUse: 'research, development',
    notebook: '01-analyze',
  },
  {
    key: 'weightPruning',
    technique: 'weight pruning',
    sizeFraction: { min: 0.3, max: 0.5 },
    speedup: { min: 1.5, max: 2 },
    accuracyKept: { min: 0.95, max: 0.98 },
    typicalUse: 'mobile, edge devices',
    notebook: '02-weight-pruning',
  },
  {
    key: 'channelPruning',
    technique: 'channel pruning',
    sizeFraction: { min: 0.2, max: 0.4 },
    speedup: { min: 2, max: 3 },
    accuracyKept: { min: 0.9, max: 0.95 },
    typicalUse: 'real-time applications',
    notebook: '03-channel-pruning',
  },
  {
    key: 'int8',
    technique: 'INT8 quantization',
    sizeFraction: { min: 0.25, max: 0.25 },
    speedup: { min: 2, max: 4 },
    accuracyKept: { min: 0.9, max: 0.95 },
    typicalUse: 'mobile, embedded',
    notebook: '04-quantization',
  },
  {
    key: 'distillation',
    technique: 'knowledge distillation',
    sizeFraction: { min: 0.1, max: 0.3 },
    speedup: { min: 3, max: 5 },
    accuracyKept: { min: 0.85, max: 0.9 },
    typicalUse: 'resource-constrained settings',
    notebook: '05-distillation',
  },
  {
    key: 'nas',
    technique: 'architecture search',
    sizeFraction: { min: 0.05, max: 0.2 },
    speedup: { min: 5, max: 10 },
    accuracyKept: { min: 0.8, max: 0.9 },
    typicalUse: 'dedicated hardware',
    notebook: '06-nas',
  },
];

/**
 * Rows the course adds to the brief's table (deployment formats measured in notebook 07), each
 * with the claim it is measured against and where that claim comes from (the brief has none).
 */
export interface CourseRow {
  readonly key: 'tfliteInt8' | 'int4';
  readonly technique: string;
  readonly sizeFraction: ClaimRange;
  readonly speedup: ClaimRange;
  readonly accuracyKept: ClaimRange;
  readonly typicalUse: string;
  readonly notebook: string;
  /** Where each claimed range comes from. */
  readonly claimSources: { readonly size: string; readonly speed: string; readonly accuracy: string };
}

export const COURSE_ROWS: readonly CourseRow[] = [
  {
    key: 'tfliteInt8',
    technique: 'INT8 in TensorFlow Lite (full-integer)',
    sizeFraction: { min: 0.25, max: 0.25 },
    speedup: { min: 2, max: 4 },
    accuracyKept: { min: 0.9, max: 0.95 },
    typicalUse: 'mobile, embedded (TFLite / LiteRT)',
    notebook: '07-convert',
    claimSources: {
      size: "the course outline's INT8 row",
      speed: "the course outline's INT8 row",
      accuracy: "the course outline's INT8 row",
    },
  },
  {
    key: 'int4',
    technique: 'int4 weight-only (blockwise, ONNX MatMulNBits)',
    sizeFraction: { min: 0.125, max: 0.125 },
    speedup: { min: 1.89, max: 1.89 },
    accuracyKept: { min: 0.995, max: 1 },
    typicalUse: 'memory-bound inference (large Dense/MatMul layers, batch 1)',
    notebook: '07-convert',
    claimSources: {
      size: '4 bits instead of 32, before scales (arithmetic)',
      speed: 'torchao README: Llama-3-8B in int4 1.89x faster (an LLM on a GPU)',
      accuracy: "the course's goal: at most 0.5 points lost on SimpleNet",
    },
  },
];

/** A row key of the comparison table: the brief's rows and the course's. */
export type TableRowKey = BriefRow['key'] | CourseRow['key'];

/** A figure from the literature, to cite beside a measurement. */
export interface Citation {
  readonly key: string;
  readonly reference: string;
  readonly arxiv?: string;
  readonly finding: string;
  /** The table rows it speaks to. */
  readonly rows: readonly TableRowKey[];
}

export const LITERATURE: readonly Citation[] = [
  {
    key: 'han2015',
    reference: 'Han et al. 2015, Learning both Weights and Connections',
    arxiv: '1506.02626',
    rows: ['weightPruning'],
    finding:
      'LeNet-300-100 on MNIST pruned 12x (8% of weights kept) with no loss of accuracy, by iterative magnitude pruning with retraining.',
  },
  {
    key: 'han2016',
    reference: 'Han et al. 2016, Deep Compression',
    arxiv: '1510.00149',
    rows: ['weightPruning', 'int8'],
    finding:
      'Pruning + trained quantization + Huffman coding: LeNet-300-100 1070 KB -> 27 KB (40x), LeNet-5 1720 KB -> 44 KB (39x), same error. Sparse layers ran 3-4x faster only at batch size 1 with sparse kernels; with batching the pruned network no longer shows its advantage.',
  },
  {
    key: 'hinton2015',
    reference: 'Hinton, Vinyals, Dean 2015, Distilling the Knowledge in a Neural Network',
    arxiv: '1503.02531',
    rows: ['distillation'],
    finding:
      'MNIST teacher 784-1200-1200-10: 67 test errors; student 784-800-800-10 on labels: 146 errors; with soft targets at T=20: 74 errors. Multiply the soft loss by T^2.',
  },
  {
    key: 'jacob2018',
    reference: 'Jacob et al. 2018, Integer-Arithmetic-Only Inference',
    arxiv: '1712.05877',
    rows: ['int8'],
    finding:
      'uint8 weights/activations with int32 accumulators; ResNet-50 76.4% -> 74.9% top-1; MobileNet-SSD up to 50% less run time on a phone CPU; the gain depends on the core.',
  },
  {
    key: 'li2017',
    reference: 'Li et al. 2017, Pruning Filters for Efficient ConvNets',
    arxiv: '1608.08710',
    rows: ['channelPruning'],
    finding:
      'L1-norm filter pruning, VGG-16 on CIFAR-10: 34% fewer FLOPs at the same accuracy; residual connections force the shortcut and the block to drop the same channels.',
  },
  {
    key: 'liu2017',
    reference: 'Liu et al. 2017, Network Slimming',
    arxiv: '1708.06519',
    rows: ['channelPruning'],
    finding:
      'L1 on BatchNorm scale factors, then remove channels: 20x smaller, 5x fewer operations on VGG/CIFAR-10, no accuracy loss.',
  },
  {
    key: 'frankle2019',
    reference: 'Frankle & Carbin 2019, The Lottery Ticket Hypothesis',
    arxiv: '1803.03635',
    rows: ['weightPruning'],
    finding: 'LeNet-300-100 winning tickets at 10-20% of the weights.',
  },
  {
    key: 'real2019',
    reference: 'Real et al. 2019, Regularized Evolution',
    arxiv: '1802.01548',
    rows: ['nas'],
    finding:
      'Aging evolution matches or beats RL search at equal compute; Li & Talwalkar 2019: random search is a strong NAS baseline; Cai et al. 2020 (Once-for-All) specialize sub-networks per latency budget.',
  },
  {
    key: 'tflite-ptq',
    reference: 'TensorFlow Lite post-training quantization documentation',
    rows: ['int8', 'tfliteInt8'],
    finding:
      'Dynamic range: 4x smaller, 2-3x faster; full integer: 4x smaller, 3x+ faster (on CPUs with int8 kernels).',
  },
  {
    key: 'torchao-int4',
    reference: 'torchao README (pytorch/ao)',
    rows: ['int4'],
    finding:
      'Headline: "Quantize Llama-3-8B to int4 for 1.89x faster inference with 58% less memory" (an 8-billion-parameter LLM on a GPU, where generating tokens is memory-bound).',
  },
  {
    key: 'ort-matmulnbits',
    reference: 'ONNX Runtime contrib operators: MatMulNBits (microsoft/onnxruntime docs/ContribOperators.md)',
    rows: ['int4'],
    finding:
      'Weights quantized blockwise along K (block size a power of two >= 16), 2, 4 or 8 bits packed into uint8, one scale (and optional zero point) per block; dequantized then multiplied, or the input quantized to int8 when accuracy_level is 4.',
  },
  {
    key: 'tfmot',
    reference: 'TensorFlow Model Optimization guide',
    rows: ['weightPruning'],
    finding:
      'Pruned models give no latency gain on dense runtimes; size gains appear after removing pruning wrappers and compressing (gzip).',
  },
];

/**
 * A claimed range as the brief writes it ('30-50%', '1.5-2x', '2.5%').
 * @example formatClaim({min: 0.3, max: 0.5}, 'percent') // '30-50%'
 */
export function formatClaim(range: ClaimRange, kind: 'percent' | 'ratio'): string {
  const f = (v: number) => (kind === 'percent' ? `${+(v * 100).toFixed(1)}` : `${+v.toFixed(2)}`);
  const unit = kind === 'percent' ? '%' : 'x';
  return range.min === range.max ? `${f(range.min)}${unit}` : `${f(range.min)}-${f(range.max)}${unit}`;
}

/** The citations that speak to a row of the table. */
export function citationsFor(row: TableRowKey): Citation[] {
  return LITERATURE.filter((c) => c.rows.includes(row));
}

/** The course's notebooks in order, with the pipeline stage each covers. */
export const COURSE_MAP: readonly { readonly notebook: string; readonly stage: string; readonly covers: string }[] = [
  {
    notebook: '00-introduction',
    stage: 'overview',
    covers: 'what the course does, the table it re-derives, backends, the data',
  },
  {
    notebook: '01-analyze',
    stage: 'analyze',
    covers: 'graph, parameters, MACs, memory, latency per backend and batch size',
  },
  {
    notebook: '02-weight-pruning',
    stage: 'optimize',
    covers: 'magnitude pruning, schedules, sensitivity, sparse sizes and a sparse runtime',
  },
  {
    notebook: '03-channel-pruning',
    stage: 'optimize',
    covers: 'structured pruning that physically shrinks the network',
  },
  {
    notebook: '04-quantization',
    stage: 'optimize',
    covers: 'PTQ, calibration, QAT, weight sharing; INT8 speed in ONNX Runtime',
  },
  { notebook: '05-distillation', stage: 'optimize', covers: 'teacher-student training, temperature, the T^2 factor' },
  { notebook: '06-nas', stage: 'optimize', covers: 'search under a latency budget, random vs evolution, Pareto front' },
  {
    notebook: '07-convert',
    stage: 'convert',
    covers: 'TensorFlow.js quantized artifacts, ONNX fp32/INT8/int4, TFLite, Core ML, TensorRT and OpenVINO profiles',
  },
  { notebook: '08-benchmark', stage: 'benchmark', covers: 'runtimes side by side across batch sizes' },
  {
    notebook: '09-deploy-and-monitor',
    stage: 'deploy, monitor',
    covers: 'inference server, hot-swap, metrics, drift, browser page',
  },
  {
    notebook: '10-comparison-table',
    stage: 'summary',
    covers: 'every cell of the table, measured, beside the course outline and the literature',
  },
];
