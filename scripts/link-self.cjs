// Makes the clone use its own package the way an app that installed it does:
//   node_modules/tfjs-compress -> ..   so `require('tfjs-compress')` resolves to this repository
//     (notebooks and scripts import the library by its published name; tslab uses Node10
//     resolution and ignores `exports`, and a symlink is what both Node and TypeScript follow);
//   node_modules/tfjs-compress-course -> ../dist/course   so the notebooks import the course by
//     its name (course/package.json is copied there after the build); the compiled course requires
//     the library's compiled files (dist/lib) by relative path, the same files `tfjs-compress`
//     resolves to: one copy of the library (its error classes, layer registry, tf backend) in a notebook;
//   node_modules/.bin/tfjs-compress -> ../tfjs-compress/dist/lib/cli/main.js   so `npx tfjs-compress`
//     and npm scripts find the executable (it exists once `npm run build` has written dist/).
// npm does neither for a project's own package. This used to be the package's `prepare` script,
// which npm 11 with strict-allow-scripts refuses (ESTRICTALLOWSCRIPTS, also on `npx tfjs-compress`):
// `make setup` / `make build` run it instead.
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const modules = path.join(root, 'node_modules');
if (!fs.existsSync(modules)) process.exit(0);

/** Points `link` at `target` (relative), replacing whatever else is there. */
function symlink(target, link, type) {
  try {
    const stat = fs.lstatSync(link);
    if (stat.isSymbolicLink() && fs.readlinkSync(link) === target) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    /* absent */
  }
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link, type);
}

symlink('..', path.join(modules, 'tfjs-compress'), 'dir');
symlink(path.join('..', 'dist', 'course'), path.join(modules, 'tfjs-compress-course'), 'dir');
if (fs.existsSync(path.join(root, 'dist', 'course')))
  fs.copyFileSync(path.join(root, 'course', 'package.json'), path.join(root, 'dist', 'course', 'package.json'));
symlink(
  path.join('..', 'tfjs-compress', 'dist', 'lib', 'cli', 'main.js'),
  path.join(modules, '.bin', 'tfjs-compress'),
  'file',
);
