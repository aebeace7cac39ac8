// Writes the tslab Jupyter kernel spec into <dir>/kernels/tslab (point JUPYTER_PATH at <dir>).
// `tslab install` needs IPython, which Debian's Jupyter packages do not bring.
const fs = require('fs');
const path = require('path');
const dir = path.resolve(process.argv[2] || 'build/jupyter');
const root = path.resolve(__dirname, '..');
const tslab = path.join(root, 'node_modules', 'tslab', 'bin', 'tslab');
if (!fs.existsSync(tslab)) {
  console.error(`write-kernel-spec: tslab at ${tslab}, got nothing there. Run npm ci first.`);
  process.exit(1);
}
const spec = {
  argv: [process.execPath, tslab, 'kernel', '--config-path', '{connection_file}'],
  display_name: 'TypeScript (tslab)',
  language: 'typescript',
};
const kdir = path.join(dir, 'kernels', 'tslab');
fs.mkdirSync(kdir, { recursive: true });
fs.writeFileSync(path.join(kdir, 'kernel.json'), JSON.stringify(spec, null, 2) + '\n');
console.log(`kernel spec: ${path.join(kdir, 'kernel.json')}`);
