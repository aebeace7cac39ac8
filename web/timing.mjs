// Fair latency comparison of several models in one page: every model is warmed up, then measured
// in interleaved rounds. In each round each model gives one sample (the mean time per call of
// enough back-to-back calls to last `targetMs`: browsers coarsen performance.now()), and the
// order of the models rotates from round to round, so each runs first equally often and drift
// (JIT, caches, other tabs, a busy machine) hits all of them alike. Plain ES module.

/** Mean milliseconds per call of `inner` back-to-back calls (each awaited: onnxruntime-web is async). */
export async function perCall(run, inner) {
  const t0 = performance.now();
  for (let i = 0; i < inner; i++) await run();
  return (performance.now() - t0) / inner;
}

/**
 * How many calls make one sample last `targetMs`: the time per call is the fastest of five
 * trials long enough for the timer (a trial slowed by another process must not set the count).
 */
export async function callsFor(run, targetMs) {
  let inner = 1;
  while ((await perCall(run, inner)) * inner < 1 && inner < 1 << 16) inner *= 2;
  let best = Infinity;
  for (let t = 0; t < 5; t++) best = Math.min(best, await perCall(run, inner));
  return Math.max(1, Math.min(1 << 16, Math.round(targetMs / Math.max(best, 1e-4))));
}

/** The `q` quantile of numbers (linear interpolation). */
export function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * Measures `runtimes` ([{key, run(batch)}]) at each batch size: warm-up calls and the calls per
 * sample first, then `warmupRounds` unrecorded rounds, then `rounds` recorded ones.
 * Returns the rounds: [{round, batch, order: [key...], ms: {key: ms per call}}].
 */
export async function interleavedRounds(runtimes, { batches, rounds, warmupRounds, targetMs, onRound }) {
  const calls = {};
  for (const b of batches) {
    for (const r of runtimes) {
      for (let i = 0; i < 5; i++) await r.run(b);
      calls[`${r.key}@${b}`] = await callsFor(() => r.run(b), targetMs);
    }
  }
  const k = runtimes.length;
  const out = [];
  for (let round = -warmupRounds; round < rounds; round++) {
    const shift = ((round % k) + k) % k;
    const order = runtimes.slice(shift).concat(runtimes.slice(0, shift));
    for (const b of batches) {
      const ms = {};
      for (const r of order) ms[r.key] = await perCall(() => r.run(b), calls[`${r.key}@${b}`]);
      if (round >= 0) out.push({ round, batch: b, order: order.map((r) => r.key), ms });
    }
    if (onRound) onRound(round);
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the page repaint
  }
  return out;
}

/** p50 and p90 of one model at one batch size, and its median when first in a round / when not. */
export function summarize(rounds, key, batch) {
  const mine = rounds.filter((r) => r.batch === batch);
  const all = mine.map((r) => r.ms[key]);
  const first = mine.filter((r) => r.order[0] === key).map((r) => r.ms[key]);
  const rest = mine.filter((r) => r.order[0] !== key).map((r) => r.ms[key]);
  return { p50: quantile(all, 0.5), p90: quantile(all, 0.9), min: Math.min(...all), firstInRoundRatio: first.length && rest.length ? quantile(first, 0.5) / quantile(rest, 0.5) : NaN };
}
