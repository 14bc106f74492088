/**
 * The labtasker v1 API as one TypeScript interface, implemented twice: on Redis directly (src/broker/direct.ts)
 * and over HTTP (src/client). The CLI and the SDK take either; one contract test suite runs against both.
 * A `Labtasker` is bound to one queue by its credentials, as labtasker's own client is by its config.
 */
import type { JsonObject } from "../json.js";
import type { Queue, QueueEvent, Task, TaskCommand, TaskStatus, Worker, WorkerStatus } from "./model.js";
import type { NotifyApi } from "./notify.js";

/**
 * A filter over task or worker documents (v1 field names): a Python-style expression (`args.lr > 0.01`), a Python
 * dict literal or object holding a MongoDB query, or an already compiled predicate over documents.
 */
export type FilterInput = string | Record<string, unknown> | DocumentPredicate;
/**
 * A compiled filter: true when a document (v1 shape, see src/store/codecs.ts) matches. Asynchronous for JSONata
 * expressions, which can only be evaluated that way.
 */
export type DocumentPredicate = (document: Record<string, unknown>) => boolean | Promise<boolean>;
/** Sort keys, v1's `[[field, 1 | -1], ...]`. */
export type SortSpec = Array<[field: string, direction: 1 | -1]>;

export interface CreateQueueOptions {
  queueName: string;
  password: string;
  metadata?: JsonObject | null;
}

export interface UpdateQueueOptions {
  newQueueName?: string | null;
  newPassword?: string | null;
  /** null: unchanged; `{}`: cleared; otherwise merged key by key at the top level. */
  metadataUpdate?: JsonObject | null;
}

export interface SubmitTaskOptions {
  taskName?: string | null;
  /** Dotted keys are nested: `{"a.b": 1}` is stored as `{"a": {"b": 1}}`. */
  args?: JsonObject | null;
  metadata?: JsonObject | null;
  cmd?: TaskCommand;
  /** Seconds without a heartbeat before a running task fails. @defaultValue null (no limit) */
  heartbeatTimeout?: number | null;
  /** Seconds a run may take in all. @defaultValue null (no limit) */
  taskTimeout?: number | null;
  /** Attempts before the task is failed for good. @defaultValue 3 */
  maxRetries?: number;
  /** Higher runs first. @defaultValue 10 */
  priority?: number;
  // Extensions (docs/tasks.md); labtasker v1's server ignores them.
  /**
   * Ids of tasks of the queue (or refs of earlier tasks of the same batch) that must have succeeded before this one
   * is fetched. An id that names no task, or the task itself, is refused.
   */
  dependsOn?: string[];
  /** A client key naming this task inside one batch, for later tasks' {@link dependsOn}; not of the task-id form. */
  ref?: string;
  /** Environment variables the loop sets for the task's command. */
  env?: Record<string, string>;
  /** Runs that may reach their deadline and go back to pending without using a retry. @defaultValue 0 */
  maxTimeouts?: number;
  /**
   * Return the existing task of the same `task_name` and `args` (metadata aside) instead of creating a second.
   * @defaultValue the queue metadata's `dedup` (false when unset)
   */
  dedup?: boolean;
  /** A client-chosen id (`t_` + 12 of `A-Za-z0-9_-`): the same definition again returns it, another is refused (409). */
  taskId?: string;
}

/** One submitted task's outcome (an extension): its id, and whether the submit created it (false: dedup, a client id). */
export interface SubmittedTask {
  taskId: string;
  created: boolean;
}

export interface LsOptions {
  extraFilter?: FilterInput | null;
  /** Page size, 1..1000. @defaultValue 100 */
  limit?: number;
  /** @defaultValue 0 */
  offset?: number;
  /** @defaultValue `[["last_modified", 1]]` (v1's server default) */
  sort?: SortSpec | null;
}

export interface LsTasksOptions extends LsOptions {
  taskId?: string | null;
  taskName?: string | null;
  status?: TaskStatus | null;
  /**
   * An extension: a listing snapshot's id, chosen by the client (1 to 64 of `A-Z a-z 0-9 _ -`), so that paging
   * through a queue that keeps changing costs one evaluation, not one per page. The first page (offset 0) evaluates
   * the listing and keeps its order under this id; later pages with the same id and query read their tasks from it,
   * as they are now (tasks deleted or no longer matching meanwhile are left out, and the page is filled from the
   * next ones). A snapshot is kept 5 minutes after its last page; a later page of one that is gone (or that another
   * server replica holds) fails with status {@link SNAPSHOT_GONE_STATUS}. Listings in index order (no filter, the
   * status indexes' order) are read live from the indexes at O(page) and keep no snapshot. Servers without the
   * extension (labtasker v1) ignore it.
   */
  snapshot?: string | null;
}

/** The status of the error for a page of a listing snapshot that is no longer kept ({@link LsTasksOptions.snapshot}). */
export const SNAPSHOT_GONE_STATUS = 410;

/** What a listing snapshot's id may be ({@link LsTasksOptions.snapshot}). */
export const SNAPSHOT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Which tasks a count counts: the listing's target. */
/** The protocol extensions a client asks about before relying on them (see `Labtasker.supports`). */
export type ClientExtension = "listing-snapshots" | "task-count" | "worker-telemetry";

export type CountTasksOptions = Pick<LsTasksOptions, "taskId" | "taskName" | "status" | "extraFilter">;

/** Tasks per status; 0 for a status the count did not ask for. */
export type TaskCounts = Record<TaskStatus, number>;

export interface LsWorkersOptions extends LsOptions {
  workerId?: string | null;
  workerName?: string | null;
  status?: WorkerStatus | null;
}

export interface LsResult<T> {
  found: boolean;
  content: T[];
}

export interface FetchTaskOptions {
  workerId?: string | null;
  /** Overrides the task timeout for this run: seconds, or a duration like "1h30m". */
  etaMax?: string | null;
  /** Overrides the task's heartbeat timeout for this run, in seconds. */
  heartbeatTimeout?: number | null;
  /** @defaultValue true; false requires `etaMax`. */
  startHeartbeat?: boolean;
  /** Arg keys the worker uses ("no more, no less"); `"*"` allows extra keys. */
  requiredFields?: string[] | null;
  extraFilter?: FilterInput | null;
  /** The worker's command, recorded on the task. */
  cmd?: TaskCommand;
  /**
   * Reports the worker's previous task first, in the same round trip (an extension; with labtasker v1's server the
   * client sends two requests). If the report is refused, nothing is fetched and the report's error is raised.
   */
  report?: { taskId: string; status: ReportStatus; summary?: JsonObject | null };
}

/** `running` is an extension: it merges a summary into a task that keeps running. */
export type ReportStatus = "success" | "failed" | "cancelled" | "running";

export interface ReportTaskStatusOptions {
  /** null: unchanged; `{}`: cleared; otherwise merged key by key at the top level. */
  summary?: JsonObject | null;
  /** When given, the report is refused (409) unless this worker holds the task. */
  workerId?: string | null;
  /**
   * With status `failed`: the run ended by reaching its deadline (an extension, body `timed_out`; labtasker v1's
   * server ignores it). The task goes back to pending without using a retry while it has timeouts left
   * (`maxTimeouts`), else it is a failure as any other. @defaultValue false
   */
  timedOut?: boolean;
}

/** One task's update: only the fields present are written. */
export interface TaskUpdate {
  taskId: string;
  /** Fields replaced whole; other object fields are merged one level down (dotted keys reach deeper). */
  replaceFields?: string[];
  status?: TaskStatus;
  taskName?: string | null;
  heartbeatTimeout?: number | null;
  taskTimeout?: number | null;
  maxRetries?: number;
  retries?: number;
  priority?: number;
  metadata?: JsonObject;
  args?: JsonObject;
  cmd?: TaskCommand;
  summary?: JsonObject;
}

/** The task fields an update may write: {@link TaskUpdate} property -> labtasker v1's field name. */
export const TASK_UPDATE_FIELDS = {
  status: "status",
  taskName: "task_name",
  heartbeatTimeout: "heartbeat_timeout",
  taskTimeout: "task_timeout",
  maxRetries: "max_retries",
  retries: "retries",
  priority: "priority",
  metadata: "metadata",
  args: "args",
  cmd: "cmd",
  summary: "summary",
} as const satisfies Partial<Record<keyof TaskUpdate, string>>;

export interface UpdateTasksOptions {
  /** Re-queue each task: status pending, retries 0, no worker. @defaultValue false */
  resetPending?: boolean;
}

/** One chunk of a run's output for its task's log (an extension: labtasker v1 keeps no logs). */
export interface TaskLogAppend {
  /** The attempt's number, or 0 on a run's first chunk: opens the next attempt (returned). */
  attempt: number;
  /** A token unique to the run: a first chunk sent twice with it opens one attempt. */
  run: string;
  /** Where `data` starts in the run's output; past the end kept, the bytes between count as dropped. */
  offset: number;
  data: Uint8Array;
  /** The run's last chunk. @defaultValue false */
  ended?: boolean;
}

/** One run's chunk in a batch of several runs' chunks ({@link Labtasker.appendTaskLogs}). */
export interface TaskLogBatchEntry {
  taskId: string;
  chunk: TaskLogAppend;
}

/** What became of one chunk of a batch: its attempt's number, or why it alone was refused (its task gone, a bad field). */
export type TaskLogBatchResult = { attempt: number } | { error: Error };

export interface ReadTaskLogOptions {
  /** 1 for the first run. @defaultValue the last one */
  attempt?: number | null;
  /** Bytes of the attempt's output already read. @defaultValue 0 */
  offset?: number;
  /** Wait up to this long for output past `offset`, or the attempt's end (long polling). @defaultValue 0 */
  waitMs?: number;
}

/** Part of one attempt's output, as kept: each task keeps the last 1 MiB of output over its attempts. */
export interface TaskLogChunk {
  /** The attempt read (0 when the task has no log). */
  attempt: number;
  /** The task's attempts with a log. */
  attempts: number;
  /** Offset of `data` in the attempt's output: past the offset asked for when earlier bytes were dropped. */
  offset: number;
  /** The offset after `data`, for the next read. */
  next: number;
  /** Whether the run ended (no more output will come). */
  ended: boolean;
  data: Uint8Array;
}

export interface CreateWorkerOptions {
  workerName?: string | null;
  metadata?: JsonObject | null;
  /** Failures after which the worker is crashed. @defaultValue 3 */
  maxRetries?: number;
}

export interface EventsOptions {
  /** Replay events after this sequence number first (an extension; v1 has no replay). */
  afterSequence?: number;
  signal?: AbortSignal;
}

export interface HealthStatus {
  status: "healthy" | "unhealthy";
  database: string;
}

/** Every operation on one queue; the notification rules' (an extension) are in {@link NotifyApi}. */
export interface Labtasker extends AsyncDisposable, NotifyApi {
  health(): Promise<HealthStatus>;

  /** Creates a queue (no credentials needed) and returns its id. */
  createQueue(options: CreateQueueOptions): Promise<string>;
  getQueue(): Promise<Queue>;
  updateQueue(options: UpdateQueueOptions): Promise<Queue>;
  /** @param options.cascadeDelete also delete the queue's tasks and workers (default true, as v1's client). */
  deleteQueue(options?: { cascadeDelete?: boolean }): Promise<void>;

  submitTask(options: SubmitTaskOptions): Promise<string>;
  /** Submits many tasks in few round trips; ids come back in order. */
  submitTasks(tasks: SubmitTaskOptions[]): Promise<string[]>;
  /**
   * {@link submitTasks}, telling for each task whether it was created or found there already (dedup, a client id:
   * docs/tasks.md). An extension: our server and direct mode; labtasker v1's server creates every task.
   */
  submitTasksDetailed?(tasks: SubmitTaskOptions[]): Promise<SubmittedTask[]>;
  getTask(taskId: string): Promise<Task>;
  lsTasks(options?: LsTasksOptions): Promise<LsResult<Task>>;
  /** Tasks per status (an extension): O(1) per status without a filter; a filter costs one evaluation. */
  countTasks(options?: CountTasksOptions): Promise<TaskCounts>;
  /**
   * Whether the queue's server offers an extension whose absence changes what a client does: `listing-snapshots`
   * (`lsTasks` keeps {@link LsTasksOptions.snapshot}s), `task-count` (`countTasks` is one request, not a reading
   * of every task) and `worker-telemetry` ({@link Labtasker.reportWorkerTelemetry}). Our server and direct mode offer
   * them all; labtasker v1's server none.
   */
  supports(extension: ClientExtension): Promise<boolean>;
  /**
   * Applies up to 1,000 updates, in order. When some fail, UpdateFailedError lists them: our server and direct mode
   * then write none of the request (`othersApplied` false), labtasker v1's server writes the others.
   */
  updateTasks(updates: TaskUpdate[], options?: UpdateTasksOptions): Promise<LsResult<Task>>;
  deleteTask(taskId: string): Promise<void>;
  /**
   * Deletes many tasks in few round trips; returns the ids that named no task (the others are deleted). Our server
   * (an extension) and direct mode delete up to 1,000 ids at a time, each such batch at once or not at all.
   */
  deleteTasks(taskIds: readonly string[]): Promise<string[]>;
  /** Claims the best matching pending task, or returns null when none matches. */
  fetchTask(options?: FetchTaskOptions): Promise<Task | null>;
  reportTaskStatus(taskId: string, status: ReportStatus, options?: ReportTaskStatusOptions): Promise<void>;
  refreshTaskHeartbeat(taskId: string, workerId?: string | null): Promise<void>;

  createWorker(options?: CreateWorkerOptions): Promise<string>;
  lsWorkers(options?: LsWorkersOptions): Promise<LsResult<Worker>>;
  getWorker(workerId: string): Promise<Worker>;
  reportWorkerStatus(workerId: string, status: WorkerStatus): Promise<void>;
  /** @param options.cascadeUpdate clear the worker from its tasks (default true). */
  deleteWorker(workerId: string, options?: { cascadeUpdate?: boolean }): Promise<void>;

  /**
   * Replaces the worker's telemetry with this sample (an extension, {@link WorkerTelemetry}): a JSON object of at most
   * 4 KiB. Offered where `supports("worker-telemetry")` says so.
   */
  reportWorkerTelemetry?(workerId: string, data: JsonObject): Promise<void>;

  /** Adds a chunk of a run's output to its task's log, returning the attempt's number (an extension). */
  appendTaskLog?(taskId: string, chunk: TaskLogAppend): Promise<number>;
  /**
   * Adds chunks of several runs' output in one request, each as {@link appendTaskLog} would; one result per chunk, in
   * order (an extension; the HTTP client sends one request per chunk to a server without `task-logs-batch`).
   */
  appendTaskLogs?(entries: readonly TaskLogBatchEntry[]): Promise<TaskLogBatchResult[]>;
  /** Reads a task's log (an extension). */
  readTaskLog?(taskId: string, options?: ReadTaskLogOptions): Promise<TaskLogChunk>;

  /** State transitions of the queue as they happen. */
  events(options?: EventsOptions): AsyncIterable<QueueEvent>;

  close(): Promise<void>;
}
