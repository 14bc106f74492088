/** What the loop runs for each task: the job, what it gets besides the task, and how it fails without an exception. */
import type { Task } from "../core/model.js";
import type { JsonObject } from "../json.js";
import type { FinishStatus } from "./context.js";
import type { LoopLogger } from "./logger.js";

/** What a job gets besides the task. */
export interface LoopJobContext {
  task: Task;
  workerId: string;
  /** The run directory (`$LABTASKER_LOG_DIR`). */
  logDir: string;
  /**
   * The environment for processes the job starts: this process's, with the LABTASKER_* variables of the run, and the
   * task's `env` (which never sets CUDA_VISIBLE_DEVICES or LABTASKER_*).
   */
  env: NodeJS.ProcessEnv;
  /**
   * Aborted when the loop is told to stop (first Ctrl+C, SIGTERM, SIGHUP), or `grace` seconds before the run's
   * deadline (reason "SIGTERM": the run then ends as timed out, see ./deadline.ts); `reason` is the `StopSignal`.
   */
  signal: AbortSignal;
  /**
   * Aborted on a second stop request (the process exits right after), or at the run's deadline: end at once (kill
   * what the job started).
   */
  forceSignal: AbortSignal;
  log: LoopLogger;
  /** Reports the task now (see `finish()` in ./context.ts); the loop's own report is then skipped. */
  finish(status: FinishStatus, summary?: JsonObject | null): Promise<void>;
}

/** The work done for one task; a rejection is a failed run. */
export interface LoopJob {
  (task: Task, context: LoopJobContext): Promise<void>;
  /**
   * The job has started what it runs by the time its call returns (a command job: its spawn is synchronous), so the
   * loop may hold its own lines about the run until then (src/runner/taskRun.ts). A function job's output is never
   * held: it may compute, print or exit before its first `await`.
   */
  readonly startsWhenCalled?: boolean;
}

/**
 * A failed run whose cause is not a JavaScript exception (a command's exit code). Named as v1's exception so the
 * `labtasker_exception.type` in summaries stays the same; `details` (the end of the command's output) becomes the
 * summary's `traceback`.
 */
export class JobFailedError extends Error {
  constructor(
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = "_LabtaskerJobFailed";
  }
}
