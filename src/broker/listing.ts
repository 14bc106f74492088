/**
 * Listing tasks and workers (contract 2.4): filters, sort, offset and limit over a queue's records.
 *
 * The common listing — a status (or all) in labtasker's pending order, with no filter — is read straight from the
 * status indexes, so paging through a large queue costs O(page) per page. Every other listing evaluates the filter
 * and sort in Node over the candidate records, read in pipelined batches; Redis never runs a scan. Its sorted match
 * list is kept briefly, keyed by the query and the queue's task revision, so a client paging through it (v1's CLI
 * asks page after page) pays for one evaluation, not one per page, and never sees a stale page.
 */
import { LRUCache } from "lru-cache";
import type { Task, TaskStatus, Worker } from "../core/model.js";
import { TASK_STATUSES, WORKER_STATUSES } from "../core/model.js";
import { decodeTask, decodeWorker, taskFilterView, workerFilterView, type Hash } from "../store/codecs.js";
import { taskIdOfMember } from "../store/store.js";
import type { DocumentPredicate, FilterInput, LsOptions, LsResult, LsTasksOptions, LsWorkersOptions, SortSpec } from "../core/api.js";
import type { BrokerContext } from "./context.js";
import { compilePredicate } from "./filterInput.js";
import { ValidationError, type ValidationIssue } from "../core/errors.js";
import { DEFAULT_API_ORDER, DEFAULT_TASK_ORDER, PAGE } from "../core/defaults.js";

/**
 * Cached match lists: the 8 most recently used listings (a match list may hold every id of a large queue, megabytes,
 * so only a few), each for 30 s at most (a filter with a relative date such as `date("3 hours ago")` changes meaning
 * with time even when no task changes).
 */
const CACHE_ENTRIES = 8;
const CACHE_TTL_MS = 30_000;

interface CachedListing {
  revision: string;
  ids: string[];
}

/** v1's page size bounds (TaskLsRequest.limit). */
const MAX_LIMIT = PAGE.maxLimit;
/** v1's server default order for listings. */
const DEFAULT_SORT = DEFAULT_API_ORDER as SortSpec;
/** The order of the status indexes, which is also the CLI's default `task ls` order. */
const INDEX_ORDER = DEFAULT_TASK_ORDER as SortSpec;

interface Page {
  offset: number;
  limit: number;
  sort: SortSpec;
}

function pageOf(options: LsOptions): Page {
  const { limit = 100, offset = 0, sort } = options;
  const issues: ValidationIssue[] = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    issues.push({ loc: ["body", "limit"], msg: `Input should be greater than 0 and less than or equal to ${MAX_LIMIT}`, type: "less_than_equal", input: limit });
  }
  if (!Number.isInteger(offset) || offset < 0) {
    issues.push({ loc: ["body", "offset"], msg: "Input should be greater than or equal to 0", type: "greater_than_equal", input: offset });
  }
  for (const item of sort ?? []) {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== "string") {
      issues.push({ loc: ["body", "sort"], msg: `Value error, Invalid sort format: ${JSON.stringify(item)}. Expected (field, order).`, type: "value_error", input: sort });
    } else if (item[1] !== 1 && item[1] !== -1) {
      issues.push({ loc: ["body", "sort"], msg: `Value error, Sort order must be 1 (ascending) or -1 (descending), got ${String(item[1])}.`, type: "value_error", input: sort });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { offset, limit, sort: sort && sort.length > 0 ? sort : DEFAULT_SORT };
}

function sameSort(a: SortSpec, b: SortSpec): boolean {
  return a.length === b.length && a.every(([field, direction], i) => field === b[i]![0] && direction === b[i]![1]);
}

/** Mongo query keys that the explicit id, name and status options replace, as v1 overwrites them. */
function withoutKeys(filter: FilterInput, keys: string[]): FilterInput {
  if (typeof filter !== "object" || filter === null || keys.length === 0) return filter;
  const copy = { ...filter };
  for (const key of keys) delete copy[key];
  return copy;
}

export class ListingService {
  private readonly cache = new LRUCache<string, CachedListing>({ max: CACHE_ENTRIES, ttl: CACHE_TTL_MS });

  constructor(private readonly ctx: BrokerContext) {}

  private cached(key: string | null, revision: string): string[] | null {
    if (key === null) return null;
    const entry = this.cache.get(key);
    return entry !== undefined && entry.revision === revision ? entry.ids : null;
  }

  private remember(key: string | null, revision: string, ids: string[]): void {
    if (key === null) return;
    this.cache.set(key, { revision, ids });
  }

  async tasks(queueId: string, options: LsTasksOptions = {}): Promise<LsResult<Task>> {
    const page = pageOf(options);
    const { taskId, taskName, status } = options;
    if (status != null && !TASK_STATUSES.includes(status)) {
      throw new ValidationError([{ loc: ["body", "status"], msg: "String should match pattern '^(pending|running|success|failed|cancelled)$'", type: "string_pattern_mismatch", input: status }]);
    }
    const { store } = this.ctx;
    const overridden = [taskId && "task_id", taskId && "_id", taskName && "task_name", status && "status"].filter(Boolean) as string[];
    const predicate = options.extraFilter == null ? null : compilePredicate(this.ctx.filters, withoutKeys(options.extraFilter, overridden), "task");

    if (!taskId && !taskName && predicate === null && sameSort(page.sort, INDEX_ORDER)) {
      return this.tasksFromIndexes(queueId, status ? [status] : [...TASK_STATUSES], page);
    }

    // A predicate given as a function has no text to key a cache entry by.
    const cacheKey = typeof options.extraFilter === "function" ? null : JSON.stringify([queueId, taskId, taskName, status, options.extraFilter ?? null, page.sort]);
    const revision = await store.tasksRevision(queueId);
    let ids = this.cached(cacheKey, revision);
    if (ids === null) {
      ids = await this.matchingTaskIds(queueId, options, page.sort, predicate);
      this.remember(cacheKey, revision, ids);
    }
    const pageIds = ids.slice(page.offset, page.offset + page.limit);
    const hashes = await store.readTasks(queueId, pageIds);
    const content = hashes.flatMap((hash, i) => (hash === null ? [] : [decodeTask(queueId, pageIds[i]!, hash)]));
    return { found: content.length > 0, content };
  }

  /** Ids of every task that matches, in the listing's order. */
  private async matchingTaskIds(queueId: string, options: LsTasksOptions, sort: SortSpec, predicate: DocumentPredicate | null): Promise<string[]> {
    const { taskId, taskName, status } = options;
    const { store } = this.ctx;
    const taskIds = taskId ? [taskId] : await this.taskIdsIn(queueId, status ? [status] : [...TASK_STATUSES]);
    const found: Array<{ id: string; seq: number; view: Record<string, unknown> }> = [];
    for (let start = 0; start < taskIds.length; start += this.ctx.limits.readBatch) {
      const ids = taskIds.slice(start, start + this.ctx.limits.readBatch);
      const hashes = await store.readTasks(queueId, ids);
      for (const [i, hash] of hashes.entries()) {
        if (hash === null) continue;
        if (status && hash.status !== status) continue;
        if (taskName && hash.task_name !== taskName) continue;
        const view = taskFilterView(queueId, ids[i]!, hash);
        if (predicate === null || (await predicate(view))) found.push({ id: ids[i]!, seq: Number(hash.seq), view });
      }
    }
    // Ties keep creation order, as v1's stable sort keeps insertion order.
    found.sort((a, b) => a.seq - b.seq);
    const compare = this.ctx.filters.compileSort(sort);
    found.sort((a, b) => compare(a.view, b.view));
    return found.map((match) => match.id);
  }

  /** The index keys of the statuses (pending tasks have one index per signature). */
  private async indexKeys(queueId: string, statuses: readonly TaskStatus[]): Promise<string[]> {
    return (await Promise.all(statuses.map((status) => this.ctx.store.statusIndexKeys(queueId, status)))).flat();
  }

  private async taskIdsIn(queueId: string, statuses: readonly TaskStatus[]): Promise<string[]> {
    const { store } = this.ctx;
    const lists = await Promise.all((await this.indexKeys(queueId, statuses)).map((key) => store.rangeIndex(key, 0, -1)));
    return lists.flat().map(taskIdOfMember);
  }

  /** A page in index order, merged across the indexes of the statuses. */
  private async tasksFromIndexes(queueId: string, statuses: readonly TaskStatus[], page: Page): Promise<LsResult<Task>> {
    const { store } = this.ctx;
    const last = page.offset + page.limit - 1;
    const ranges = await Promise.all((await this.indexKeys(queueId, statuses)).map((key) => store.rangeIndexWithScores(key, 0, last)));
    const merged = ranges.flat().sort(([ma, sa], [mb, sb]) => sa - sb || (ma < mb ? -1 : ma > mb ? 1 : 0));
    const ids = merged.slice(page.offset, page.offset + page.limit).map(([member]) => taskIdOfMember(member));
    const hashes = await store.readTasks(queueId, ids);
    const content = hashes.flatMap((hash, i) => (hash === null ? [] : [decodeTask(queueId, ids[i]!, hash)]));
    return { found: content.length > 0, content };
  }

  async workers(queueId: string, options: LsWorkersOptions = {}): Promise<LsResult<Worker>> {
    const page = pageOf(options);
    const { workerId, workerName, status } = options;
    if (status != null && !WORKER_STATUSES.includes(status)) {
      throw new ValidationError([{ loc: ["body", "status"], msg: "String should match pattern '^(active|suspended|crashed)$'", type: "string_pattern_mismatch", input: status }]);
    }
    const overridden = [workerId && "worker_id", workerId && "_id", workerName && "worker_name", status && "status"].filter(Boolean) as string[];
    const predicate = options.extraFilter == null ? null : compilePredicate(this.ctx.filters, withoutKeys(options.extraFilter, overridden), "worker");
    const { store } = this.ctx;
    const ids = workerId ? [workerId] : await store.allWorkerIds(queueId);
    const found: Array<{ id: string; hash: Hash; view: Record<string, unknown> }> = [];
    for (let start = 0; start < ids.length; start += this.ctx.limits.readBatch) {
      const batch = ids.slice(start, start + this.ctx.limits.readBatch);
      const hashes = await store.readWorkers(queueId, batch);
      for (const [i, hash] of hashes.entries()) {
        if (hash === null) continue;
        if (status && hash.status !== status) continue;
        if (workerName && hash.worker_name !== workerName) continue;
        const view = workerFilterView(queueId, batch[i]!, hash);
        if (predicate === null || (await predicate(view))) found.push({ id: batch[i]!, hash, view });
      }
    }
    const compare = this.ctx.filters.compileSort(page.sort);
    found.sort((a, b) => compare(a.view, b.view));
    const content = found.slice(page.offset, page.offset + page.limit).map((m) => decodeWorker(queueId, m.id, m.hash));
    return { found: content.length > 0, content };
  }

}
