// Writing a stage's artifacts into its folder and recording each: its files as written (size,
// storage, ratio to the original's files, a note when storage explains a larger size), its
// accuracy in the runtime it is meant for, the layers an exporter left in float (also printed
// on the run's progress channel, so the terminal shows them), and the check.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { MissingPackageError } from '../errors';
import { SafeOutputOptions, writeOutputFolder } from '../core/safe-output';
import { ArtifactOutcome, StageOutcome } from './artifact';
import { ArtifactRecord } from './report';
import { ScoreFn } from './stage-model';
import { filesBytes, sizeFigures } from './sizes';

/** What {@link recordArtifacts} needs of the run. */
export interface RecordContext {
  /** The run folder being written (the stage folder is made inside it). */
  readonly runDir: string;
  /** The original model's files as written. */
  readonly original: { readonly sizeBytes: number; readonly storage: string };
  readonly baseAccuracy?: number;
  readonly maxAccuracyDrop?: number;
  /** Accuracy of a score function on the evaluation data (undefined without labelled data). */
  readonly accuracyOf: (score: ScoreFn, label: string) => Promise<{ accuracy: number; count: number } | undefined>;
  /** A plain line on the terminal. */
  readonly line: (text: string) => void;
}

function storageOf(a: ArtifactOutcome): string {
  if (a.format === 'tfjs-layers' || a.format === 'tfjs-graph') return a.precision;
  return a.format === 'plan' ? 'float32-weights' : a.precision;
}

function evaluatedOn(a: ArtifactOutcome): string {
  if (a.runtime === 'tfjs' || a.format === 'plan')
    return `tfjs-${tf.getBackend()}${a.simulated ? ' (simulation)' : ''}`;
  return a.runtime;
}

/**
 * Writes every artifact of `out` into `runDir/stage` (`runDir` itself when `stage` is '', as the
 * quantize and export commands write one stage) and returns their records, paths relative to `runDir`.
 */
export async function recordArtifacts(stage: string, out: StageOutcome, ctx: RecordContext): Promise<ArtifactRecord[]> {
  const dir = path.join(ctx.runDir, stage);
  fs.mkdirSync(dir, { recursive: true });
  const rel = (f: string) => (stage ? `${stage}/${f}` : f);
  const records: ArtifactRecord[] = [];
  for (const a of out.artifacts) {
    const files = await a.write(dir);
    const file = rel(a.file);
    const size = sizeFigures(filesBytes(dir, files), storageOf(a), ctx.original);
    const notes = [...(a.note ? [a.note] : []), ...(size.note ? [size.note] : [])];
    let acc: { accuracy: number; count: number } | undefined;
    if (a.score) {
      try {
        acc = await ctx.accuracyOf(a.score, file);
      } catch (e) {
        if (!(e instanceof MissingPackageError)) throw e;
        notes.push(`not scored: ${e.message}`);
      }
    }
    const drop = acc && ctx.baseAccuracy !== undefined ? ctx.baseAccuracy - acc.accuracy : undefined;
    if (a.floatLayers?.length)
      ctx.line(
        `  ${file}: ${a.floatLayers.length} layer(s) left in float: ${a.floatLayers
          .slice(0, 8)
          .map((f) => `${f.layer} (${f.reason})`)
          .join('; ')}${a.floatLayers.length > 8 ? '; ...' : ''}`,
      );
    if (size.note && a.deployable) ctx.line(`  ${file}: ${size.note}`);
    records.push({
      file,
      files: files.map(rel),
      format: a.format,
      runtime: a.runtime,
      deployable: a.deployable,
      precision: a.precision,
      storage: size.storage,
      sizeBytes: size.sizeBytes,
      sizeRatio: size.sizeRatio,
      ...(acc ? { accuracy: acc.accuracy, examples: acc.count, evaluatedOn: evaluatedOn(a) } : {}),
      ...(drop !== undefined ? { accuracyDrop: drop } : {}),
      ...(drop !== undefined && ctx.maxAccuracyDrop !== undefined && a.deployable
        ? { withinCheck: drop <= ctx.maxAccuracyDrop }
        : {}),
      ...(a.floatLayers?.length ? { floatLayers: [...a.floatLayers] } : {}),
      ...(notes.length ? { notes } : {}),
      ...(a.report !== undefined ? { report: a.report } : {}),
    });
  }
  for (const s of out.skipped) ctx.line(`  ${stage || 'output'}: no ${s.format} file: ${s.reason}`);
  return records;
}

/** The lines a command prints for what it wrote: each artifact's file, precision and size against the original's files. */
export function writtenLines(
  out: string,
  records: readonly ArtifactRecord[],
  original: { readonly sizeBytes: number; readonly storage: string },
): string[] {
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  return [
    `wrote ${out} (the original's files: ${kib(original.sizeBytes)}, ${original.storage})`,
    ...records.map(
      (a) =>
        `  ${a.file.padEnd(16)} ${a.format.padEnd(11)} ${a.precision.padEnd(28)} ${kib(a.sizeBytes).padStart(11)}  ${a.sizeRatio.toFixed(3)}x` +
        `${a.deployable ? '' : '  not deployable: the export plan'}`,
    ),
  ];
}

/**
 * The one-stage commands' output (quantize, export): a fresh output folder `out` (see
 * writeOutputFolder) holding every artifact of `outcome`, unevaluated, and `reportFile` with the
 * verb's report. Returns the artifacts' records.
 */
export async function writeArtifactFolder(
  out: string,
  outcome: StageOutcome & { readonly report: unknown },
  options: {
    readonly original: RecordContext['original'];
    readonly reportFile: string;
    readonly line: (text: string) => void;
    readonly safe: SafeOutputOptions;
  },
): Promise<ArtifactRecord[]> {
  return writeOutputFolder(
    out,
    async (dir) => {
      const written = await recordArtifacts('', outcome, {
        runDir: dir,
        original: options.original,
        accuracyOf: async () => undefined,
        line: options.line,
      });
      fs.writeFileSync(path.join(dir, options.reportFile), `${JSON.stringify(outcome.report, null, 1)}\n`);
      return written;
    },
    options.safe,
  );
}
