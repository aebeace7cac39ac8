// Request sets for the deployment load tests: real digits as predict bodies, a catalogue of
// malformed requests (each must get a 4xx), and a load run with actions (hot-swap, rollback)
// fired at set times while the load is on.
import { ImageSet, imageSize } from '../lib/data/image-set';
import { permutation } from '../lib/core/rng';
import { loadTest, LoadRequest, LoadTestOptions, LoadTestResult } from '../lib/bench/load-test';

/**
 * `count` single-example predict requests of random (seeded) examples of `ds`, pixels scaled to
 * [0, 1] and written with 3 decimals.
 * @example digitRequests(loadMnist().test, {count: 16, seed: 1})[0].path // '/v1/predict'
 */
export function digitRequests(ds: ImageSet, options: { readonly count: number; readonly seed: number }): LoadRequest[] {
  const px = imageSize(ds);
  const idx = permutation(ds.count, options.seed);
  const out: LoadRequest[] = [];
  for (let n = 0; n < options.count; n++) {
    const off = (idx[n] as number) * px;
    const input = Array.from(ds.images.subarray(off, off + px), (v: number) => Math.round((v / 255) * 1000) / 1000);
    out.push({ method: 'POST', path: '/v1/predict', body: JSON.stringify({ input }) });
  }
  return out;
}

/** Malformed requests, one of each kind, for an input of `exampleSize` values; `maxBodyBytes` sizes the oversized one. */
export function malformedRequests(
  exampleSize: number,
  maxBodyBytes = 1024 * 1024,
): { kind: string; request: LoadRequest }[] {
  const ok = new Array<number>(exampleSize).fill(0);
  const post = (kind: string, body: string) => ({
    kind,
    request: { method: 'POST' as const, path: '/v1/predict', body },
  });
  const withAt = (v: string) => `{"input": [${ok.slice(1).join(',')},${v}]}`;
  return [
    post('not JSON', '{"input": [1, 2,'),
    post('JSON array, not object', '[1, 2, 3]'),
    post('wrong length', JSON.stringify({ input: ok.slice(0, exampleSize - 1) })),
    post('string value', withAt('"0.5"')),
    post('null value', withAt('null')),
    post('infinite value', withAt('1e999')),
    post('wrong dtype', JSON.stringify({ input: ok, dtype: 'int8' })),
    post('empty batch', '{"inputs": []}'),
    post('input and inputs', JSON.stringify({ input: ok, inputs: [ok] })),
    post(
      'oversized body',
      JSON.stringify({ inputs: new Array(Math.ceil(maxBodyBytes / (2 * exampleSize)) + 1).fill(ok) }),
    ),
    { kind: 'wrong method', request: { method: 'GET', path: '/v1/predict' } },
  ];
}

/** An action fired during a load run. */
export interface TimedAction {
  readonly atSeconds: number;
  readonly name: string;
  readonly run: () => Promise<unknown>;
}

/**
 * Runs a load test and fires `actions` at their times while it runs; returns the load result
 * and what each action returned (or the error it threw).
 */
export async function loadWithActions(
  options: LoadTestOptions,
  actions: readonly TimedAction[],
): Promise<{ load: LoadTestResult; actions: { name: string; atSeconds: number; result?: unknown; error?: string }[] }> {
  const fired = actions.map(
    (a) =>
      new Promise<{ name: string; atSeconds: number; result?: unknown; error?: string }>((resolve) => {
        setTimeout(() => {
          a.run().then(
            (result) => resolve({ name: a.name, atSeconds: a.atSeconds, result }),
            (e: unknown) =>
              resolve({ name: a.name, atSeconds: a.atSeconds, error: e instanceof Error ? e.message : String(e) }),
          );
        }, a.atSeconds * 1000);
      }),
  );
  const load = await loadTest(options);
  return { load, actions: await Promise.all(fired) };
}
