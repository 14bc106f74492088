/**
 * A failed run, as v1 handles it: the `labtasker_exception` summary, the 10-second Report / Ignore prompt (no
 * terminal: Report), then the Continue / Exit prompt (no terminal: Continue).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "../core/model.js";
import type { JsonObject } from "../json.js";
import type { OutputCapture } from "./capture.js";
import type { FinishStatus } from "./context.js";
import { RUN_FILES } from "./files.js";
import { JobFailedError } from "./job.js";
import type { Choice, Prompter } from "./prompt.js";
import type { StopSignal } from "./signals.js";
import type { LoopState } from "./state.js";

/** What failure handling needs of the run (see TaskRun in ./taskRun.ts). */
export interface FailedRun {
  readonly task: Task;
  readonly logDir: string;
  finish(status: FinishStatus, summary?: JsonObject | null, timedOut?: boolean): Promise<void>;
  ignore(): Promise<void>;
}

/** v1's `labtasker_exception` summary of a failed run. */
export function exceptionSummary(error: unknown, stoppedBy: StopSignal | null): JsonObject {
  const message = error instanceof Error ? error.message : String(error);
  const traceback = error instanceof JobFailedError ? (error.details ?? "") : error instanceof Error ? (error.stack ?? message) : message;
  if (stoppedBy !== null) {
    return {
      labtasker_exception: {
        type: stoppedBy === "SIGINT" ? "KeyboardInterrupt" : "Interrupted",
        message: `Interrupted by ${stoppedBy}: ${message}`,
        traceback,
      },
    };
  }
  return { labtasker_exception: { type: error instanceof Error ? error.name : "Error", message, traceback } };
}

/**
 * A run that timed out (./deadline.ts): reported `failed` with `timed_out`, so the server puts it back to pending
 * without using a retry while the task has timeouts left. No prompt: nothing went wrong that a user could judge, and
 * the run is to be resumed. `error` is the job's, or null when it returned after the deadline's SIGTERM.
 */
export async function handleTimeout(state: LoopState, run: FailedRun, error: unknown, reason: string): Promise<false> {
  const { log } = state.settings;
  const { task } = run;
  if (existsSync(join(run.logDir, RUN_FILES.summary))) {
    log.warn(`Task ${task.taskId} ran out of time after finishing the task itself; its own report stands.`);
    return false;
  }
  const traceback = error instanceof JobFailedError ? (error.details ?? "") : error instanceof Error ? (error.stack ?? error.message) : "";
  const summary: JsonObject = { labtasker_exception: { type: "TimeoutError", message: reason, traceback } };
  log.warn(`Task ${task.taskId} timed out: ${reason}`);
  await run.finish("failed", summary, true);
  state.result.timedOut += 1;
  log.info(`Task ${task.taskId} reported as timed out.`);
  return false;
}

/** Reports or ignores the failed run (asking on a terminal), then asks whether to go on; true when the user chose Exit. */
export async function handleFailure(state: LoopState, run: FailedRun, capture: OutputCapture, error: unknown): Promise<boolean> {
  const { log, promptOnFailure, prompter } = state.settings;
  const { task } = run;
  const stop = state.stops.stop;
  const stoppedBy = stop.aborted ? (stop.reason as StopSignal) : null;
  if (existsSync(join(run.logDir, RUN_FILES.summary))) {
    // The job (or a process it started) called finish() before failing: its report stands, nothing to ask.
    log.warn(`Task ${task.taskId}: the job failed after finishing the task itself (${String((error as Error)?.message ?? error)}); its own report stands.`);
    return false;
  }
  const summary = exceptionSummary(error, stoppedBy);
  const exception = summary.labtasker_exception as JsonObject;
  if (stoppedBy !== null) log.warn(`Task ${task.taskId} interrupted: ${String(exception.message)}`);
  else log.error(`Task ${task.taskId} failed: ${String(exception.message)}`);

  // v1 asks after a failure or a Ctrl+C; a SIGTERM or SIGHUP comes from no one at a keyboard.
  const ask = promptOnFailure && (stoppedBy === null || stoppedBy === "SIGINT");
  const action = ask ? await capture.bypass(() => askReportOrIgnore(prompter, stoppedBy === null ? stop : undefined)) : "report";
  if (action === "ignore") {
    await run.ignore();
    state.result.ignored += 1;
    log.info(`Task ${task.taskId} reset to PENDING by user request.`);
  } else {
    await run.finish("failed", summary);
    state.result.failed += 1;
    log.info(`Task ${task.taskId} crash incident reported.`);
  }
  if (stoppedBy !== null || !promptOnFailure || stop.aborted) return false;
  const next = await capture.bypass(() => askContinueOrExit(prompter, stop));
  return next === "exit";
}

/** v1's timed question: the first choice is the default (also when time runs out), the second is Ctrl+C's. */
function askForTenSeconds<T>(prompter: Prompter, question: string, choices: [Choice<T>, Choice<T>], signal: AbortSignal | undefined): Promise<T> {
  return prompter({ question, choices, defaultIndex: 0, interruptIndex: 1, timeoutSeconds: 10, signal });
}

function askReportOrIgnore(prompter: Prompter, signal: AbortSignal | undefined): Promise<"report" | "ignore"> {
  return askForTenSeconds(
    prompter,
    "Task interrupted or failed with the above info. You have 10 seconds to make a choice:",
    [
      { label: "(default) Report: Report task as failed, with number of retries decreasing.", value: "report" },
      { label: "(ctrl+c) Ignore: Reset task back to PENDING with its retries as before, as if this crashed run never happened.", value: "ignore" },
    ],
    signal,
  );
}

function askContinueOrExit(prompter: Prompter, signal: AbortSignal): Promise<"continue" | "exit"> {
  return askForTenSeconds(
    prompter,
    "Do you want to continue processing other tasks or exit the program? (10 seconds to decide):",
    [
      { label: "(default) Continue: Continue processing other tasks in the queue.", value: "continue" },
      { label: "(ctrl+c) Exit: Stop the task loop and exit the program.", value: "exit" },
    ],
    signal,
  );
}
