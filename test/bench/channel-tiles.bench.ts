// Benchmark: which channel counts each runtime runs fast (the tiles channel pruning rounds to).
// Three small blocks, each with C channels in the middle, at every C from 33 to 160:
//   conv               (1, 14, 14, 32) -> Conv 3x3 C + ReLU -> Conv 3x3 32 + ReLU   (a ResNet block's core)
//   inverted-residual  (1, 14, 14, 32) -> Conv 1x1 C + ReLU6 -> Depthwise 3x3 + ReLU6 -> Conv 1x1 32   (MobileNetV2)
//   dense              (1, 1024) -> Dense C + ReLU -> Dense 1024
// timed at batch 1 on ONNX Runtime (onnxruntime-node, CPU, 1 thread), tfjs-wasm (XNNPACK, 1 thread)
// and TFLite (tfjs-tflite-node, 1 thread) with the library's harness: for one runtime and one
// block, every C in each round (interleaved). A C's figure is its fastest run relative to the
// fastest run at C = 64: on a shared machine, other processes only ever add time, and runs of a
// few milliseconds (tfjs-wasm) are interrupted often enough to blur medians. `prune.detectTile` reads each curve; a runtime's tile is
// the least common multiple of its blocks' tiles (a pruned network has all three kinds).
// Writes results/bench-channel-tiles.json. With --write-table, also rewrites the library's table
// lib/prune/tile-table.ts (the default of prune.channels' `target`); review its diff before
// committing it. Run: node --import tsx test/bench/channel-tiles.bench.ts [--write-table]
import * as fs from 'fs';
import * as path from 'path';
import * as prettier from 'prettier';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { machineInfo } from '../../lib/core/machine';
import { writeFileAtomic } from '../../lib/core/atomic';
import { saveResults } from '../../course/results';
import { benchmark } from '../../lib/bench/harness';
import { BenchRuntime, ortRuntime, tfjsRuntime, tfliteRuntime } from '../../lib/bench/runtimes';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { detectTile } from '../../lib/prune/tiles';

const COUNTS = Array.from({ length: 128 }, (_, i) => 33 + i);
const REFERENCE = 64;
const ROUNDS = 9;
const BLOCKS = ['conv', 'inverted-residual', 'dense'] as const;
const RUNTIMES = ['ort', 'tfjs-wasm', 'tflite'] as const;
type Block = (typeof BLOCKS)[number];
type Runtime = (typeof RUNTIMES)[number];

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

/** The block with `c` channels in the middle (seeded weights; only speed matters here). */
function block(kind: Block, c: number): tf.LayersModel {
  const L = tf.layers;
  if (kind === 'conv')
    return tf.sequential({
      layers: [
        L.conv2d({
          inputShape: [14, 14, 32],
          filters: c,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(c),
        }),
        L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(c + 1) }),
      ],
    });
  if (kind === 'inverted-residual')
    return tf.sequential({
      layers: [
        L.conv2d({ inputShape: [14, 14, 32], filters: c, kernelSize: 1, kernelInitializer: init(c) }),
        L.reLU({ maxValue: 6 }),
        L.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init(c + 1) }),
        L.reLU({ maxValue: 6 }),
        L.conv2d({ filters: 32, kernelSize: 1, kernelInitializer: init(c + 2) }),
      ],
    });
  return tf.sequential({
    layers: [
      L.dense({ inputShape: [1024], units: c, activation: 'relu', kernelInitializer: init(c) }),
      L.dense({ units: 1024, kernelInitializer: init(c + 1) }),
    ],
  });
}

function runtimeOf(runtime: Runtime, model: tf.LayersModel, label: string): BenchRuntime {
  if (runtime === 'ort') return ortRuntime(toOnnx(model), { model: label, threads: 1 });
  if (runtime === 'tfjs-wasm') return tfjsRuntime(model, 'wasm', { model: label });
  return tfliteRuntime(model, { model: label, threads: 1 });
}

/** Time of each count relative to REFERENCE: fastest run over fastest run. */
async function curve(runtime: Runtime, kind: Block): Promise<{ relative: number[]; referenceMs: number }> {
  const models = COUNTS.map((c) => block(kind, c));
  try {
    const rows = await benchmark(
      models.map((m, i) => runtimeOf(runtime, m, String(COUNTS[i]))),
      { batchSizes: [1], rounds: ROUNDS, warmupRuns: 2, runs: 5, minTimeMs: 20, seed: 1 },
    );
    const ref = rows.find((r) => r.model === String(REFERENCE));
    if (!ref) throw new Error('channel-tiles: no reference row');
    const relative = COUNTS.map((c) => {
      const row = rows.find((r) => r.model === String(c));
      if (!row) throw new Error(`channel-tiles: no row for ${c}`);
      return row.minMs / ref.minMs;
    });
    return { relative, referenceMs: ref.minMs };
  } finally {
    models.forEach((m) => m.dispose());
  }
}

/** The installed version of a package (read from node_modules: some hide package.json behind an exports map). */
function packageVersion(name: string): string {
  const file = path.join(__dirname, '..', '..', 'node_modules', name, 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

function tableSource(
  tiles: Record<Runtime, { roundTo: number; blocks: Record<Block, number> }>,
  machine: ReturnType<typeof machineInfo>,
): string {
  const runtimes = RUNTIMES.map(
    (r) =>
      `    '${r}': { roundTo: ${tiles[r].roundTo}, blocks: { ${BLOCKS.map((b) => `'${b}': ${tiles[r].blocks[b]}`).join(', ')} } },`,
  ).join('\n');
  return `// The measured tile table: the channel multiple each runtime runs fast on the machine below
// (\`roundTo\`), and the tile of each block it was read from. GENERATED by
// \`node --import tsx test/bench/channel-tiles.bench.ts --write-table\` (the curves are in
// results/bench-channel-tiles.json); re-measure on your deployment machine the same way, and
// review the diff. Do not edit by hand.
/** The runtimes measured (prune.channels' targets besides 'any'). */
export type TiledRuntime = 'ort' | 'tfjs-wasm' | 'tflite';

/** One runtime's measured tile. */
export interface RuntimeTile {
  /** The least common multiple of the blocks' tiles. */
  readonly roundTo: number;
  /** Tile of each measured block (conv, inverted-residual, dense). */
  readonly blocks: Readonly<Record<string, number>>;
}

export const MEASURED_TILES: {
  readonly measuredAt: string;
  readonly machine: {
    readonly cpuModel: string;
    readonly cpuFlags: readonly string[];
    readonly cores: number;
    readonly node: string;
    readonly tfjs: string;
    readonly onnxruntimeNode: string;
    readonly tfjsTfliteNode: string;
  };
  readonly runtimes: Readonly<Record<TiledRuntime, RuntimeTile>>;
} = {
  measuredAt: '${machine.date.slice(0, 10)}',
  machine: {
    cpuModel: ${JSON.stringify(machine.cpuModel)},
    cpuFlags: ${JSON.stringify(machine.cpuFlags)},
    cores: ${machine.cores},
    node: '${machine.node}',
    tfjs: '${machine.tfjs}',
    onnxruntimeNode: '${packageVersion('onnxruntime-node')}',
    tfjsTfliteNode: '${packageVersion('tfjs-tflite-node')}',
  },
  runtimes: {
${runtimes}
  },
};
`;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const writeTable = process.argv.includes('--write-table');
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const curves: Record<string, unknown> = {};
  const tiles = {} as Record<Runtime, { roundTo: number; blocks: Record<Block, number> }>;
  for (const runtime of RUNTIMES) {
    const blocks = {} as Record<Block, number>;
    for (const kind of BLOCKS) {
      const t0 = performance.now();
      const { relative, referenceMs } = await curve(runtime, kind);
      const found = detectTile(COUNTS, relative);
      blocks[kind] = found.tile;
      curves[`${runtime}/${kind}`] = { referenceMs, relativeToReference: relative, ...found };
      console.log(
        `${runtime} ${kind}: tile ${found.tile} (C=64 takes ${referenceMs.toFixed(3)} ms at best; steps ` +
          `${found.steps.map((s) => `${s.tile}: ${s.passed}/${s.points}`).join(', ')}; ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
      console.log(`  ${COUNTS.map((c, i) => `${c}:${(relative[i] as number).toFixed(2)}`).join(' ')}`);
    }
    const roundTo = Object.values(blocks).reduce((a, t) => (a * t) / gcd(a, t), 1);
    tiles[runtime] = { roundTo, blocks };
    console.log(`${runtime}: roundTo ${roundTo}`);
  }
  const machine = machineInfo();
  saveResults('bench-channel-tiles', { counts: COUNTS, reference: REFERENCE, rounds: ROUNDS, curves, tiles });
  if (writeTable) {
    const file = path.join(__dirname, '..', '..', 'lib', 'prune', 'tile-table.ts');
    const config = (await prettier.resolveConfig(file)) ?? {};
    writeFileAtomic(file, await prettier.format(tableSource(tiles, machine), { ...config, filepath: file }));
    console.log(`wrote ${file}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
