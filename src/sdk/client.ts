/**
 * {@link LabtaskerClient}: the SDK's view of one queue, over either transport. It is a {@link Labtasker} (every v1
 * operation, camelCase) with what scripts need on top: paging through all matches (by id or by offset, a page at a
 * time if wanted), bulk submits, updates and deletes of any size (the CLI's commands use the same), sort orders as the
 * CLI writes them, events that survive disconnections, the same typed `FilterError` for a bad filter
 * over both transports, reports about the running task routed through its run (./current.ts), and no hold on the
 * process while idle (./idle.ts).
 */
import { randomUUID } from "node:crypto";
import {
  type ClientExtension,
  SNAPSHOT_GONE_STATUS,
  type CountTasksOptions,
  type CreateQueueOptions,
  type CreateWorkerOptions,
  type EventsOptions,
  type FetchTaskOptions,
  type FilterInput,
  type HealthStatus,
  type Labtasker,
  type LsOptions,
  type LsResult,
  type LsTasksOptions,
  type LsWorkersOptions,
  type ReportStatus,
  type ReportTaskStatusOptions,
  type SortSpec,
  type SubmitTaskOptions,
  type SubmittedTask,
  type TaskCounts,
  type TaskUpdate,
  type UpdateQueueOptions,
  type UpdateTasksOptions,
} from "../core/api.js";
import type { Transport } from "../config/connect.js";
import { batches } from "../core/batches.js";
import { BatchRefs } from "../core/refs.js";
import { LabtaskerError, QueueExistsError, UpdateFailedError, WorkerNotFoundError } from "../core/errors.js";
import type { Queue, QueueEvent, Task, Worker, WorkerStatus } from "../core/model.js";
import type { CreateNotifyRuleOptions, CreatedNotifyRule, NotifyDelivery, NotifyRule } from "../core/notify.js";
import { backoffMs, sleep } from "../sleep.js";
import { IdleGuard, redisIdleGuard } from "./idle.js";
import { toSortSpec, type SortInput } from "./sort.js";
import { isTransient } from "../core/transient.js";
import { PAGE, REQUEST_BATCH } from "../core/defaults.js";

/** The largest page a server returns (v1's `limit` bound). */
const MAX_PAGE = PAGE.maxLimit;
/** The largest update batch a server takes (v1's bound). */
const UPDATE_BATCH = REQUEST_BATCH;
/** Ids per call of the transport's `deleteTasks`: one request, deleted at once, on our server (its bound). */
const DELETE_BATCH = REQUEST_BATCH;

/** Options of `lsTasks`: v1's, with {@link SortInput} sort orders and any `limit` (pages of 1,000 are read as needed). */
export interface TaskListOptions extends Omit<LsTasksOptions, "sort"> {
  /** @defaultValue `[["last_modified", 1]]` (v1's server default) */
  sort?: SortInput | null;
}

/** Options of `lsWorkers`, as {@link TaskListOptions}. */
export interface WorkerListOptions extends Omit<LsWorkersOptions, "sort"> {
  /** @defaultValue `[["last_modified", 1]]` */
  sort?: SortInput | null;
}

/** Options of `iterTasks` / `iterWorkers` (and their `...Pages` forms): a listing without `limit`, read page by page. */
export interface IterateOptions {
  /** Tasks (or workers) per request, 1..1000. @defaultValue 1000 */
  pageSize?: number;
  /**
   * How pages are read. `"id"`: in id order, each page asking for the ids after the last one seen, so changing or
   * deleting matches while iterating neither skips nor repeats any. `"offset"`: by position, in `sort` order (without
   * one, the server's default order: the least recently modified first), as v1's `ls_tasks` pages are read.
   * @defaultValue `"offset"` with a `sort`, an `offset` or a function filter; else `"id"`
   */
  paging?: "id" | "offset";
  /** Offset paging: matches to skip first. @defaultValue 0 */
  offset?: number;
  /**
   * Offset paging: drop an item already seen on an earlier page (one moved across pages by a change meanwhile).
   * `false` keeps memory constant over millions of matches, at the cost of such repeats.
   * @defaultValue true
   */
  dropRepeats?: boolean;
}

/** Options of `iterTasks`. */
export type TaskIterateOptions = Omit<TaskListOptions, "limit" | "offset"> & IterateOptions;
/** Options of `iterWorkers`. */
export type WorkerIterateOptions = Omit<WorkerListOptions, "limit" | "offset"> & IterateOptions;

/** Options of `submitTasks`. */
export interface SubmitTasksOptions {
  /**
   * Tasks per call to the transport, each stored before the next is sent (so `onBatch` can report progress, or
   * write out the ids of what is stored, as it goes). Only the batch being sent is validated before it is stored.
   * @defaultValue every task in one call (split by the transport: 5,000 per request to our server)
   */
  batchSize?: number;
  /** Called with each batch's ids, in order, once the batch is stored; awaited before the next batch is sent. */
  onBatch?: (taskIds: string[]) => void | Promise<void>;
}

/** Options of `submitTasksDetailed`: as {@link SubmitTasksOptions}, each batch's outcome given whole. */
export interface SubmitTasksDetailedOptions {
  batchSize?: number;
  onBatch?: (tasks: SubmittedTask[]) => void | Promise<void>;
}

/** Options of `updateTasksSettled`. */
export interface SettledUpdateOptions extends UpdateTasksOptions {
  /**
   * Against labtasker v1's server, read back, one `getTask` each, the updates that a batch with failures applied (it
   * returns none of them with its error), so that `content` holds every updated task. `false` sends nothing but the
   * updates; `content` then holds the tasks of the batches without failures. (Our server and direct mode apply such
   * a batch's other updates in a second request, which returns them.)
   * @defaultValue true
   */
  readBackApplied?: boolean;
  /**
   * Keep the updated tasks in `content`. `false` drops each batch's tasks as they come (a caller that only counts
   * them, such as `task update` in a script, then holds no more than a batch: 100,000 tasks take about 200 MB).
   * @defaultValue true
   */
  returnTasks?: boolean;
  /** Called after each batch with the number of updates sent so far, applied or failed (for progress). */
  onBatch?: (done: number) => void;
}

/** What `updateTasksSettled` did: the updated tasks, and every update that failed with the server's detail. */
export interface UpdateOutcome {
  content: Task[];
  /** Updates applied: those in `content`, and those a server applied without returning them or not kept. */
  updated: number;
  failures: Array<[taskId: string, detail: string]>;
}

/** Options of `deleteTasks` / `deleteWorkers`. */
export interface DeleteEachOptions {
  /**
   * Called for each id once it is deleted (for tasks, once its batch is): `"deleted"`, or `"missing"` when there was
   * no such task (worker).
   */
  onEach?: (id: string, outcome: "deleted" | "missing") => void;
}

/** Options of `createQueue` on a client: the client's own queue unless named otherwise. */
export interface ClientCreateQueueOptions extends Partial<CreateQueueOptions> {
  /** Return the existing queue's id instead of raising {@link QueueExistsError}. @defaultValue false */
  existOk?: boolean;
}

/** Options of `events` on a client. */
export interface ClientEventsOptions extends EventsOptions {
  /**
   * After a dropped connection (a server restart, Redis failing over), subscribe again and replay from the last
   * event seen (our server and direct mode replay; labtasker v1's server cannot, so events of the gap are lost
   * there). Refusals (wrong credentials, a deleted queue) still end the iteration with their error.
   * @defaultValue true
   */
  reconnect?: boolean;
}

/** What a {@link LabtaskerClient} knows besides its transport. */
export interface LabtaskerClientOptions {
  /** How the transport reaches the queue (informational). @defaultValue "custom" */
  mode?: "http" | "direct" | "custom";
  /** The queue's name (used by `createQueue()` without arguments). */
  queueName?: string | null;
  /** The queue's password (used by `createQueue()` without arguments). */
  password?: string | null;
  /** Where loops put `logs/run/` (LABTASKER_ROOT). @defaultValue `$LABTASKER_ROOT`, else `./.labtasker` */
  root?: string | null;
  /** Seconds between heartbeats in loops (`[task] heartbeat_interval` of client.toml). @defaultValue 10 */
  heartbeatInterval?: number | null;
  /** Holds the process open only while calls are in flight. @defaultValue none (nothing to hold) */
  idle?: IdleGuard;
  /**
   * Compile each filter before it is sent, so that a bad one throws `FilterError` the same over every transport.
   * `false` for callers that compile and check their filters before calling (the CLI does, to show the caret and
   * `-v`): a MongoDB document then goes as it is, without loading the filter language (~150 ms).
   * @defaultValue true
   */
  checkFilters?: boolean;
}

/** A filter and `{_id: {$gt: after}}`, both: keeps a JSONata part (`$jsonata`, top level only) at the top level. */
function afterId(filter: Record<string, unknown> | null, after: string): Record<string, unknown> {
  const condition = { _id: { $gt: after } };
  if (filter === null) return condition;
  const { $jsonata: jsonata, ...rest } = filter;
  const combined: Record<string, unknown> = Object.keys(rest).length === 0 ? condition : { $and: [rest, condition] };
  if (jsonata !== undefined) combined.$jsonata = jsonata;
  return combined;
}

/** A filter compiler, loaded on first use (the filter language with JSONata and chrono-node weighs ~140 ms). */
async function filterModule() {
  return import("../filter/index.js");
}

/**
 * The routing of reports about the running task (./current.ts), loaded on the first report: it brings the loop's
 * run files, which a CLI command (it never reports) should not load at start.
 */
async function currentModule() {
  return import("./current.js");
}

/**
 * One queue, over HTTP or directly on Redis. Get one with `connect()`; or wrap any {@link Labtasker}
 * (`new LabtaskerClient(new DirectLabtasker(broker, credentials))`).
 *
 * Every method of {@link Labtasker} is here with the same meaning; the differences are listed on each method.
 * Errors are the typed errors of the package root (`TaskNotFoundError`, `AuthError`, `FilterError`, ...).
 */
export class LabtaskerClient implements Labtasker {
  /** The underlying API; calls on it skip what this class adds. */
  readonly transport: Labtasker;
  /** How the transport reaches the queue. */
  readonly mode: "http" | "direct" | "custom";
  /** The queue's name, when known. */
  readonly queueName: string | null;
  /** Where loops put their run directories; null for the loop's default (`$LABTASKER_ROOT`, else `./.labtasker`). */
  readonly root: string | null;
  /** Seconds between heartbeats in loops; null for the loop's default (10). */
  readonly heartbeatInterval: number | null;
  private readonly password: string | null;
  private readonly idle: IdleGuard;
  private readonly checkFilters: boolean;

  constructor(transport: Labtasker, options: LabtaskerClientOptions = {}) {
    this.transport = transport instanceof LabtaskerClient ? transport.transport : transport;
    this.mode = options.mode ?? "custom";
    this.queueName = options.queueName ?? null;
    this.password = options.password ?? null;
    this.root = options.root ?? null;
    this.heartbeatInterval = options.heartbeatInterval ?? null;
    this.idle = options.idle ?? new IdleGuard();
    this.checkFilters = options.checkFilters ?? true;
  }

  /**
   * Runs `fn` as one call in flight: the process stays up until it settles. Used by `loop()` for its whole run;
   * useful around work that uses {@link transport} directly.
   */
  hold<T>(fn: () => Promise<T>): Promise<T> {
    return this.idle.run(fn);
  }

  /**
   * Throws the filter language's `FilterError` for a filter that does not compile, the same over every transport:
   * direct mode would turn it into a `BadRequestError`, and the HTTP client checks worker filters against the task
   * fields (as v1's client does), so a typo there would reach the server. Compiled filters are cached, so the
   * transport compiling it again costs nothing.
   */
  private async checkFilter(filter: FilterInput | null | undefined, kind: "task" | "worker"): Promise<void> {
    if (!this.checkFilters || filter == null || typeof filter === "function") return;
    const { compileFilter, WORKER_FILTER_FIELDS } = await filterModule();
    compileFilter(filter, kind === "worker" ? { fields: WORKER_FILTER_FIELDS } : {});
  }

  /** v1's `/health/full`: whether the server (and its database) or Redis answers. */
  health(): Promise<HealthStatus> {
    return this.idle.run(() => this.transport.health());
  }

  /**
   * Creates a queue and returns its id: this client's own queue when called without a name (v1's `labtasker queue
   * create-from-config`), else the one given.
   * @throws QueueExistsError when it exists, unless `existOk`.
   */
  createQueue(options: ClientCreateQueueOptions = {}): Promise<string> {
    return this.idle.run(async () => {
      const queueName = options.queueName ?? this.queueName;
      const password = options.password ?? this.password;
      if (!queueName || !password) throw new RangeError("createQueue needs a queue name and a password (this client was made without them)");
      try {
        return await this.transport.createQueue({ queueName, password, metadata: options.metadata ?? null });
      } catch (error) {
        if (!(options.existOk && error instanceof QueueExistsError)) throw error;
        // Only the queue this client is bound to can be looked up; another one's id stays unknown.
        if (queueName !== this.queueName) throw error;
        return (await this.transport.getQueue()).queueId;
      }
    });
  }

  /** The queue this client is bound to. @throws AuthError for wrong credentials or a queue that does not exist. */
  getQueue(): Promise<Queue> {
    return this.idle.run(() => this.transport.getQueue());
  }

  /** Renames the queue, changes its password, or merges its metadata (`{}` clears it). */
  updateQueue(options: UpdateQueueOptions): Promise<Queue> {
    return this.idle.run(() => this.transport.updateQueue(options));
  }

  /** Deletes the queue, with its tasks and workers unless `cascadeDelete` is false. */
  deleteQueue(options?: { cascadeDelete?: boolean }): Promise<void> {
    return this.idle.run(() => this.transport.deleteQueue(options));
  }

  /** Submits one task and returns its id. Dotted arg keys are nested: `{"optimizer.lr": 0.1}`. */
  submitTask(options: SubmitTaskOptions): Promise<string> {
    return this.idle.run(() => this.transport.submitTask(options));
  }

  /**
   * Submits many tasks and returns their ids in order: one request per 5,000 tasks to our server (one Redis call per
   * batch in direct mode); against labtasker v1's server, one request per task, 16 at a time. All are validated
   * before any is stored, unless sent in batches (`batchSize`, see {@link SubmitTasksOptions}).
   */
  submitTasks(tasks: SubmitTaskOptions[], options: SubmitTasksOptions = {}): Promise<string[]> {
    return this.idle.run(async () => {
      const { batchSize, onBatch } = options;
      if (batchSize === undefined && onBatch === undefined) return this.transport.submitTasks(tasks);
      const submitted = await this.submitInBatches(tasks, batchSize, onBatch && ((batch) => onBatch(batch.map((task) => task.taskId))));
      return submitted.map((task) => task.taskId);
    });
  }

  /**
   * {@link submitTasks}, telling for each task whether it was created or found there already (`dedup`, a client
   * `taskId`: docs/tasks.md). Against labtasker v1's server, which has neither, every task is created.
   */
  submitTasksDetailed(tasks: SubmitTaskOptions[], options: SubmitTasksDetailedOptions = {}): Promise<SubmittedTask[]> {
    return this.idle.run(() => this.submitInBatches(tasks, options.batchSize, options.onBatch));
  }

  /** One transport call per batch; a task may name an earlier batch's task by its `ref` (src/core/refs.ts). */
  private async submitInBatches(
    tasks: SubmitTaskOptions[],
    batchSize: number | undefined,
    onBatch: ((tasks: SubmittedTask[]) => void | Promise<void>) | undefined,
  ): Promise<SubmittedTask[]> {
    const submitted: SubmittedTask[] = [];
    const refs = new BatchRefs();
    for (const tasksOfBatch of batches(tasks, batchSize ?? Math.max(tasks.length, 1))) {
      const batch = refs.resolve(tasksOfBatch);
      const outcome = this.transport.submitTasksDetailed
        ? await this.transport.submitTasksDetailed(batch)
        : (await this.transport.submitTasks(batch)).map((taskId) => ({ taskId, created: true }));
      refs.record(batch, outcome.map((task) => task.taskId));
      submitted.push(...outcome);
      await onBatch?.(outcome);
    }
    return submitted;
  }

  /** One task by id. @throws TaskNotFoundError */
  getTask(taskId: string): Promise<Task> {
    return this.idle.run(() => this.transport.getTask(taskId));
  }

  /**
   * One page of matching tasks (v1's `ls_tasks`). `extraFilter` is a Python-style expression
   * (`'args.lr > 0.01 and "v1" in list(metadata.tags)'`), a MongoDB query object, or JSONata (`"jsonata: ..."`);
   * `status`, `taskId` and `taskName` narrow it further. A `limit` above 1,000 (v1's page bound) is read in pages of
   * 1,000 by offset; to go through everything, prefer {@link iterTasks}.
   * @throws FilterError for a filter that does not compile.
   */
  lsTasks(options: TaskListOptions = {}): Promise<LsResult<Task>> {
    return this.idle.run(async () => {
      await this.checkFilter(options.extraFilter, "task");
      return this.pages<Task, LsTasksOptions>((page) => this.transport.lsTasks(page), { ...options, sort: toSortSpec(options.sort) }, (task) => task.taskId, true);
    });
  }

  /**
   * Tasks per status (`{ pending, running, success, failed, cancelled }`) of those selected as {@link lsTasks} selects
   * them: a few ZCARDs on our server and in direct mode, one evaluation with a filter; against labtasker v1's server,
   * the listings read page by page and counted.
   * @throws FilterError for a filter that does not compile.
   */
  countTasks(options: CountTasksOptions = {}): Promise<TaskCounts> {
    return this.idle.run(async () => {
      await this.checkFilter(options.extraFilter, "task");
      return this.transport.countTasks(options);
    });
  }

  /** Whether the server offers the extension (our server and direct mode: all; labtasker v1's server: none). */
  supports(extension: ClientExtension): Promise<boolean> {
    return this.idle.run(() => this.transport.supports(extension));
  }

  /** One page of matching workers, as {@link lsTasks}. */
  lsWorkers(options: WorkerListOptions = {}): Promise<LsResult<Worker>> {
    return this.idle.run(async () => {
      await this.checkFilter(options.extraFilter, "worker");
      return this.pages<Worker, LsWorkersOptions>((page) => this.transport.lsWorkers(page), { ...options, sort: toSortSpec(options.sort) }, (worker) => worker.workerId);
    });
  }

  /**
   * A listing whose limit may exceed a page: pages of 1,000 read by offset (in one listing snapshot, for tasks),
   * repeats (from changes meanwhile) dropped.
   */
  private async pages<T, O extends LsOptions>(list: (options: O) => Promise<LsResult<T>>, options: O, idOf: (item: T) => string, snapshots = false): Promise<LsResult<T>> {
    const limit = options.limit ?? PAGE.limit;
    // Limits a server refuses (not an integer, below 1) go to it as they are, for its validation error.
    if (!Number.isInteger(limit) || limit <= MAX_PAGE) return list(options);
    const content: T[] = [];
    const read = (page: PageRequest) => list({ ...options, ...page });
    for await (const page of offsetPages(read, idOf, { pageSize: MAX_PAGE, offset: options.offset ?? 0, limit, snapshots })) content.push(...page);
    return { found: content.length > 0, content };
  }

  /**
   * Every matching task, page by page, as an async iterator:
   *
   * ```ts
   * for await (const task of client.iterTasks({ status: "failed" })) await client.deleteTask(task.taskId);
   * ```
   *
   * Without `sort`, tasks come in task-id order and pages are read by id ("after the last id seen"), so changing or
   * deleting tasks while iterating, as above, neither skips nor repeats any (each page re-evaluates the filter:
   * about a second per 10,000 matching tasks). With `sort`, pages are read by offset in that order; a task whose
   * change moves it across pages meanwhile can then be missed (one seen twice is dropped).
   * @throws FilterError for a filter that does not compile (on the first `next()`).
   */
  async *iterTasks(options: TaskIterateOptions = {}): AsyncGenerator<Task> {
    for await (const page of this.iterTaskPages(options)) yield* page;
  }

  /** Every matching worker, page by page, as {@link iterTasks}. */
  async *iterWorkers(options: WorkerIterateOptions = {}): AsyncGenerator<Worker> {
    for await (const page of this.iterWorkerPages(options)) yield* page;
  }

  /**
   * The pages of {@link iterTasks}, each as it is read (one request each; none empty), for callers that handle a
   * page at a time: print it, count it, stop between pages.
   */
  iterTaskPages(options: TaskIterateOptions = {}): AsyncGenerator<Task[]> {
    return this.iteratePages<Task, LsTasksOptions>((page) => this.transport.lsTasks(page), options, "task", (task) => task.taskId);
  }

  /** The pages of {@link iterWorkers}, as {@link iterTaskPages}. */
  iterWorkerPages(options: WorkerIterateOptions = {}): AsyncGenerator<Worker[]> {
    return this.iteratePages<Worker, LsWorkersOptions>((page) => this.transport.lsWorkers(page), options, "worker", (worker) => worker.workerId);
  }

  private async *iteratePages<T, O extends LsOptions>(
    list: (options: O) => Promise<LsResult<T>>,
    options: Omit<O, "limit" | "offset" | "sort"> & IterateOptions & { sort?: SortInput | null },
    kind: "task" | "worker",
    idOf: (item: T) => string,
  ): AsyncGenerator<T[]> {
    const { pageSize = MAX_PAGE, sort: sortInput, paging: pagingInput, offset, dropRepeats, ...rest } = options;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) throw new RangeError(`pageSize must be an integer from 1 to ${MAX_PAGE} (got ${pageSize})`);
    if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) throw new RangeError(`offset must be an integer >= 0 (got ${offset})`);
    const extraFilter = rest.extraFilter ?? null;
    const sort = toSortSpec(sortInput);
    const needsOffset = sort !== null || offset !== undefined || typeof extraFilter === "function";
    const paging = pagingInput ?? (needsOffset ? "offset" : "id");
    if (paging === "id" && needsOffset) throw new RangeError('paging "id" reads in id order, after the last id seen: it takes no sort, offset or function filter');
    const read = (filter: FilterInput | null, pageSort: SortSpec | null, page: PageRequest) =>
      this.idle.run(() => list({ ...rest, extraFilter: filter, sort: pageSort, ...page } as unknown as O));

    if (paging === "offset") {
      await this.checkFilter(extraFilter, kind);
      // Without a sort: a function filter in id order (as before), anything else in the server's default order.
      const pageSort: SortSpec | null = sort ?? (typeof extraFilter === "function" ? [["_id", 1]] : null);
      yield* offsetPages((page) => read(extraFilter, pageSort, page), idOf, { pageSize, offset: offset ?? 0, dropRepeats, snapshots: kind === "task" });
      return;
    }

    // Compiled once (a date("3 hours ago") keeps one meaning for the whole iteration), as a MongoDB query that the
    // id condition can be ANDed with.
    let base: Record<string, unknown> | null = null;
    if (extraFilter !== null && typeof extraFilter !== "function") {
      const { toWireFilter, WORKER_FILTER_FIELDS } = await filterModule();
      base = toWireFilter(extraFilter, kind === "worker" ? { fields: WORKER_FILTER_FIELDS } : {});
    }
    // Runs of pages read by offset from one listing snapshot of the ids after `after` (one evaluation a run). Without
    // snapshots (labtasker v1's server; worker listings) each page is a run of its own, after the last id seen; a
    // snapshot the server no longer keeps ends its run, and the next starts after the last id seen.
    const snapshots = kind === "task" && (await this.idle.run(() => this.transport.supports("listing-snapshots")));
    for (let after: string | null = null; ; ) {
      const filter = after === null ? base : afterId(base, after);
      const snapshot = snapshots ? randomUUID() : undefined;
      for (let offset = 0; ; ) {
        let page: LsResult<T>;
        try {
          page = await read(filter, [["_id", 1]], { limit: pageSize, offset, ...(snapshot ? { snapshot } : {}) });
        } catch (error) {
          if (offset > 0 && isSnapshotGone(error)) break;
          throw error;
        }
        if (page.content.length > 0) yield page.content;
        if (page.content.length < pageSize) return;
        after = idOf(page.content[page.content.length - 1]!);
        if (snapshot === undefined) break;
        offset += page.content.length;
      }
    }
  }

  /**
   * Applies task updates (v1's `update_tasks`): object fields (`args`, `metadata`, `summary`) are merged one level
   * down unless listed in `replaceFields`; `resetPending` re-queues each task (status pending, retries 0). Any number
   * of updates: they go in batches of 1,000 (v1's bound), each written at once by our server and direct mode.
   * @throws UpdateFailedError listing every update that failed (the others are applied, as in v1).
   */
  updateTasks(updates: TaskUpdate[], options?: UpdateTasksOptions): Promise<LsResult<Task>> {
    return this.idle.run(async () => {
      const { content, failures } = await this.updateTasksSettled(updates, options);
      if (failures.length > 0) throw new UpdateFailedError(failures, updates.length);
      return { found: content.length > 0, content };
    });
  }

  /**
   * {@link updateTasks} that reports failed updates instead of throwing them: the updates go in batches of 1,000,
   * a batch with failures does not stop the others, and the result lists what was updated and what failed. Our
   * server and direct mode write a batch whole or not at all: a batch with failures is sent again without them.
   */
  updateTasksSettled(updates: TaskUpdate[], options: SettledUpdateOptions = {}): Promise<UpdateOutcome> {
    const { readBackApplied = true, returnTasks = true, onBatch, ...updateOptions } = options;
    return this.idle.run(async () => {
      const outcome: UpdateOutcome = { content: [], updated: 0, failures: [] };
      const applied = (tasks: Task[]) => {
        outcome.updated += tasks.length;
        if (returnTasks) outcome.content.push(...tasks);
      };
      let done = 0;
      for (const batch of batches(updates, UPDATE_BATCH)) {
        // Each pass drops the updates that failed, so this ends after a pass without failures, or with none left.
        for (let pending = batch; pending.length > 0; ) {
          try {
            applied((await this.transport.updateTasks(pending, updateOptions)).content);
            break;
          } catch (error) {
            if (!(error instanceof UpdateFailedError)) throw error;
            outcome.failures.push(...error.failures);
            const failed = new Set(error.failures.map(([taskId]) => taskId));
            const others = pending.filter((update) => !failed.has(update.taskId));
            // A refusal naming none of the batch's tasks cannot be split off.
            if (others.length === pending.length) throw error;
            pending = others;
            if (!error.othersApplied) continue;
            // labtasker v1 applied the others without returning them: read them back.
            if (readBackApplied && returnTasks) for (const update of pending) outcome.content.push(await this.transport.getTask(update.taskId));
            outcome.updated += pending.length;
            break;
          }
        }
        done += batch.length;
        onBatch?.(done);
      }
      return outcome;
    });
  }

  /** Deletes a task. @throws TaskNotFoundError */
  deleteTask(taskId: string): Promise<void> {
    return this.idle.run(() => this.transport.deleteTask(taskId));
  }

  /**
   * Deletes tasks, each id once, 1,000 per call of the transport (one request, deleted at once, on our server and in
   * direct mode; one request per id against labtasker v1's), and returns the ids that named no task (the others are
   * deleted). Any other error stops it there: the batches before it are deleted, the rest are not.
   */
  deleteTasks(taskIds: readonly string[], options: DeleteEachOptions = {}): Promise<string[]> {
    return this.idle.run(async () => {
      const missing: string[] = [];
      for (const batch of batches([...new Set(taskIds)], DELETE_BATCH)) {
        const gone = new Set(await this.transport.deleteTasks(batch));
        for (const taskId of batch) options.onEach?.(taskId, gone.has(taskId) ? "missing" : "deleted");
        missing.push(...batch.filter((taskId) => gone.has(taskId)));
      }
      return missing;
    });
  }

  /**
   * Claims the best matching pending task (highest priority, then the longest unchanged), or returns null. `loop()`
   * does this for you; use it to write a loop of your own.
   * @throws WorkerSuspendedError when `workerId` names a suspended or crashed worker.
   */
  fetchTask(options: FetchTaskOptions = {}): Promise<Task | null> {
    return this.idle.run(async () => {
      await this.checkFilter(options.extraFilter, "task");
      return this.transport.fetchTask(options);
    });
  }

  /**
   * Reports a task's status: `success`, `failed` (counts a retry for the task and for its worker), `cancelled`
   * (never fetched again until reset), or `running` (an extension: merges `summary` into a running task). `summary`
   * is merged key by key (`{}` clears it).
   *
   * About the task being run (inside a `loop()` handler, or in a process a loop started), the report goes through
   * the run: `success`/`failed` finish it (the loop does not report again), `cancelled` stops its heartbeat and keeps
   * the loop from reporting over it or retrying it, and `running` is fenced by the run's worker id.
   */
  reportTaskStatus(taskId: string, status: ReportStatus, options?: ReportTaskStatusOptions): Promise<void> {
    return this.idle.run(async () => (await currentModule()).reportStatus(this.transport, taskId, status, options));
  }

  /** Marks a running task alive (the loop's heartbeat does this every `heartbeatInterval` seconds). */
  refreshTaskHeartbeat(taskId: string, workerId?: string | null): Promise<void> {
    return this.idle.run(() => this.transport.refreshTaskHeartbeat(taskId, workerId));
  }

  /**
   * Creates a worker and returns its id. A worker is crashed after `maxRetries` failed runs in all (default 3), and
   * a crashed or suspended worker fetches nothing (`WorkerSuspendedError`) until reported active again.
   */
  createWorker(options?: CreateWorkerOptions): Promise<string> {
    return this.idle.run(() => this.transport.createWorker(options));
  }

  /** One worker by id. @throws WorkerNotFoundError */
  getWorker(workerId: string): Promise<Worker> {
    return this.idle.run(() => this.transport.getWorker(workerId));
  }

  /** Sets a worker's status: `active` (also resets a crashed worker's failures), `suspended`, `crashed`. */
  reportWorkerStatus(workerId: string, status: WorkerStatus): Promise<void> {
    return this.idle.run(() => this.transport.reportWorkerStatus(workerId, status));
  }

  /** Deletes a worker and, unless `cascadeUpdate` is false, clears it from its tasks. */
  deleteWorker(workerId: string, options?: { cascadeUpdate?: boolean }): Promise<void> {
    return this.idle.run(() => this.transport.deleteWorker(workerId, options));
  }

  /** Deletes each worker in turn, as {@link deleteTasks}. */
  deleteWorkers(workerIds: readonly string[], options: DeleteEachOptions & { cascadeUpdate?: boolean } = {}): Promise<string[]> {
    const { onEach, cascadeUpdate } = options;
    return this.idle.run(() => deleteEach(workerIds, (workerId) => this.transport.deleteWorker(workerId, { cascadeUpdate }), WorkerNotFoundError, { onEach }));
  }

  /**
   * The queue's state transitions as they happen, as an async iterator (end it with `break` or `signal`). With
   * `afterSequence`, events after that sequence number are replayed first. A dropped connection is re-established
   * with replay from the last event seen (see {@link ClientEventsOptions.reconnect}).
   */
  async *events(options: ClientEventsOptions = {}): AsyncGenerator<QueueEvent> {
    const { signal, reconnect = true } = options;
    let after = options.afterSequence;
    let failures = 0;
    while (!signal?.aborted) {
      try {
        for await (const event of this.idle.iterate(this.transport.events({ afterSequence: after, signal }))) {
          failures = 0;
          after = event.sequence;
          yield event;
        }
      } catch (error) {
        if (signal?.aborted) return;
        if (!reconnect || !isTransient(error)) throw error;
        failures += 1;
      }
      if (signal?.aborted || !reconnect) return;
      // The same backoff as the loop's internal errors (1, 2, 4 ... 60 s), from 250 ms: a restart is usually quick.
      await sleep(backoffMs(failures, 250, 60_000), signal);
    }
  }

  /**
   * Adds a notification rule (an extension; see docs/notifications.md): when `on` holds, the server POSTs a message
   * to `url`. The returned `secret` signs every message (`X-Labtasker-Signature`) and is never shown again.
   * In direct mode the rule is stored here and its messages go when a server runs on the same Redis.
   * @throws BadRequestError for a filter that does not compile (its line and column in the message), a URL the
   * server's allow-list refuses, a bad format or digest.
   */
  createNotifyRule(options: CreateNotifyRuleOptions): Promise<CreatedNotifyRule> {
    return this.idle.run(() => this.transport.createNotifyRule(options));
  }

  /** The queue's notification rules, oldest first (without their secrets). */
  lsNotifyRules(): Promise<NotifyRule[]> {
    return this.idle.run(() => this.transport.lsNotifyRules());
  }

  /** Removes a rule; messages of it not sent yet are dropped. @throws NotifyRuleNotFoundError */
  deleteNotifyRule(ruleId: string): Promise<void> {
    return this.idle.run(() => this.transport.deleteNotifyRule(ruleId));
  }

  /** Queues a test message to the rule's target; returns its delivery id, whose outcome `lsNotifyDeliveries` lists. */
  testNotifyRule(ruleId: string): Promise<string> {
    return this.idle.run(() => this.transport.testNotifyRule(ruleId));
  }

  /** The last delivery attempts of the queue's rules, newest first (at most 100 are kept). */
  lsNotifyDeliveries(options?: { limit?: number }): Promise<NotifyDelivery[]> {
    return this.idle.run(() => this.transport.lsNotifyDeliveries(options));
  }

  /** Closes the connection (direct mode) or does nothing (HTTP). Idle clients never hold the process anyway. */
  close(): Promise<void> {
    return this.transport.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A page request: how many items, from which position, and of which listing snapshot. */
interface PageRequest {
  limit: number;
  offset: number;
  snapshot?: string;
}

/** Whether a page failed because the server no longer keeps its listing snapshot (see `LsTasksOptions.snapshot`). */
function isSnapshotGone(error: unknown): boolean {
  return error instanceof LabtaskerError && error.status === SNAPSHOT_GONE_STATUS;
}

/**
 * Pages read by offset, `pageSize` at a time from `offset`, until a short page or `limit` items in all; one request
 * each, none yielded empty. Unless `dropRepeats` is false, an item already yielded is dropped (a change meanwhile can
 * move one across pages).
 *
 * With `snapshots`, the pages come from one listing snapshot, so a queue that changes meanwhile costs the server one
 * evaluation of the listing, not one a page (where it cannot keep one, as labtasker v1's server, it is ignored). A
 * server makes a snapshot only for a page at offset 0, so a listing that starts further on asks for one item there
 * first. One the server no longer keeps is replaced the same way, once a page: if that fails too (server replicas
 * that do not share a client's requests), the listing goes on without.
 */
async function* offsetPages<T>(
  read: (page: PageRequest) => Promise<LsResult<T>>,
  idOf: (item: T) => string,
  paging: { pageSize: number; offset: number; limit?: number; dropRepeats?: boolean; snapshots?: boolean },
): AsyncGenerator<T[]> {
  const seen = paging.dropRepeats === false ? null : new Set<string>();
  const limit = paging.limit ?? Infinity;
  const snapshotAt = async (offset: number): Promise<string> => {
    const snapshot = randomUUID();
    if (offset > 0) await read({ limit: 1, offset: 0, snapshot });
    return snapshot;
  };
  let snapshot = paging.snapshots ? await snapshotAt(paging.offset) : undefined;
  let replaced = false;
  for (let offset = paging.offset, taken = 0; taken < limit; ) {
    const want = Math.min(paging.pageSize, limit - taken);
    let page: LsResult<T>;
    try {
      page = await read({ limit: want, offset, ...(snapshot ? { snapshot } : {}) });
    } catch (error) {
      if (snapshot === undefined || !isSnapshotGone(error)) throw error;
      snapshot = replaced ? undefined : await snapshotAt(offset);
      replaced = true;
      continue;
    }
    replaced = false;
    const fresh = seen === null ? page.content : page.content.filter((item) => !seen.has(idOf(item)) && Boolean(seen.add(idOf(item))));
    taken += fresh.length;
    if (fresh.length > 0) yield fresh;
    if (page.content.length < want) return;
    offset += page.content.length;
  }
}

/** Deletes each id in turn; returns those `remove` found missing (`notFound`), after telling `onEach` about each. */
async function deleteEach(
  ids: readonly string[],
  remove: (id: string) => Promise<void>,
  notFound: typeof WorkerNotFoundError,
  options: DeleteEachOptions,
): Promise<string[]> {
  const missing: string[] = [];
  for (const id of ids) {
    try {
      await remove(id);
      options.onEach?.(id, "deleted");
    } catch (error) {
      if (!(error instanceof notFound)) throw error;
      missing.push(id);
      options.onEach?.(id, "missing");
    }
  }
  return missing;
}

/** What {@link clientOver} takes besides the transport. */
export interface TransportClientOptions extends Pick<LabtaskerClientOptions, "root" | "heartbeatInterval" | "checkFilters"> {
  queueName: string | null;
  password: string | null;
  /**
   * Let the process exit while no call is in flight (in direct mode the Redis sockets are unreferenced between
   * calls), so scripts need not close the client. `false` for a caller that closes it when done and uses the
   * transport directly too (the CLI).
   * @defaultValue true
   */
  releaseWhenIdle?: boolean;
}

/** The client over an opened transport (`openTransport`): what `connect()` returns, and what CLI commands use. */
export function clientOver(transport: Transport, options: TransportClientOptions): LabtaskerClient {
  const { releaseWhenIdle = true, ...settings } = options;
  const idle = releaseWhenIdle && transport.redis !== undefined ? redisIdleGuard(transport.redis as Parameters<typeof redisIdleGuard>[0]) : undefined;
  return new LabtaskerClient(transport.api, { mode: transport.mode, ...settings, idle });
}

/** The {@link LabtaskerClient} for any API object (itself when it is one). */
export function asClient(api: Labtasker): LabtaskerClient {
  return api instanceof LabtaskerClient ? api : new LabtaskerClient(api);
}
