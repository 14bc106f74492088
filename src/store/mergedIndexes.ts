/**
 * The members of several indexes of one queue in the order of one index, for readers that page through all of a
 * status's tasks when it has more than one index (pending tasks are indexed by their args' signature: see
 * RedisStore.statusIndexKeys). Every index is ordered by score, then member, and so is the merge.
 */
import type { RedisStore } from "./store.js";

interface Head {
  key: string;
  /** Where the next read of the index starts. */
  offset: number;
  read: Array<[member: string, score: number]>;
  at: number;
  exhausted: boolean;
}

function before(a: [string, number], b: [string, number]): boolean {
  return a[1] !== b[1] ? a[1] < b[1] : a[0] < b[0];
}

/**
 * Pages of up to `size` members of the indexes `keys`, merged, reading `size` entries of an index at a time. Entries
 * added or removed meanwhile may be missed or seen twice, as by any reader that pages by offset.
 */
export async function* mergedIndexPages(store: RedisStore, keys: readonly string[], size: number): AsyncGenerator<string[]> {
  const heads: Head[] = keys.map((key) => ({ key, offset: 0, read: [], at: 0, exhausted: false }));
  let page: string[] = [];
  for (;;) {
    let best: Head | undefined;
    for (const head of heads) {
      if (head.at === head.read.length && !head.exhausted) {
        head.read = await store.rangeIndexWithScores(head.key, head.offset, head.offset + size - 1);
        head.offset += head.read.length;
        head.at = 0;
        head.exhausted = head.read.length < size;
      }
      const entry = head.read[head.at];
      if (entry !== undefined && (best === undefined || before(entry, best.read[best.at]!))) best = head;
    }
    if (best === undefined) break;
    page.push(best.read[best.at++]![0]);
    if (page.length === size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
