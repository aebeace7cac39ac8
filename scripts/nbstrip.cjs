#!/usr/bin/env node
// A git clean filter for notebooks, as nbstripout does (PyPI is not reachable here, so it is
// written in this repository's own tools): reads a notebook on stdin, writes it on stdout with
// every output and execution count removed and the per-run metadata dropped, in the committed
// format nbformat writes (sorted keys, one-space indent, trailing newline). `make setup` registers it:
//   git config filter.nbstrip.clean 'node scripts/nbstrip.cjs'   and .gitattributes: *.ipynb filter=nbstrip
// Anything that is not a notebook passes through unchanged (a filter must never lose a file).
//
// `node scripts/nbstrip.cjs --refresh FILE...` clears git's stale "modified" mark of notebooks a run
// changed only in outputs: git compares the file size recorded in its index before it runs a clean
// filter, so a notebook saved with new outputs shows as modified although `git diff` is empty (as
// with nbstripout). For each tracked FILE whose cleaned text equals the staged blob, it runs
// `git add FILE`, which changes no content and records the new size; other files are left alone.
// The Jupyter server of `make notebook` runs it after every save (scripts/jupyter-config.py).
const { execFileSync } = require('child_process');
const path = require('path');
/** The stripped notebook text, or the input itself when it is not a notebook. */
function strip(text) {
  let nb;
  try {
    nb = JSON.parse(text);
  } catch {
    return text;
  }
  if (!nb || typeof nb !== 'object' || !Array.isArray(nb.cells)) return text;
  for (const cell of nb.cells) {
    if (cell.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
    }
    if (cell.metadata && typeof cell.metadata === 'object') {
      for (const key of ['execution', 'collapsed', 'scrolled', 'ExecuteTime']) delete cell.metadata[key];
    }
  }
  if (nb.metadata && typeof nb.metadata === 'object') {
    for (const key of ['widgets', 'toc', 'varInspector']) delete nb.metadata[key];
    // The kernel rewrites its version on every run.
    if (nb.metadata.language_info && typeof nb.metadata.language_info === 'object') delete nb.metadata.language_info.version;
  }
  return JSON.stringify(sortKeys(nb), null, 1) + '\n';
}

/** Keys in sorted order at every level: the format nbformat (and so Jupyter's save) writes. */
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

/** Refreshes the index entry of each notebook whose cleaned text equals its staged blob; returns those refreshed. */
function refresh(files) {
  const refreshed = [];
  for (const file of files) {
    const cwd = path.dirname(path.resolve(file));
    const name = path.basename(file);
    const git = (...args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    try {
      const staged = git('ls-files', '--stage', '--', name).split(/\s+/)[1];
      if (staged && git('hash-object', '--', name) === staged) {
        git('add', '--', name);
        refreshed.push(file);
      }
    } catch { /* not in a git work tree, or git is busy: leave the file as it is */ }
  }
  return refreshed;
}

module.exports = { strip, refresh };

if (require.main === module && process.argv[2] === '--refresh') {
  refresh(process.argv.slice(3));
} else if (require.main === module) {
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => process.stdout.write(strip(Buffer.concat(chunks).toString('utf8'))));
}
