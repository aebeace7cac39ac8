// One evaluation of a candidate, as every search runs it: looked up in the journal first (a
// resumed search redoes nothing it finished), refused once the budget is spent (the original is
// always measured), a library error recorded as the candidate's failure rather than thrown, and
// each result announced.
import { CompressionError } from '../errors';
import { Candidate, candidateKey, candidateLabel } from './candidate';
import { Evaluation } from './evaluate';
import { Journal } from './journal';

/** A search's journaled evaluator: `evaluate`, the failures so far, and whether the budget stopped one. */
export interface JournaledEvaluator {
  /** `timed` measures latency too; `always` ignores the budget (the original). */
  readonly evaluate: (c: Candidate, timed: boolean, always?: boolean) => Promise<Evaluation | undefined>;
  readonly failed: { label: string; reason: string }[];
  /** True once the budget refused an evaluation (or the caller says so). */
  budgetExhausted: boolean;
}

/** The evaluator over `measure`, journaled in `journal`; `runtime` names the target in announcements. */
export function journaledEvaluator(
  journal: Journal,
  measure: (c: Candidate, timed: boolean) => Promise<Evaluation>,
  options: { readonly overBudget: () => boolean; readonly runtime: string; readonly say?: (text: string) => void },
): JournaledEvaluator {
  const failed: { label: string; reason: string }[] = [];
  const self: JournaledEvaluator = {
    failed,
    budgetExhausted: false,
    evaluate: async (c, timed, always = false) => {
      const keys = [`timed:${candidateKey(c)}`, ...(timed ? [] : [`untimed:${candidateKey(c)}`])];
      const known = keys.find((k) => journal.has(k));
      if (!known && !always && options.overBudget()) {
        self.budgetExhausted = true;
        return undefined;
      }
      const { value, reused } = await journal.remember<Evaluation | { error: string }>(
        known ?? (keys.at(-1) as string),
        async () => {
          try {
            return await measure(c, timed);
          } catch (e) {
            if (!(e instanceof CompressionError)) throw e;
            return { error: e.message };
          }
        },
      );
      if ('error' in value) {
        if (!failed.some((f) => f.label === candidateLabel(c)))
          failed.push({ label: candidateLabel(c), reason: value.error });
        return undefined;
      }
      options.say?.(
        `${reused ? 'reused' : 'measured'} ${value.label}: accuracy ${(value.accuracy * 100).toFixed(2)}%, ` +
          `${value.sizeBytes} bytes${value.speedup !== undefined ? `, ${value.speedup.toFixed(2)}x on ${options.runtime}` : ''}`,
      );
      return value;
    },
  };
  return self;
}
