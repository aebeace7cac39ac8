// The clone's own install route: no lifecycle script that npm 11's strict-allow-scripts would
// refuse (the old `prepare` broke `npx tfjs-compress` with ESTRICTALLOWSCRIPTS), and the build
// links the package's name and executable, so `npx tfjs-compress` runs in the clone.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { expect } from 'chai';
import { userEnv } from './shell';

const REPO = path.resolve(__dirname, '..', '..');

describe('journey: installing in a clone', function () {
  this.timeout(120_000);

  it('package.json has no install-time script (prepare, preinstall, install, postinstall); prepack builds', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    for (const s of ['prepare', 'preinstall', 'install', 'postinstall']) expect(pkg.scripts[s], s).to.equal(undefined);
    expect(pkg.scripts.prepack).to.equal('npm run build');
    expect(pkg.bin).to.deep.equal({ 'tfjs-compress': 'dist/lib/cli/main.js' });
  });

  it('the build links node_modules/tfjs-compress, tfjs-compress-course and .bin/tfjs-compress; npx tfjs-compress runs in the clone', () => {
    expect(fs.realpathSync(path.join(REPO, 'node_modules', 'tfjs-compress'))).to.equal(fs.realpathSync(REPO));
    expect(fs.realpathSync(path.join(REPO, 'node_modules', '.bin', 'tfjs-compress'))).to.equal(
      fs.realpathSync(path.join(REPO, 'dist', 'lib', 'cli', 'main.js')),
    );
    // The course package (not published) is linked the same way, to the compiled course.
    expect(fs.realpathSync(path.join(REPO, 'node_modules', 'tfjs-compress-course'))).to.equal(
      fs.realpathSync(path.join(REPO, 'dist', 'course')),
    );
    const r = spawnSync('npx', ['tfjs-compress', '--help'], { cwd: REPO, env: userEnv(), encoding: 'utf8' });
    expect(r.stderr).to.not.include('ESTRICTALLOWSCRIPTS');
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^usage: tfjs-compress <command>/);
  });
});
