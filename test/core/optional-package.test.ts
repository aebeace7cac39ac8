import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { MissingPackageError } from '../../lib/errors';
import { hasOptional, OPTIONAL_PACKAGES, requireOptional, resolveOptional } from '../../lib/core/optional-package';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

describe('core/optional packages', () => {
  it('a missing package gives a MissingPackageError naming it and the install command', () => {
    let err: unknown;
    try {
      requireOptional('tfc-no-such-package', 'someFunction');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(MissingPackageError);
    expect((err as MissingPackageError).packageName).to.equal('tfc-no-such-package');
    expect((err as Error).message).to.equal(
      'someFunction: the npm package tfc-no-such-package installed, got it missing. ' +
        'Run npm install tfc-no-such-package in your app (an optional peer dependency of tfjs-compress: only this feature needs it).',
    );
    expect(() => resolveOptional('tfc-no-such-package', 'f', '/x.js')).to.throw(
      MissingPackageError,
      /npm install tfc-no-such-package/,
    );
    expect(hasOptional('tfc-no-such-package')).to.equal(false);
  });

  it('names the pinned version in the install command, and loads an installed package', () => {
    expect(requireOptional<{ version: string }>('autocannon', 'f', '/package.json').version).to.equal(
      OPTIONAL_PACKAGES.autocannon,
    );
    expect(resolveOptional('plotly.js-dist-min', 'f', '/plotly.min.js')).to.match(/plotly\.min\.js$/);
    expect(hasOptional('playwright-core')).to.equal(true);
  });

  it('a file missing inside an installed package is not reported as a missing package', () => {
    expect(() => requireOptional('autocannon', 'f', '/no-such-file'))
      .to.throw(Error)
      .and.not.to.be.instanceOf(MissingPackageError);
  });

  it('every optional package is a dev dependency and an optional peer at the pinned version, never a dependency', () => {
    for (const [name, version] of Object.entries(OPTIONAL_PACKAGES)) {
      expect(pkg.devDependencies[name], name).to.equal(version);
      expect(pkg.peerDependencies[name], name).to.equal(version);
      expect(pkg.peerDependenciesMeta[name]?.optional, name).to.equal(true);
      expect(pkg.dependencies[name], name).to.equal(undefined);
    }
    expect(Object.keys(pkg.peerDependencies).sort()).to.deep.equal(Object.keys(OPTIONAL_PACKAGES).sort());
  });
});
