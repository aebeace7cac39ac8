// The notebook runner must fail on what Jupyter's own exit code misses: an error thrown later in
// a timer, an unhandled promise rejection, and a failed course check. Runs the real runner with
// the real tslab kernel on tiny notebooks.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';

const root = path.resolve(__dirname, '..', '..');
const kernelDir = path.join(root, 'build', 'jupyter');

function notebook(dir: string, name: string, cells: string[]): string {
  const nb = {
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { display_name: 'TypeScript (tslab)', language: 'typescript', name: 'tslab' } },
    nbformat: 4, nbformat_minor: 5,
  };
  const file = path.join(dir, `${name}.ipynb`);
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

describe('test/notebooks/run.py (the course runner)', function () {
  this.timeout(180000);

  it('passes a good notebook and fails late throws, unhandled rejections and failed checks', function () {
    if (!fs.existsSync('/usr/bin/jupyter') || !fs.existsSync(path.join(kernelDir, 'kernels', 'tslab', 'kernel.json'))) {
      this.skip(); // make test runs `make setup` first, so this only skips outside the Makefile
    }
    // Inside the repository, so the notebooks resolve the tfjs-compress package like the course does.
    fs.mkdirSync(path.join(root, 'build'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, 'build', 'runner-test-'));
    const files = [
      notebook(dir, 'good', ['const x: number = 1 + 1;\nconsole.log(x);']),
      notebook(dir, 'late-throw', ["setTimeout(() => { throw new Error('thrown later'); }, 10);\nconsole.log('cell finished');"]),
      notebook(dir, 'rejection', ["(async () => { await new Promise((r) => setTimeout(r, 10)); throw new Error('nobody awaited me'); })();\nconsole.log('cell finished');"]),
      notebook(dir, 'check', ["import * as tfc from 'tfjs-compress';\nconst one: number = 1;\ntfc.course.check('one is two', one === 2);"]),
      notebook(dir, 'type-error', ["const s: string = 42;"]),
    ];
    let out = '';
    let status = 0;
    try {
      out = execFileSync('/usr/bin/python3', [path.join(root, 'test', 'notebooks', 'run.py'), ...files], {
        cwd: dir, env: { ...process.env, JUPYTER_PATH: kernelDir }, encoding: 'utf8',
      });
    } catch (e) {
      const err = e as { status: number; stdout: string };
      status = err.status;
      out = err.stdout;
    }
    expect(status).to.equal(1);
    expect(out).to.match(/ok {3}.*good\.ipynb/);
    expect(out).to.match(/FAIL .*late-throw\.ipynb/);
    expect(out).to.contain('thrown later');
    expect(out).to.match(/FAIL .*rejection\.ipynb/);
    expect(out).to.contain('nobody awaited me');
    expect(out).to.match(/FAIL .*check\.ipynb/);
    expect(out).to.contain('check failed: one is two');
    expect(out).to.match(/FAIL .*type-error\.ipynb/);
    expect(out).to.contain("Type 'number' is not assignable to type 'string'");
    expect(out.trim().split('\n').pop()).to.equal('1 passed, 4 failed');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
