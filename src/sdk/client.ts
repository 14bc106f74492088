/**
 * {@link LabtaskerClient}: the SDK's view of one queue, over either transport. It is a {@link Labtasker} (every v1
 * operation, camelCase) with what scripts need on top: paging through all matches, bulk updates of any size, sort
 * orders as the CLI writes them, events that survive disconnections, the same typed `FilterError` for a bad filter
 * over both transports, reports about the running task routed through its run (./current.ts), and no hold on the
 * process while idle (./idle.ts).
 */
import type {
  CreateQueueOptions,
  CreateWorkerOptions,
  EventsOptions,
  FetchTaskOptions,
  FilterInput,
  HealthStatus,
  Labtasker,
  LsOptions,
  LsResult,
  LsTasksOptions,
  LsWorkersOptions,
  ReportStatus,
  ReportTaskStatusOptions,
  SortSpec,
  SubmitTaskOptions,
  TaskUpdate,
  UpdateQueueOptions,
  UpdateTasksOptions,
} from "../core/api.js";
import { QueueExistsError, UpdateFailedError } from "../core/errors.js";
import type { Queue, QueueEvent, Task, Worker, WorkerStatus } from "../core/model.js";
import { backoffMs, sleep } from "../sleep.js";
import { reportStatus } from "./current.js";
import { IdleGuard } from "./idle.js";
import { toSortSpec, type SortInput } from "./sort.js";
import { isTransient } from "../core/transient.js";
import { PAGE } from "../core/defaults.js";

/** The largest page a server returns (v1's `limit` bound), and the largest update batch it takes. */
const MAX_PAGE = PAGE.maxLimit;

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

/** Options of `iterTasks` / `iterWorkers`: a listing without `limit` and `offset`, read page by page. */
export interface IterateOptions {
  /** Tasks (or workers) per request, 1..1000. @defaultValue 1000 */
  pageSize?: number;
}

/** Options of `iterTasks`. */
export type TaskIterateOptions = Omit<TaskListOptions, "limit" | "offset"> & IterateOptions;
/** Options of `iterWorkers`. */
export type WorkerIterateOptions = Omit<WorkerListOptions, "limit" | "offset"> & IterateOptions;

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

  constructor(transport: Labtasker, options: LabtaskerClientOptions = {}) {
    this.transport = transport instanceof LabtaskerClient ? transport.transport : transport;
    this.mode = options.mode ?? "custom";
    this.queueName = options.queueName ?? null;
    this.password = options.password ?? null;
    this.root = options.root ?? null;
    this.heartbeatInterval = options.heartbeatInterval ?? null;
    this.idle = options.idle ?? new IdleGuard();
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
    if (filter == null || typeof filter === "function") return;
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
   * before any is stored.
   */
  submitTasks(tasks: SubmitTaskOptions[]): Promise<string[]> {
    return this.idle.run(() => this.transport.submitTasks(tasks));
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
      return this.pages<Task, LsTasksOptions>((page) => this.transport.lsTasks(page), { ...options, sort: toSortSpec(options.sort) }, (task) => task.taskId);
    });
  }

  /** One page of matching workers, as {@link lsTasks}. */
  lsWorkers(options: WorkerListOptions = {}): Promise<LsResult<Worker>> {
    return this.idle.run(async () => {
      await this.checkFilter(options.extraFilter, "worker");
      return this.pages<Worker, LsWorkersOptions>((page) => this.transport.lsWorkers(page), { ...options, sort: toSortSpec(options.sort) }, (worker) => worker.workerId);
    });
  }

  /** A listing whose limit may exceed a page: pages read by offset, repeats (from changes meanwhile) dropped. */
  private async pages<T, O extends LsOptions>(list: (options: O) => Promise<LsResult<T>>, options: O, idOf: (item: T) => string): Promise<LsResult<T>> {
    const limit = options.limit ?? PAGE.limit;
    // Limits a server refuses (not an integer, below 1) go to it as they are, for its validation error.
    if (!Number.isInteger(limit) || limit <= MAX_PAGE) return list(options);
    const seen = new Set<string>();
    const content: T[] = [];
    for (let offset = options.offset ?? 0; content.length < limit; ) {
      const want = Math.min(MAX_PAGE, limit - content.length);
      const page = await list({ ...options, offset, limit: want });
      for (const item of page.content) {
        if (seen.has(idOf(item))) continue;
        seen.add(idOf(item));
        content.push(item);
      }
      if (page.content.length < want) break;
      offset += page.content.length;
    }
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
  iterTasks(options: TaskIterateOptions = {}): AsyncGenerator<Task> {
    return this.iterate<Task, LsTasksOptions>((page) => this.transport.lsTasks(page), options, "task", (task) => task.taskId);
  }

  /** Every matching worker, page by page, as {@link iterTasks}. */
  iterWorkers(options: WorkerIterateOptions = {}): AsyncGenerator<Worker> {
    return this.iterate<Worker, LsWorkersOptions>((page) => this.transport.lsWorkers(page), options, "worker", (worker) => worker.workerId);
  }

  private async *iterate<T, O extends LsOptions>(
    list: (options: O) => Promise<LsResult<T>>,
    options: Omit<O, "limit" | "offset" | "sort"> & IterateOptions & { sort?: SortInput | null },
    kind: "task" | "worker",
    idOf: (item: T) => string,
  ): AsyncGenerator<T> {
    const { pageSize = MAX_PAGE, sort: sortInput, ...rest } = options;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) throw new RangeError(`pageSize must be an integer from 1 to ${MAX_PAGE} (got ${pageSize})`);
    const extraFilter = rest.extraFilter ?? null;
    const sort = toSortSpec(sortInput);
    const read = (filter: FilterInput | null, pageSort: SortSpec, offset: number) =>
      this.idle.run(() => list({ ...rest, extraFilter: filter, sort: pageSort, limit: pageSize, offset } as unknown as O));

    if (sort !== null || typeof extraFilter === "function") {
      await this.checkFilter(extraFilter, kind);
      const seen = new Set<string>();
      for (let offset = 0; ; offset += pageSize) {
        const page = await read(extraFilter, sort ?? [["_id", 1]], offset);
        for (const item of page.content) {
          if (seen.has(idOf(item))) continue;
          seen.add(idOf(item));
          yield item;
        }
        if (page.content.length < pageSize) return;
      }
    }

    // Compiled once (a date("3 hours ago") keeps one meaning for the whole iteration), as a MongoDB query that the
    // id condition can be ANDed with.
    let base: Record<string, unknown> | null = null;
    if (extraFilter !== null) {
      const { toWireFilter, WORKER_FILTER_FIELDS } = await filterModule();
      base = toWireFilter(extraFilter, kind === "worker" ? { fields: WORKER_FILTER_FIELDS } : {});
    }
    for (let after: string | null = null; ; ) {
      const page = await read(after === null ? base : afterId(base, after), [["_id", 1]], 0);
      for (const item of page.content) yield item;
      if (page.content.length < pageSize) return;
      after = idOf(page.content[page.content.length - 1]!);
    }
  }

  /**
   * Applies task updates (v1's `update_tasks`): object fields (`args`, `metadata`, `summary`) are merged one level
   * down unless listed in `replaceFields`; `resetPending` re-queues each task (status pending, retries 0). Any number
   * of updates: they go in batches of 1,000 (v1's bound).
   * @throws UpdateFailedError listing every update that failed (the others are applied, as in v1).
   */
  updateTasks(updates: TaskUpdate[], options?: UpdateTasksOptions): Promise<LsResult<Task>> {
    return this.idle.run(async () => {
      if (updates.length <= MAX_PAGE) return this.transport.updateTasks(updates, options);
      const content: Task[] = [];
      const failures: Array<[string, string]> = [];
      for (let start = 0; start < updates.length; start += MAX_PAGE) {
        try {
          content.push(...(await this.transport.updateTasks(updates.slice(start, start + MAX_PAGE), options)).content);
        } catch (error) {
          if (!(error instanceof UpdateFailedError)) throw error;
          failures.push(...error.failures);
          const failed = new Set(error.failures.map(([taskId]) => taskId));
          // The batch's successful updates are applied but not returned with the error: read them back.
          const applied = updates.slice(start, start + MAX_PAGE).filter((update) => !failed.has(update.taskId));
          for (const update of applied) content.push(await this.transport.getTask(update.taskId));
        }
      }
      if (failures.length > 0) throw new UpdateFailedError(failures, updates.length);
      return { found: content.length > 0, content };
    });
  }

  /** Deletes a task. @throws TaskNotFoundError */
  deleteTask(taskId: string): Promise<void> {
    return this.idle.run(() => this.transport.deleteTask(taskId));
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
    return this.idle.run(() => reportStatus(this.transport, taskId, status, options));
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

  /** Closes the connection (direct mode) or does nothing (HTTP). Idle clients never hold the process anyway. */
  close(): Promise<void> {
    return this.transport.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The {@link LabtaskerClient} for any API object (itself when it is one). */
export function asClient(api: Labtasker): LabtaskerClient {
  return api instanceof LabtaskerClient ? api : new LabtaskerClient(api);
}
