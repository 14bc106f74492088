/** What one loop holds while it runs: its resolved options, its stop requests, its worker and its result so far. */
import type { WorkerSuspendedError } from "../core/errors.js";
import { LogUploads } from "./logUpload.js";
import type { ResolvedLoopOptions } from "./options.js";
import type { PendingReport } from "./report.js";
import type { StopRequests, StopSignal } from "./signals.js";

/** How a loop ended, and what it ran. */
export interface LoopResult {
  /**
   * `done`: no matching pending task is left. `exit`: Exit was chosen after a failure. `suspended`: the worker is
   * suspended or crashed (see `suspension`). `stopped`: a signal or `options.signal` stopped the loop.
   */
  reason: "done" | "exit" | "suspended" | "stopped";
  /** The signal that stopped the loop (reason `stopped`). */
  signal: StopSignal | null;
  /** The worker the loop ran as (the last one, if it registered again after its worker vanished). */
  workerId: string;
  /** Whether the loop created its worker (deleted again on Exit or a stop, kept otherwise, as v1). */
  workerCreated: boolean;
  /** The server's refusal, for reason `suspended`. */
  suspension: WorkerSuspendedError | null;
  /** Runs reported success. */
  succeeded: number;
  /** Runs reported failed. */
  failed: number;
  /** Failed runs put back to pending with Ignore. */
  ignored: number;
  /** Runs reported timed out (they reached their deadline, or their job said so: ./deadline.ts). */
  timedOut: number;
}

export class LoopState {
  readonly result: LoopResult;
  /** Each run's output on its way to the server. */
  readonly uploads: LogUploads;
  /** The last run's success, recorded and not yet sent: the next fetch carries it (./report.ts). */
  pendingReport: PendingReport | null = null;
  /** Internal errors in a row. */
  private failures = 0;
  /** The end of the last run that waits for the fetch carrying its report to be on its way ({@link defer}). */
  private deferred: Array<() => void> = [];

  constructor(
    readonly settings: ResolvedLoopOptions,
    readonly stops: StopRequests,
    workerId: string,
    workerCreated: boolean,
  ) {
    this.uploads = new LogUploads(settings.client, settings.uploadLogs, settings.log);
    this.result = { reason: "done", signal: null, workerId, workerCreated, suspension: null, succeeded: 0, failed: 0, ignored: 0, timedOut: 0 };
  }

  /** The loop's worker (a new one after {@link LoopResult.workerId} changed because the old one vanished). */
  get workerId(): string {
    return this.result.workerId;
  }

  /** Whether the loop was told to stop. */
  get stopping(): boolean {
    return this.stops.stop.aborted;
  }

  /** Ends the result as `stopped` by the signal that stopped the loop. */
  markStopped(): void {
    this.result.reason = "stopped";
    this.result.signal = this.stops.stop.reason as StopSignal;
  }

  /** Logs an internal error and waits as `onInternalError` says (which throws to give up). */
  async internalError(error: unknown): Promise<void> {
    this.failures += 1;
    this.settings.log.error(`Error in task loop: ${(error as Error).message}`);
    await this.settings.onInternalError(error, this.failures, this.stops.stop);
  }

  /** A task ran to its end: the internal errors are no longer in a row. */
  taskEnded(): void {
    this.failures = 0;
  }

  /**
   * Leaves `work` (the end of a run whose success rides on the next fetch: its `status.json`, its last log line, its
   * output capture) until that fetch's request is on its way, so it runs while the server answers rather than before
   * the request leaves (./fetch.ts). Whatever the loop does next, it runs {@link runDeferred} first.
   */
  defer(work: () => void): void {
    this.deferred.push(work);
  }

  /** Runs the deferred work, once; a no-op when there is none. */
  runDeferred(): void {
    const work = this.deferred;
    if (work.length === 0) return;
    this.deferred = [];
    for (const item of work) item();
  }
}
