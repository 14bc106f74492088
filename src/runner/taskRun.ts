/**
 * One task's run in this process: its run directory, environment, output capture and heartbeat, the job, and the
 * once-only report (success, or the failure handling of ./failure.ts).
 */
import { join } from "node:path";
import type { Labtasker } from "../core/api.js";
import type { Task } from "../core/model.js";
import { pythonRepr } from "../core/python.js";
import type { JsonObject } from "../json.js";
import { captureOutput } from "./capture.js";
import { RUNNER_ENV, setActiveRun, type ActiveRun, type FinishStatus } from "./context.js";
import { handleFailure } from "./failure.js";
import { RUN_FILES, createRunDir, removeOutcome, writeOutcome } from "./files.js";
import { Heartbeat } from "./heartbeat.js";
import type { LoopJobContext } from "./job.js";
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
        warnTakenAway(this.log, this.task.taskId, status, error);
      }
    })();
    return this.finishing;
  }

  /**
   * The loop's own success report once the job returned: the heartbeat stopped and the outcome files written now,
   * the request left to the next fetch (./report.ts). False when the task was finished already (by the job, or a
   * process it started), so there is nothing to send.
   */
  async succeedLater(): Promise<boolean> {
    if (this.finishing) {
      await this.finishing;
      return false;
    }
    let recorded = false;
    this.finishing = (async () => {
      await this.heartbeat.stop();
      recorded = writeOutcome(this.logDir, "success", null);
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
  const { client, job, log, root, heartbeatInterval } = state.settings;
  const { workerId } = state;
  const logDir = createRunDir(root, task);
  process.env[RUNNER_ENV.taskId] = task.taskId;
  process.env[RUNNER_ENV.logDir] = logDir;
  const upload = state.uploads.start(task.taskId);
  const capture = captureOutput(join(logDir, RUN_FILES.runLog), upload === null ? undefined : (bytes) => upload.write(bytes));
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
    state.settings.observer?.taskStarted(task);
    const context: LoopJobContext = {
      task,
      workerId,
      logDir,
      env: { ...process.env },
      signal: state.stops.stop,
      forceSignal: state.stops.force,
      log,
      finish: (status, summary) => run.finish(status, summary),
    };
    try {
      await job(task, context);
    } catch (error) {
      return await handleFailure(state, run, capture, error);
    }
    if (await run.succeedLater()) state.pendingReport = { task, workerId };
    state.result.succeeded += 1;
    log.info(`Task ${task.taskId} ended.`);
    return false;
  } finally {
    await heartbeat.stop();
    capture.stop();
    state.uploads.finish(upload); // in the background: the next task does not wait for it
    setActiveRun(null);
    // A success waiting for the next fetch ends the task for the observer once it is sent (./report.ts).
    if (state.pendingReport?.task !== task) state.settings.observer?.taskEnded(task);
  }
}
