/**
 * The loop runtime: labtasker v1's `loop_run` (its `job_runner.py`) for any job, shared by `labtasker loop` (whose
 * job runs a command) and the SDK's `loop(handler)` (whose job calls a function).
 *
 * 1. Check the queue credentials; use the worker named by `workerId` or LABTASKER_WORKER_ID, or create one.
 * 2. Fetch the best pending task with the required fields ("no more, no less") and the extra filter; stop when none
 *    is left. A suspended or crashed worker (403 on fetch) stops the loop with the reason.
 * 3. For each task: a new run directory (`task_info.json`), LABTASKER_TASK_ID / LABTASKER_LOG_DIR exported,
 *    stdout and stderr copied to `run.log`, the heartbeat started, the job run.
 * 4. Success: `finish("success")`. Failure: the 10-second Report / Ignore prompt (no terminal: Report), then the
 *    Continue / Exit prompt (no terminal: Continue). Report sends `failed` with v1's `labtasker_exception` summary;
 *    Ignore puts the task back to pending as if the run had not happened.
 * 5. Other errors (network, server) are internal errors: back off min(60, 2^(n-1)) s and give up after 10 in a row.
 *
 * Signals (SIGINT, SIGTERM, SIGHUP), unless `handleSignals` is false: the first one aborts the job's `signal` (the
 * command gets the same signal), the task is reported when the job returns, and the loop ends with reason
 * `stopped`; a second one aborts `forceSignal` (the command is killed) and ends the process with that signal at
 * once, without a report (the task comes back through its heartbeat timeout).
 */
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import type { CreateWorkerOptions, FilterInput, Labtasker } from "../core/api.js";
import {
  BadRequestError,
  InvalidStateTransitionError,
  TaskNotFoundError,
  TaskNotRunningError,
  UpdateFailedError,
  ValidationError,
  WorkerMismatchError,
  WorkerNotFoundError,
  WorkerSuspendedError,
} from "../core/errors.js";
import { parseTimeInterval } from "../core/validation.js";
import { CONFIG_DEFAULTS, labtaskerRoot } from "../config/clientConfig.js";
import { toWireFilter } from "../filter/index.js";
import type { JsonObject } from "../json.js";
import type { Task, TaskCommand } from "../core/model.js";
import { sleep } from "../sleep.js";
import { captureOutput } from "./capture.js";
import { RUNNER_ENV, setActiveRun, type ActiveRun, type FinishStatus } from "./context.js";
import { RUN_FILES, createRunDir, removeOutcome, writeOutcome } from "./files.js";
import { Heartbeat } from "./heartbeat.js";
import { stderrLogger, type LoopLogger } from "./logger.js";
import { processPrompter, type Prompter } from "./prompt.js";
import { pythonRepr, pythonStrRepr, shellQuote } from "./python.js";

/** The signals the loop handles; a programmatic stop counts as SIGTERM. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";
const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** What a job gets besides the task. */
export interface LoopJobContext {
  task: Task;
  workerId: string;
  /** The run directory (`$LABTASKER_LOG_DIR`). */
  logDir: string;
  /** The environment for processes the job starts: this process's, with the LABTASKER_* variables of the task. */
  env: NodeJS.ProcessEnv;
  /** Aborted when the loop is told to stop (first Ctrl+C, SIGTERM, SIGHUP); `reason` is the {@link StopSignal}. */
  signal: AbortSignal;
  /** Aborted on a second stop request: end at once (kill what the job started); the process exits right after. */
  forceSignal: AbortSignal;
  log: LoopLogger;
  /** Reports the task now (see `finish()` in ./context.ts); the loop's own report is then skipped. */
  finish(status: FinishStatus, summary?: JsonObject | null): Promise<void>;
}

/** The work done for one task; a rejection is a failed run. */
export type LoopJob = (task: Task, context: LoopJobContext) => Promise<void>;

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

/** Options the loop cannot work with; the message says which and why. */
export class LoopOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Decides what happens after the n-th internal error in a row: wait (resolve) or give up (throw). */
export type InternalErrorHandler = (error: unknown, failures: number, signal: AbortSignal) => Promise<void>;

export interface LoopOptions {
  client: Labtasker;
  job: LoopJob;
  /** Arg paths the job uses ("no more, no less"); `"*"` allows extra keys. @defaultValue [] (any pending task) */
  requiredFields?: string[] | null;
  /** A Python-style expression, a Python dict literal or a Mongo query document; compiled once, at the start. */
  extraFilter?: FilterInput | null;
  /** Run as this worker. @defaultValue LABTASKER_WORKER_ID, else a worker created for this loop */
  workerId?: string | null;
  /** How to create the worker when none is named (v1's `create_worker_kwargs`). @defaultValue `{}` */
  createWorker?: CreateWorkerOptions;
  /** Task timeout for each run, e.g. "1h30m" (overrides the task's own). @defaultValue null */
  etaMax?: string | null;
  /** Seconds between heartbeats. @defaultValue 10 (v1's config template) */
  heartbeatInterval?: number;
  /** Seconds without a heartbeat before a run fails, set on each fetch. @defaultValue 3 × heartbeatInterval */
  heartbeatTimeout?: number | null;
  /** The command recorded on each fetched task. @defaultValue this process's argv (script and arguments) */
  cmd?: TaskCommand;
  /** Where `logs/run/` goes. @defaultValue `$LABTASKER_ROOT`, else `./.labtasker` */
  root?: string;
  /** Ask Report/Ignore and Continue/Exit after a failure (v1's `set_prompt_on_task_failure`). @defaultValue true */
  promptOnFailure?: boolean;
  /** How to ask. @defaultValue a terminal prompt when stdin and stderr are terminals, else the defaults */
  prompter?: Prompter;
  /**
   * Handle SIGINT/SIGTERM/SIGHUP (see the module comment). While the loop runs its handlers are the only ones; the
   * process's other listeners for these signals are put back when it returns. @defaultValue true
   */
  handleSignals?: boolean;
  /** Stops the loop as a SIGTERM would. */
  signal?: AbortSignal;
  /** @defaultValue {@link backoffOnInternalError} */
  onInternalError?: InternalErrorHandler;
  /** @defaultValue v1-style lines on stderr */
  log?: LoopLogger;
}

export interface LoopResult {
  /**
   * `done`: no matching pending task is left. `exit`: the user chose Exit after a failure. `suspended`: the worker
   * is suspended or crashed. `stopped`: a signal (or `options.signal`) stopped the loop.
   */
  reason: "done" | "exit" | "suspended" | "stopped";
  /** The signal that stopped the loop (reason `stopped`). */
  signal: StopSignal | null;
  workerId: string;
  /** Whether the loop created its worker (and deleted it again on Exit or a stop). */
  workerCreated: boolean;
  /** The server's refusal, for reason `suspended`. */
  suspension: WorkerSuspendedError | null;
  succeeded: number;
  failed: number;
  ignored: number;
}

/**
 * Ends the process by `signal` with its default action (no listener left to intercept it), so a shell running the
 * loop sees it killed by the signal and stops too, as for any program interrupted by Ctrl+C. Where the signal is
 * ignored (a background job of a script ignores SIGINT) the process exits with 128 + the signal number instead.
 */
export function exitBySignal(signal: StopSignal): void {
  process.removeAllListeners(signal);
  process.exitCode = 128 + (constants.signals[signal] ?? 15);
  process.kill(process.pid, signal);
  setImmediate(() => process.exit());
}

/** Seconds to wait after the n-th internal error in a row (v1: min(60, 2^(n-1))), or null to give up (after 10). */
export function internalErrorDelay(failures: number): number | null {
  return failures > 10 ? null : Math.min(60, 2 ** (failures - 1));
}

/** v1's default handler: wait {@link internalErrorDelay} seconds (cut short by a stop), or rethrow after 10. */
export function backoffOnInternalError(log: LoopLogger): InternalErrorHandler {
  return async (error, failures, signal) => {
    const delay = internalErrorDelay(failures);
    if (delay === null) {
      log.error(`Internal error occurred ${failures} times. Quitting the loop...`);
      throw error;
    }
    log.warn(`Retrying in ${delay} s (internal error ${failures} of 10 in a row).`);
    await sleep(delay * 1000, signal);
  };
}

/** Errors saying the task is no longer this worker's to report: cancelled, reset, deleted or timed out meanwhile. */
function isTaskTakenAway(error: unknown): boolean {
  return (
    error instanceof WorkerMismatchError ||
    error instanceof InvalidStateTransitionError ||
    error instanceof TaskNotFoundError ||
    error instanceof TaskNotRunningError ||
    error instanceof UpdateFailedError
  );
}

/** Fetch errors that repeating cannot fix: the request itself is refused, or the worker is gone. */
function isPermanentFetchError(error: unknown): boolean {
  return error instanceof BadRequestError || error instanceof ValidationError || error instanceof WorkerNotFoundError;
}

/**
 * The statuses other than pending that a filter requires of `status` (top level or inside `$and`), e.g. `["failed"]`
 * for `status == "failed"`. Only pending tasks are ever fetched, so such a loop can never run anything.
 */
export function nonPendingStatuses(filter: Record<string, unknown> | null | undefined): string[] {
  const found: string[] = [];
  const visit = (query: unknown) => {
    if (query === null || typeof query !== "object" || Array.isArray(query)) return;
    for (const [key, value] of Object.entries(query)) {
      if (key === "$and" && Array.isArray(value)) value.forEach(visit);
      if (key !== "status") continue;
      let allowed: unknown[] | null = null;
      if (typeof value === "string") allowed = [value];
      else if (value !== null && typeof value === "object") {
        const ops = value as Record<string, unknown>;
        if (typeof ops.$eq === "string") allowed = [ops.$eq];
        else if (Array.isArray(ops.$in)) allowed = ops.$in;
      }
      if (allowed !== null && !allowed.includes("pending")) found.push(...allowed.map(String));
    }
  };
  visit(filter);
  return [...new Set(found)];
}

/** v1's `labtasker_exception` summary of a failed run. */
function exceptionSummary(error: unknown, stoppedBy: StopSignal | null): JsonObject {
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

/** One task's run in this process: its directory, heartbeat and the once-only report. */
class TaskRun implements ActiveRun {
  private finishing: Promise<void> | undefined;

  constructor(
    readonly task: Task,
    readonly workerId: string,
    readonly logDir: string,
    readonly heartbeat: Heartbeat,
    private readonly client: Labtasker,
    private readonly log: LoopLogger,
  ) {}

  /** Stops the heartbeat, then reports unless `summary.json` exists (someone, maybe a child process, finished). */
  finish(status: FinishStatus, summary?: JsonObject | null): Promise<void> {
    this.finishing ??= (async () => {
      await this.heartbeat.stop();
      if (!writeOutcome(this.logDir, status, summary)) {
        this.log.debug(`Task ${this.task.taskId} was already finished (${RUN_FILES.summary} exists): report skipped.`);
        return;
      }
      try {
        await this.client.reportTaskStatus(this.task.taskId, status, { summary: summary ?? null, workerId: this.workerId });
      } catch (error) {
        if (!isTaskTakenAway(error)) {
          // Not reported: the run is not finished. Without this, summary.json would make the loop believe the job
          // had reported, and the task would stay running until its heartbeat timeout, then run again.
          removeOutcome(this.logDir);
          this.finishing = undefined;
          throw error;
        }
        this.log.warn(
          error instanceof TaskNotFoundError
            ? `Task ${this.task.taskId} no longer exists on the server (deleted, or the server's Redis lost data): its ${status} report was dropped; going on with the next task.`
            : `Task ${this.task.taskId} was changed while it ran (cancelled, reset or timed out): its ${status} report was refused: ${(error as Error).message}`,
        );
      }
    })();
    return this.finishing;
  }

  /** Puts the task back to pending with the retries it had when fetched: as if this run never happened. */
  async ignore(): Promise<void> {
    await this.heartbeat.stop();
    try {
      await putBack(this.client, this.task);
    } catch (error) {
      if (!isTaskTakenAway(error)) throw error;
      this.log.warn(`Task ${this.task.taskId} could not be reset to pending: ${(error as Error).message}`);
    }
  }
}

/** The task pending again with the retries it had when fetched (v1's Ignore sends retries 0; see docs/compat.md). */
async function putBack(client: Labtasker, task: Task): Promise<void> {
  await client.updateTasks([{ taskId: task.taskId, status: "pending", retries: task.retries }], { resetPending: false });
}

/** Runs the loop until no task is left, the user exits, the worker is suspended or a signal stops it. */
export async function runLoop(options: LoopOptions): Promise<LoopResult> {
  const { client, job } = options;
  const log = options.log ?? stderrLogger();
  const requiredFields = options.requiredFields ?? [];
  if (!Array.isArray(requiredFields) || !requiredFields.every((field) => typeof field === "string")) {
    throw new LoopOptionsError(`requiredFields must be a list of dotted arg paths (got ${JSON.stringify(requiredFields)})`);
  }
  const heartbeatInterval = options.heartbeatInterval ?? CONFIG_DEFAULTS.heartbeatInterval;
  if (!(heartbeatInterval > 0)) throw new LoopOptionsError(`heartbeatInterval must be a positive number of seconds (got ${heartbeatInterval})`);
  const heartbeatTimeout = options.heartbeatTimeout ?? heartbeatInterval * 3;
  if (!(heartbeatTimeout > 0)) throw new LoopOptionsError(`heartbeatTimeout must be a positive number of seconds (got ${heartbeatTimeout})`);
  if (options.etaMax != null) {
    try {
      parseTimeInterval(options.etaMax);
    } catch {
      throw new LoopOptionsError(`etaMax must be a duration such as '1h', '1h30m' or '50s' (got ${JSON.stringify(options.etaMax)})`);
    }
  }
  // Compiled once, as v1 transpiles once: a date("...") in the filter is fixed at the start of the loop.
  const extraFilter = options.extraFilter == null ? null : typeof options.extraFilter === "function" ? options.extraFilter : toWireFilter(options.extraFilter);
  const root = options.root ?? labtaskerRoot();
  const cmd = options.cmd === undefined ? process.argv.slice(1) : options.cmd;
  const promptOnFailure = options.promptOnFailure ?? true;
  const prompter = options.prompter ?? processPrompter();
  const onInternalError = options.onInternalError ?? backoffOnInternalError(log);

  await client.getQueue(); // fails early on wrong credentials or a missing queue, as v1 does

  const givenWorkerId = options.workerId || process.env[RUNNER_ENV.workerId] || null;
  const workerCreated = givenWorkerId === null;
  let workerId: string = givenWorkerId ?? (await client.createWorker(options.createWorker ?? {}));
  log.debug(workerCreated ? `Created worker ${workerId}.` : `Running as worker ${workerId}.`);

  // The variables jobs and their children read; restored when the loop ends.
  const savedEnv = Object.fromEntries(Object.values(RUNNER_ENV).map((name) => [name, process.env[name]]));
  process.env[RUNNER_ENV.workerId] = workerId;
  process.env[RUNNER_ENV.root] = root;

  const stop = new AbortController();
  const force = new AbortController();
  const requestStop = (signal: StopSignal) => {
    if (!stop.signal.aborted) {
      log.warn(`Received ${signal}: stopping the loop; the running job gets it too (${signal === "SIGINT" ? "Ctrl+C" : signal} again to exit at once).`);
      stop.abort(signal);
      return;
    }
    if (options.handleSignals === false) return;
    force.abort(signal); // synchronous: the job kills what it started before anything else runs
    exitAtOnce(signal);
  };
  const exitAtOnce = (signal: StopSignal) => {
    log.warn(`Received ${signal} again: exiting at once (the task is not reported; its heartbeat timeout returns it to the queue).`);
    if (process.stdin.isTTY) process.stdin.setRawMode(false); // a prompt may have the terminal in raw mode
    exitBySignal(signal);
  };
  // While the loop runs it is the only listener for the stop signals: listeners already there are set aside and put
  // back when it returns. Some would end the process on the first signal, before the task is reported: `conf`
  // (the config loader) pulls in `when-exit`, which re-raises every SIGINT/SIGTERM/SIGHUP once it has run its
  // cleanups, and the CLI's main exits on a second Ctrl+C without letting the job kill its command.
  const handlers = new Map<StopSignal, () => void>(STOP_SIGNALS.map((signal) => [signal, () => requestStop(signal)]));
  const setAside = new Map<StopSignal, Array<(...args: unknown[]) => void>>();
  let installed = false;
  const uninstall = () => {
    if (!installed) return;
    installed = false;
    for (const [signal, handler] of handlers) {
      process.removeListener(signal, handler);
      for (const listener of setAside.get(signal) ?? []) process.on(signal, listener);
    }
  };
  if (options.handleSignals !== false) {
    installed = true;
    for (const [signal, handler] of handlers) {
      // rawListeners keeps `once` wrappers as they are, so a once-listener put back still fires once.
      setAside.set(signal, process.rawListeners(signal) as Array<(...args: unknown[]) => void>);
      process.removeAllListeners(signal);
      process.on(signal, handler);
    }
  }
  const onExternalAbort = () => {
    const reason: unknown = options.signal?.reason;
    requestStop(STOP_SIGNALS.includes(reason as StopSignal) ? (reason as StopSignal) : "SIGTERM");
  };
  if (options.signal?.aborted) onExternalAbort();
  else options.signal?.addEventListener("abort", onExternalAbort, { once: true });

  const result: LoopResult = { reason: "done", signal: null, workerId, workerCreated, suspension: null, succeeded: 0, failed: 0, ignored: 0 };
  const stopped = () => {
    result.reason = "stopped";
    result.signal = stop.signal.reason as StopSignal;
  };

  /** Runs one fetched task to its report; true when the user chose Exit. */
  const runTask = async (task: Task): Promise<boolean> => {
    const logDir = createRunDir(root, task);
    process.env[RUNNER_ENV.taskId] = task.taskId;
    process.env[RUNNER_ENV.logDir] = logDir;
    const capture = captureOutput(join(logDir, RUN_FILES.runLog));
    const heartbeat = new Heartbeat({
      client,
      taskId: task.taskId,
      workerId,
      intervalMs: heartbeatInterval * 1000,
      lockFile: join(logDir, RUN_FILES.heartbeatLock),
      log,
    });
    const run = new TaskRun(task, workerId, logDir, heartbeat, client, log);
    setActiveRun(run);
    try {
      log.info(`Prepared to run task ${task.taskId} with args ${pythonRepr(task.args)}.`);
      heartbeat.start();
      const context: LoopJobContext = {
        task,
        workerId,
        logDir,
        env: { ...process.env },
        signal: stop.signal,
        forceSignal: force.signal,
        log,
        finish: (status, summary) => run.finish(status, summary),
      };
      let failure: { error: unknown } | null = null;
      try {
        await job(task, context);
      } catch (error) {
        failure = { error };
      }
      if (failure === null) {
        await run.finish("success");
        result.succeeded += 1;
        log.info(`Task ${task.taskId} ended.`);
        return false;
      }

      const stoppedBy = stop.signal.aborted ? (stop.signal.reason as StopSignal) : null;
      if (existsSync(join(logDir, RUN_FILES.summary))) {
        // The job (or a process it started) called finish() before failing: its report stands, nothing to ask.
        log.warn(`Task ${task.taskId}: the job failed after finishing the task itself (${String((failure.error as Error)?.message ?? failure.error)}); its own report stands.`);
        return false;
      }
      const summary = exceptionSummary(failure.error, stoppedBy);
      const exception = summary.labtasker_exception as JsonObject;
      if (stoppedBy !== null) log.warn(`Task ${task.taskId} interrupted: ${String(exception.message)}`);
      else log.error(`Task ${task.taskId} failed: ${String(exception.message)}`);

      // v1 asks after a failure or a Ctrl+C; a SIGTERM or SIGHUP comes from no one at a keyboard.
      const ask = promptOnFailure && (stoppedBy === null || stoppedBy === "SIGINT");
      const action = ask
        ? await capture.bypass(() => prompter({
            question: "Task interrupted or failed with the above info. You have 10 seconds to make a choice:",
            choices: [
              { label: "(default) Report: Report task as failed, with number of retries decreasing.", value: "report" as const },
              { label: "(ctrl+c) Ignore: Reset task back to PENDING with its retries as before, as if this crashed run never happened.", value: "ignore" as const },
            ],
            defaultIndex: 0,
            interruptIndex: 1,
            timeoutSeconds: 10,
            signal: stoppedBy === null ? stop.signal : undefined,
          }))
        : "report";
      if (action === "ignore") {
        await run.ignore();
        result.ignored += 1;
        log.info(`Task ${task.taskId} reset to PENDING by user request.`);
      } else {
        await run.finish("failed", summary);
        result.failed += 1;
        log.info(`Task ${task.taskId} crash incident reported.`);
      }
      if (stoppedBy !== null || !promptOnFailure || stop.signal.aborted) return false;
      const next = await capture.bypass(() => prompter({
        question: "Do you want to continue processing other tasks or exit the program? (10 seconds to decide):",
        choices: [
          { label: "(default) Continue: Continue processing other tasks in the queue.", value: "continue" as const },
          { label: "(ctrl+c) Exit: Stop the task loop and exit the program.", value: "exit" as const },
        ],
        defaultIndex: 0,
        interruptIndex: 1,
        timeoutSeconds: 10,
        signal: stop.signal,
      }));
      return next === "exit";
    } finally {
      await heartbeat.stop();
      capture.stop();
      setActiveRun(null);
    }
  };

  let failures = 0;
  try {
    for (;;) {
      if (stop.signal.aborted) {
        stopped();
        break;
      }
      let task: Task | null;
      try {
        task = await client.fetchTask({
          workerId,
          etaMax: options.etaMax ?? null,
          heartbeatTimeout,
          startHeartbeat: true,
          requiredFields,
          extraFilter,
          cmd,
        });
      } catch (error) {
        if (error instanceof WorkerSuspendedError) {
          result.reason = "suspended";
          result.suspension = error;
          log.error(`Worker suspended. ${error.message}. Reactivate it with \`labtasker worker report ${workerId} active\`.`);
          break;
        }
        let failure = error;
        if (error instanceof WorkerNotFoundError && workerCreated) {
          // The worker this loop registered is gone: deleted, or the server's Redis lost its data (a flush, a restart
          // without persistence). A loop that owns its worker registers a new one and goes on, as it began; if even
          // that fails (the queue is gone too, the server unreachable), it backs off like any internal error.
          try {
            const lostId = workerId;
            workerId = await client.createWorker(options.createWorker ?? {});
            process.env[RUNNER_ENV.workerId] = workerId;
            result.workerId = workerId;
            log.warn(`Worker ${lostId} no longer exists on the server (deleted, or the server's Redis lost data): registered again as worker ${workerId}.`);
            continue;
          } catch (createError) {
            failure = createError;
          }
        } else if (isPermanentFetchError(error)) {
          throw error;
        }
        failures += 1;
        log.error(`Error in task loop: ${(failure as Error).message}`);
        await onInternalError(failure, failures, stop.signal);
        continue;
      }
      if (task === null) {
        const filterText = extraFilter === null ? "None" : typeof extraFilter === "function" ? "<function>" : pythonRepr(extraFilter as JsonObject);
        log.info(`Tasks with required fields [${requiredFields.map(pythonStrRepr).join(", ")}] and extra filter ${filterText} are all done.`);
        const statuses = typeof extraFilter === "function" ? [] : nonPendingStatuses(extraFilter);
        if (statuses.length > 0) {
          const asText = typeof options.extraFilter === "string" ? options.extraFilter : JSON.stringify(extraFilter);
          log.warn(
            `Only pending tasks are fetched, and the extra filter asks for status ${statuses.join(" or ")}. ` +
              `To run those tasks again, re-queue them first: labtasker task update -f ${shellQuote(asText)} --reset-pending ` +
              `(then run the loop without the status condition).`,
          );
        }
        break;
      }
      if (stop.signal.aborted) {
        // Claimed while the stop arrived: give it back untouched rather than start it.
        await putBack(client, task).catch((error: unknown) => {
          log.warn(`Task ${task.taskId} could not be returned to pending: ${(error as Error).message}`);
        });
        stopped();
        break;
      }
      let exit: boolean;
      try {
        exit = await runTask(task);
      } catch (error) {
        failures += 1;
        log.error(`Error in task loop: ${(error as Error).message}`);
        await onInternalError(error, failures, stop.signal);
        continue;
      }
      failures = 0;
      if (stop.signal.aborted) {
        stopped();
        break;
      }
      if (exit) {
        result.reason = "exit";
        log.info("Exiting task loop.");
        break;
      }
    }
  } finally {
    uninstall();
    options.signal?.removeEventListener("abort", onExternalAbort);
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  // A worker the loop created for itself is removed when the user ends the loop (Exit, Ctrl+C, SIGTERM); it is
  // kept when the queue runs dry (as v1) and when it is suspended, so `worker ls` still shows why.
  if (workerCreated && (result.reason === "exit" || result.reason === "stopped")) {
    await client.deleteWorker(workerId).catch((error: unknown) => log.warn(`Could not delete worker ${workerId}: ${(error as Error).message}`));
  }
  return result;
}
