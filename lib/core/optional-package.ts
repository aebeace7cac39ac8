// Packages the library uses on a few code paths only: static PNGs of charts (playwright-core
// driving the system's chromium, plotly.js-dist-min), HTTP load tests (autocannon) and the
// notebook display (tslab). They are the repository's dev dependencies and optional peer
// dependencies of the package, so an app that installs tfjs-compress to compress and run models
// does not pull them in. They are loaded on first use; when one is absent, a MissingPackageError
// names the package and the install command. (The course's own packages, its data sets and the
// ONNX models of its ONNX-in chapter, are the repository's dev dependencies: course/packages.ts.)
import { MissingPackageError } from '../errors';

/** The optional packages and the exact versions the library is tested with. */
export const OPTIONAL_PACKAGES: Readonly<Record<string, string>> = {
  'playwright-core': '1.65.1',
  'plotly.js-dist-min': '3.7.0',
  autocannon: '8.0.0',
  'onnxruntime-web': '1.30.0',
  tslab: '1.0.22',
  // TFLite's interpreter in Node (exporters.tfliteInterpreter); its install script builds a native binding.
  'tfjs-tflite-node': '0.0.2',
};

/** What a user must know to install a package beyond `npm install` (build tools, install scripts). */
const INSTALL_NOTES: Readonly<Record<string, string>> = {
  'tfjs-tflite-node':
    ' Its install script builds a native binding with node-gyp: it needs g++, make and python3, and on npm 11 with strict-allow-scripts run npm install-scripts approve tfjs-tflite-node first.',
  'playwright-core':
    ' It drives the Chromium already installed (e.g. Debian: apt-get install chromium); it downloads no browser.',
};

function missing(fn: string, name: string, e: unknown): MissingPackageError | undefined {
  const err = e as NodeJS.ErrnoException;
  if (err?.code !== 'MODULE_NOT_FOUND' || hasOptional(name)) return undefined; // installed: another failure, rethrown
  const version = OPTIONAL_PACKAGES[name];
  return new MissingPackageError(
    `${fn}: the npm package ${name} installed, got it missing. ` +
      `Run npm install ${name}${version ? `@${version}` : ''} in your app (an optional peer dependency of tfjs-compress: only this feature needs it).` +
      (INSTALL_NOTES[name] ?? ''),
    name,
  );
}

/**
 * `require(name + subpath)` on first use; a MissingPackageError when the package is not installed.
 * @example const { chromium } = requireOptional<typeof import('playwright-core')>('playwright-core', 'renderPng')
 */
export function requireOptional<T>(name: string, fn: string, subpath = ''): T {
  try {
    return require(name + subpath) as T;
  } catch (e) {
    throw missing(fn, name, e) ?? e;
  }
}

/** The path of a file inside an optional package (`require.resolve`), or a MissingPackageError. */
export function resolveOptional(name: string, fn: string, subpath: string): string {
  try {
    return require.resolve(name + subpath);
  } catch (e) {
    throw missing(fn, name, e) ?? e;
  }
}

/** Whether an optional package can be loaded here. */
export function hasOptional(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}
