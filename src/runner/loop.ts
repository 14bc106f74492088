/**
 * The loop runtime: labtasker v1's `loop_run` (its `job_runner.py`) for any job, shared by `labtasker loop` (whose
 * job runs a command) and the SDK's `loop(handler)` (whose job calls a function).
 *
 * 1. Check the queue credentials; use the worker named by `workerId` or LABTASKER_WORKER_ID, or create one.
 * 2. Fetch the best pending task with the required fields ("no more, no less") and the extra filter; stop when none
 *    is left. A suspended or crashed worker (403 on fetch) stops the loop with the reason (./fetch.ts).
 * 3. For each task: a new run directory (`task_info.json`), LABTASKER_TASK_ID / LABTASKER_LOG_DIR exported,
 *    stdout and stderr copied to `run.log`, the heartbeat started, the job run (./taskRun.ts).
 * 4. Success: `finish("success")`, whose request rides on the next fetch (./report.ts). Failure: the 10-second Report / Ignore prompt (no terminal: Report), then the
 *    Continue / Exit prompt (no terminal: Continue). Report sends `failed` with v1's `labtasker_exception` summary;
 *    Ignore puts the task back to pending as if the run had not happened (./failure.ts).
 * 5. Other errors (network, server) are internal errors: back off min(60, 2^(n-1)) s and give up after 10 in a row.
 *
 * Signals (SIGINT, SIGTERM, SIGHUP), unless `handleSignals` is false: the first one aborts the job's `signal` (the
 * command gets the same signal), the task is reported when the job returns, and the loop ends with reason
 * `stopped`; a second one aborts `forceSignal` (the command is killed) and ends the process with that signal at
 * once, without a report (the task comes back through its heartbeat timeout) (./signals.ts).
 */
import { RUNNER_ENV } from "./context.js";
import { fetchNext } from "./fetch.js";
import { resolveLoopOptions, type LoopOptions } from "./options.js";
import { StopRequests } from "./signals.js";
import { LoopState, type LoopResult } from "./state.js";
import { flushPendingReport } from "./report.js";
import { putBack, runTask } from "./taskRun.js";

export { nonPendingStatuses } from "./fetch.js";
export { JobFailedError, type LoopJob, type LoopJobContext } from "./job.js";
export {
  LoopOptionsError,
  backoffOnInternalError,
  internalErrorDelay,
  type InternalErrorHandler,
  type LoopObserver,
  type LoopOptions,
  type LoopSettings,
} from "./options.js";
export { exitBySignal, type StopSignal } from "./signals.js";
export type { LoopResult } from "./state.js";

/** Runs the loop until no task is left, the user exits, the worker is suspended or a signal stops it. */
export async function runLoop(options: LoopOptions): Promise<LoopResult> {
  const settings = await resolveLoopOptions(options);
  const { client, log } = settings;

  await client.getQueue(); // fails early on wrong credentials or a missing queue, as v1 does

  const givenWorkerId = options.workerId || process.env[RUNNER_ENV.workerId] || null;
  const workerCreated = givenWorkerId === null;
  const workerId: string = givenWorkerId ?? (await client.createWorker(settings.createWorker));
  log.debug(workerCreated ? `Created worker ${workerId}.` : `Running as worker ${workerId}.`);

  const restoreEnv = exportRunnerEnv(workerId, settings.root);
  const stops = new StopRequests(log, options.handleSignals !== false, options.signal);
  const state = new LoopState(settings, stops, workerId, workerCreated);
  try {
    await runTasks(state);
  } finally {
    state.runDeferred(); // the end of a success no fetch followed (the loop stopped or failed first)
    await flushPendingReport(state); // a success the last fetch did not carry
    stops.release();
    restoreEnv();
    await state.uploads.drain();
  }

  // A worker the loop created for itself is removed when the user ends the loop (Exit, Ctrl+C, SIGTERM); it is
  // kept when the queue runs dry (as v1) and when it is suspended, so `worker ls` still shows why.
  const { result } = state;
  if (workerCreated && (result.reason === "exit" || result.reason === "stopped")) {
    await client.deleteWorker(result.workerId).catch((error: unknown) => log.warn(`Could not delete worker ${result.workerId}: ${(error as Error).message}`));
  }
  return result;
}

/** Exports the variables jobs and their children read; the function returned restores them when the loop ends. */
function exportRunnerEnv(workerId: string, root: string): () => void {
  const savedEnv = Object.fromEntries(Object.values(RUNNER_ENV).map((name) => [name, process.env[name]]));
  process.env[RUNNER_ENV.workerId] = workerId;
  process.env[RUNNER_ENV.root] = root;
  return () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Fetches and runs tasks until the loop ends; the reason is left in `state.result`. */
async function runTasks(state: LoopState): Promise<void> {
  const { client, log } = state.settings;
  for (;;) {
    if (state.stopping) return state.markStopped();
    const task = await fetchNext(state);
    if (task === "again") continue;
    if (task === null) return;
    if (state.stopping) {
      // Claimed while the stop arrived: give it back untouched rather than start it.
      await putBack(client, task).catch((error: unknown) => {
        log.warn(`Task ${task.taskId} could not be returned to pending: ${(error as Error).message}`);
      });
      return state.markStopped();
    }
    let exit: boolean;
    try {
      exit = await runTask(state, task);
    } catch (error) {
      await state.internalError(error);
      continue;
    }
    state.taskEnded();
    if (state.stopping) return state.markStopped();
    if (exit) {
      state.result.reason = "exit";
      log.info("Exiting task loop.");
      return;
    }
  }
}
