// Every parser the fuzzer covers, by name.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { ConfigError } from '../../lib/errors';
import { JSON_TARGETS } from './targets-json';
import { FILE_TARGETS } from './targets-files';
import { FORMAT_TARGETS } from './targets-formats';
import type { FuzzTarget } from './target';

export const TARGETS: readonly FuzzTarget[] = [...JSON_TARGETS, ...FILE_TARGETS, ...FORMAT_TARGETS];

/** The target called `name`. */
export function targetNamed(name: string): FuzzTarget {
  const t = [...TARGETS, SELF_TEST].find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target '${name}' (known: ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}

/**
 * A parser that misbehaves on purpose (accepts, throws typed, throws a TypeError, leaks a tensor,
 * loops forever, or kills its thread), to show that the fuzzer counts each: not part of TARGETS.
 */
export const SELF_TEST: FuzzTarget = {
  name: 'fuzzer-self-test',
  parser: 'test/fuzz/targets.ts SELF_TEST (broken on purpose)',
  setup: () => ({
    arbitrary: fc.constantFrom('accept', 'typed', 'untyped', 'leak', 'hang', 'crash'),
    run(what) {
      if (what === 'typed') throw new ConfigError('selfTest: a good input, got a bad one. Pass a good one.');
      if (what === 'untyped') return (undefined as unknown as { x: number }).x;
      if (what === 'leak') return tf.scalar(1).shape;
      if (what === 'hang') for (;;);
      if (what === 'crash') process.exit(3);
      return 'ok';
    },
  }),
};
