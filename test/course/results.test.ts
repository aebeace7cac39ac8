import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { DataError } from '../../lib/errors';
import { committedResultsDir, readResults, resultsDir, saveResults } from '../../course/results';

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

  it('without TFJS_COMPRESS_RESULTS writes build/results/ (outside git) and reads the committed file until then', () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-repo-'));
    const cwd = process.cwd();
    delete process.env.TFJS_COMPRESS_RESULTS;
    try {
      fs.writeFileSync(path.join(repo, 'package.json'), '{}');
      fs.mkdirSync(path.join(repo, 'notebooks', 'sub'), { recursive: true });
      fs.mkdirSync(path.join(repo, 'results'));
      const committed = { name: 'nb', machine: {}, metrics: { from: 'committed' } };
      fs.writeFileSync(path.join(repo, 'results', 'nb.json'), JSON.stringify(committed));
      process.chdir(path.join(repo, 'notebooks', 'sub')); // a kernel runs in the notebook's folder
      const real = fs.realpathSync(repo);
      expect(resultsDir()).to.equal(path.join(real, 'build', 'results'));
      expect(committedResultsDir()).to.equal(path.join(real, 'results'));
      expect(readResults('nb').metrics).to.deep.equal({ from: 'committed' });
      const file = saveResults('nb', { from: 'this run' });
      expect(fs.realpathSync(file)).to.equal(path.join(real, 'build', 'results', 'nb.json'));
      expect(readResults('nb').metrics).to.deep.equal({ from: 'this run' });
      expect(JSON.parse(fs.readFileSync(path.join(repo, 'results', 'nb.json'), 'utf8'))).to.deep.equal(committed); // untouched
      expect(() => readResults('99-missing')).to.throw(
        DataError,
        /build\/results\/99-missing\.json or .*results\/99-missing\.json/,
      );
    } finally {
      process.chdir(cwd);
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});
