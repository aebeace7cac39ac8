// `run --dry-run`: everything a run checks before it works, and nothing it writes. The recipe
// (validated), the output folder (the safe-output rules), the model (opened), the data (found,
// counted and shape-checked from one example per role: image folders are indexed, not decoded;
// labels present where evaluation needs them), and whether each stage can run on what the one
// before leaves. Then the plan: each stage's folder and the artifacts it will write, the artifact
// deploy.json will recommend if every check passes, and an estimate of the time, from the
// model's forward pass measured here on one small batch and rules stated beside each figure.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { OutputCheck, checkOutputFolder } from '../core/safe-output';
import { imageFolderIndex } from '../data/folder-index';
import { DATA_ROLES, Recipe, stageNames } from './recipe';
import { RunOptions } from './run';
import { loadRole, recipeInputs } from './run-data';
import { disposeStageModel, openModel, stageClasses, stageInputShape } from './stage-model';
import { tfjsFolderFiles } from './sizes';
import { recommend } from './deploy';
import { ArtifactRecord } from './report';
import { preflight, plannedArtifacts, PlannedArtifact } from './preflight';

/** What a dry run found and plans. */
export interface RunPlan {
  readonly output: OutputCheck;
  readonly model: {
    readonly path: string;
    readonly kind: 'layers' | 'graph';
    readonly inputShape: number[];
    readonly classes?: number;
    readonly params: number;
    readonly sizeBytes: number;
    readonly storage: string;
  };
  readonly data: {
    readonly role: string;
    readonly path: string;
    readonly kind: string;
    readonly count: number;
    readonly labelled: boolean;
    readonly classNames?: readonly string[];
  }[];
  readonly stages: { readonly name: string; readonly kind: string; readonly artifacts: PlannedArtifact[] }[];
  /** The artifact deploy.json would recommend if every artifact passes the checks. */
  readonly recommended: string | null;
  readonly reason: string;
  readonly estimate: { readonly seconds: number; readonly perExampleMs: number; readonly lines: string[] };
}

/** Milliseconds per example of the model's forward pass on the current backend (one warm-up, then a timed batch of 8). */
async function forwardMs(model: tf.LayersModel | tf.GraphModel, inputShape: readonly number[]): Promise<number> {
  const batch = 8;
  const x = tf.zeros([batch, ...inputShape.map((d) => (d > 0 ? d : 1))]);
  try {
    const run = async () => {
      const y = model.predict(x) as tf.Tensor | tf.Tensor[];
      await (Array.isArray(y) ? y[0] : y)?.data();
      tf.dispose(y);
    };
    await run();
    const t = performance.now();
    await run();
    return (performance.now() - t) / batch;
  } finally {
    x.dispose();
  }
}

function estimate(
  recipe: Recipe,
  plan: Pick<RunPlan, 'data' | 'stages' | 'model'>,
  perExampleMs: number,
  decodeMs: number,
): RunPlan['estimate'] {
  const count = (role: string) => plan.data.find((d) => d.role === role)?.count ?? 0;
  const lines: string[] = [];
  let ms = 0;
  const add = (what: string, t: number, rule: string) => {
    ms += t;
    lines.push(`${what}: ${(t / 1000).toFixed(1)} s (${rule})`);
  };
  const images = plan.data.filter((d) => d.kind === 'image-folder').reduce((a, d) => a + d.count, 0);
  if (images)
    add('decoding images', images * decodeMs, `${images} images x ${decodeMs.toFixed(1)} ms, the first one's time`);
  const fwd = `${perExampleMs.toFixed(2)} ms per example, measured here`;
  const evalCount = count('evaluation');
  const scored = plan.stages.flatMap((s) => s.artifacts).filter((a) => a.scored).length + 1;
  if (evalCount)
    add('evaluation', evalCount * scored * perExampleMs, `${scored} artifacts x ${evalCount} examples x ${fwd}`);
  for (const [i, s] of recipe.stages.entries()) {
    const name = plan.stages[i]?.name;
    if (s.kind === 'quantize' && plan.model.kind === 'layers') {
      const n = Math.min(s.calibration?.count ?? 1000, count('calibration') || Infinity);
      const report = Math.min(n, 256);
      if (Number.isFinite(n))
        add(
          `${name}: calibration`,
          (n + 2 * report) * perExampleMs,
          `${n} examples + 2 x ${report} for the error report, ${fwd}`,
        );
    }
    if (s.kind === 'prune' && s.fineTune?.epochs)
      add(
        `${name}: fine-tuning`,
        s.fineTune.epochs * count('training') * perExampleMs * 10,
        `${s.fineTune.epochs} epochs x ${count('training')} examples x 10 forward passes (backprop costs about 10 on wasm)`,
      );
    if (s.kind === 'distill')
      add(
        `${name}: distillation`,
        s.epochs * count('training') * perExampleMs * 11,
        `${s.epochs} epochs x ${count('training')} examples x 11 forward passes (the student's backprop and the teacher's forward pass)`,
      );
    if (s.kind === 'bench') {
      const targets = plan.stages.flatMap((x) => x.artifacts).filter((a) => a.bench).length + 1;
      const batches = s.batchSizes ?? [1, 32];
      const rounds = s.rounds ?? 5;
      const per = batches.reduce((a, b) => a + Math.max(100, 13 * b * perExampleMs), 0);
      add(
        `${name}: benchmark`,
        targets * (s.runtimes ?? ['tfjs-wasm', 'ort']).length * rounds * per,
        `${targets} artifacts x runtimes x ${rounds} rounds x batches [${batches.join(', ')}], each at least 100 ms or 13 runs`,
      );
    }
  }
  const exports = plan.stages.flatMap((s) => s.artifacts).length;
  add(
    'writing artifacts',
    exports * (1000 + (plan.model.params / 1e6) * 100),
    'a rule: 1 s per artifact + 0.1 s per million parameters',
  );
  return { seconds: ms / 1000, perExampleMs, lines };
}

/** Checks everything a run of `recipe` would check, writes nothing, and returns the plan and an estimate. */
export async function planRecipe(recipe: Recipe, options: RunOptions): Promise<RunPlan> {
  const names = stageNames(recipe);
  const inputs = recipeInputs(recipe, options.baseDir, options.recipeFile);
  const output = checkOutputFolder(options.outDir, {
    caller: 'run',
    kind: 'run',
    force: Boolean(options.force),
    inputs,
  });
  const modelDir = path.resolve(options.baseDir, recipe.model);
  const m = await openModel(modelDir);
  try {
    const inputShape = stageInputShape(m);
    const classes = stageClasses(m);
    const files = tfjsFolderFiles(modelDir);
    const params =
      m.kind === 'layers'
        ? m.model.countParams()
        : m.artifacts.modelJson.weightsManifest
            .flatMap((g) => g.weights)
            .reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0);
    const data: RunPlan['data'][number][] = [];
    let decodeMs = 0;
    for (const role of DATA_ROLES) {
      const spec = recipe.data?.[role];
      if (!spec) continue;
      const t = performance.now();
      const one = await loadRole(spec, role, {
        baseDir: options.baseDir,
        inputShape,
        seed: 0,
        ...(classes ? { classes } : {}),
        limit: spec.path.toLowerCase().endsWith('.npy') ? spec.limit : 1,
      });
      try {
        let count = one.count;
        if (one.kind === 'image-folder') {
          decodeMs = Math.max(decodeMs, performance.now() - t);
          count = Math.min(
            (await imageFolderIndex(path.resolve(options.baseDir, spec.path), {}, 'run')).entries.length,
            spec.limit ?? Infinity,
          );
        }
        data.push({
          role,
          path: spec.path,
          kind: one.kind,
          count,
          labelled: one.labelled,
          ...(one.classNames ? { classNames: one.classNames } : {}),
        });
      } finally {
        one.dispose();
      }
    }
    const evaluation = data.find((d) => d.role === 'evaluation');
    preflight(recipe, m.kind, {
      calibration: data.some((d) => d.role === 'calibration'),
      training: data.some((d) => d.role === 'training' && d.labelled),
      evaluationLabelled: Boolean(evaluation?.labelled),
    });
    const stages = plannedArtifacts(recipe, names, m.kind, params);
    const records = stages.flatMap((s) =>
      s.artifacts.map(
        (a) =>
          ({
            file: a.file,
            files: [a.file],
            format: a.format,
            runtime: a.runtime,
            deployable: a.deployable,
            precision: a.precision,
            storage: a.precision,
            sizeBytes: a.estimatedBytes,
            sizeRatio: a.estimatedBytes / files.sizeBytes,
          }) as ArtifactRecord,
      ),
    );
    const { recommended, reason } = recommend(records, {
      ...(recipe.deploy?.prefer ? { prefer: recipe.deploy.prefer } : {}),
    });
    const perExampleMs = await forwardMs(m.model, inputShape);
    const partial = {
      data,
      stages,
      model: {
        path: recipe.model,
        kind: m.kind,
        inputShape,
        ...(classes ? { classes } : {}),
        params,
        sizeBytes: files.sizeBytes,
        storage: files.storage,
      },
    };
    return {
      output,
      ...partial,
      recommended,
      reason: reason.replace(/\(([^)]*)MiB[^)]*\)/g, '(estimated $1MiB)'),
      estimate: estimate(recipe, partial, perExampleMs, decodeMs),
    };
  } finally {
    disposeStageModel(m);
  }
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** The plan as text for the terminal. */
export function planText(plan: RunPlan, out: string): string {
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
  return [
    `dry run: nothing was written. The recipe, the model, the data and the output folder are valid.`,
    '',
    `model: ${plan.model.path} (${plan.model.kind}, input [${plan.model.inputShape.join(', ')}], ${plan.model.params.toLocaleString('en-US')} parameters, ${kb(plan.model.sizeBytes)} of files, ${plan.model.storage})`,
    ...plan.data.map(
      (d) =>
        `data.${d.role}: ${d.path} (${d.kind}, ${d.count} examples${d.labelled ? ', labelled' : ', no labels'}${d.classNames ? `, classes ${d.classNames.slice(0, 6).join(', ')}${d.classNames.length > 6 ? ', ...' : ''}` : ''})`,
    ),
    `output: ${out}${plan.output.replaces ? ' (replaces an earlier output of tfjs-compress)' : ' (new)'}`,
    '',
    'plan:',
    ...plan.stages.flatMap((s) => [
      s.kind === 'bench'
        ? `  ${s.name} (bench: times the artifacts above; writes no folder)`
        : `  ${s.name}/ (${s.kind})`,
      ...s.artifacts.map(
        (a) =>
          `    ${pad(a.file.slice(s.name.length + 1), 18)} ${pad(a.format, 11)} ${pad(a.precision, 22)} ${a.deployable ? `runs in ${a.runtime}` : 'not deployable (the export plan)'}${a.condition ? `, ${a.condition}` : ''}`,
      ),
    ]),
    '',
    `recommended if every check passes: ${plan.recommended ?? 'none'}${plan.recommended ? '' : ` (${plan.reason})`}`,
    '',
    `estimate (not a measurement of the run): about ${Math.ceil(plan.estimate.seconds)} s`,
    ...plan.estimate.lines.map((l) => `  ${l}`),
  ].join('\n');
}
