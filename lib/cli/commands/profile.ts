// `tfjs-compress profile MODEL`: the library's profiler (profile.profileModel) on a layers or graph
// model folder: per-layer table, totals, file sizes; --json for machines, --html for a report.
import * as path from 'path';
import { profileModel } from '../../profile/profile-model';
import { graphSvg } from '../../profile/graph-svg';
import { barChart } from '../../viz/figures';
import { htmlPage } from '../../viz/html-page';
import { writeFileAtomic } from '../../core/atomic';
import { modelBytes, disposeStageModel } from '../../pipeline/stage-model';
import { CommandSpec, ParsedArgs, numberArg, stringArg } from '../args';
import { CommandContext, CommandResult, formatBytes, openModelArg, textTable } from '../common';

export const PROFILE: CommandSpec = {
  name: 'profile',
  summary:
    'Per-layer parameters, MACs, weight and activation bytes, sparsity; totals and file sizes of a model folder (layers or graph model).',
  positionals: [{ name: 'MODEL', description: 'a TensorFlow.js model folder (model.json and its weight files)' }],
  options: {
    html: { type: 'string', value: 'FILE', description: 'also write a self-contained HTML report (tables and charts)' },
    'batch-size': { type: 'string', value: 'N', description: 'batch size of the peak-memory estimate (default 1)' },
  },
  notes: ['example: tfjs-compress profile ./model --html profile.html'],
};

export async function runProfile(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const dir = args.positionals[0] as string;
  const batchSize = numberArg(args, 'batch-size', { integer: true, min: 1, max: 65536 }) ?? 1;
  const html = stringArg(args, 'html');
  const m = await openModelArg(dir, ctx.progress);
  try {
    ctx.progress.step('profiling');
    const report = await profileModel(m.model, { batchSize });
    const fileBytes = modelBytes(path.resolve(dir));
    const t = report.totals;
    const rows = report.layers.map((l) => [
      l.name,
      l.className,
      `[${l.outputShape.join(',')}]`,
      l.params,
      l.macs ?? '?',
      l.weightBytes,
      `${(l.sparsity * 100).toFixed(1)}%`,
    ]);
    const columns = ['layer', 'class', 'output', 'params', 'MACs', 'weight bytes', 'sparsity'];
    const summary = [
      `${m.kind === 'graph' ? 'graph' : 'layers'} model ${dir}: ${report.layers.length} ${m.kind === 'graph' ? 'nodes' : 'layers'}`,
      `params ${t.params.toLocaleString('en-US')}, MACs ${t.macs.toLocaleString('en-US')} (per example), sparsity ${(t.sparsity * 100).toFixed(2)}%`,
      `weights in memory ${formatBytes(t.weightBytes)}; files ${formatBytes(fileBytes)}; peak memory at batch ${batchSize} ${formatBytes(t.peakMemoryBytes)}`,
      ...report.warnings.map((w) => `warning: ${w}`),
    ];
    if (html) {
      const top = [...report.layers].sort((a, b) => (b.macs ?? 0) - (a.macs ?? 0)).slice(0, 20);
      writeFileAtomic(
        path.resolve(html),
        htmlPage(`Profile of ${dir}`, [
          { text: summary.join(' — ') },
          { heading: 'Layers' },
          { table: { columns, rows } },
          { heading: 'Where the compute is' },
          {
            figure: barChart({
              title: 'MACs of the 20 largest layers',
              yTitle: 'MACs',
              categories: top.map((l) => l.name),
              series: [{ name: 'MACs', values: top.map((l) => l.macs ?? 0) }],
            }),
          },
          {
            figure: barChart({
              title: 'Parameters of the same layers',
              yTitle: 'params',
              categories: top.map((l) => l.name),
              series: [{ name: 'params', values: top.map((l) => l.params) }],
            }),
          },
          ...(m.kind === 'layers' && report.layers.length <= 80
            ? [{ heading: 'Graph' }, { svg: graphSvg(report.layers) }]
            : []),
        ]),
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
