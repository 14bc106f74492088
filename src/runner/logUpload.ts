/**
 * Each run's output sent to the server as it is written, so `labtasker task logs ID` shows it from anywhere: the
 * bytes the loop process writes to stdout and stderr while the task runs (the command's output and the loop's lines,
 * what `run.log` gets, but with colours kept), in batches: at most one request every {@link UPLOAD.intervalMs} for the
 * whole loop, one in flight at a time, each carrying every run's pending bytes with their offset in that run's output.
 * A size trigger (send at 64 KiB) would not help: memory is bounded anyway (below), and on a chatty job it sent many
 * batches the server then trimmed away, which cost the job 60% more time on a 2-core machine; one batch per interval
 * costs a few percent.
 *
 * One request for all runs, not one per run: a short run's whole output, and its end mark, go with the next tick
 * after it ended, together with those of the other runs that ended since and the running one's bytes that have
 * waited {@link UPLOAD.intervalMs} (sent earlier, a short chatty run's output would go twice) (the server's
 * batch append, `task-logs-batch`; a server without it gets one request per run, as before). A loop of short tasks
 * then sends a request every 250 ms rather than one per task: a request cost the loop, the server and Redis about
 * 1.5 ms of CPU, taken from the next task's start on a busy machine (docs/benchmarks.md, the GPU pool's idle gap).
 * The server keeps each chunk per task and attempt as a single append would (caps, truncated mark, run tokens).
 *
 * Nothing waits on it: a write only appends to a buffer, and the requests run in the background, a run's last one
 * with the next tick after the run ended (not while the loop reports, fetches and starts the next task). The bytes go
 * as they are: no encoding, and one copy of a batch at most. Each run keeps at most the last {@link UPLOAD.keepBytes}
 * (what the server keeps of a task): when the server is slower than the output, the oldest bytes are dropped and the
 * server marks the gap; and at most {@link UPLOAD.maxRuns} runs wait (a server unreachable for long, a loop of short
 * tasks): beyond, the oldest ended run's upload is given up. A chunk refused (its task deleted, or a server without
 * logs, such as labtasker v1's) ends that run's upload; a failed request ends the upload of every run it carried;
 * `run.log` still has everything. After {@link UPLOAD.failedSendsToStop} requests in a row sent nothing, the loop
 * stops trying.
 */
import { randomBytes } from "node:crypto";
import type { Labtasker, TaskLogBatchEntry, TaskLogBatchResult } from "../core/api.js";
import { TaskNotFoundError } from "../core/errors.js";
import type { LoopLogger } from "./logger.js";

export const UPLOAD = {
  intervalMs: 250,
  keepBytes: 1024 * 1024,
  /** The bytes one request carries at most (the server's body limit is 16 MiB); the rest goes in the next at once. */
  batchBytes: 4 * 1024 * 1024,
  /** The chunks one request carries at most (the server takes 1000). */
  batchChunks: 256,
  /** Runs waiting to be sent at most (each holds at most {@link keepBytes}). */
  maxRuns: 64,
  failedSendsToStop: 3,
  /** How long the end of a loop waits for the last uploads. */
  drainMs: 5000,
} as const;

type AppendLogs = (entries: readonly TaskLogBatchEntry[]) => Promise<TaskLogBatchResult[]>;

/** One run's output waiting to be sent: {@link write} as output comes; the loop's {@link LogUploads} sends it. */
export class RunLogUpload {
  readonly run = randomBytes(8).toString("hex");
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Offset of the first pending byte in the run's output. */
  private offset = 0;
  private attempt = 0;
  /** The run ended: no more writes, its end mark is due. */
  closed = false;
  /** When the oldest bytes (or the end mark) not yet sent came: they go {@link UPLOAD.intervalMs} later. */
  private pendingSince: number | null = null;
  private endSent = false;
  private failedFlag = false;
  private onSettled: (() => void) | undefined;
  /** Resolves once the end mark was sent or the upload failed (never rejects). */
  readonly settled = new Promise<void>((resolve) => (this.onSettled = resolve));

  constructor(
    readonly taskId: string,
    /** Called when there is something new to send, with when it is due. */
    private readonly wake: (dueAt: number) => void,
  ) {}

  /** Whether the upload failed (the rest of the run's output was not sent). */
  get failed(): boolean {
    return this.failedFlag;
  }

  /** Whether it is done: its end was sent, or it failed. */
  get done(): boolean {
    return this.failedFlag || this.endSent;
  }

  /** Whether a request has something of this run to carry. */
  get due(): boolean {
    return !this.done && (this.pendingBytes > 0 || this.closed);
  }

  /** When its pending bytes are due: {@link UPLOAD.intervalMs} after the oldest came (Infinity with none). */
  get dueAt(): number {
    return this.pendingSince === null ? Infinity : this.pendingSince + UPLOAD.intervalMs;
  }

  write(bytes: Buffer): void {
    if (this.failedFlag || this.closed || bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.dropBeyondKeep();
    if (this.pendingSince === null) {
      this.pendingSince = performance.now();
      this.wake(this.dueAt);
    }
  }

  close(): void {
    this.closed = true;
    if (this.done) return this.onSettled?.();
    this.pendingSince ??= performance.now();
    this.wake(this.dueAt);
  }

  /** The next chunk, at most `max` bytes, with the end mark once nothing is left after it. */
  take(max: number): TaskLogBatchEntry {
    const data = this.takeBytes(max);
    if (this.pendingBytes === 0 && !this.closed) this.pendingSince = null;
    const offset = this.offset;
    this.offset += data.length; // before the request: bytes dropped meanwhile move it on from there
    return { taskId: this.taskId, chunk: { attempt: this.attempt, run: this.run, offset, data, ended: this.closed && this.pendingBytes === 0 } };
  }

  /** The server kept the chunk {@link take} gave. */
  sent(entry: TaskLogBatchEntry, attempt: number): void {
    this.attempt = attempt;
    if (entry.chunk.ended) {
      this.endSent = true;
      this.onSettled?.();
    }
  }

  /** The chunk was refused, or its request failed: the rest stays in run.log only. */
  fail(): void {
    this.failedFlag = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.onSettled?.();
  }

  /** The server keeps a task's last bytes only: older ones waiting here would be dropped there anyway. */
  private dropBeyondKeep(): void {
    let excess = this.pendingBytes - UPLOAD.keepBytes;
    while (excess > 0) {
      const head = this.pending[0]!;
      const cut = Math.min(head.length, excess);
      if (cut === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(cut);
      this.pendingBytes -= cut;
      this.offset += cut;
      excess -= cut;
    }
  }

  /** Up to `max` pending bytes, in one buffer. */
  private takeBytes(max: number): Buffer {
    const parts: Buffer[] = [];
    let size = 0;
    while (this.pending.length > 0 && size < max) {
      const head = this.pending[0]!;
      const part = head.length <= max - size ? head : head.subarray(0, max - size);
      if (part === head) this.pending.shift();
      else this.pending[0] = head.subarray(part.length);
      parts.push(part);
      size += part.length;
    }
    this.pendingBytes -= size;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
  }
}

/** The uploads of one loop: a run's started and finished by the loop, all sent together, waited for (briefly) at its end. */
export class LogUploads {
  /** Runs not done yet, oldest first. */
  private readonly runs = new Set<RunLogUpload>();
  private timer: NodeJS.Timeout | undefined;
  /** When {@link timer} fires. */
  private timerAt = Infinity;
  /** When the last request went: the next goes {@link UPLOAD.intervalMs} later at the earliest. */
  private lastSendAt = -Infinity;
  private sending: Promise<void> | undefined;
  /** The loop is ending: what is left goes at once. */
  private urgent = false;
  private failedSends = 0;
  private readonly append: AppendLogs | null;

  constructor(client: Labtasker, enabled: boolean, private readonly log: LoopLogger) {
    this.append = !enabled
      ? null
      : typeof client.appendTaskLogs === "function"
        ? client.appendTaskLogs.bind(client)
        : typeof client.appendTaskLog === "function"
          ? oneByOne(client.appendTaskLog.bind(client))
          : null;
  }

  /** An upload for this run, or null when uploads are off (disabled, unsupported, or failing). */
  start(taskId: string): RunLogUpload | null {
    if (this.append === null || this.failedSends >= UPLOAD.failedSendsToStop) return null;
    if (this.runs.size >= UPLOAD.maxRuns) this.giveUpOldest();
    const upload = new RunLogUpload(taskId, (dueAt) => this.schedule(dueAt));
    this.runs.add(upload);
    return upload;
  }

  /**
   * Ends a run's upload: what is left, and the end mark, go with the next tick (at most {@link UPLOAD.intervalMs}
   * on), not at once: at once it would take the CPU and the server while the loop reports, fetches and starts the
   * next task.
   */
  finish(upload: RunLogUpload | null): void {
    upload?.close();
  }

  /** Sends what is left now and waits for it, at most {@link UPLOAD.drainMs}. */
  async drain(): Promise<void> {
    if (this.runs.size === 0) return;
    this.urgent = true;
    if (!this.sending) this.kick();
    let timer: NodeJS.Timeout | undefined;
    const settled = Promise.all([...this.runs].map((run) => run.settled));
    await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, UPLOAD.drainMs)))]);
    clearTimeout(timer);
  }

  /** A run has something to send, due at `dueAt` (at once while the loop is ending). */
  private schedule(dueAt: number): void {
    if (this.sending) return; // its end looks again
    if (this.urgent) return this.kick();
    dueAt = Math.max(dueAt, this.lastSendAt + UPLOAD.intervalMs);
    if (this.timer !== undefined && this.timerAt <= dueAt) return;
    clearTimeout(this.timer);
    this.timerAt = dueAt;
    this.timer = setTimeout(() => this.kick(), Math.max(0, dueAt - performance.now())).unref();
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.sending) return;
    this.sending = this.sendDue().finally(() => {
      this.sending = undefined;
      // Output that came while the request was in flight, and end marks, go when due (at once when the loop is
      // ending).
      let next = Infinity;
      for (const run of this.runs) if (run.due) next = Math.min(next, run.dueAt);
      if (next !== Infinity) this.schedule(next);
    });
  }

  /** One request for every due run; more at once while some could not fit in it. */
  private async sendDue(): Promise<void> {
    for (;;) {
      const { entries, runs, full } = this.collect();
      if (entries.length === 0) return;
      this.lastSendAt = performance.now();
      await this.send(entries, runs);
      if (!full) return;
    }
  }

  /**
   * The chunks for one request, oldest run first, within its limits; `full` when some were left out. An ended run
   * goes with any request (no more output will come), a running one when its bytes are due: sent before, a short
   * chatty run's output would go twice, its first part and then its last MiB, of which the server keeps the last.
   */
  private collect(): { entries: TaskLogBatchEntry[]; runs: RunLogUpload[]; full: boolean } {
    const entries: TaskLogBatchEntry[] = [];
    const runs: RunLogUpload[] = [];
    let room = UPLOAD.batchBytes;
    const now = performance.now() + 5; // a timer may fire a little early
    for (const run of this.runs) {
      if (run.done) {
        this.runs.delete(run);
        continue;
      }
      if (!run.due || (!run.closed && !this.urgent && run.dueAt > now)) continue;
      if (entries.length === UPLOAD.batchChunks || room === 0) return { entries, runs, full: true };
      const entry = run.take(Math.min(room, UPLOAD.keepBytes));
      room -= entry.chunk.data.byteLength;
      entries.push(entry);
      runs.push(run);
    }
    return { entries, runs, full: runs.some((run) => run.due && run.closed) };
  }

  private async send(entries: TaskLogBatchEntry[], runs: RunLogUpload[]): Promise<void> {
    let results: TaskLogBatchResult[];
    try {
      results = await this.append!(entries);
    } catch (error) {
      results = entries.map(() => ({ error: error as Error }));
    }
    let kept = false;
    let refused = false;
    entries.forEach((entry, index) => {
      const run = runs[index]!;
      const result = results[index] ?? { error: new Error("the server gave no answer for this chunk") };
      if ("attempt" in result) {
        kept = true;
        run.sent(entry, result.attempt);
        if (run.done) this.runs.delete(run);
        return;
      }
      run.fail();
      this.runs.delete(run);
      if (result.error instanceof TaskNotFoundError) return; // deleted while it ran: nothing to keep
      refused = true;
      this.log.debug(`The output of task ${run.taskId} is kept in run.log only: sending it to the server failed: ${result.error.message}`);
    });
    if (kept) this.failedSends = 0;
    else if (refused) this.failedSends += 1;
  }

  /** Too many runs wait (the server has not taken any for long): the oldest ended one keeps its output in run.log only. */
  private giveUpOldest(): void {
    for (const run of this.runs) {
      if (!run.closed) continue;
      run.fail();
      this.runs.delete(run);
      this.log.debug(`The output of task ${run.taskId} is kept in run.log only: too many runs were waiting to be sent.`);
      return;
    }
  }
}

/** Sends a batch's chunks one request each, for a client without the batch append. */
function oneByOne(append: NonNullable<Labtasker["appendTaskLog"]>): AppendLogs {
  return async (entries) => {
    const results: TaskLogBatchResult[] = [];
    for (const { taskId, chunk } of entries) {
      try {
        results.push({ attempt: await append(taskId, chunk) });
      } catch (error) {
        results.push({ error: error as Error });
      }
    }
    return results;
  };
}
