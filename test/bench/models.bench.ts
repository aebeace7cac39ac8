// Benchmark: static INT8 of a MobileNetV2-style network trained on real data, run by ONNX Runtime.
// The network (course/models: inverted residuals with expansion, depthwise 3x3, ReLU6 layers,
// BatchNormalization, residual Adds, ZeroPadding2D before strided convs, as Keras builds them) is
// trained on Fashion-MNIST resized to 32x32 RGB and cached. Static post-training quantization
// calibrates on 512 training images, in a fresh child process whose peak RSS (the kernel's
// ru_maxrss) is the calibration's; the INT8 QDQ export runs in onnxruntime-node on the 10,000
// test images against fp32 tfjs. The same is done with the naive placement (a point on every
// layer output, before each ReLU6) to show what the fused placement buys.
// Writes results/bench-models.json (key `mobilenetStyle`). Run: node --import tsx test/bench/models.bench.ts
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../course/results';
import { machineInfo } from '../../lib/core/machine';
import { loadModel, saveModel } from '../../lib/data/model-io';
import { ImageSet, makeImageSet, sliceImageSet } from '../../lib/data/image-set';
import { loadMobileNetStyle } from '../../course/models/mobilenet-baseline';
import { evaluate, predictLabels } from '../../lib/train/evaluate';
import { consoleProgress } from '../../lib/train/progress';
import { postTraining } from '../../lib/quantize/post-training';
import { ActivationPlacement } from '../../lib/quantize/placement';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortPredictLabels, ortSession } from '../../lib/export/onnx/runtime';
import { inspectOnnx } from '../../lib/export/onnx/inspect';

const CALIBRATION_IMAGES = 512;

/** The child: load the model and the calibration images, quantize, export; print what it measured. */
async function calibrateChild(dir: string): Promise<void> {
  await initBackend('wasm');
  const model = await loadModel(path.join(dir, 'model'));
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'calibration.json'), 'utf8')) as {
    count: number;
    classNames: string[];
  };
  const images = new Uint8Array(fs.readFileSync(path.join(dir, 'calibration.bin')));
  const labels = new Uint8Array(fs.readFileSync(path.join(dir, 'calibration-labels.bin')));
  const calibration = makeImageSet(
    'fashion-mnist-32x32x3-calibration',
    images,
    labels,
    { height: 32, width: 32, channels: 3 },
    meta.classNames,
  );
  const rssBeforeBytes = process.memoryUsage().rss;
  const t0 = performance.now();
  const { model: q, report } = await postTraining(model, calibration, {
    mode: 'static',
    calibrationCount: CALIBRATION_IMAGES,
  });
  const seconds = (performance.now() - t0) / 1000;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  fs.writeFileSync(path.join(dir, 'int8.onnx'), toOnnx(q).bytes);
  process.stdout.write(
    `${JSON.stringify({ rssBeforeBytes, peakRssBytes, seconds, batchSize: report.memory?.batchSize, estimateBytes: report.memory?.estimateBytes })}\n`,
  );
  q.dispose();
  model.dispose();
}

/** ORT's accuracy on the test set and its top-1 agreement with `reference` labels. */
async function ortFigures(
  bytes: Uint8Array,
  test: ImageSet,
  reference: Int32Array,
): Promise<{ accuracy: number; agreement: number; fusedOps: Record<string, number> }> {
  const optimized = path.join(os.tmpdir(), `tfjs-compress-bench-models-${process.pid}.onnx`);
  const session = await ortSession(bytes, { optimizedModelFilePath: optimized });
  const { labels, accuracy } = await ortPredictLabels(session, test, { batchSize: 500 });
  await session.release();
  const fusedOps = inspectOnnx(optimized).ops;
  fs.rmSync(optimized);
  return { accuracy, agreement: labels.filter((l, i) => l === reference[i]).length / labels.length, fusedOps };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--calibrate') return calibrateChild(process.argv[3] as string);
  await initBackend('wasm');
  const t0 = performance.now();
  const { model, meta, data, fromCache } = await loadMobileNetStyle({ progress: consoleProgress('mobilenet-style') });
  console.log(
    `model ${fromCache ? 'from cache' : 'trained'}: ${meta.trainSeconds.toFixed(0)} s of training, test accuracy ${meta.testAccuracy.toFixed(4)}`,
  );
  const fp32 = await evaluate(model, data.test);
  const fp32Labels = await predictLabels(model, data.test);

  // The fused placement, calibrated in a child process so its peak RSS is the calibration's.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-compress-bench-models-'));
  const calibration = sliceImageSet(data.train, 0, CALIBRATION_IMAGES);
  await saveModel(model, path.join(dir, 'model'));
  fs.writeFileSync(path.join(dir, 'calibration.bin'), calibration.images);
  fs.writeFileSync(path.join(dir, 'calibration-labels.bin'), calibration.labels);
  fs.writeFileSync(
    path.join(dir, 'calibration.json'),
    JSON.stringify({ count: calibration.count, classNames: calibration.classNames }),
  );
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string, '--calibrate', dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`calibration child failed (${child.status}): ${child.stderr.slice(-2000)}`);
  const calib = JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as {
    rssBeforeBytes: number;
    peakRssBytes: number;
    seconds: number;
    batchSize: number;
    estimateBytes: number;
  };
  const fusedBytes = new Uint8Array(fs.readFileSync(path.join(dir, 'int8.onnx')));
  fs.rmSync(dir, { recursive: true });
  const fused = await ortFigures(fusedBytes, data.test, fp32Labels);

  // The naive placement, for comparison (same calibration images), and its tfjs simulation.
  const variants: Record<string, unknown> = {};
  const fusedConvs = new Set<string>();
  for (const placement of ['fused', 'layer-output'] as ActivationPlacement[]) {
    const { model: q, report } = await postTraining(model, calibration, {
      mode: 'static',
      calibrationCount: CALIBRATION_IMAGES,
      activationPlacement: placement,
    });
    const simulated = (await evaluate(q, data.test)).accuracy;
    const bytes = placement === 'fused' ? fusedBytes : toOnnx(q).bytes;
    const ort = placement === 'fused' ? fused : await ortFigures(bytes, data.test, fp32Labels);
    // The convs whose ReLU6 the fused placement fuses: in the layer-output placement each has a point of its own before
    // the ReLU6; how many of that grid's levels fall inside [0, 6].
    if (placement === 'fused')
      report.points.filter((p) => /^fused with/.test(p.reason)).forEach((p) => fusedConvs.add(p.layer));
    const levels = report.points
      .filter((p) => p.point && fusedConvs.has(p.layer))
      .map((p) => Math.min(255, 6 / (p.scale as number)))
      .sort((a, b) => a - b);
    variants[placement] = {
      ...(levels.length
        ? {
            preActivationLevelsInRelu6: {
              min: levels[0],
              median: levels[Math.floor(levels.length / 2)],
              points: levels.length,
            },
          }
        : {}),
      ortAccuracy: ort.accuracy,
      accuracyDrop: fp32.accuracy - ort.accuracy,
      top1Agreement: ort.agreement,
      tfjsSimulatedAccuracy: simulated,
      points: report.points.filter((p) => p.point).length,
      onnxSizeBytes: bytes.length,
      ortIntegerOps: Object.fromEntries(Object.entries(ort.fusedOps).filter(([k]) => k.startsWith('com.microsoft.Q'))),
      ortFloatConvs: (ort.fusedOps.Conv ?? 0) + (ort.fusedOps['com.microsoft.FusedConv'] ?? 0),
    };
    console.log(
      `${placement.padEnd(12)}: ORT INT8 accuracy ${ort.accuracy.toFixed(4)} (fp32 tfjs ${fp32.accuracy.toFixed(4)}, drop ${(fp32.accuracy - ort.accuracy).toFixed(4)}), ` +
        `top-1 agreement ${ort.agreement.toFixed(4)}, tfjs simulation ${simulated.toFixed(4)}, ${report.points.filter((p) => p.point).length} points`,
    );
    q.dispose();
  }
  const fp32Onnx = toOnnx(model);
  const machine = machineInfo();
  console.log(
    `calibration of ${CALIBRATION_IMAGES} images: ${calib.seconds.toFixed(1)} s at batch ${calib.batchSize}, peak RSS ${(calib.peakRssBytes / 1e9).toFixed(2)} GB ` +
      `(${(calib.rssBeforeBytes / 1e9).toFixed(2)} GB before)`,
  );
  console.log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores; total ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  saveResults('bench-models', {
    mobilenetStyle: {
      fp32Accuracy: fp32.accuracy,
      int8Accuracy: fused.accuracy,
      int8AccuracyDrop: fp32.accuracy - fused.accuracy,
      int8Top1Agreement: fused.agreement,
      calibrationImages: CALIBRATION_IMAGES,
      calibrationPeakRssBytes: calib.peakRssBytes,
      calibrationRssBeforeBytes: calib.rssBeforeBytes,
      calibrationSeconds: calib.seconds,
      calibrationBatchSize: calib.batchSize,
      calibrationEstimateBytes: calib.estimateBytes,
      onnxFp32SizeBytes: fp32Onnx.report.sizeBytes,
      onnxInt8SizeBytes: fusedBytes.length,
      params: model.countParams(),
      placements: variants,
      training: {
        recipe: meta.recipe,
        seed: meta.seed,
        trainSeconds: meta.trainSeconds,
        fromCache,
        epochs: meta.history,
        backend: meta.backend,
      },
      note: "Fashion-MNIST 32x32 RGB (resizeImageSet), test set of 10,000; INT8 = static PTQ (minmax, per-channel int8 weights, uint8 activations, fused placement) exported as ONNX QDQ and run in onnxruntime-node; agreement and drop are against fp32 tfjs; peak RSS is the kernel's ru_maxrss of the process that only loads the model and the 512 images and calibrates",
    },
  });
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
