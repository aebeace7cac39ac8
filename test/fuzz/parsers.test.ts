// Property-based fuzzing of every parser, bounded for `make test` (FUZZ_TEST_RUNS cases per
// parser, default 150, with a fixed seed unless FUZZ_SEED is set): each returns a valid result or
// throws its typed error, never another error, never hangs (5 s per case), never leaks a tensor.
// `make fuzz` runs many more cases and writes the counts to results/bench-security.json.
// Findings in other areas' parsers that are still open are listed in known.ts.
import * as path from 'path';
import { expect } from 'chai';
import { fuzzTarget, TargetResult } from './run';
import { KNOWN_OPEN, isKnown } from './known';
import { TARGETS } from './targets';

const RUNS = Number(process.env.FUZZ_TEST_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const SAVE = path.resolve(__dirname, '..', '..', 'build', 'fuzz-findings');

/** The kinds of finding in `r` and how many of each. */
function found(r: TargetResult): [kind: 'untyped' | 'invalid' | 'leak' | 'hang' | 'crash', count: number][] {
  return [
    ['untyped', r.untypedErrors],
    ['invalid', r.invalidResults],
    ['leak', r.leaks],
    ['hang', r.hangs],
    ['crash', r.crashes],
  ];
}

describe('fuzz: every parser returns a valid result or a typed error (fast-check, bounded)', function () {
  this.timeout(600_000);

  it('counts each kind of misbehaviour of a parser broken on purpose (the fuzzer can fail)', async () => {
    const r = await fuzzTarget('fuzzer-self-test', { runs: 10, seed: 19, caseTimeoutMs: 1000 });
    expect(r.cases).to.equal(10);
    for (const [kind, count] of found(r)) if (kind !== 'invalid') expect(count, kind).to.be.above(0);
    expect(r.accepted + r.typedErrors).to.be.above(0);
    expect(r.findings.some((f) => f.kind === 'untyped' && /TypeError/.test(f.error ?? ''))).to.equal(true);
  });

  for (const t of TARGETS) {
    it(`${t.name}: ${t.parser}`, async () => {
      const r = await fuzzTarget(t.name, { runs: RUNS, seed: SEED, caseTimeoutMs: 5000, saveDir: SAVE });
      expect(r.cases).to.equal(RUNS);
      expect(r.accepted + r.typedErrors, 'some cases must reach the parser').to.be.above(0);
      const unexpected = found(r).filter(([kind, count]) => count > 0 && !isKnown({ target: t.name, kind }));
      const shown = r.findings
        .filter((f) => !isKnown(f))
        .slice(0, 5)
        .map((f) => `case ${f.case} (seed ${SEED}) ${f.kind}: ${f.error}${f.input ? ` [input: ${f.input}]` : ''}`);
      expect(unexpected, shown.join('\n\n')).to.deep.equal([]);
      for (const k of KNOWN_OPEN.filter((x) => x.target === t.name)) {
        const n = found(r).find(([kind]) => kind === k.kind)?.[1] ?? 0;
        if (n > 0) console.log(`      known open (${k.owner}): ${n} ${k.kind}(s): ${k.what}`);
      }
    });
  }
});
