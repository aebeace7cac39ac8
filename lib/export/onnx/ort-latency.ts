// Latency of exported models in ONNX Runtime, several variants measured in the same run and
// interleaved (round-robin rounds), so a shared machine's noise hits them alike. The figure is
// the median over rounds of each round's median.
import type { InferenceSession } from 'onnxruntime-node';
import { ConfigError, describe } from '../../errors';
import { machineInfo, MachineInfo } from '../../core/machine';
import { measureLatency } from '../../profile/latency';
import { OnnxModel } from './to-onnx';
import { onnxRuntime, ortSession } from './runtime';

/** Options of {@link ortLatency}. */
export interface OrtLatencyOptions {
  readonly batchSizes?: readonly number[];
  /** Intra-op threads (default 1). */
  readonly threads?: number;
  /** Rounds of the round robin (default 5). */
  readonly rounds?: number;
  /** Timed runs per variant per round (default 20), and at least this much time (default 200 ms). */
  readonly runs?: number;
  readonly minTimeMs?: number;
  /** Input values (repeated to fill a batch); default a fixed ramp. */
  readonly input?: Float32Array;
}

/** One variant at one batch size. */
export interface OrtLatencyRow {
  readonly variant: string;
  readonly batchSize: number;
  readonly p50Ms: number;
  readonly roundP50Ms: number[];
  readonly sizeBytes: number;
}

/** Median of a list. */
function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] as number : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Measures each model at each batch size in ONNX Runtime (CPU, `threads` threads).
 * @example await ortLatency({fp32: toOnnx(m), int8: toOnnx(q)}, {batchSizes: [1, 256]}) // q from quantize.postTraining
 */
export async function ortLatency(models: Readonly<Record<string, OnnxModel>>, options: OrtLatencyOptions = {}): Promise<{ rows: OrtLatencyRow[]; machine: MachineInfo; threads: number }> {
  const batchSizes = options.batchSizes ?? [1, 256];
  const rounds = options.rounds ?? 5;
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new ConfigError(`ortLatency: rounds a positive integer, got ${describe(rounds)}. Use 5.`);
  const threads = options.threads ?? 1;
  const { Tensor } = onnxRuntime();
  const sessions: [string, OnnxModel, InferenceSession][] = [];
  for (const [name, m] of Object.entries(models)) sessions.push([name, m, await ortSession(m, { threads })]);
  const rows: OrtLatencyRow[] = [];
  try {
    for (const batch of batchSizes) {
      const times = new Map<string, number[]>(sessions.map(([n]) => [n, []]));
      for (let r = 0; r < rounds; r++) {
        for (const [name, m, s] of sessions) {
          const per = m.inputShape.reduce((a, b) => a * b, 1);
          const data = new Float32Array(batch * per);
          for (let i = 0; i < data.length; i++) data[i] = options.input ? options.input[i % options.input.length] as number : (i % 255) / 255;
          const feeds = { [s.inputNames[0] as string]: new Tensor('float32', data, [batch, ...m.inputShape]) };
          const stats = await measureLatency(() => s.run(feeds), { warmupRuns: 3, runs: options.runs ?? 20, minTimeMs: options.minTimeMs ?? 200 });
          times.get(name)?.push(stats.p50Ms);
        }
      }
      for (const [name, m] of sessions) {
        const t = times.get(name) as number[];
        rows.push({ variant: name, batchSize: batch, p50Ms: median(t), roundP50Ms: t, sizeBytes: m.sizeBytes });
      }
    }
  } finally {
    for (const [, , s] of sessions) await s.release();
  }
  return { rows, machine: machineInfo(), threads };
}
