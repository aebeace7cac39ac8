// Where a worker thread's entry module is: the compiled .js beside the caller (the library runs
// from dist/), or the .ts source when this process runs TypeScript through tsx (tests), in which
// case the thread loads tsx too.
import * as fs from 'fs';
import * as path from 'path';

/** The file and execArgv of the worker entry `base` (no extension) in the folder `dir`. */
export function threadEntry(dir: string, base: string): { filename: string; execArgv: string[] } {
  const js = path.join(dir, `${base}.js`);
  const typescript = ['--import', 'tsx'];
  if (fs.existsSync(js)) return { filename: js, execArgv: require.extensions['.ts'] ? typescript : [] };
  return { filename: path.join(dir, `${base}.ts`), execArgv: typescript };
}
