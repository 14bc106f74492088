/**
 * The module-level API, as labtasker's Python module offers it (`labtasker.submit_task(...)` is `submitTask(...)`
 * here): each function calls the same method of the default client (./scope.ts), which comes from the configuration
 * unless `configure()` says otherwise, and is the loop's own client inside a `loop()` handler.
 */
import type {
  CreateWorkerOptions,
  FetchTaskOptions,
  HealthStatus,
  LsResult,
  ReportStatus,
  ReportTaskStatusOptions,
  SubmitTaskOptions,
  TaskUpdate,
  UpdateQueueOptions,
  UpdateTasksOptions,
} from "../core/api.js";
import type { JsonObject } from "../json.js";
import type { Queue, QueueEvent, Task, Worker, WorkerStatus } from "../core/model.js";
import { currentTaskId, type FinishOptions, type FinishStatus } from "../runner/context.js";
import type {
  ClientCreateQueueOptions,
  ClientEventsOptions,
  TaskIterateOptions,
  TaskListOptions,
  WorkerIterateOptions,
  WorkerListOptions,
} from "./client.js";
import { LabtaskerClient } from "./client.js";
import { finishOwn } from "./current.js";
import { defaultClient } from "./scope.js";

/** v1's `health_check()`: whether the server (and its database) or Redis answers. */
export async function health(): Promise<HealthStatus> {
  return (await defaultClient()).health();
}

/** Creates the configured queue (v1's `create_queue`; `labtasker queue create-from-config`), or the one given. */
export async function createQueue(options?: ClientCreateQueueOptions): Promise<string> {
  return (await defaultClient()).createQueue(options);
}

/** v1's `get_queue()`: the configured queue. */
export async function getQueue(): Promise<Queue> {
  return (await defaultClient()).getQueue();
}

/** v1's `update_queue()`: renames the queue, changes its password, or merges its metadata. */
export async function updateQueue(options: UpdateQueueOptions): Promise<Queue> {
  return (await defaultClient()).updateQueue(options);
}

/** v1's `delete_queue()`: deletes the queue, with its tasks and workers unless `cascadeDelete` is false. */
export async function deleteQueue(options?: { cascadeDelete?: boolean }): Promise<void> {
  return (await defaultClient()).deleteQueue(options);
}

/** v1's `submit_task()`: submits a task and returns its id. */
export async function submitTask(options: SubmitTaskOptions): Promise<string> {
  return (await defaultClient()).submitTask(options);
}

/** Submits many tasks in few round trips (see `LabtaskerClient.submitTasks`); ids come back in order. */
export async function submitTasks(tasks: SubmitTaskOptions[]): Promise<string[]> {
  return (await defaultClient()).submitTasks(tasks);
}

/** One task by id. @throws TaskNotFoundError */
export async function getTask(taskId: string): Promise<Task> {
  return (await defaultClient()).getTask(taskId);
}

/** v1's `ls_tasks()`: one page of matching tasks (see `LabtaskerClient.lsTasks`). */
export async function lsTasks(options?: TaskListOptions): Promise<LsResult<Task>> {
  return (await defaultClient()).lsTasks(options);
}

/** Every matching task, page by page (see `LabtaskerClient.iterTasks`). */
export async function* iterTasks(options?: TaskIterateOptions): AsyncGenerator<Task> {
  yield* (await defaultClient()).iterTasks(options);
}

/** v1's `update_tasks()`: merges fields into tasks (see `LabtaskerClient.updateTasks`). */
export async function updateTasks(updates: TaskUpdate[], options?: UpdateTasksOptions): Promise<LsResult<Task>> {
  return (await defaultClient()).updateTasks(updates, options);
}

/** v1's `delete_task()`. @throws TaskNotFoundError */
export async function deleteTask(taskId: string): Promise<void> {
  return (await defaultClient()).deleteTask(taskId);
}

/** v1's `fetch_task()`: claims the best matching pending task, or returns null. */
export async function fetchTask(options?: FetchTaskOptions): Promise<Task | null> {
  return (await defaultClient()).fetchTask(options);
}

/**
 * v1's `report_task_status()`: `success`, `failed`, `cancelled`, or `running` (merges a summary into a running
 * task). About the task being run, the report goes through the run (see `LabtaskerClient.reportTaskStatus`).
 */
export async function reportTaskStatus(taskId: string, status: ReportStatus, options?: ReportTaskStatusOptions): Promise<void> {
  return (await defaultClient()).reportTaskStatus(taskId, status, options);
}

/** v1's `refresh_task_heartbeat()`. */
export async function refreshTaskHeartbeat(taskId: string, workerId?: string | null): Promise<void> {
  return (await defaultClient()).refreshTaskHeartbeat(taskId, workerId);
}

/** v1's `create_worker()`: returns the new worker's id. */
export async function createWorker(options?: CreateWorkerOptions): Promise<string> {
  return (await defaultClient()).createWorker(options);
}

/** v1's `ls_workers()`: one page of matching workers. */
export async function lsWorkers(options?: WorkerListOptions): Promise<LsResult<Worker>> {
  return (await defaultClient()).lsWorkers(options);
}

/** Every matching worker, page by page. */
export async function* iterWorkers(options?: WorkerIterateOptions): AsyncGenerator<Worker> {
  yield* (await defaultClient()).iterWorkers(options);
}

/** One worker by id. @throws WorkerNotFoundError */
export async function getWorker(workerId: string): Promise<Worker> {
  return (await defaultClient()).getWorker(workerId);
}

/** v1's `report_worker_status()`: `active` reactivates a suspended or crashed worker. */
export async function reportWorkerStatus(workerId: string, status: WorkerStatus): Promise<void> {
  return (await defaultClient()).reportWorkerStatus(workerId, status);
}

/** v1's `delete_worker()`. */
export async function deleteWorker(workerId: string, options?: { cascadeUpdate?: boolean }): Promise<void> {
  return (await defaultClient()).deleteWorker(workerId, options);
}

/**
 * The queue's events as an async iterator, reconnecting with replay from the last event seen (v1's
 * `connect_events().iter_events()`; see `LabtaskerClient.events`).
 */
export async function* events(options?: ClientEventsOptions): AsyncGenerator<QueueEvent> {
  yield* (await defaultClient()).events(options);
}

/**
 * v1's `finish()`: reports the current task's final status and summary, once, in a `loop()` handler or in any
 * process a loop started (`labtasker loop -- node job.js`); the loop then does not report it again. Outside a loop
 * it does nothing (or throws `NoTaskError` with `skipIfNoLabtasker: false`). From a child process the report goes
 * through `options.client`, else the default client.
 */
export async function finish(status: FinishStatus, summary?: JsonObject | null, options: FinishOptions = {}): Promise<void> {
  // Only a child process reports through this client; the loop's own process reports through its run (and inside a
  // handler the default client is the loop's, so nothing is connected for it).
  const given = options.client;
  const client = given instanceof LabtaskerClient ? given : given === undefined && currentTaskId() !== null ? await defaultClient() : null;
  if (client === null) return finishOwn(status, summary, options);
  // The report goes through the client's transport (the client itself would route it back here), held as a call in
  // flight: an idle direct-mode connection does not keep the process alive, and a script's last await is this one.
  return client.hold(() => finishOwn(status, summary, { ...options, client: client.transport }));
}
