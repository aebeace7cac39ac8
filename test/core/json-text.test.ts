// parseJsonText: JSON from a user's file, and on a mistake a typed error with its line and column.
import { expect } from 'chai';
import { ConfigError, DataError } from '../../lib/errors';
import { jsonErrorPosition, parseJsonText } from '../../lib/core/json-text';

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

describe('core: parseJsonText', () => {
  it('parses valid JSON, a leading byte-order mark included', () => {
    expect(parseJsonText('{"a": [1, 2]}', { fn: 'f', what: 'x' })).to.deep.equal({ a: [1, 2] });
    expect(parseJsonText('\ufeff[1]', { fn: 'f', what: 'x' })).to.deep.equal([1]);
  });

  it('names the line and column of the first mistake and shows the line with a caret under it', () => {
    const text = '{\n  "version": 1,\n  "stages": [\n    {"kind": "prune", },\n  ]\n}\n';
    const e = thrown(() => parseJsonText(text, { fn: 'run', what: 'a recipe', file: 'recipe.json', kind: 'config' }));
    expect(e).to.be.instanceOf(ConfigError);
    // Line 4 is `    {"kind": "prune", },`: the trailing comma is followed by "}" at column 23.
    expect(e.message).to.match(/^run: a recipe in JSON, got ".*" at line 4, column 23 of recipe\.json:\n/);
    expect(e.message).to.include('\n        {"kind": "prune", },\n                          ^\n');
    expect(e.message).to.match(/no trailing commas\)\.$/);
  });

  it('an unexpected end points past the last character; data files get a DataError naming the file', () => {
    const e = thrown(() => parseJsonText('{"a": 1', { fn: 'f', what: 'a model.json', file: 'm/model.json' }));
    expect(e).to.be.instanceOf(DataError);
    expect((e as DataError).file).to.equal('m/model.json');
    expect(e.message).to.match(/at line 1, column 8 of m\/model\.json/);
    expect(jsonErrorPosition('ab\ncd', new SyntaxError('Unexpected token in JSON at position 4'))).to.deep.equal({
      line: 2,
      column: 2,
      lineText: 'cd',
    });
  });

  it('a very long line is shown around the mistake only', () => {
    const text = `[${'1, '.repeat(500)}x]`;
    const e = thrown(() => parseJsonText(text, { fn: 'f', what: 'a list' }));
    const shown = e.message.split('\n')[1] as string;
    expect(shown.length).to.be.at.most(124);
    expect(shown).to.include('x]');
  });
});
