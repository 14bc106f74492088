/**
 * What a job can ask about the task it runs, in the loop's own process or in any process it starts: labtasker v1's
 * `task_info()`, `current_task_id()`, `current_worker_id()`, `is_enabled()` and `finish()`.
 *
 * Inside the loop's process the answers come from the run in progress. In a child process they come from the
 * environment the loop exports (LABTASKER_TASK_ID, LABTASKER_WORKER_ID, LABTASKER_LOG_DIR, LABTASKER_ROOT) and from
 * the run directory: `task_info.json` for the task, `summary.json` (created with O_EXCL) so that only the first
 * `finish()` of a task reports it, whichever process calls it.
 */
import { join } from "node:path";
import type { Labtasker } from "../core/api.js";
import type { JsonObject } from "../json.js";
import type { Task } from "../core/model.js";
import { RUN_FILES, readTaskInfo, stopHeartbeat, writeOutcome } from "./files.js";

/** The variables the loop exports to its jobs. */
export const RUNNER_ENV = {
  taskId: "LABTASKER_TASK_ID",
  workerId: "LABTASKER_WORKER_ID",
  logDir: "LABTASKER_LOG_DIR",
  root: "LABTASKER_ROOT",
  /** When the run must end, in whole epoch seconds (absent without a deadline): see ./deadline.ts. */
  deadline: "LABTASKER_DEADLINE",
} as const;

/** A final status a job may report. */
export type FinishStatus = "success" | "failed";

/** The run in progress in this process, as the loop registers it. */
export interface ActiveRun {
  task: Task;
  workerId: string | null;
  logDir: string;
  /** When the run must end (ms since the epoch), null without a deadline. */
  deadlineMs: number | null;
  finish(status: FinishStatus, summary?: JsonObject | null, timedOut?: boolean): Promise<void>;
}

let active: ActiveRun | null = null;

/** Registers (or, with null, clears) the run in progress; used by the loop only. */
export function setActiveRun(run: ActiveRun | null): void {
  active = run;
}

/** Raised when a helper needs a task and none is running. */
export class NoTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

function env(name: string): string | null {
  const value = process.env[name];
  return value === undefined || value === "" ? null : value;
}

/** The id of the task being run, or null outside a loop. */
export function currentTaskId(): string | null {
  return active?.task.taskId ?? env(RUNNER_ENV.taskId);
}

/** The id of the worker running the loop, or null outside a loop. */
export function currentWorkerId(): string | null {
  return active ? active.workerId : env(RUNNER_ENV.workerId);
}

/** Whether this code runs under a labtasker loop (v1's `is_enabled()`). */
export function isEnabled(): boolean {
  return currentWorkerId() !== null;
}

/** The run directory of the current task, or null outside a loop. */
export function currentLogDir(): string | null {
  return active?.logDir ?? env(RUNNER_ENV.logDir);
}

/**
 * Seconds left until the current run's deadline (negative once it passed), or null without one: outside a loop, or
 * for a task with neither a timeout nor the loop's `--eta-max`. In the loop's process from the run in progress,
 * elsewhere from LABTASKER_DEADLINE (whole seconds).
 */
export function remainingTime(): number | null {
  if (active) return active.deadlineMs === null ? null : (active.deadlineMs - Date.now()) / 1000;
  const deadline = env(RUNNER_ENV.deadline);
  if (deadline === null || !Number.isFinite(Number(deadline))) return null;
  return Number(deadline) - Date.now() / 1000;
}

/**
 * The task being run: the loop's own copy in its process, else `$LABTASKER_LOG_DIR/task_info.json`.
 * @throws NoTaskError outside a loop.
 */
export function taskInfo(): Task {
  if (active) return active.task;
  const dir = env(RUNNER_ENV.logDir);
  if (dir === null) throw new NoTaskError("No task info: this process was not started by a labtasker loop (LABTASKER_LOG_DIR is not set).");
  try {
    return readTaskInfo(dir);
  } catch (error) {
    throw new NoTaskError(`Could not load task info from ${join(dir, RUN_FILES.taskInfo)}: ${(error as Error).message}`);
  }
}

export interface FinishOptions {
  /**
   * Outside a loop (LABTASKER_TASK_ID unset): return quietly when true, throw {@link NoTaskError} when false.
   * @defaultValue true (v1's `skip_if_no_labtasker`)
   */
  skipIfNoLabtasker?: boolean;
  /**
   * The API to report through from a child process. @defaultValue one opened from the client configuration
   * (`$LABTASKER_ROOT/client.toml` and the LABTASKER_* variables), closed afterwards
   */
  client?: Labtasker;
  /**
   * With status `failed`: the run ran out of time (reported with `timed_out`, docs/loop.md "Deadlines"), so a task
   * with timeouts left goes back to pending without using a retry. @defaultValue false
   */
  timedOut?: boolean;
}

/**
 * Reports the current task's final status and summary, once: in the loop's process through the run in progress,
 * elsewhere (a command the loop started, or its children) by stopping the loop's heartbeat (deleting
 * `heartbeat.lock`), creating `summary.json` with O_EXCL (a task already finished is left alone), writing
 * `status.json` and reporting. The loop's own report after the command exits is then skipped, so the child's wins.
 */
export async function finish(status: FinishStatus, summary?: JsonObject | null, options: FinishOptions = {}): Promise<void> {
  if (status !== "success" && status !== "failed") throw new RangeError(`status must be "success" or "failed" (got ${JSON.stringify(status)})`);
  const timedOut = status === "failed" && options.timedOut === true;
  if (active) return active.finish(status, summary, timedOut);
  const taskId = env(RUNNER_ENV.taskId);
  if (taskId === null) {
    if (options.skipIfNoLabtasker ?? true) return;
    throw new NoTaskError("Current job is not run by a labtasker loop: LABTASKER_TASK_ID is not set.");
  }
  const dir = env(RUNNER_ENV.logDir);
  if (dir === null) throw new NoTaskError("LABTASKER_TASK_ID is set but LABTASKER_LOG_DIR is not: cannot finish the task.");
  stopHeartbeat(dir);
  if (!writeOutcome(dir, status, summary)) return;
  const client = options.client ?? (await openConfiguredClient());
  try {
    await client.reportTaskStatus(taskId, status, { summary: summary ?? null, workerId: env(RUNNER_ENV.workerId), ...(timedOut ? { timedOut } : {}) });
  } finally {
    if (!options.client) await client.close();
  }
}

/** The API as the client configuration describes it (loaded only when a child process reports). */
async function openConfiguredClient(): Promise<Labtasker> {
  const [{ loadClientConfig }, { connect }] = await Promise.all([import("../config/clientConfig.js"), import("../config/connect.js")]);
  return connect(loadClientConfig());
}
