/**
 * v2's task listings and counts (GET .../tasks, .../tasks/count with or without group_by): keyset pages in any
 * order v2 offers (src/filter/v2 orders and encodes the cursors), counts, and counts by routes and status.
 */
import type { V2GroupedCount, V2ListTasksOptions, V2Page, V2PageResult, V2TaskGroupField, V2TaskSelection } from "../../core/v2/api.js";
import type { V2Task } from "../../core/v2/model.js";
import {
  V2_DEFAULT_TASK_ORDER,
  createV2TaskAfter,
  createV2TaskComparator,
  decodeV2TaskCursor,
  encodeV2TaskCursor,
  v2TaskCountSelection,
  v2TaskPosition,
  type V2TaskListSelection,
} from "../../filter/v2/index.js";
import type { V2Context } from "./context.js";
import { v2Errors } from "./errors.js";
import { groupedPage } from "./groups.js";
import { DEFAULT_PAGE_LIMIT } from "./limits.js";
import { compileSelection, countSelected, forEachSelected } from "./selection.js";


export async function listTasks(v2: V2Context, queue: string, options: V2ListTasksOptions = {}): Promise<V2PageResult<V2Task>> {
  const orderBy = options.orderBy ?? V2_DEFAULT_TASK_ORDER.orderBy;
  const descending = options.descending ?? V2_DEFAULT_TASK_ORDER.descending;
  const limit = options.limit ?? DEFAULT_PAGE_LIMIT;
  const compiled = compileSelection(options);
  const listSelection: V2TaskListSelection = {
    queue,
    includeArchived: options.includeArchived ?? false,
    status: options.status ?? null,
    name: options.name ?? null,
    nameFuzzy: options.nameFuzzy ?? null,
    filter: options.filter ?? null,
    orderBy,
    descending,
  };
  const after = options.cursor == null ? null : v2Errors(() => createV2TaskAfter(decodeV2TaskCursor(options.cursor!, listSelection), orderBy, descending));
  const queueId = await v2.queueId(queue);
  const found: V2Task[] = [];
  await forEachSelected(v2, queue, queueId, compiled, (task) => {
    if (after === null || after(task as unknown as Record<string, unknown>)) found.push(task);
  });
  found.sort(createV2TaskComparator(orderBy, descending) as unknown as (a: V2Task, b: V2Task) => number);
  const items = found.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor = found.length > limit && last !== undefined
    ? encodeV2TaskCursor(listSelection, v2TaskPosition(last as unknown as Record<string, unknown>, orderBy))
    : null;
  return { items, nextCursor };
}

export async function countTasks(v2: V2Context, queue: string, selection: V2TaskSelection = {}): Promise<number> {
  const compiled = compileSelection(selection);
  return countSelected(v2, queue, await v2.queueId(queue), compiled);
}

/** Counts by routes and/or status: a task with two routes is in two route groups; `count` is the matches'. */
export async function countTaskGroups(
  v2: V2Context,
  queue: string,
  selection: V2TaskSelection,
  groupBy: V2TaskGroupField[],
  page: V2Page = {},
): Promise<V2GroupedCount<V2TaskGroupField>> {
  const compiled = compileSelection(selection);
  const cursorSelection = v2TaskCountSelection({
    queue,
    includeArchived: selection.includeArchived ?? false,
    status: selection.status ?? null,
    name: selection.name ?? null,
    nameFuzzy: selection.nameFuzzy ?? null,
    filter: selection.filter ?? null,
    groupBy,
  });
  const queueId = await v2.queueId(queue);
  const keys: Array<Partial<Record<V2TaskGroupField, string>>> = [];
  let count = 0;
  await forEachSelected(v2, queue, queueId, compiled, (task) => {
    count++;
    for (const route of groupBy.includes("routes") ? task.routes : [null]) {
      const key: Partial<Record<V2TaskGroupField, string>> = {};
      for (const field of groupBy) key[field] = field === "routes" ? route! : task.status;
      keys.push(key);
    }
  });
  return groupedPage(keys, groupBy, count, cursorSelection, page);
}
