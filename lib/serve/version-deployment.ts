// What a registry version says about its model beyond the weights: class names, the image
// preprocessing, and whether the output is logits or probabilities. It is the version's own
// `deploy.json` (the run's deployment descriptor narrowed to the one artifact published), written
// at publish time and read, capped and validated, whenever the version is loaded. A version
// without one (published by publishModel / publishOnnx alone) serves class indices, and images
// with the library's default preprocessing ('unit': pixels / 255).
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
import { readRegularFile } from '../core/read-file';
import { DEPLOYMENT_FILE, Deployment, validateDeployment } from '../data/deployment';
import type { ResolvedPreprocessing } from '../data/preprocess';

/** The serving facts a version's deploy.json adds to its model. */
export interface VersionDeployment {
  readonly classNames?: readonly string[];
  readonly preprocessing?: ResolvedPreprocessing;
  readonly kind?: 'logits' | 'probabilities';
}

/** Largest deploy.json read (100,000 class names of 100 characters fit). */
export const MAX_DEPLOYMENT_BYTES = 16 * 1024 * 1024;

/**
 * Reads `file` (a regular file inside `root`, capped at MAX_DEPLOYMENT_BYTES), parses and validates
 * it as a deployment descriptor; a DataError from `fn` ending with `fix` (or `tooLargeAdvice`) when
 * it is not one.
 */
export function readDeploymentFile(
  file: string,
  root: string,
  o: { readonly fn: string; readonly fix: string; readonly tooLargeAdvice: string },
): Deployment {
  const { fn, fix } = o;
  const bytes = readRegularFile(file, {
    fn,
    what: `the ${DEPLOYMENT_FILE} at ${root}`,
    maxBytes: MAX_DEPLOYMENT_BYTES,
    tooLargeAdvice: o.tooLargeAdvice,
    root,
  });
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new DataError(
      `${fn}: valid JSON in ${file}, got a parse error (${String((e as Error).message).slice(0, 120)}). ${fix}.`,
      file,
    );
  }
  return validateDeployment(json);
}

/** The serving facts of a deployment descriptor. */
export function deploymentFacts(d: Deployment): VersionDeployment {
  return {
    ...(d.output.classNames ? { classNames: d.output.classNames } : {}),
    ...(d.input.preprocessing ? { preprocessing: d.input.preprocessing } : {}),
    ...(d.output.kind ? { kind: d.output.kind } : {}),
  };
}

/**
 * Reads and validates `dir/deploy.json` (a regular file inside `dir`, capped; a DataError
 * naming the version otherwise), or undefined when the version has none.
 */
export function readVersionDeployment(dir: string): VersionDeployment | undefined {
  const file = path.join(dir, DEPLOYMENT_FILE);
  try {
    fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // published without one
  }
  return deploymentFacts(
    readDeploymentFile(file, dir, {
      fn: 'readVersionDeployment',
      fix: 'Publish the version again',
      tooLargeAdvice: 'Publish the version again with fewer or shorter class names.',
    }),
  );
}
