/**
 * Listing and counting tasks, and listing workers (contract 2.4): filters, sort, offset and limit over a queue's
 * records.
 *
 * The common listing — a status (or all) in labtasker's pending order, with no filter — is read straight from the
 * status indexes, so a page costs O(page) at any offset (./indexPage.ts); so are counts without a filter (a ZCARD per
 * index). Every other listing evaluates the filter and sort in Node over the candidate records (./taskQuery.ts). Its
 * sorted match list is kept briefly, keyed by the query and the queue's task revision, so a client paging through
 * an unchanging queue (v1's CLI asks page after page) pays for one evaluation, not one per page, and never sees a
 * stale page. A queue that keeps changing (a running sweep) changes the revision between pages: our own clients then
 * name a snapshot (LsTasksOptions.snapshot), whose match list later pages read from whatever changes.
 */
import { LRUCache } from "lru-cache";
import type { Task, Worker } from "../core/model.js";
import { TASK_STATUSES, WORKER_STATUSES } from "../core/model.js";
import { decodeTask, decodeWorker, workerFilterView, type Hash } from "../store/codecs.js";
import { SNAPSHOT_GONE_STATUS, SNAPSHOT_ID_PATTERN, type CountTasksOptions, type LsOptions, type LsResult, type LsTasksOptions, type LsWorkersOptions, type SortSpec, type TaskCounts } from "../core/api.js";
import type { BrokerContext } from "./context.js";
import { compilePredicate } from "./filterInput.js";
import { LabtaskerError, ValidationError, type ValidationIssue } from "../core/errors.js";
import { DEFAULT_API_ORDER, DEFAULT_TASK_ORDER, PAGE } from "../core/defaults.js";
import { indexPageIds } from "./indexPage.js";
import { taskIdFromStored } from "../store/taskIds.js";
import { candidateStatuses, forEachMatch, selectedView, selectsByStatusOnly, taskQuery, withoutKeys, type TaskQuery } from "./taskQuery.js";

/**
 * Cached evaluations: the 8 most recently used match lists (one may hold every id of a large queue, megabytes, so
 * only a few) and 64 filtered counts, each for 30 s at most (a filter with a relative date such as
 * `date("3 hours ago")` changes meaning with time even when no task changes).
 */
const CACHE_ENTRIES = 8;
const COUNT_CACHE_ENTRIES = 64;
const CACHE_TTL_MS = 30_000;

/**
 * Listing snapshots: kept 5 minutes after their last page (a script may work through a page for minutes before it
 * asks for the next), at most 2,000,000 task ids in all (about 120 MB of strings), the least recently used dropped
 * first. A client whose snapshot is gone starts a new one (src/sdk/client.ts).
 */
const SNAPSHOT_TTL_MS = 5 * 60_000;
const SNAPSHOT_IDS = 2_000_000;

interface Cached<T> {
  revision: string;
  value: T;
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

/** Sort keys for an engine without `compileSortKeys`: the document itself, compared whole. */
function viewSortKeys(compare: (a: Record<string, unknown>, b: Record<string, unknown>) => number) {
  return {
    keysOf: (view: object): unknown[] => [view],
    compare: (a: readonly unknown[], b: readonly unknown[]) => compare(a[0] as Record<string, unknown>, b[0] as Record<string, unknown>),
  };
}

function sameSort(a: SortSpec, b: SortSpec): boolean {
  return a.length === b.length && a.every(([field, direction], i) => field === b[i]![0] && direction === b[i]![1]);
}

export class ListingService {
  private readonly matchLists = new LRUCache<string, Cached<string[]>>({ max: CACHE_ENTRIES, ttl: CACHE_TTL_MS });
  private readonly filteredCounts = new LRUCache<string, Cached<TaskCounts>>({ max: COUNT_CACHE_ENTRIES, ttl: CACHE_TTL_MS });
  private readonly snapshots = new LRUCache<string, string[]>({
    maxSize: SNAPSHOT_IDS,
    sizeCalculation: (ids) => ids.length + 1,
    ttl: SNAPSHOT_TTL_MS,
    updateAgeOnGet: true,
  });

  /** Evaluations running now, by queue, revision and key (see {@link cachedEvaluation}). */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(private readonly ctx: BrokerContext) {}

  async tasks(queueId: string, options: LsTasksOptions = {}): Promise<LsResult<Task>> {
    const { found, content } = await this.tasksPage(queueId, options);
    return { found, content };
  }

  /**
   * A page of a listing and how many tasks the whole listing holds (for a pager that shows "1-50 of 73,112"), from
   * the same evaluation: ZCARDs for a listing in index order, the match list's or snapshot's length otherwise.
   */
  async tasksPage(queueId: string, options: LsTasksOptions = {}): Promise<LsResult<Task> & { total: number }> {
    const page = pageOf(options);
    const { snapshot } = options;
    if (snapshot != null && !SNAPSHOT_ID_PATTERN.test(snapshot)) {
      throw new ValidationError([{ loc: ["body", "snapshot"], msg: `String should match pattern '${SNAPSHOT_ID_PATTERN.source}'`, type: "string_pattern_mismatch", input: snapshot }]);
    }
    const query = taskQuery(this.ctx, queueId, options);
    if (selectsByStatusOnly(query) && sameSort(page.sort, INDEX_ORDER)) {
      // Live from the indexes at O(page): no snapshot to keep, and none to lose.
      const statuses = candidateStatuses(query);
      const [ids, totals] = await Promise.all([
        indexPageIds(this.ctx.store, queueId, statuses, page.offset, page.limit),
        Promise.all(statuses.map((status) => this.ctx.store.countTasks(queueId, status))),
      ]);
      return { ...(await this.read(queueId, ids)), total: totals.reduce((sum, n) => sum + n, 0) };
    }
    if (snapshot) return this.snapshotPage(queueId, query, page, snapshot);
    const ids = await this.matchList(queueId, query, page.sort);
    return { ...(await this.read(queueId, ids.slice(page.offset, page.offset + page.limit))), total: ids.length };
  }

  /**
   * A page of a filtered listing in index order found by reading the indexes from the top and stopping once the page
   * is full, for a first look at a large queue (the dashboard's first pages): reading the 1,000 first candidates of a
   * filter that selects one task in five costs a few ms where an evaluation of 100,000 tasks costs seconds. Gives
   * up (undefined) after `maxScan` candidates, where the caller evaluates the whole listing instead. `total` is known
   * only when the scan reached the end of the indexes.
   */
  async scanPage(queueId: string, options: LsTasksOptions, maxScan: number): Promise<(LsResult<Task> & { total: number | null }) | undefined> {
    const page = pageOf({ ...options, sort: INDEX_ORDER });
    const query = taskQuery(this.ctx, queueId, options);
    const statuses = candidateStatuses(query);
    const wanted = page.offset + page.limit;
    const matches: Task[] = [];
    const chunk = this.ctx.limits.readBatch;
    for (let scanned = 0; matches.length < wanted; scanned += chunk) {
      if (scanned >= maxScan) return undefined;
      const ids = await indexPageIds(this.ctx.store, queueId, statuses, scanned, chunk);
      const hashes = await this.ctx.store.readTasks(queueId, ids);
      for (const [i, hash] of hashes.entries()) {
        if ((await selectedView(query, queueId, ids[i]!, hash)) !== null) matches.push(decodeTask(queueId, ids[i]!, hash!));
      }
      if (ids.length < chunk) {
        const content = matches.slice(page.offset, wanted);
        return { found: content.length > 0, content, total: matches.length };
      }
    }
    const content = matches.slice(page.offset, wanted);
    return { found: content.length > 0, content, total: null };
  }

  /** Tasks per status: ZCARDs of the status indexes, or one evaluation of the query, cached as match lists are. */
  async counts(queueId: string, options: CountTasksOptions = {}): Promise<TaskCounts> {
    const query = taskQuery(this.ctx, queueId, options);
    const none = () => Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as TaskCounts;
    if (selectsByStatusOnly(query)) {
      const counts = none();
      const statuses = candidateStatuses(query);
      const totals = await Promise.all(statuses.map((status) => this.ctx.store.countTasks(queueId, status)));
      statuses.forEach((status, i) => (counts[status] = totals[i]!));
      return counts;
    }
    const counts = await this.cachedEvaluation(this.filteredCounts, query.text, queueId, async () => {
      const counted = none();
      await forEachMatch(this.ctx, queueId, query, { stored: ["status"] }, (_storedId, hash) => (counted[hash.status as keyof TaskCounts] += 1));
      return counted;
    });
    return { ...counts };
  }

  /** The tasks of `ids` as they are now, in order; those deleted meanwhile are left out. */
  private async read(queueId: string, ids: string[]): Promise<LsResult<Task>> {
    const hashes = await this.ctx.store.readTasks(queueId, ids);
    const content = hashes.flatMap((hash, i) => (hash === null ? [] : [decodeTask(queueId, ids[i]!, hash)]));
    return { found: content.length > 0, content };
  }

  /**
   * What `evaluate` gives for the query at the queue's current task revision, from the cache when it holds that.
   * Requests that ask for the same evaluation while it runs wait for it rather than run it again (a page that asks
   * for a listing twice as it loads would otherwise pay for two evaluations of a large queue at once).
   */
  private async cachedEvaluation<T>(cache: LRUCache<string, Cached<T>>, key: string | null, queueId: string, evaluate: () => Promise<T>): Promise<T> {
    const revision = await this.ctx.store.tasksRevision(queueId);
    const entry = key === null ? undefined : cache.get(key);
    if (entry !== undefined && entry.revision === revision) return entry.value;
    if (key === null) return evaluate();
    const flightKey = `${queueId}\0${revision}\0${key}`;
    const running = this.inFlight.get(flightKey) as Promise<T> | undefined;
    if (running !== undefined) return running;
    const evaluation = evaluate().then(
      (value) => {
        cache.set(key, { revision, value });
        return value;
      },
    ).finally(() => this.inFlight.delete(flightKey));
    this.inFlight.set(flightKey, evaluation);
    return evaluation;
  }

  /** Ids of every task the query selects, in the listing's order. */
  private matchList(queueId: string, query: TaskQuery, sort: SortSpec): Promise<string[]> {
    const key = query.text === null ? null : JSON.stringify([query.text, sort]);
    return this.cachedEvaluation(this.matchLists, key, queueId, async () => {
      const { filters } = this.ctx;
      // Each match's sort keys are read once, as it is found; ties keep creation order (`seq`), as v1's stable
      // sort keeps insertion order.
      const sortKeys = filters.compileSortKeys?.(sort) ?? viewSortKeys(filters.compileSort(sort));
      const want = { stored: ["seq"], document: [...new Set(sort.map(([field]) => field.split(".")[0]!))] };
      const found: Array<{ storedId: Buffer; seq: number; keys: unknown[] }> = [];
      await forEachMatch(this.ctx, queueId, query, want, (storedId, hash, view) => found.push({ storedId, seq: Number(hash.seq), keys: sortKeys.keysOf(view) }));
      found.sort((a, b) => sortKeys.compare(a.keys, b.keys) || a.seq - b.seq);
      return found.map((match) => taskIdFromStored(match.storedId));
    });
  }

  /**
   * A page of a listing snapshot: the first page (offset 0) evaluates the listing and keeps its order; every page
   * reads its tasks as they are now, leaves out those deleted or no longer selected (dropping them from the snapshot,
   * so offsets stay those of what was returned) and fills up from the next ones, so a short page is the last.
   */
  private async snapshotPage(queueId: string, query: TaskQuery, page: Page, snapshot: string): Promise<LsResult<Task> & { total: number }> {
    const key = JSON.stringify([queueId, snapshot, query.text ?? "function", page.sort]);
    let ids = this.snapshots.get(key);
    if (ids === undefined) {
      if (page.offset > 0) {
        throw new LabtaskerError(SNAPSHOT_GONE_STATUS, `Listing snapshot '${snapshot}' is no longer kept (5 minutes after its last page, on the server that made it): list again`);
      }
      // A copy: the snapshot drops ids as it goes, and the cached match list must not change.
      ids = [...(await this.matchList(queueId, query, page.sort))];
      this.snapshots.set(key, ids);
    }
    const content: Task[] = [];
    for (let at = page.offset; content.length < page.limit && at < ids.length; ) {
      const window = ids.slice(at, at + page.limit - content.length);
      const hashes = await this.ctx.store.readTasks(queueId, window);
      const kept: string[] = [];
      for (const [i, hash] of hashes.entries()) {
        if ((await selectedView(query, queueId, window[i]!, hash)) === null) continue;
        kept.push(window[i]!);
        content.push(decodeTask(queueId, window[i]!, hash!));
      }
      if (kept.length < window.length) ids.splice(at, window.length, ...kept);
      at += kept.length;
    }
    return { found: content.length > 0, content, total: ids.length };
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
