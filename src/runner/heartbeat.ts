/**
 * The heartbeat of a running task (labtasker v1's `heartbeat.py`): one refresh every interval, for as long as
 * `<run dir>/heartbeat.lock` exists. v1 also refreshes at once, but the fetch that claimed the task has just started
 * its heartbeat (`start_heartbeat`): a refresh then would be one more request in the gap between two tasks, and
 * one the report then waits for when the run is short. A job, or a child process that finished the task itself, stops it by
 * deleting that file. The first refresh that fails ends the heartbeat, as v1's thread dies on its first error: by
 * then the server no longer counts the task as this worker's (it was cancelled, reset or timed out) or could not be
 * reached through all the client's retries.
 */
import { constants, closeSync, existsSync, openSync, unlinkSync } from "node:fs";
import type { Labtasker } from "../core/api.js";
import type { LoopLogger } from "./logger.js";

export interface HeartbeatOptions {
  client: Labtasker;
  taskId: string;
  workerId: string | null;
  /** Milliseconds between the starts of two refreshes. */
  intervalMs: number;
  /** `<run dir>/heartbeat.lock`. */
  lockFile: string;
  log: LoopLogger;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  /** The lock file was removed by {@link stop} (a run stops its heartbeat twice: before its report, and at its end). */
  private lockRemoved = false;
  /** Refreshes sent, for tests and verbose output. */
  beats = 0;

  constructor(private readonly options: HeartbeatOptions) {}

  /** Creates the lock file; the first refresh follows one interval later (the fetch started the heartbeat). */
  start(): void {
    closeSync(openSync(this.options.lockFile, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644));
    this.schedule(this.options.intervalMs);
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => this.beat(), delay);
    this.timer.unref();
  }

  private beat(): void {
    if (this.stopped) return;
    if (!existsSync(this.options.lockFile)) {
      this.options.log.debug(`Heartbeat of task ${this.options.taskId} stopped: ${this.options.lockFile} was removed.`);
      this.stopped = true;
      return;
    }
    const started = Date.now();
    this.inFlight = this.options.client.refreshTaskHeartbeat(this.options.taskId, this.options.workerId).then(
      () => {
        this.beats += 1;
        if (this.stopped) return;
        // The interval counts from the start of this refresh, so slow replies do not stretch it.
        this.schedule(Math.max(0, this.options.intervalMs - (Date.now() - started)));
      },
      (error: unknown) => {
        // A refresh that fails after finish() removed the lock (or stop()) raced the report: nothing is wrong.
        if (this.stopped || !existsSync(this.options.lockFile)) return;
        this.stopped = true;
        this.options.log.warn(`Failed to refresh heartbeat of task ${this.options.taskId}: ${(error as Error).message}. Heartbeat stopped.`);
      },
    );
  }

  /**
   * Stops refreshing, waits for a refresh in flight (so none reaches the server after the report that follows) and
   * removes the lock file. Idempotent.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    if (this.lockRemoved) return;
    this.lockRemoved = true;
    try {
      unlinkSync(this.options.lockFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}
