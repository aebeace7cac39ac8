// `tfjs-compress profile MODEL`: the library's profiler (profile.profileModel) on a layers or graph
// model folder: per-layer table, totals, file sizes; --json for machines, --html for a report.
import * as path from 'path';
import { profileModel } from '../../profile/profile-model';
import { LAYER_COLUMNS, layerCells, profileHtml } from '../../profile/report-html';
import { layerPrecisions } from '../../profile/precision';
import { writeFileAtomic } from '../../core/atomic';
import { readRegularFile } from '../../core/read-file';
import type { ModelJson } from '../../data/model-files';
import { StageModel, modelBytes, disposeStageModel, planOfStage } from '../../pipeline/stage-model';
import { CommandSpec, ParsedArgs, numberArg, stringArg } from '../args';
import { CommandContext, CommandResult, formatBytes, modelDirArg, openModelArg, textTable } from '../common';
import { ONNX_OPTIONS, isOnnxModel, runOnnxProfile } from './onnx-in';

export const PROFILE: CommandSpec = {
  name: 'profile',
  summary:
    'Per-layer parameters, MACs, weight and activation bytes, sparsity; totals and file sizes of a model folder (layers or graph model).',
  positionals: [
    { name: 'MODEL', description: 'a TensorFlow.js model folder (model.json and its weight files), or its model.json' },
  ],
  options: {
    html: {
      type: 'string',
      value: 'FILE',
      description: 'also write a self-contained HTML report (interactive charts and the layer graph; works offline)',
    },
    'batch-size': { type: 'string', value: 'N', description: 'batch size of the peak-memory estimate (default 1)' },
    data: {
      type: 'string',
      value: 'DIR|FILE.npy',
      description: '.onnx models: an input to run once for MACs and kernel times',
    },
    'image-shape': { type: 'string', value: 'HxWxC', description: '.onnx models: image size (fixes free input dims)' },
    ...ONNX_OPTIONS,
  },
  notes: ['example: tfjs-compress profile ./model --html profile.html'],
};

/** The weights manifest entries of the model's model.json (how each weight is stored), for the graph's precision colours. */
function manifestSpecs(dir: string, m: StageModel): ModelJson['weightsManifest'][number]['weights'] {
  const json =
    m.kind === 'graph'
      ? m.artifacts.modelJson
      : (JSON.parse(
          Buffer.from(
            readRegularFile(path.join(modelDirArg(dir), 'model.json'), {
              fn: 'profile',
              what: 'a model.json',
              maxBytes: 16 * 2 ** 20,
              tooLargeAdvice: 'Profile a model whose model.json is at most 16 MiB.',
            }),
          ).toString('utf8'),
        ) as ModelJson);
  return json.weightsManifest.flatMap((g) => g.weights);
}

/** Weight bits of each layer of a quantized layers model (its plan), if any. */
function planBits(m: StageModel): Record<string, number> {
  const plan = planOfStage(m);
  return plan ? Object.fromEntries(Object.entries(plan.weights).map(([layer, q]) => [layer, q.bits])) : {};
}

export async function runProfile(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  if (isOnnxModel(args.positionals[0])) return runOnnxProfile(args, ctx);
  const dir = args.positionals[0] as string;
  const batchSize = numberArg(args, 'batch-size', { integer: true, min: 1, max: 65536 }) ?? 1;
  const html = stringArg(args, 'html');
  const m = await openModelArg(dir, ctx.progress);
  try {
    ctx.progress.step('profiling');
    const report = await profileModel(m.model, { batchSize });
    const fileBytes = modelBytes(modelDirArg(dir));
    const t = report.totals;
    const rows = report.layers.map((l) => [...layerCells(l), `${(l.sparsity * 100).toFixed(1)}%`]);
    const columns = [...LAYER_COLUMNS];
    const summary = [
      `${m.kind === 'graph' ? 'graph' : 'layers'} model ${dir}: ${report.layers.length} ${m.kind === 'graph' ? 'nodes' : 'layers'}`,
      `params ${t.params.toLocaleString('en-US')}, MACs ${t.macs.toLocaleString('en-US')} (per example), sparsity ${(t.sparsity * 100).toFixed(2)}%`,
      `weights in memory ${formatBytes(t.weightBytes)}; files ${formatBytes(fileBytes)}; peak memory at batch ${batchSize} ${formatBytes(t.peakMemoryBytes)}`,
      ...report.warnings.map((w) => `warning: ${w}`),
    ];
    if (html) {
      const precision = layerPrecisions(report.layers, { specs: manifestSpecs(dir, m), bits: planBits(m) });
      writeFileAtomic(
        path.resolve(html),
        profileHtml(report, {
          title: `Profile of ${dir}`,
          summary: summary.filter((line) => !line.startsWith('warning: ')), // the page lists warnings at its top
          precision,
        }),
      );
      ctx.progress.line(`wrote ${html}`);
    }
    return {
      json: {
        model: dir,
        format: m.kind === 'graph' ? 'graph-model' : 'layers-model',
        fileBytes,
        ...report,
        ...(html ? { html } : {}),
      },
      text: `${summary.join('\n')}\n\n${textTable(columns, rows)}`,
    };
  } finally {
    disposeStageModel(m);
  }
}
