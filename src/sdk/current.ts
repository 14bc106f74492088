/**
 * Reports about the task being run, from inside it: the handler of an SDK `loop()`, or a process that a loop
 * started (`labtasker loop -- node job.js`, which finds its task through LABTASKER_TASK_ID and LABTASKER_LOG_DIR).
 *
 * The seeds have jobs call `report_task_status(task_id, ...)` on their own task: `"running"` to record metrics while
 * the run goes on, `"cancelled"` to stop it for good. labtasker v1's loop then reports `success` on top, which the
 * server refuses, and the loop counts an internal error. Here such a report goes through the run instead:
 * - `"success"` / `"failed"` are the run's final report: `finish()`, so the loop does not report again;
 * - `"cancelled"` stops the heartbeat, reports, and marks the run finished (`summary.json`), so the loop neither
 *   reports over it nor retries it;
 * - `"running"` merges the summary, fenced by the worker id, so a run that lost its task cannot write into the next.
 */
import type { Labtasker, ReportStatus, ReportTaskStatusOptions } from "../core/api.js";
import type { JsonObject } from "../json.js";
import { currentLogDir, currentTaskId, currentWorkerId, finish as finishRun, type FinishOptions, type FinishStatus } from "../runner/context.js";
import { stopHeartbeat, writeOutcome } from "../runner/files.js";

/** What a handler reported about its own task. */
export type OwnOutcome = FinishStatus | "cancelled";

/** The task the SDK loop is running in this process, and what its handler reported about it so far. */
let running: { taskId: string; outcome: OwnOutcome | null } | null = null;

/** Marks the start (a task id) or the end (null) of an SDK loop's run; returns what the handler reported. */
export function trackRun(taskId: string | null): OwnOutcome | null {
  const outcome = running?.outcome ?? null;
  running = taskId === null ? null : { taskId, outcome: null };
  return outcome;
}

/** Records a report of the SDK loop's task. The first final report wins, except a cancel, which always lands. */
export function noteOutcome(taskId: string, outcome: OwnOutcome): void {
  if (running?.taskId !== taskId) return;
  if (running.outcome === null || outcome === "cancelled") running.outcome = outcome;
}

/** The id of the task being run here (in the loop's process or a child of it), when `taskId` is that task. */
function ownTask(taskId: string): string | null {
  return currentTaskId() === taskId && currentLogDir() !== null ? taskId : null;
}

/**
 * Reports the current task's final status through its run (see the module comment); `client` is used from a child
 * process (the loop's own process reports through the loop's client).
 */
export async function finishOwn(status: FinishStatus, summary: JsonObject | null | undefined, options: FinishOptions): Promise<void> {
  if (status !== "success" && status !== "failed") throw new RangeError(`status must be "success" or "failed" (got ${JSON.stringify(status)})`);
  const taskId = currentTaskId();
  if (taskId !== null) noteOutcome(taskId, status);
  await finishRun(status, summary, options);
}

/** Cancels the current task: heartbeat stopped, report sent, run marked finished. */
async function cancelOwn(transport: Labtasker, taskId: string, options: ReportTaskStatusOptions): Promise<void> {
  const logDir = currentLogDir()!;
  noteOutcome(taskId, "cancelled");
  // Stop the heartbeat first: once cancelled the task is no longer running, and a refresh would fail noisily.
  stopHeartbeat(logDir);
  await transport.reportTaskStatus(taskId, "cancelled", { summary: options.summary ?? null, workerId: options.workerId ?? currentWorkerId() });
  // summary.json tells the loop (this process's, or the `labtasker loop` that started it) that the run is reported.
  writeOutcome(logDir, "cancelled", options.summary);
}

/**
 * Sends a report, through the current run when it is about the task being run here (see the module comment).
 * `transport` is the API the report goes through; it must not route reports itself.
 */
export async function reportStatus(transport: Labtasker, taskId: string, status: ReportStatus, options: ReportTaskStatusOptions = {}): Promise<void> {
  if (ownTask(taskId) === null) return transport.reportTaskStatus(taskId, status, options);
  switch (status) {
    case "success":
    case "failed":
      return finishOwn(status, options.summary, { client: transport, ...(options.timedOut ? { timedOut: true } : {}) });
    case "cancelled":
      return cancelOwn(transport, taskId, options);
    case "running":
      return transport.reportTaskStatus(taskId, "running", { summary: options.summary ?? null, workerId: options.workerId ?? currentWorkerId() });
    default:
      return transport.reportTaskStatus(taskId, status, options);
  }
}
