// Running the real `tfjs-compress` executable (the built dist/lib/cli/main.js, as `npx tfjs-compress`
// runs it) as a child process, and the files the CLI tests hand it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { encodeNpy } from '../../lib/data/npy';
import { loadMnist } from '../../course/data/mnist';

export const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'lib', 'cli', 'main.js');

/** What a run of the executable gave. */
export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tfjs-compress ...args` in `cwd`; fails clearly when dist is not built. */
export function cli(args: readonly string[], cwd = os.tmpdir()): CliRun {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (make test builds first).`);
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary folder. */
export function tmpDir(prefix = 'tfc-cli-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The first `n` MNIST test images (uint8, (n, 28, 28, 1)) and labels as .npy files in `dir`. */
export function mnistNpy(dir: string, n: number, offset = 0): { xs: string; ys: string } {
  const { test } = loadMnist();
  const xs = path.join(dir, `mnist-x-${offset}-${n}.npy`);
  const ys = path.join(dir, `mnist-y-${offset}-${n}.npy`);
  fs.writeFileSync(
    xs,
    encodeNpy({ dtype: 'uint8', shape: [n, 28, 28, 1], data: test.images.slice(offset * 784, (offset + n) * 784) }),
  );
  fs.writeFileSync(ys, encodeNpy({ dtype: 'uint8', shape: [n], data: test.labels.slice(offset, offset + n) }));
  return { xs, ys };
}

/** Names in `dir` (to check that nothing was left behind). */
export function entries(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}
