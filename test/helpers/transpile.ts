// Plain JavaScript of a few lib/ files for child processes: `node child.js` starts in well under a
// second, where `node --import tsx` (and tfjs) takes several on a busy machine. Only files without
// runtime imports of packages can be used this way (their type-only imports are dropped).
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');

/** Transpiles `files` (paths under lib/, e.g. 'core/atomic.ts') to `<outDir>/lib/*.js` (CommonJS). */
export function transpileLib(outDir: string, files: readonly string[]): void {
  for (const f of files) {
    const source = fs.readFileSync(path.join(ROOT, 'lib', f), 'utf8');
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    fs.mkdirSync(path.dirname(path.join(outDir, 'lib', f)), { recursive: true });
    fs.writeFileSync(path.join(outDir, 'lib', f.replace(/\.ts$/, '.js')), js);
  }
}
