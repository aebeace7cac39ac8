// Checks for notebooks and scripts: each states a claim the prose makes and fails loudly when
// the measurement does not support it, so `make verify` catches a course that drifts.
import { CompressionError } from '../lib/errors';
import { writeOutput } from '../lib/core/output';

/** A claim of the course that the measurement did not support. */
export class CheckError extends CompressionError {}

/**
 * Asserts `ok`; shows `✓ claim (detail)` (through the output sink) when it holds, throws CheckError
 * when it does not. (Returns nothing, so a check ending a notebook cell is not echoed twice.)
 * @example check('SimpleNet reaches 98% on MNIST', acc >= 0.98, `accuracy ${acc}`)
 */
export function check(claim: string, ok: boolean, detail = ''): void {
  const suffix = detail ? ` (${detail})` : '';
  if (!ok) throw new CheckError(`check failed: ${claim}${suffix}`);
  writeOutput(`✓ ${claim}${suffix}`);
}
