// Checks for notebooks and scripts: each states a claim the prose makes and fails loudly when
// the measurement does not support it, so `make verify` catches a course that drifts.
import { CompressionError } from '../errors';

/** A claim of the course that the measurement did not support. */
export class CheckError extends CompressionError {}

/**
 * Asserts `ok`; prints `✓ claim (detail)` when it holds, throws CheckError when it does not.
 * @example check('SimpleNet reaches 98% on MNIST', acc >= 0.98, `accuracy ${acc}`)
 */
export function check(claim: string, ok: boolean, detail = ''): void {
  const suffix = detail ? ` (${detail})` : '';
  if (!ok) throw new CheckError(`check failed: ${claim}${suffix}`);
  console.log(`✓ ${claim}${suffix}`);
}
