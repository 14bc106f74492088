/**
 * v2's task listings and counts (GET .../tasks, .../tasks/count with or without group_by): keyset pages in any
 * order v2 offers (src/filter/v2 orders and encodes the cursors), counts, and counts by routes and status.
 */
import type { V2GroupedCount, V2ListTasksOptions, V2Page, V2PageResult, V2TaskGroupField, V2TaskSelection } from "../../core/v2/api.js";
import type { V2Task } from "../../core/v2/model.js";
import {
  V2_DEFAULT_TASK_ORDER,
  compareV2TaskPositions,
  createV2TaskComparator,
  decodeV2TaskCursor,
  encodeV2TaskCursor,
  v2TaskCountSelection,
  v2TaskPosition,
  type V2TaskListSelection,
  type V2TaskPosition,
} from "../../filter/v2/index.js";
import { LRUCache } from "lru-cache";
import type { V2Context } from "./context.js";
import { v2Errors } from "./errors.js";
import { groupedPage } from "./groups.js";
import { DEFAULT_PAGE_LIMIT } from "./limits.js";
import { compileSelection, countSelected, forEachSelected } from "./selection.js";
import { v2TaskView } from "./view.js";


/**
 * A listing's full order, kept while no task of the queue changes (the queue's task revision, as the v1 listing
 * cache keys its match lists: src/broker/listing.ts): the web UI polls the same listings every few seconds, and each
 * would otherwise read every task. Positions only (id and sort value): a page reads its own tasks.
 */
interface CachedOrder {
  revision: string;
  ids: string[];
  positions: V2TaskPosition[];
}

const CACHED_LISTINGS = 32;
const CACHE_TTL_MS = 5 * 60_000;
const orderCaches = new WeakMap<V2Context, LRUCache<string, CachedOrder>>();

function orderCache(v2: V2Context): LRUCache<string, CachedOrder> {
  let cache = orderCaches.get(v2);
  if (cache === undefined) {
    cache = new LRUCache<string, CachedOrder>({ max: CACHED_LISTINGS, ttl: CACHE_TTL_MS });
    orderCaches.set(v2, cache);
  }
  return cache;
}

/** A grouped count's members, kept as listings' orders are (the web UI polls one by routes and status). */
interface CachedGroups {
  revision: string;
  keys: Array<Partial<Record<V2TaskGroupField, string>>>;
  count: number;
}

const groupCaches = new WeakMap<V2Context, LRUCache<string, CachedGroups>>();

function groupCache(v2: V2Context): LRUCache<string, CachedGroups> {
  let cache = groupCaches.get(v2);
  if (cache === undefined) {
    cache = new LRUCache<string, CachedGroups>({ max: CACHED_LISTINGS, ttl: CACHE_TTL_MS });
    groupCaches.set(v2, cache);
  }
  return cache;
}

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
  const after = options.cursor == null ? null : v2Errors(() => decodeV2TaskCursor(options.cursor!, listSelection));
  const queueId = await v2.queueId(queue);
  const cache = orderCache(v2);
  const key = JSON.stringify([queueId, listSelection]);
  // Read before the tasks: a change while they are read makes the entry look older than it is, never newer.
  const revision = await v2.store.tasksRevision(queueId);
  let order = cache.get(key);
  let known = new Map<string, V2Task>();
  if (order === undefined || order.revision !== revision) {
    const found: V2Task[] = [];
    await forEachSelected(v2, queue, queueId, compiled, (task) => found.push(task));
    found.sort(createV2TaskComparator(orderBy, descending) as unknown as (a: V2Task, b: V2Task) => number);
    order = {
      revision,
      ids: found.map((task) => task.id),
      positions: found.map((task) => v2TaskPosition(task as unknown as Record<string, unknown>, orderBy)),
    };
    cache.set(key, order);
    known = new Map(found.map((task) => [task.id, task]));
  }
  // The first position after the cursor: positions are in listing order.
  let start = 0;
  if (after !== null) {
    let high = order.positions.length;
    while (start < high) {
      const middle = (start + high) >> 1;
      if (compareV2TaskPositions(order.positions[middle]!, after, orderBy, descending) > 0) high = middle;
      else start = middle + 1;
    }
  }
  const pageIds = order.ids.slice(start, start + limit);
  const items = await pageTasks(v2, queue, queueId, pageIds, known);
  const last = items[items.length - 1];
  const nextCursor = start + limit < order.ids.length && last !== undefined
    ? encodeV2TaskCursor(listSelection, v2TaskPosition(last as unknown as Record<string, unknown>, orderBy))
    : null;
  return { items, nextCursor };
}

/** The tasks of a page, from those just read or else from Redis (a task deleted since is left out). */
async function pageTasks(v2: V2Context, queue: string, queueId: string, ids: string[], known: Map<string, V2Task>): Promise<V2Task[]> {
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    const hashes = await v2.store.readTasks(queueId, missing);
    hashes.forEach((hash, i) => {
      if (hash !== null) known.set(missing[i]!, v2TaskView(queue, missing[i]!, hash));
    });
  }
  return ids.flatMap((id) => known.get(id) ?? []);
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
  const cacheKey = JSON.stringify([queueId, cursorSelection]);
  const revision = await v2.store.tasksRevision(queueId);
  let groups = groupCache(v2).get(cacheKey);
  if (groups === undefined || groups.revision !== revision) {
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
    groups = { revision, keys, count };
    groupCache(v2).set(cacheKey, groups);
  }
  return groupedPage(groups.keys, groupBy, groups.count, cursorSelection, page);
}
