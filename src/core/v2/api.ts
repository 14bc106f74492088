/**
 * labtasker v2's operations (2.8.0, 24 routes under /api/v2), as one interface over queues named in each call. The
 * broker implements it on the same Redis records as v1 (src/broker/v2/); the HTTP layer (src/http/routes/v2/) is a
 * thin translation of it. Errors are {@link V2Error}s. Validation of ids, names, sizes and JSON depth happens at the
 * HTTP boundary; the broker checks what needs the stored state (existence, status, fencing).
 */
import type { JsonObject } from "../../json.js";
import type { V2Claim, V2Task, V2TaskStatus, V2WorkerObservation } from "./model.js";

/** Which tasks a list, count or bulk update reads. */
export interface V2TaskSelection {
  status?: V2TaskStatus | null;
  /** Exact task name. */
  name?: string | null;
  /** Case-insensitive subsequence match per whitespace-separated word (v2's `name_fuzzy`). */
  nameFuzzy?: string | null;
  /** v2's filter language (src/filter/v2), over the task document. */
  filter?: string | null;
  /** @defaultValue false: archived tasks are left out. */
  includeArchived?: boolean;
}

export const V2_TASK_ORDER_FIELDS = [
  "id", "name", "status", "priority", "attempt", "max_attempts", "last_route",
  "created_at", "updated_at", "started_at", "finished_at",
] as const;
export type V2TaskOrderField = (typeof V2_TASK_ORDER_FIELDS)[number];

export interface V2Page {
  /** 1..1000. @defaultValue 100 */
  limit?: number;
  /** The `next_cursor` of the previous page; bound to the selection and order (else `invalid_cursor`). */
  cursor?: string | null;
}

export interface V2ListTasksOptions extends V2TaskSelection, V2Page {
  /** @defaultValue "created_at" */
  orderBy?: V2TaskOrderField;
  /** @defaultValue true (2.8.0 lists newest first) */
  descending?: boolean;
}

export interface V2PageResult<T> {
  items: T[];
  nextCursor: string | null;
}

export type V2TaskGroupField = "routes" | "status";
export type V2WorkerGroupField = "route" | "status";

/** A grouped count: `count` is the number of matches (a task with two routes is in two route groups). */
export interface V2GroupedCount<F extends string> {
  groupBy: F[];
  count: number;
  items: Array<{ key: Partial<Record<F, string>>; count: number }>;
  nextCursor: string | null;
}

export interface V2TaskCreate {
  name?: string | null;
  args?: JsonObject;
  metadata?: JsonObject;
  /** @defaultValue 0 */
  priority?: number;
  /** @defaultValue 3 */
  max_attempts?: number;
  /** @defaultValue ["default"] */
  routes?: string[];
  /** @defaultValue [] */
  dependencies?: string[];
}

/** A PATCH: each field present replaces the stored one whole. */
export interface V2TaskUpdate {
  archived?: boolean;
  name?: string | null;
  args?: JsonObject;
  metadata?: JsonObject;
  priority?: number;
  max_attempts?: number;
  routes?: string[];
  dependencies?: string[];
  result?: JsonObject;
}

export interface V2FailureReport {
  type: string;
  message: string;
  traceback?: string | null;
}

export interface V2WorkerReport {
  route: string;
  status: "idle" | "busy";
  task_id: string | null;
  metadata?: JsonObject;
}

export interface V2WorkerSelection extends V2Page {
  /** v2's filter language over the worker observation. */
  filter?: string | null;
}

export interface LabtaskerV2 {
  /** Queue names, sorted. `default` exists on a fresh store. */
  listQueues(): Promise<string[]>;
  /** Creates the queue unless it exists; true when created. */
  ensureQueue(queue: string): Promise<boolean>;
  /** `queue_not_empty` without cascade when tasks remain; `queue_has_running_tasks` whenever one runs. */
  deleteQueue(queue: string, options?: { cascade?: boolean }): Promise<void>;

  /** Create-by-id: the same definition again returns the stored task (`created` false); another is `task_id_conflict`. */
  putTask(queue: string, taskId: string, create: V2TaskCreate): Promise<{ task: V2Task; created: boolean }>;
  getTask(queue: string, taskId: string): Promise<V2Task>;
  listTasks(queue: string, options?: V2ListTasksOptions): Promise<V2PageResult<V2Task>>;
  countTasks(queue: string, selection?: V2TaskSelection): Promise<number>;
  countTaskGroups(queue: string, selection: V2TaskSelection, groupBy: V2TaskGroupField[], page?: V2Page): Promise<V2GroupedCount<V2TaskGroupField>>;
  /** `task_running` for a running task. */
  updateTask(queue: string, taskId: string, update: V2TaskUpdate): Promise<V2Task>;
  /** Atomic; running tasks are skipped; archiving an unfinished match refuses the whole batch (`update_conflict`). */
  updateTasks(queue: string, selection: V2TaskSelection, changes: V2TaskUpdate): Promise<{ matched: number; updated: number }>;

  /** The best claimable task on the route, or null. The same `runId` again returns the same claim. */
  claimTask(queue: string, route: string, runId: string): Promise<V2Claim | null>;
  /** Renews the lease; `stale_run` / `run_finalized` when the run is no longer the task's. */
  heartbeat(queue: string, taskId: string, runId: string): Promise<Date>;
  reportProgress(queue: string, taskId: string, runId: string, progress: JsonObject): Promise<void>;
  completeTask(queue: string, taskId: string, runId: string, result: JsonObject): Promise<void>;
  failTask(queue: string, taskId: string, runId: string, error: V2FailureReport): Promise<void>;
  /** Gives the claim back without charging the attempt. */
  unclaimTask(queue: string, taskId: string, runId: string): Promise<void>;
  cancelTask(queue: string, taskId: string): Promise<V2Task>;
  requeueTask(queue: string, taskId: string): Promise<V2Task>;
  /** Idempotent; `task_running` for a running task. */
  deleteTask(queue: string, taskId: string): Promise<void>;

  listWorkers(queue: string, options?: V2WorkerSelection): Promise<V2PageResult<V2WorkerObservation>>;
  countWorkers(queue: string, filter?: string | null): Promise<number>;
  countWorkerGroups(queue: string, filter: string | null, groupBy: V2WorkerGroupField[], page?: V2Page): Promise<V2GroupedCount<V2WorkerGroupField>>;
  reportWorker(queue: string, workerId: string, report: V2WorkerReport): Promise<void>;
  reportWorkerTelemetry(queue: string, workerId: string, telemetry: JsonObject): Promise<void>;
  deleteWorker(queue: string, workerId: string): Promise<void>;
}
