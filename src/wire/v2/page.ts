/** v2's pages and counts: `next_cursor` is always present (null on the last page); grouped counts echo `group_by`. */
import type { V2GroupedCount, V2PageResult } from "../../core/v2/api.js";

export interface V2PageWire<W> {
  items: W[];
  next_cursor: string | null;
}

export function pageToV2Wire<T, W>(page: V2PageResult<T>, encode: (item: T) => W): V2PageWire<W> {
  return { items: page.items.map(encode), next_cursor: page.nextCursor ?? null };
}

export interface V2GroupedCountWire {
  group_by: string[];
  count: number;
  items: Array<{ key: Record<string, string>; count: number }>;
  next_cursor: string | null;
}

/** Each item's key carries exactly the grouped fields, in `group_by`'s order. */
export function groupedCountToV2Wire<F extends string>(grouped: V2GroupedCount<F>): V2GroupedCountWire {
  return {
    group_by: [...grouped.groupBy],
    count: grouped.count,
    items: grouped.items.map((item) => {
      const key: Record<string, string> = {};
      for (const field of grouped.groupBy) key[field] = String(item.key[field]);
      return { key, count: item.count };
    }),
    next_cursor: grouped.nextCursor ?? null,
  };
}
