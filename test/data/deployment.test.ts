import { expect } from 'chai';
import { validateDeployment, isRunRelativePath } from '../../lib/data/deployment';
import { resolvePreprocessing } from '../../lib/data/preprocess';
import { DataError } from '../../lib/errors';

const valid = () => ({
  format: 'tfjs-compress-deployment',
  version: 1,
  recommended: '03-export-onnx/model.onnx',
  reason: 'the smallest deployable artifact within the accuracy check',
  artifacts: [
    {
      stage: '02-quantize-static',
      file: '02-quantize-static/model.json',
      format: 'plan',
      runtime: 'none',
      deployable: false,
      precision: 'int8',
      sizeBytes: 10,
    },
    {
      stage: '03-export-onnx',
      file: '03-export-onnx/model.onnx',
      format: 'onnx',
      runtime: 'ort',
      deployable: true,
      precision: 'int8',
      sizeBytes: 5,
      accuracy: 0.9,
      floatLayers: ['dense_3'],
    },
  ],
  input: { shape: [224, 224, 3], dtype: 'float32', preprocessing: resolvePreprocessing({ preset: 'mobilenet' }) },
  output: { classNames: ['cat', 'dog'], kind: 'probabilities' },
});

describe('data/deployment', () => {
  it('accepts what the run writes and returns the same content, typed', () => {
    const d = validateDeployment(JSON.parse(JSON.stringify(valid())));
    expect(d.recommended).to.equal('03-export-onnx/model.onnx');
    expect(d.input.preprocessing).to.deep.equal(resolvePreprocessing({ preset: 'mobilenet' }));
    expect(d.output.classNames).to.deep.equal(['cat', 'dog']);
    expect(d.artifacts[1]?.floatLayers).to.deep.equal(['dense_3']);
  });

  it('keeps every path inside the run folder', () => {
    for (const p of ['../x/model.onnx', '/etc/passwd', 'a/../../b', 'a\\b', '.', 'a//b', '', 'a/./b'])
      expect(isRunRelativePath(p), p).to.equal(false);
    expect(isRunRelativePath('03-export-onnx/model.onnx')).to.equal(true);
    const d = valid();
    d.artifacts[1]!.file = '../../etc/passwd';
    expect(() => validateDeployment(d)).to.throw(
      DataError,
      /artifacts\[1\]\.file must be a relative path inside the run folder/,
    );
  });

  it('refuses unknown and inherited keys, a recommendation that is a plan, and out-of-range numbers', () => {
    type D = ReturnType<typeof valid>;
    const cases: [string, (d: D) => unknown][] = [
      ['is not a known field', (d) => ({ ...d, extra: 1 })],
      // JSON.parse makes "__proto__" an own key: refused like any unknown field.
      [
        'is not a known field',
        (d) => JSON.parse(JSON.stringify(d).replace('{"format"', '{"__proto__":{"x":1},"format"')),
      ],
      [
        'recommended must name the file of a deployable artifact',
        (d) => ({ ...d, recommended: '02-quantize-static/model.json' }),
      ],
      ['input.shape must be 1 to 8 positive integers', (d) => ({ ...d, input: { ...d.input, shape: [224, -5, 3] } })],
      [
        'sizeBytes must be a non-negative integer',
        (d) => ({ ...d, artifacts: [{ ...d.artifacts[0], sizeBytes: 1e308 }] }),
      ],
      ['accuracy must be a number in [0, 1]', (d) => ({ ...d, artifacts: [{ ...d.artifacts[1], accuracy: 17 }] })],
      [
        'input.preprocessing.scale is required',
        (d) => ({ ...d, input: { ...d.input, preprocessing: { preset: 'unit' } } }),
      ],
      ['format must be "tfjs-compress-deployment"', (d) => ({ ...d, format: 'x' })],
    ];
    for (const [message, mutate] of cases)
      expect(() => validateDeployment(mutate(valid())), message).to.throw(DataError, message);
    expect(() => validateDeployment(null)).to.throw(DataError, /must be an object/);
  });
});
