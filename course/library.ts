// The library's own tools that the course teaches with but a user of the package does not need:
// seeded randomness, atomic files and the cache, CSR coding, qparams and observers, k-means and
// Huffman coding, rank correlations, the pipeline's report tables... They stay internal to
// tfjs-compress (not in its public API) and are re-exported here by relative import, from the same
// compiled files the package loads (one copy of the library).
export { Rng, permutation } from '../lib/core/rng';
export { writeFileAtomic, writeJsonAtomic } from '../lib/core/atomic';
export { cacheDir } from '../lib/core/cache-dir';
export { hashConfig } from '../lib/core/hash';
export { classCounts } from '../lib/data/image-set';
export { parseNpy } from '../lib/data/npy';
export { artifactsToModel } from '../lib/data/model-io';
export { writeArtifacts } from '../lib/data/model-files';
export { cachedModel } from '../lib/data/model-cache';
export type { CachedModel } from '../lib/data/model-cache';
export { countProgress } from '../lib/train/progress';
export { qparamsFromRange } from '../lib/quantize/qparams';
export { createObserver } from '../lib/quantize/observers';
export { kmeansCluster } from '../lib/quantize/kmeans';
export { huffmanEncode, huffmanDecode } from '../lib/quantize/huffman';
export { metricValue, LATENCY_BUCKETS } from '../lib/serve/metrics';
export { latencyStats, median } from '../lib/core/latency';
export { interleavedRounds, medianRatio } from '../lib/bench/harness';
export {
  openModel,
  disposeStageModel,
  stageInputShape,
  stageScores,
  scoreAccuracy,
  modelBytes,
} from '../lib/pipeline/stage-model';
export { stageTable, benchTable } from '../lib/pipeline/report';
export { reportFigures } from '../lib/pipeline/report-figures';
export { ONNX_TARGETS } from '../lib/export/onnx/targets';
export { toFloat32Artifacts, converterQuantize } from '../lib/export/tfjs-artifacts';
export * as coreml from '../lib/export/coreml';
export { ortWebPage } from '../lib/onnx/web';
export { genotypeKey } from '../lib/nas/space';
export { genotypeCost } from '../lib/nas/proxy';
export { endToEndLatencyMs, pearson } from '../lib/nas/latency-table';
export { pairedLatency } from '../lib/nas/genotype-latency';
export { spearman, kendall } from '../lib/nas/rank-correlation';
export { sparsityOf } from '../lib/prune/sparsity';
export { encodeCsr, decodeCsr, csrBytes, gapAt } from '../lib/core/csr';
export { SparseMlp } from '../lib/prune/sparse-mlp';
export { channelNorms } from '../lib/prune/importance';
export { tileOf } from '../lib/prune/tiles';
export { MEASURED_TILES } from '../lib/prune/tile-table';
export { fitLatencyModel } from '../lib/auto/latency-model';
export { JOURNAL_FILE } from '../lib/auto/journal';
export { renderUnavailableReason } from '../lib/viz/render';
export { softTargets } from '../lib/distill/loss';
