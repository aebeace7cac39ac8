// Where trained baselines and converted data sets are cached: $TFJS_COMPRESS_CACHE if set,
// else `.cache/tfjs-compress` at the root of the nearest project (a folder with package.json
// and node_modules), else the OS temp folder. Not under node_modules (the find-cache-dir
// convention), because `npm ci` deletes node_modules and with it minutes of training.
// Never inside git (.gitignore); `make clean` removes it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

function projectRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'node_modules'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The cache folder (created on demand), optionally a sub-folder of it. */
export function cacheDir(...sub: string[]): string {
  const env = process.env.TFJS_COMPRESS_CACHE;
  // Resolve from this file first, so notebooks (cwd = notebooks/) and scripts share one cache.
  const root = env ? path.resolve(env)
    : (() => {
      const project = projectRoot(path.join(__dirname, '..', '..')) ?? projectRoot(process.cwd());
      return project ? path.join(project, '.cache', 'tfjs-compress') : path.join(os.tmpdir(), 'tfjs-compress-cache');
    })();
  const dir = path.join(root, ...sub);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
