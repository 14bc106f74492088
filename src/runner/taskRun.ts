/**
 * One task's run in this process: its run directory, environment, deadline, output capture and heartbeat, the job,
 * and the once-only report (success, a timeout, or the failure handling of ./failure.ts).
 */
import { join } from "node:path";
import type { Labtasker } from "../core/api.js";
import type { Task } from "../core/model.js";
import { pythonRepr } from "../core/python.js";
import type { JsonObject } from "../json.js";
import { captureOutput } from "./capture.js";
import { RUNNER_ENV, setActiveRun, type ActiveRun, type FinishStatus } from "./context.js";
import { JobTimedOutError, RunDeadline, deadlineEnvValue, effectiveGraceSeconds, runTimeoutSeconds } from "./deadline.js";
import { handleFailure, handleTimeout } from "./failure.js";
import { RUN_FILES, claimOutcome, openRunDir, removeOutcome, writeOutcome, writeStatus } from "./files.js";
import { Heartbeat } from "./heartbeat.js";
import type { LoopJob, LoopJobContext } from "./job.js";
import type { LoopLogger } from "./logger.js";
import { isTaskTakenAway, warnTakenAway } from "./report.js";
import type { LoopState } from "./state.js";

/** The task pending again with the retries it had when fetched (v1's Ignore sends retries 0; see docs/compat.md). */
export async function putBack(client: Labtasker, task: Task): Promise<void> {
  await client.updateTasks([{ taskId: task.taskId, status: "pending", retries: task.retries }], { resetPending: false });
}

/** One task's run in this process: its directory, heartbeat and the once-only report. */
class TaskRun implements ActiveRun {
  private finishing: Promise<void> | undefined;

  constructor(
    readonly task: Task,
    readonly workerId: string,
    readonly logDir: string,
    readonly heartbeat: Heartbeat,
    readonly deadlineMs: number | null,
    private readonly client: Labtasker,
    private readonly log: LoopLogger,
  ) {}

  /**
   * Stops the heartbeat, then reports unless `summary.json` exists (someone, maybe a child process, finished).
   * `timedOut`: a failure by reaching the deadline (./deadline.ts).
   */
  finish(status: FinishStatus, summary?: JsonObject | null, timedOut = false): Promise<void> {
    this.finishing ??= (async () => {
      await this.heartbeat.stop();
      if (!writeOutcome(this.logDir, status, summary)) {
        this.log.debug(`Task ${this.task.taskId} was already finished (${RUN_FILES.summary} exists): report skipped.`);
        return;
      }
      try {
        await this.client.reportTaskStatus(this.task.taskId, status, {
          summary: summary ?? null,
          workerId: this.workerId,
          ...(timedOut ? { timedOut } : {}),
        });
      } catch (error) {
        if (!isTaskTakenAway(error)) {
          // Not reported: the run is not finished. Without this, summary.json would make the loop believe the job
          // had reported, and the task would stay running until its heartbeat timeout, then run again.
          removeOutcome(this.logDir);
          this.finishing = undefined;
          throw error;
        }
        warnTakenAway(this.log, this.task.taskId, status, error);
      }
    })();
    return this.finishing;
  }

  /**
   * The loop's own success report once the job returned: the heartbeat stopped and `summary.json` created now (the
   * guard against a second report), `status.json` and the request left to the next fetch (./report.ts). False when
   * the task was finished already (by the job, or a process it started), so there is nothing to send.
   */
  async succeedLater(): Promise<boolean> {
    if (this.finishing) {
      await this.finishing;
      return false;
    }
    let recorded = false;
    this.finishing = (async () => {
      await this.heartbeat.stop();
      recorded = claimOutcome(this.logDir, null);
      if (!recorded) this.log.debug(`Task ${this.task.taskId} was already finished (${RUN_FILES.summary} exists): report skipped.`);
    })();
    await this.finishing;
    return recorded;
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

/** Runs one fetched task to its report; true when the user chose Exit. */
export async function runTask(state: LoopState, task: Task): Promise<boolean> {
  const { client, job, log, root, heartbeatInterval, grace } = state.settings;
  const { workerId } = state;
  const logDir = openRunDir(root, task);
  const timeout = runTimeoutSeconds(task, state.settings.etaMaxSeconds);
  const runGrace = effectiveGraceSeconds(grace, timeout);
  const deadline = new RunDeadline(timeout === null ? null : Date.now() + timeout * 1000, runGrace * 1000, state.stops.stop, state.stops.force);
  process.env[RUNNER_ENV.taskId] = task.taskId;
  process.env[RUNNER_ENV.logDir] = logDir;
  if (deadline.deadlineMs === null) delete process.env[RUNNER_ENV.deadline];
  else process.env[RUNNER_ENV.deadline] = deadlineEnvValue(deadline.deadlineMs);
  const upload = state.uploads.start(task.taskId);
  // run.log is opened once the job has started (below): what is written before is held until then.
  const capture = captureOutput(join(logDir, RUN_FILES.runLog), { openLater: true, ...(upload === null ? {} : { onBytes: (bytes: Buffer) => upload.write(bytes) }) });
  const heartbeat = new Heartbeat({
    client,
    taskId: task.taskId,
    workerId,
    intervalMs: heartbeatInterval * 1000,
    lockFile: join(logDir, RUN_FILES.heartbeatLock),
    log,
  });
  const run = new TaskRun(task, workerId, logDir, heartbeat, deadline.deadlineMs, client, log);
  setActiveRun(run);
  /** The end of a success whose report rides on the next fetch: done once that request is on its way. */
  let ending: (() => void) | null = null;
  // Whoever reads our output (a pool, a terminal) hears of a command's run once the command has started, in one
  // write: woken before, it took a core from the command's start.
  const releaseOutput = job.startsWhenCalled === true ? holdOutput() : () => undefined;
  try {
    log.info(`Prepared to run task ${task.taskId} with args ${pythonRepr(task.args)}.`);
    heartbeat.start();
    state.settings.observer?.taskStarted(task);
    const context: LoopJobContext = {
      task,
      workerId,
      logDir,
      env: runEnvironment(task, log),
      signal: deadline.signal,
      forceSignal: deadline.forceSignal,
      log,
      finish: (status, summary) => run.finish(status, summary),
    };
    try {
      await startJob(job, task, context, () => {
        releaseOutput();
        capture.open();
      });
    } catch (error) {
      if (deadline.reached) return await handleTimeout(state, run, error, deadlineReason(runGrace));
      if (error instanceof JobTimedOutError) return await handleTimeout(state, run, error, error.message);
      return await handleFailure(state, run, capture, error);
    }
    // Returned after the deadline's SIGTERM: it stopped because its time ran out, not because its work was done.
    if (deadline.reached) return await handleTimeout(state, run, null, deadlineReason(runGrace));
    state.result.succeeded += 1;
    if (await run.succeedLater()) {
      state.pendingReport = { task, workerId };
      // `status.json` and the last line (a file created, a write that wakes whoever reads our output) wait for the
      // fetch that carries the report: between two tasks they took about 0.5 ms before its request left.
      ending = () => {
        try {
          writeStatus(logDir, "success");
        } catch (error) {
          log.warn(`Task ${task.taskId}: could not write ${RUN_FILES.status}: ${(error as Error).message}`);
        }
        log.info(`Task ${task.taskId} ended.`);
      };
    } else {
      log.info(`Task ${task.taskId} ended.`);
    }
    return false;
  } finally {
    releaseOutput(); // if the job never started
    deadline.dispose();
    await heartbeat.stop();
    const close = () => {
      ending?.();
      capture.stop();
      state.uploads.finish(upload); // in the background: the next task does not wait for it
    };
    if (ending === null) close();
    else state.defer(close);
    setActiveRun(null);
    // A success waiting for the next fetch ends the task for the observer once it is sent (./report.ts).
    if (state.pendingReport?.task !== task) state.settings.observer?.taskEnded(task);
  }
}

/**
 * Holds what this process writes to stdout and stderr until the function returned is called (once; later calls do
 * nothing), then writes it at once.
 */
function holdOutput(): () => void {
  const streams = [process.stdout, process.stderr];
  for (const stream of streams) stream.cork();
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    for (const stream of streams) stream.uncork();
  };
}

/**
 * Starts the job and calls `started` once it has started: a command job has spawned its command by the time
 * `job()` returns its promise (src/cli/loop/child.ts), so what `started` does (opening run.log) no longer delays the
 * command; a function job has run up to its first `await`.
 */
async function startJob(job: LoopJob, task: Task, context: LoopJobContext, started: () => void): Promise<void> {
  let running: Promise<void>;
  try {
    running = job(task, context);
  } finally {
    started();
  }
  await running;
}

function deadlineReason(grace: number): string {
  return `the run reached its deadline (SIGTERM ${grace} s before it, killed at it if still running)`;
}

/**
 * Variables of the loop's own that a task's `env` may not set: they say which GPU the loop was given and which task,
 * worker, run directory, deadline and server the run has.
 */
function isLoopVariable(name: string): boolean {
  return name === "CUDA_VISIBLE_DEVICES" || name.startsWith("LABTASKER_");
}

/** The job's environment: this process's (with the run's LABTASKER_* variables), plus the task's `env`. */
function runEnvironment(task: Task, log: LoopLogger): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const refused: string[] = [];
  for (const [name, value] of Object.entries(task.env ?? {})) {
    if (isLoopVariable(name)) refused.push(name);
    else env[name] = value;
  }
  if (refused.length > 0) log.warn(`Task ${task.taskId}: its env may not set ${refused.join(", ")} (the loop's own); left as the loop has them.`);
  return env;
}
