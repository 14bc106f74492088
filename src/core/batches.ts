/** Splitting work into requests of a bounded size (v1's bounds: 1,000 tasks, ids or updates per request). */

/** `items` in consecutive slices of at most `size` (none for no items); `size` must be a positive integer. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer (got ${size})`);
  const slices: T[][] = [];
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size));
  return slices;
}
