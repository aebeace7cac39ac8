// Makes `require('tfjs-compress')` resolve to this repository's own package, so notebooks and
// scripts import the library by its published name (tslab uses Node10 resolution and ignores
// `exports`; a symlink in node_modules is what both Node and TypeScript follow).
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const link = path.join(root, 'node_modules', 'tfjs-compress');
if (!fs.existsSync(path.join(root, 'node_modules'))) process.exit(0);
try {
  const stat = fs.lstatSync(link);
  if (stat.isSymbolicLink() && fs.realpathSync(link) === fs.realpathSync(root)) process.exit(0);
  fs.rmSync(link, { recursive: true, force: true });
} catch { /* absent */ }
fs.symlinkSync('..', link, 'dir');
