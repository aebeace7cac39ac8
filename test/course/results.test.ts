import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { DataError } from '../../lib/errors';
import { readResults, resultsDir, saveResults } from '../../lib/course/results';

describe('course/results', () => {
  const previous = process.env.TFJS_COMPRESS_RESULTS;
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-results-'));
    process.env.TFJS_COMPRESS_RESULTS = dir;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env.TFJS_COMPRESS_RESULTS;
    else process.env.TFJS_COMPRESS_RESULTS = previous;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes <name>.json with the machine, merging metrics saved earlier', () => {
    expect(resultsDir()).to.equal(dir);
    saveResults('nb', { a: 1, b: { c: 2 } });
    const file = saveResults('nb', { b: { d: 3 } });
    expect(file).to.equal(path.join(dir, 'nb.json'));
    const r = readResults('nb');
    expect(r.name).to.equal('nb');
    expect(r.metrics).to.deep.equal({ a: 1, b: { d: 3 } });
    expect(r.machine.cores).to.be.greaterThan(0);
  });

  it('says which notebook to run when a results file is missing', () => {
    expect(() => readResults('99-missing')).to.throw(DataError, /Run that notebook first/);
  });
});
