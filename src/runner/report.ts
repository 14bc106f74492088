/**
 * The loop's own success report rides on its next fetch. labtasker v1 reports a task, then fetches the next: two
 * round trips in every gap between two tasks. Our server's report-and-fetch extension does both in one script call
 * (the HTTP client falls back to the two requests against a server without it), which takes one of the two out of
 * that gap (docs/benchmarks.md, the GPU pool's idle gap).
 *
 * Only the request waits: the run's `summary.json` (the guard against a second report) is created when the job
 * returns, as before, so a process that calls `finish()` later still finds the task finished; `status.json` follows
 * once the fetch carrying the report has left (./state.ts `defer`). The wait is the few
 * milliseconds until the next fetch; whatever ends the loop first (a signal, an error, a refused fetch) sends the
 * report on its own, and so does a fetch that failed in a way that leaves the report's fate unknown (the standalone
 * report retries through a server's hiccup, as it always did). The observer (a pool) hears that the task ended once
 * its report is in, so a slot that dies before then still has its task reported by the pool.
 */
import { InvalidStateTransitionError, TaskNotFoundError, TaskNotRunningError, UpdateFailedError, WorkerMismatchError, WorkerNotFoundError, WorkerSuspendedError } from "../core/errors.js";
import type { FetchTaskOptions } from "../core/api.js";
import type { Task } from "../core/model.js";
import type { LoopLogger } from "./logger.js";
import type { LoopState } from "./state.js";

/** A success the loop has recorded in the run directory and not yet sent. */
export interface PendingReport {
  task: Task;
  /** The worker that held the task (the loop may have registered a new one since). */
  workerId: string;
}

/** Errors saying the task is no longer this worker's to report: cancelled, reset, deleted or timed out meanwhile. */
export function isTaskTakenAway(error: unknown): boolean {
  return (
    error instanceof WorkerMismatchError ||
    error instanceof InvalidStateTransitionError ||
    error instanceof TaskNotFoundError ||
    error instanceof TaskNotRunningError ||
    error instanceof UpdateFailedError
  );
}

/** The line for a report the server refused because the task was taken away (see {@link isTaskTakenAway}). */
export function warnTakenAway(log: LoopLogger, taskId: string, status: string, error: unknown): void {
  log.warn(
    error instanceof TaskNotFoundError
      ? `Task ${taskId} no longer exists on the server (deleted, or the server's Redis lost data): its ${status} report was dropped; going on with the next task.`
      : `Task ${taskId} was changed while it ran (cancelled, reset or timed out): its ${status} report was refused: ${(error as Error).message}`,
  );
}

/** The report for the next fetch to carry, or undefined when there is none (or it belongs to another worker). */
export function reportToCarry(state: LoopState): FetchTaskOptions["report"] {
  const pending = state.pendingReport;
  if (pending === null || pending.workerId !== state.workerId) return undefined;
  return { taskId: pending.task.taskId, status: "success" };
}

/** The pending report is in (or refused for good): the observer hears that its task ended. */
export function reportSettled(state: LoopState): void {
  const pending = state.pendingReport;
  if (pending === null) return;
  state.pendingReport = null;
  state.settings.observer?.taskEnded(pending.task);
}

/**
 * After a fetch that carried the pending report failed: `"refused"` when the report itself was refused (nothing was
 * fetched: fetch again); `"sent"` when the report went through and the fetch half refused (the worker is suspended
 * or gone); otherwise the report is sent on its own now, and this throws if that fails too (it stays pending).
 */
export async function settleAfterFailedFetch(state: LoopState, error: unknown): Promise<"refused" | "sent"> {
  const pending = state.pendingReport!;
  if (isTaskTakenAway(error)) {
    warnTakenAway(state.settings.log, pending.task.taskId, "success", error);
    reportSettled(state);
    return "refused";
  }
  if (error instanceof WorkerSuspendedError || error instanceof WorkerNotFoundError) {
    reportSettled(state);
    return "sent";
  }
  await sendPendingReport(state);
  return "sent";
}

/** Sends the pending report on its own (with the client's retries); throws when it could not be sent. */
export async function sendPendingReport(state: LoopState): Promise<void> {
  const pending = state.pendingReport;
  if (pending === null) return;
  try {
    await state.settings.client.reportTaskStatus(pending.task.taskId, "success", { summary: null, workerId: pending.workerId });
  } catch (error) {
    if (!isTaskTakenAway(error)) throw error;
    warnTakenAway(state.settings.log, pending.task.taskId, "success", error);
  }
  reportSettled(state);
}

/** At the end of the loop: the pending report sent, or a line saying why it could not be. */
export async function flushPendingReport(state: LoopState): Promise<void> {
  const pending = state.pendingReport;
  if (pending === null) return;
  try {
    await sendPendingReport(state);
  } catch (error) {
    state.settings.log.error(
      `Task ${pending.task.taskId} ran to its end, but its success report could not be sent: ${(error as Error).message}. Its heartbeat timeout returns it to the queue.`,
    );
    reportSettled(state);
  }
}
