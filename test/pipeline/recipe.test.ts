// Recipes as an attacker writes them: prototype keys, tags that name Object's own properties,
// huge numbers, unbounded benchmarks, stage names that climb out of the output folder, broken
// JSON; and, by property-based fuzzing, that nothing but a ConfigError ever comes out and no
// prototype is ever touched.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../lib/errors';
import { validateRecipe, stageNames, MAX_BENCH_WORK } from '../../lib/pipeline/recipe';
import { RECIPE } from '../../lib/pipeline/recipe-schema';
import { numberSchemas } from '../../lib/pipeline/schema';
import { readRecipeFile } from '../../lib/pipeline/recipe-file';
import { checkPathSegment, isPathSegment } from '../../lib/core/safe-output';

const base = () => ({ version: 1, model: 'm', stages: [{ kind: 'export', to: 'onnx' }] as unknown[] });
const fails = (value: unknown, re: RegExp) => {
  expect(() => validateRecipe(value)).to.throw(ConfigError, re);
};

describe('recipe: one schema with own-property checks and bounded numbers', () => {
  it('__proto__, constructor, toString and hasOwnProperty are unknown fields wherever they appear', () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      // JSON.parse makes each an own property, as a recipe file would.
      const top = JSON.parse(
        `{"version": 1, "model": "m", "stages": [{"kind": "export", "to": "onnx"}], "${key}": {}}`,
      );
      fails(top, new RegExp(`${key} is not a known field`));
      const inStage = JSON.parse(
        `{"version": 1, "model": "m", "stages": [{"kind": "export", "to": "onnx", "${key}": 1}]}`,
      );
      fails(inStage, new RegExp(`stages\\[0\\]\\.${key} is not a known field`));
      const inData = JSON.parse(
        `{"version": 1, "model": "m", "data": {"evaluation": {"path": "x", "${key}": 1}}, "stages": [{"kind": "bench"}]}`,
      );
      fails(inData, new RegExp(`data\\.evaluation\\.${key} is not a known field`));
    }
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('a stage kind naming an Object property ("constructor", "toString", "__proto__") is refused, not run', () => {
    for (const kind of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      fails(
        { ...base(), stages: [{ kind }] },
        /stages\[0\]\.kind must be one of "prune", "quantize", "distill", "export", "bench"/,
      );
    }
  });

  it('the validated recipe is a copy of known fields in null-prototype objects; layer-name records keep odd keys as data', () => {
    const r = validateRecipe(
      JSON.parse(
        '{"version": 1, "model": "m", "stages": [{"kind": "prune", "method": "magnitude", "sparsity": 0.5, "layers": {"__proto__": 0.2, "conv*": 0.1}}]}',
      ),
    );
    const layers = (r.stages[0] as { layers: Record<string, number> }).layers;
    expect(Object.getPrototypeOf(layers)).to.equal(null);
    expect(Object.keys(layers)).to.deep.equal(['__proto__', 'conv*']);
    expect(layers['__proto__']).to.equal(0.2);
    expect(Object.getPrototypeOf(r)).to.equal(null);
    expect(JSON.parse(JSON.stringify(r)).stages[0].layers).to.deep.equal({ ['__proto__']: 0.2, 'conv*': 0.1 });
  });

  it('every number in the schema has a finite lower and upper bound; scale 1e308 and NaN-like values are refused', () => {
    const numbers = numberSchemas(RECIPE);
    expect(numbers.length).to.be.greaterThan(15);
    for (const { where, schema } of numbers) {
      const s = schema as { min: number; max: number };
      expect(Number.isFinite(s.min) && Number.isFinite(s.max), where).to.equal(true);
    }
    fails(
      { ...base(), data: { evaluation: { path: 'x.npy', scale: 1e308 } } },
      /data\.evaluation\.scale must be a number > 0 and <= 1000000, got number 1e\+308/,
    );
    fails({ ...base(), data: { evaluation: { path: 'x.npy', scale: 0 } } }, /scale must be a number > 0/);
    fails({ ...base(), seed: 2 ** 40 }, /seed must be an integer >= 0 and <= 2147483647/);
    fails(
      { ...base(), data: { evaluation: { path: 'x', preprocessing: { mean: 1e9 } } } },
      /preprocessing must be a preset/,
    );
  });

  it('a benchmark of batch 4096 x 1000 rounds does not pass, nor one over the work bound; the default does', () => {
    const bench = (b: object) => ({ ...base(), stages: [{ kind: 'bench', ...b }] });
    fails(bench({ batchSizes: [4096], rounds: 1000 }), /batchSizes\[0\] must be an integer >= 1 and <= 1024/);
    fails(bench({ batchSizes: [1], rounds: 1000 }), /rounds must be an integer >= 1 and <= 100/);
    fails(
      bench({ batchSizes: [1024, 1024], rounds: 100 }),
      new RegExp(`at most ${MAX_BENCH_WORK} examples per runtime .* got 204800`),
    );
    fails(
      bench({ batchSizes: Array.from({ length: 9 }, () => 1) }),
      /batchSizes must be an array of 1 to 8 item\(s\), got an array of 9/,
    );
    expect(() => validateRecipe(bench({}))).to.not.throw();
    expect(() => validateRecipe(bench({ batchSizes: [1, 32, 256], rounds: 20 }))).to.not.throw();
  });

  it('stage names are one folder name: "../../x", "a/b", ".hidden", "." and reserved names are refused', () => {
    for (const name of ['../../x', '..', '.', 'a/b', 'a\\b', '.hidden', '-x', '', 'x'.repeat(65), 'caf\u00e9', 'a b']) {
      fails({ ...base(), stages: [{ kind: 'export', to: 'onnx', name }] }, /stages\[0\]\.name must be/);
      expect(isPathSegment(name), name).to.equal(false);
      expect(() => checkPathSegment(name, 'run', 'a stage name')).to.throw(
        ConfigError,
        /a stage name of 1 to 64 letters/,
      );
    }
    for (const name of ['report.json', 'deploy.json', 'Report.md', 'original'])
      fails({ ...base(), stages: [{ kind: 'export', to: 'onnx', name }] }, /a folder name other than/);
    fails(
      {
        ...base(),
        stages: [
          { kind: 'export', to: 'onnx', name: 'Int8' },
          { kind: 'export', to: 'tflite', name: 'int8' },
        ],
      },
      /stage names that differ \(ignoring case\)/,
    );
    const r = validateRecipe({
      ...base(),
      stages: [
        { kind: 'prune', method: 'magnitude', sparsity: 0.25 },
        { kind: 'export', to: 'onnx', name: 'web.int8_v2' },
      ],
    });
    expect(stageNames(r)).to.deep.equal(['01-prune-magnitude-0.25', 'web.int8_v2']);
  });

  it('preprocessing and class names: presets and numbers validated, contradictions refused', () => {
    const withData = (evaluation: object, calibration?: object) => ({
      ...base(),
      data: { evaluation, ...(calibration ? { calibration } : {}) },
    });
    expect(() =>
      validateRecipe(withData({ path: 'x', preprocessing: 'mobilenet', classNames: ['b', 'a'] })),
    ).to.not.throw();
    expect(() =>
      validateRecipe(withData({ path: 'x', preprocessing: { preset: 'torch', channelOrder: 'bgr' } })),
    ).to.not.throw();
    fails(withData({ path: 'x', preprocessing: 'imagenet' }), /preprocessing must be a preset/);
    fails(
      withData({ path: 'x', preprocessing: { mean: [1, 2] } }),
      /recipe: data\.evaluation\.preprocessing: mean as one number or three/,
    );
    fails(
      withData({ path: 'x', preprocessing: { std: 0 } }),
      /std as one number or three .* at least [0-9.e-]+ in size/,
    );
    fails(withData({ path: 'x.npy', scale: 0.5, preprocessing: 'unit' }), /scale or preprocessing, got both/);
    fails(withData({ path: 'x', classNames: ['a', 'a'] }), /classNames without repeats/);
    fails(withData({ path: 'x', classNames: ['a'], labelsFile: 'l.txt' }), /classNames or labelsFile, got both/);
    fails(
      withData({ path: 'x', preprocessing: 'unit' }, { path: 'y', preprocessing: 'mobilenet' }),
      /one preprocessing for all the data/,
    );
  });

  it('JSON syntax errors name the file, the line and the column', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-recipe-json-'));
    try {
      const file = path.join(dir, 'r.json');
      fs.writeFileSync(file, '{\n  "version": 1,\n  "model": "m",,\n  "stages": []\n}');
      expect(() => readRecipeFile(file)).to.throw(
        ConfigError,
        /run: a recipe in JSON, got .* at line 3, column 16 of .*r\.json/,
      );
      fs.writeFileSync(file, '\uFEFF{"a": 1,}');
      expect(() => readRecipeFile(file)).to.throw(ConfigError, /line 1, column 9/);
      fs.writeFileSync(file, '');
      expect(() => readRecipeFile(file)).to.throw(ConfigError, /an unexpected end of the text at line 1, column 1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fuzzed recipes (random JSON and mutated valid ones) give a recipe or a ConfigError, never another error, never a polluted prototype', () => {
    const valid = {
      version: 1,
      model: 'm',
      data: { calibration: { path: 'c', limit: 10 }, evaluation: { path: 'e.npy', labels: 'l.npy', scale: 0.5 } },
      stages: [
        { kind: 'prune', method: 'magnitude', sparsity: 0.5, layers: { a: 0.1 } },
        { kind: 'quantize', mode: 'static', calibration: { count: 10, batchSize: 4 } },
        { kind: 'bench', batchSizes: [1], rounds: 2 },
      ],
      checks: { maxAccuracyDrop: 0.01 },
    };
    const keys = fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'kind',
      'name',
      'stages',
      'path',
      'scale',
      'x',
    );
    const leaf = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.string({ maxLength: 8 }),
      fc.boolean(),
      fc.constant(null),
      keys,
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(keys, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    const check = (v: unknown) => {
      // Through JSON text, as a recipe file arrives ("__proto__" becomes an own key).
      const parsed = JSON.parse(JSON.stringify(v) ?? 'null');
      try {
        validateRecipe(parsed);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
      }
      expect(Object.keys(Object.prototype)).to.deep.equal([]);
    };
    fc.assert(fc.property(json, check), { numRuns: 300, seed: 7 });
    const paths = ['version', 'model', 'stages', 'data', 'checks'];
    fc.assert(
      fc.property(fc.constantFrom(...paths), json, fc.nat(2), json, (k, v, i, w) => {
        const copy = JSON.parse(JSON.stringify(valid));
        copy[k] = v;
        if (Array.isArray(copy.stages) && copy.stages[i] && typeof copy.stages[i] === 'object') copy.stages[i].kind = w;
        check(copy);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
