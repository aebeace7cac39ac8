// Where the repository's folders are, from a course module's own location: course/ when run from
// source (tsx, tslab with ts-node), dist/course/ when compiled.
import * as path from 'path';

/** The repository's root folder (the parent of course/ or of dist/). */
export const REPO_ROOT =
  path.basename(path.dirname(__dirname)) === 'dist'
    ? path.resolve(__dirname, '..', '..')
    : path.resolve(__dirname, '..');
