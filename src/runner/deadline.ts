/**
 * A run's deadline (resumable tasks, docs/loop.md "Deadlines"): the run's start plus the task's timeout (its own
 * `task_timeout`, or the loop's `--eta-max`, which the fetch set as the run's). `--grace` seconds before it (at most half
 * the limit: {@link effectiveGraceSeconds}) the job's `signal` is aborted with SIGTERM (a command gets SIGTERM), and at
 * the deadline its `forceSignal` (a command still running is killed). A run that ends once the deadline's SIGTERM was
 * sent, or whose job says it timed out ({@link JobTimedOutError}: exit code 124, as GNU `timeout`), is reported as
 * timed out: the server puts it back to pending without using a retry while it has timeouts left.
 */
import type { Task } from "../core/model.js";
import { JobFailedError } from "./job.js";

/** A run that ended because it ran out of time: exit code {@link TIMED_OUT_EXIT_CODE}, or a handler's own say. */
export class JobTimedOutError extends JobFailedError {
  constructor(message: string, details?: string) {
    super(message, details);
    this.name = "_LabtaskerJobTimedOut";
  }
}

/** GNU `timeout`'s exit code for a command it stopped: a command that exits with it is a timeout. */
export const TIMED_OUT_EXIT_CODE = 124;

/** Node fires a longer timer at once (with a warning): a longer wait goes in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Seconds between the SIGTERM and the deadline, by default: time to write a checkpoint. */
export const DEFAULT_GRACE_SECONDS = 30;

/**
 * The grace one run gets: `--grace`, but never more than half the run's time limit, so a short task still runs for
 * at least half its limit before it is told to stop (a 20 s limit under the default 30 s grace gets SIGTERM at 10 s,
 * not at its start).
 */
export function effectiveGraceSeconds(grace: number, timeoutSeconds: number | null): number {
  return timeoutSeconds === null ? grace : Math.min(grace, timeoutSeconds / 2);
}

/** The run's time limit in seconds: the task's timeout as fetched (the fetch's eta_max included), else `etaMax`. */
export function runTimeoutSeconds(task: Task, etaMaxSeconds: number | null): number | null {
  if (task.taskTimeout != null && task.taskTimeout > 0) return task.taskTimeout;
  return etaMaxSeconds;
}

/** The value of LABTASKER_DEADLINE: whole epoch seconds, rounded down so a job never believes it has more time. */
export function deadlineEnvValue(deadlineMs: number): string {
  return String(Math.floor(deadlineMs / 1000));
}

/**
 * The signals one run's job gets: the loop's stop requests, plus the deadline's SIGTERM and kill. `reached` says
 * whether the deadline's SIGTERM was sent (the run then ends as timed out).
 */
export class RunDeadline {
  private readonly stopController = new AbortController();
  private readonly forceController = new AbortController();
  readonly signal: AbortSignal = this.stopController.signal;
  readonly forceSignal: AbortSignal = this.forceController.signal;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unlink: Array<() => void> = [];
  reached = false;

  /**
   * @param deadlineMs when the run must end (ms since the epoch), null for none
   * @param graceMs how long before it the SIGTERM goes
   * @param stop the loop's stop request (its reason, the signal, is passed on)
   * @param force the loop's second stop request
   */
  constructor(
    readonly deadlineMs: number | null,
    graceMs: number,
    stop: AbortSignal,
    force: AbortSignal,
  ) {
    this.follow(stop, this.stopController);
    this.follow(force, this.forceController);
    if (deadlineMs === null) return;
    this.at(deadlineMs - graceMs, () => {
      if (this.signal.aborted) return; // stopped by the user first: that stop stands
      this.reached = true;
      this.stopController.abort("SIGTERM");
    });
    this.at(deadlineMs, () => {
      this.reached ||= !this.signal.aborted;
      this.forceController.abort("SIGKILL");
    });
  }

  /** Stops the timers and listeners: the run is over. */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const unlink of this.unlink) unlink();
  }

  /**
   * Runs `action` at `timeMs` (ms since the epoch), in steps a timer can take (about 24.8 days); at once, before the
   * job starts, when that time has passed (so a job whose limit is shorter than the grace starts told to stop).
   */
  private at(timeMs: number, action: () => void): void {
    const delay = timeMs - Date.now();
    if (delay <= 0) return action();
    const timer = delay > MAX_TIMER_MS ? setTimeout(() => this.at(timeMs, action), MAX_TIMER_MS) : setTimeout(action, delay);
    timer.unref();
    this.timers.push(timer);
  }

  private follow(source: AbortSignal, target: AbortController): void {
    if (source.aborted) return target.abort(source.reason);
    const onAbort = () => target.abort(source.reason);
    source.addEventListener("abort", onAbort, { once: true });
    this.unlink.push(() => source.removeEventListener("abort", onAbort));
  }
}
