// auto.search's accuracy-only probes (channel sensitivity, the INT8 layers' ranking) as `auto.probe`
// jobs on a real worker-thread pool: the same numbers as probed here one by one (the probes are
// deterministic), every probe journaled as it finishes, and a second search over the journal
// redoes nothing. Timings stay in this process, serial.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { loadMobileNetStyle } from '../../course/models';
import { sliceImageSet } from '../../lib/data/image-set';
import { search, splitData } from '../../lib/auto';
import { resolveAutoOptions } from '../../lib/auto/options';
import { Candidate } from '../../lib/auto/candidate';
import { EvalContext, Evaluation } from '../../lib/auto/evaluate';
import { probeOn, probeShared, runProbe } from '../../lib/auto/probe';
import { inputShapeOf } from '../../lib/train/model-output';
import { ThreadExecutor } from '../../lib/exec';

describe('auto.search with its probes on the executor (worker threads)', function () {
  this.timeout(900_000);
  it('probes in parallel on two threads give the serial search’s sensitivity, ranking and candidate scores; the journal makes a rerun free', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-auto-exec-'));
    const { model, data: fashion } = await loadMobileNetStyle();
    const data = splitData(sliceImageSet(fashion.test, 0, 400), { seed: 6 });
    // The course's MobileNetV2-style model (cached); maxDrop 0.04 and INT8 calibrated on 2 images: the
    // pruned all-INT8 model is over the limit, so the ranking's probes run too.
    const options = {
      target: 'ort',
      maxDrop: 0.04,
      sparsities: [0.5],
      rankLayers: 3,
      rounds: 2,
      calibrationCount: 2,
    } as const;
    const serial = await search(model, data, options);
    serial.model.dispose();
    const executor = new ThreadExecutor({ workers: 2 });
    try {
      const before = tf.memory().numTensors;
      const journalDir = path.join(dir, 'journal');
      const parallel = await search(model, data, { ...options, executor, journalDir });
      parallel.model.dispose();
      expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
      const r = parallel.report;
      expect(r.sensitivity.length).to.be.at.least(3);
      expect(r.sensitivity).to.deep.equal(serial.report.sensitivity);
      const ranked = (rep: typeof r) =>
        rep.fallback.map((f) => f.ranking.map((x) => [x.layer, x.accuracyWithLayerFloat]));
      expect(ranked(r)).to.deep.equal(ranked(serial.report));
      // Untimed candidates (what NNCF's ranking evaluates) on the workers, two at once: the same
      // accuracy and file size as built and scored here.
      const ctx: EvalContext = {
        original: { kind: 'layers', model },
        options: resolveAutoOptions(options),
        inputShape: inputShapeOf(model, 'test'),
        classes: 10,
        search: { source: data.search, kind: 'npy', count: 200, labelled: true, paths: [], dispose: () => undefined },
      };
      const shared = (await probeShared(ctx))!;
      const candidates: Candidate[] = [
        { sparsity: 0, keepWhole: [], precision: 'int8', floatLayers: ['Conv1'] },
        { sparsity: 0, keepWhole: [], precision: 'int8', floatLayers: ['block_1_project'] },
      ];
      const remote = (await Promise.all(
        candidates.map((c) => probeOn(executor, shared, { kind: 'candidate', candidate: c })),
      )) as Evaluation[];
      for (const [i, c] of candidates.entries()) {
        const local = (await runProbe({ kind: 'candidate', candidate: c }, ctx)) as Evaluation;
        expect(remote[i]?.accuracy, c.floatLayers[0]).to.equal(local.accuracy);
        expect(remote[i]?.sizeBytes, c.floatLayers[0]).to.equal(local.sizeBytes);
        expect(remote[i]?.latencyMs, 'probes are never timed').to.equal(undefined);
      }
      expect(r.warnings.join(' ')).to.not.match(/cannot be sent/);
      // Every probe and evaluation is journaled: the rerun takes all from the journal.
      const again = await search(model, data, { ...options, executor, journalDir });
      again.model.dispose();
      expect(again.report.reusedEvaluations).to.equal(again.report.evaluations);
      expect(again.report.sensitivity).to.deep.equal(r.sensitivity);
    } finally {
      await executor.close();
      model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
