/** Waiting between attempts; no imports, so the light client-side entry point can use it. */

/** Resolves after `ms`, or at once when `signal` aborts (never rejects: a stop just ends the wait). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The wait before retry number `attempt` (1-based): `firstMs`, doubling with each attempt, at most `maxMs`. */
export function backoffMs(attempt: number, firstMs: number, maxMs: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempt - 1), maxMs);
}

/** The wait before retry number `attempt` (1-based) of a request: 0.5 s, doubling, at most 10 s. */
export function retryBackoffMs(attempt: number): number {
  return backoffMs(attempt, 500, 10_000);
}
