/** Timing helpers: a monotonic clock in milliseconds, and a pool of concurrent loops. */
import { performance } from "node:perf_hooks";

/** Monotonic milliseconds, sub-microsecond resolution. */
export function nowMs(): number {
  return performance.now();
}

/** Runs `fn` once and returns how long it took in milliseconds. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Operations per second for `count` operations done in `ms` milliseconds. */
export function perSecond(count: number, ms: number): number {
  return (count * 1000) / ms;
}

/**
 * Calls `fn(i)` for i = 0..count-1 with at most `concurrency` calls in flight (each of `concurrency` loops awaits
 * its call before taking the next index).
 */
export async function pool(count: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
}

/** Lets pending callbacks and timers run, and gives the garbage collector a chance between measurements. */
export async function settle(ms = 50): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  await new Promise((resolve) => setTimeout(resolve, ms));
}
