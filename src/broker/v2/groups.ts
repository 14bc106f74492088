/**
 * Grouped counts (v2's `group_by`), for tasks and for worker observations alike: the groups in order of their key's
 * values (by code point, as 2.8.0's SQL orders them), a page at a time, each page's cursor the last key on it.
 */
import type { V2GroupedCount, V2Page } from "../../core/v2/api.js";
import { decodeV2PositionCursor, encodeV2PositionCursor, type V2PositionSelection } from "../../filter/v2/index.js";
import { v2Errors } from "./errors.js";
import { DEFAULT_GROUP_LIMIT } from "./limits.js";

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

/** The page of groups of `keys` (one entry per member of a group) after the cursor; `count` is the matches'. */
export function groupedPage<F extends string>(
  keys: ReadonlyArray<Partial<Record<F, string>>>,
  groupBy: F[],
  count: number,
  selection: V2PositionSelection,
  page: V2Page,
): V2GroupedCount<F> {
  const after = page.cursor == null ? null : v2Errors(() => decodeV2PositionCursor(page.cursor!, selection, groupBy.length));
  const groups = new Map<string, { values: string[]; count: number }>();
  for (const key of keys) {
    const values = groupBy.map((field) => key[field] ?? "");
    const id = JSON.stringify(values);
    const group = groups.get(id);
    if (group) group.count++;
    else groups.set(id, { values, count: 1 });
  }
  const ordered = [...groups.values()].filter((group) => after === null || compareKeys(group.values, after) > 0).sort((a, b) => compareKeys(a.values, b.values));
  const limit = page.limit ?? DEFAULT_GROUP_LIMIT;
  const items = ordered.slice(0, limit);
  const last = items[items.length - 1];
  return {
    groupBy,
    count,
    items: items.map((group) => ({ key: Object.fromEntries(groupBy.map((field, i) => [field, group.values[i]!])) as Partial<Record<F, string>>, count: group.count })),
    nextCursor: ordered.length > limit && last !== undefined ? encodeV2PositionCursor(selection, last.values) : null,
  };
}
