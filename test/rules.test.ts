// House rules, checked: the layering of lib/ (technique modules do not import each other; core
// imports no technique; the library never imports the course, which lives outside it in course/
// and outside the package), no printing from library or course code (only the output channel
// core/output.ts and entry points), a size budget per file, and an explicit index.ts in every folder.
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib');
const COURSE = path.join(ROOT, 'course');
const TECHNIQUES = ['prune', 'quantize', 'distill', 'nas'];
// The one output channel (everything that shows text goes through it), CLI entry points, and the
// command line's folder (lib/cli: a program whose job is to print).
const MAY_PRINT = [/^core\/output\.ts$/, /(^|\/)cli\.ts$/, /(^|\/)main\.ts$/, /^cli\//];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*from\s+['"](\.[^'"]+)['"]/g)].map((m) =>
    path.relative(LIB, path.resolve(path.dirname(file), m[1] as string)),
  );
}

const all = files(LIB).map((f) => path.relative(LIB, f));
/** The course's files, relative to the repository (course/...): the size, printing, class-name and index rules hold there too. */
const courseFiles = files(COURSE).map((f) => path.relative(ROOT, f));
/** lib/ files as lib-relative names and course files as course/... names, each with its absolute path. */
const everyFile: readonly (readonly [string, string])[] = [
  ...all.map((f) => [f.split(path.sep).join('/'), path.join(LIB, f)] as const),
  ...courseFiles.map((f) => [f.split(path.sep).join('/'), path.join(ROOT, f)] as const),
];

/** The lib-relative file an import names (`./x` -> x.ts or x/index.ts), or undefined outside lib. */
function resolveImport(imp: string): string | undefined {
  for (const f of [`${imp}.ts`, path.join(imp, 'index.ts'), imp]) if (all.includes(f)) return f;
  return undefined;
}

/** Every relative import of `file` (static, type-only, re-exports and dynamic), as lib-relative files. */
function edgesOf(file: string): string[] {
  const text = fs.readFileSync(path.join(LIB, file), 'utf8');
  const dynamic = [...text.matchAll(/\b(?:import|require)\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) =>
    path.relative(LIB, path.resolve(path.dirname(path.join(LIB, file)), m[1] as string)),
  );
  return [...importsOf(path.join(LIB, file)), ...dynamic].flatMap((imp) => resolveImport(imp) ?? []);
}

/** The import cycles of lib/, each as the files around it (a depth-first walk; one cycle per back edge). */
function importCycles(): string[][] {
  const graph = new Map(all.map((f) => [f, edgesOf(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g]);
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of all) if (!state.has(f)) visit(f);
  return cycles;
}

describe('house rules', () => {
  it('technique modules (prune, quantize, distill, nas) do not import each other', () => {
    const bad: string[] = [];
    for (const f of all) {
      const top = f.split(path.sep)[0] as string;
      if (!TECHNIQUES.includes(top)) continue;
      for (const imp of importsOf(path.join(LIB, f))) {
        const target = imp.split(path.sep)[0] as string;
        if (TECHNIQUES.includes(target) && target !== top) bad.push(`${f} imports ${imp}`);
      }
    }
    expect(bad).to.deep.equal([]);
  });

  it('core, data and train import no technique, deployment or display module', () => {
    const low = ['core', 'data', 'train', 'errors.ts'];
    const high = [...TECHNIQUES, 'export', 'bench', 'serve', 'monitor', 'viz', 'profile', 'index.ts'];
    const bad = all
      .filter((f) => low.includes(f.split(path.sep)[0] as string))
      .flatMap((f) =>
        importsOf(path.join(LIB, f))
          .filter((imp) => high.includes(imp.split(path.sep)[0] as string) || imp === 'index')
          .map((imp) => `${f} imports ${imp}`),
      );
    expect(bad).to.deep.equal([]);
  });

  it('no file under lib/ imports the course (course/): the library never depends on its course', () => {
    expect(courseFiles.length).to.be.above(20); // the course is where the walk looks
    const bad = all.flatMap((f) => {
      const text = fs.readFileSync(path.join(LIB, f), 'utf8');
      const dynamic = [...text.matchAll(/\b(?:import|require)\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) =>
        path.relative(LIB, path.resolve(path.dirname(path.join(LIB, f)), m[1] as string)),
      );
      return [...importsOf(path.join(LIB, f)), ...dynamic]
        .filter((imp) => !path.relative(COURSE, path.resolve(LIB, imp)).startsWith('..'))
        .map((imp) => `${f} imports ${imp}`);
    });
    expect(bad).to.deep.equal([]);
    expect(all.some((f) => /^(course|models)\//.test(f.split(path.sep).join('/')))).to.equal(false);
  });

  it("the package's files are the compiled library only (no course, no data sets, no demo page)", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      files: string[];
      main: string;
      exports: Record<string, unknown>;
    };
    expect(pkg.files).to.deep.equal(['dist/lib']);
    expect(pkg.main).to.equal('dist/lib/index.js');
    expect(Object.keys(pkg.exports).sort()).to.deep.equal(['.', './package.json']);
  });

  it('one ONNX Runtime session factory: only export/onnx/runtime.ts loads onnxruntime-node or creates a session', () => {
    const bad = all
      .filter((f) => f.split(path.sep).join('/') !== 'export/onnx/runtime.ts')
      .filter((f) =>
        /InferenceSession\.create|require\(['"]onnxruntime-node['"]\)|await import\(['"]onnxruntime-node['"]\)|^import (?!type )[^;]*from ['"]onnxruntime-node['"]/m.test(
          fs.readFileSync(path.join(LIB, f), 'utf8'),
        ),
      );
    expect(bad).to.deep.equal([]);
  });

  it('lib/index.ts names its exports: namespaces and explicit lists, no `export *` of a folder', () => {
    const text = fs.readFileSync(path.join(LIB, 'index.ts'), 'utf8');
    expect(text.match(/^export \* from .*$/gm) ?? []).to.deep.equal([]);
  });

  it('library and course code do not print (the caller decides what to show)', () => {
    const bad = everyFile
      .filter(([f]) => !MAY_PRINT.some((re) => re.test(f)))
      .filter(([, file]) => /\bconsole\.(log|info|warn|error)\(/.test(fs.readFileSync(file, 'utf8')))
      .map(([f]) => f);
    expect(bad).to.deep.equal([]);
  });

  it('no import cycle anywhere in lib/ (relative imports, type-only and dynamic ones included)', () => {
    const edges = [...all].map(edgesOf).reduce((n, e) => n + e.length, 0);
    expect(edges).to.be.above(all.length); // the walk sees the imports (a broken regex would find no cycle)
    expect(importCycles().map((c) => c.join(' -> '))).to.deep.equal([]);
  });

  it("only lib/data/ tells an ImageSet from the other DataSources (the rest asks data/'s questions of any source)", () => {
    // Input shape, fingerprint, subsets, labels, crossing to workers, cached per-example results:
    // lib/data/source-info.ts and lib/data/shipped.ts answer them for every kind of source.
    const inData = all.filter((f) => f.split(path.sep)[0] === 'data');
    expect(inData.some((f) => /\bisImageSet\(/.test(fs.readFileSync(path.join(LIB, f), 'utf8')))).to.equal(true);
    const bad = all
      .filter((f) => f.split(path.sep)[0] !== 'data')
      .filter((f) => /\bisImageSet\b/.test(fs.readFileSync(path.join(LIB, f), 'utf8')));
    expect(bad).to.deep.equal([]);
  });

  it('Keras class names are string literals only in the registry and the graph-op table (the rest is a shrinking debt)', () => {
    // What a class does is the registry's (lib/core/layers.ts); graph models' ops have their table
    // (profile/graph-ops.ts). Files still naming classes are listed with their exact count: a count
    // may only fall (move the knowledge into a registry field, then lower it here), and no new file may start. A format's
    // allow-list narrowing a registry flag (TFLite's fused ops) is the one kind that stays.
    const OWNERS = ['core/layers.ts', 'profile/graph-ops.ts'];
    // lib/onnx reads ONNX graphs: its strings are ONNX operator types ('Add', 'LSTM', 'Conv'), a
    // vocabulary of its own that shares a few names with Keras classes.
    const OTHER_VOCABULARY = 'onnx/';
    // Elsewhere an ONNX operator type is recognized by where it stands: the op an exporter's graph
    // builder adds (`g.op('Add', ...)`) or the op type a read ONNX node is compared with
    // (`node.opType === 'Softmax'`).
    const OPERATOR_TYPE = /\bop\(\s*(['"`])\w+\1|\bopType\s*===\s*(['"`])\w+\2/g;
    const DEBT: Record<string, number> = Object.fromEntries([
      // Converter tables typed `Exclude<LayerClass, 'InputLayer'>` (keys, typed by the registry's union).
      ['export/coreml/to-coreml.ts', 1],
      ['export/onnx/to-onnx.ts', 1],
      ['export/tflite/to-tflite.ts', 1],
      // TFLite's builtin operator ELU (an OperatorName, the format's vocabulary), not the Keras class.
      ['export/tflite/convert-activation.ts', 1],
      // TFLite's allow-list narrowing the registry's fusesActivation and foldsBatchNorm (the ops with a
      // fused_activation_function: FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, ADD), a Set<LayerClass>.
      ['export/tflite/fusion.ts', 4],
      // ONNX operator types (Reshape, Flatten) in the list of value-moving ops the output walk passes
      // through: an ONNX graph is read here, not a Keras model.
      ['serve/serving-manifest.ts', 2],
    ]);
    const registry = fs.readFileSync(path.join(LIB, 'core', 'layers.ts'), 'utf8');
    const classes = [...registry.matchAll(/^ {2}(\w+): entry|^ {2}(\w+): \w+\('/gm)]
      .map((m) => (m[1] ?? m[2]) as string)
      .filter((c) => c !== 'FakeQuantize' && c !== 'DynamicQuantize'); // the library's own layers
    expect(classes).to.include.members(['Dense', 'Conv2D', 'BatchNormalization', 'ReLU', 'Add']);
    const literal = new RegExp(`['"\`](${classes.join('|')})['"\`]`, 'g');
    const count = (text: string) => (text.replace(OPERATOR_TYPE, '').match(literal) ?? []).length;
    // An operator type is not counted; a class name compared or put in a list is.
    expect(count("g.op('Add', [a, b], name); g.op(\n  'Reshape', [x]); node.opType === 'Softmax'")).to.equal(0);
    expect(count("className === 'Add' || ['Dense', 'Conv2D'].includes(c) || op === 'Softmax'")).to.equal(4);
    const over = everyFile
      .filter(([f]) => !OWNERS.includes(f) && !f.startsWith(OTHER_VOCABULARY))
      .map(([f, file]) => [f, count(fs.readFileSync(file, 'utf8'))] as const)
      .filter(([f, n]) => n !== (DEBT[f] ?? 0))
      .map(
        ([f, n]) =>
          `${f}: ${n} class-name literals, listed ${DEBT[f] ?? 0} (more: use the registry; fewer: lower the list)`,
      );
    expect(over).to.deep.equal([]);
  });

  it("README's count and list of public runtime names are the ones scripts/public-names.cjs measures (refresh: --write-readme)", () => {
    const names = require('../scripts/public-names.cjs') as {
      countPublicNames: (m: unknown) => { total: number; namespaceCount: number };
      readmeSection: (m: unknown) => string;
      withReadmeLine: (text: string, section: string) => string | undefined;
    };
    const mod: unknown = require('../lib/index');
    const counts = names.countPublicNames(mod);
    expect(counts.namespaceCount).to.be.above(10); // namespaces are seen as namespaces, not as single names
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const refreshed = names.withReadmeLine(readme, names.readmeSection(mod));
    expect(refreshed, 'README has the public-names markers').to.be.a('string');
    expect(readme === refreshed, 'refresh it: npm run build && node scripts/public-names.cjs --write-readme').to.equal(
      true,
    );
  });

  it('no file of lib or the course is past 400 lines', () => {
    const big = everyFile
      .map(([f, file]) => [f, fs.readFileSync(file, 'utf8').split('\n').length] as const)
      .filter(([, n]) => n > 400);
    expect(big).to.deep.equal([]);
  });

  it('every folder of lib and of the course has an index.ts naming its exports', () => {
    const dirs = [...new Set(all.map((f) => path.dirname(f)).filter((d) => d !== '.'))].filter(
      (d) => !d.includes(path.sep),
    );
    const missing = dirs.filter((d) => !fs.existsSync(path.join(LIB, d, 'index.ts')));
    expect(missing).to.deep.equal([]);
    const courseDirs = [...new Set(courseFiles.map((f) => path.dirname(f)))];
    expect(courseDirs.filter((d) => !fs.existsSync(path.join(ROOT, d, 'index.ts')))).to.deep.equal([]);
  });
});
