// Where trained baselines and converted data sets are cached: $TFJS_COMPRESS_CACHE if set, else
// $XDG_CACHE_HOME/tfjs-compress, else ~/.cache/tfjs-compress (the convention of ML model caches
// such as torch's and Hugging Face's), else the OS temp folder when there is no home. Entries
// are keyed by a hash of everything that determines them, so projects share them safely.
// Not under node_modules: `npm ci` deletes that, and with it minutes of training.
// Never inside git; `make clean` removes it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../errors';

/** The cache root: $TFJS_COMPRESS_CACHE, $XDG_CACHE_HOME/tfjs-compress or ~/.cache/tfjs-compress. */
export function cacheRoot(): string {
  if (process.env.TFJS_COMPRESS_CACHE) return path.resolve(process.env.TFJS_COMPRESS_CACHE);
  if (process.env.XDG_CACHE_HOME) return path.join(path.resolve(process.env.XDG_CACHE_HOME), 'tfjs-compress');
  const home = os.homedir();
  return home ? path.join(home, '.cache', 'tfjs-compress') : path.join(os.tmpdir(), 'tfjs-compress-cache');
}

/** The cache folder (created on demand), optionally a sub-folder of it. */
export function cacheDir(...sub: string[]): string {
  const dir = path.join(cacheRoot(), ...sub);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    // ENOTDIR / EEXIST: a path component is a file; EACCES: not writable.
    throw new ConfigError(
      `cacheDir: a cache folder at ${dir} (or a path where one can be made), got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. ` +
        `Point TFJS_COMPRESS_CACHE at a writable folder, or remove the file in the way.`,
    );
  }
  return dir;
}
