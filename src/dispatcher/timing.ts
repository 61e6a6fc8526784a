// Pure timing rules of the queue: retry backoff and the adaptive poll interval.

/** Capped exponential backoff with ±20 % jitter: base · 2^(attempt−1), at most `maxMs`. */
export function backoffMs(attempt: number, o: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const raw = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/** Poll often while the youngest job is young (results come soon), less often as all jobs age. */
export function pollIntervalMs(youngestAgeMs: number, o: { minMs: number; maxMs: number }): number {
  return Math.min(o.maxMs, Math.max(o.minMs, Math.round(youngestAgeMs / 20)));
}
