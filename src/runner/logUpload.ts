/**
 * Each run's output sent to the server as it is written, so `labtasker task logs ID` shows it from anywhere: the
 * bytes the loop process writes to stdout and stderr while the task runs (the command's output and the loop's lines,
 * what `run.log` gets, but with colours kept), in batches: at most one request every {@link UPLOAD.intervalMs}, one
 * in flight at a time, each carrying its offset in the run's output. A size trigger (send at 64 KiB) would not help:
 * memory is bounded anyway (below), and on a chatty job it sent many batches the server then trimmed away, which
 * cost the job 60% more time on a 2-core machine; one batch per interval costs a few percent.
 *
 * Nothing waits on it: a write only appends to a buffer, and the requests run in the background, the last one with
 * the next tick after the run ended (not while the loop reports, fetches and starts the next task). The bytes go as
 * they are (an `application/octet-stream` body): no encoding, and one copy of a batch at most. The buffer keeps at
 * most the last {@link UPLOAD.keepBytes} (what the server keeps of a task): when the server is slower than the
 * output, the oldest bytes are dropped and the server marks the gap. A failed request (server unreachable, or one
 * without logs, such as labtasker v1's) ends the run's upload; `run.log` still has everything. After
 * {@link UPLOAD.failedRunsToStop} runs in a row failed, the loop stops trying.
 */
import { randomBytes } from "node:crypto";
import type { Labtasker, TaskLogAppend } from "../core/api.js";
import { TaskNotFoundError } from "../core/errors.js";
import type { LoopLogger } from "./logger.js";

export const UPLOAD = {
  intervalMs: 250,
  keepBytes: 1024 * 1024,
  failedRunsToStop: 3,
  /** How long the end of a loop waits for the last uploads. */
  drainMs: 5000,
} as const;

type AppendLog = (taskId: string, chunk: TaskLogAppend) => Promise<number>;

/** One run's upload: {@link write} as output comes, {@link close} when the run ends. */
export class RunLogUpload {
  private readonly run = randomBytes(8).toString("hex");
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Offset of the first pending byte in the run's output. */
  private offset = 0;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  /** {@link flush} was called: what is left goes at once. */
  private urgent = false;
  private endSent = false;
  private failedFlag = false;
  /** Resolves {@link close}'s promise once the end mark was sent or a request failed. */
  private onSettled: (() => void) | undefined;

  constructor(
    private readonly append: AppendLog,
    private readonly taskId: string,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Whether a request failed (the rest of the run's output was not sent). */
  get failed(): boolean {
    return this.failedFlag;
  }

  write(bytes: Buffer): void {
    if (this.failedFlag || this.closed || bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.dropBeyondKeep();
    if (!this.sending) this.timer ??= setTimeout(() => this.kick(), UPLOAD.intervalMs).unref();
  }

  /**
   * Sends what is left with the end mark, with the next batch (at most {@link UPLOAD.intervalMs} on), not at once:
   * at once it would take the CPU and the server while the loop reports, fetches and starts the next task. Resolves
   * when done or failed (never rejects); {@link flush} sends at once.
   */
  close(): Promise<void> {
    this.closed = true;
    const done = new Promise<void>((resolve) => (this.onSettled = resolve));
    if (this.failedFlag) this.onSettled?.();
    else if (!this.sending) this.timer ??= setTimeout(() => this.kick(), UPLOAD.intervalMs).unref();
    return done;
  }

  /** Sends what is pending now rather than with the next batch (the loop is ending). */
  flush(): void {
    this.urgent = true;
    if (!this.sending) this.kick();
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

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.failedFlag || this.endSent) return this.onSettled?.();
    if (this.sending) return;
    this.sending = this.sendAll().finally(() => {
      this.sending = undefined;
      if (this.failedFlag || this.endSent) return this.onSettled?.();
      // Output that came while the request was in flight, and the end mark, go with the next batch (at once when the
      // loop is ending).
      if (this.closed && this.urgent) this.kick();
      else if (this.pendingBytes > 0 || this.closed) this.timer ??= setTimeout(() => this.kick(), UPLOAD.intervalMs).unref();
    });
  }

  private async sendAll(): Promise<void> {
    while (!this.failedFlag && (this.pendingBytes > 0 || (this.closed && !this.endSent))) {
      const data = this.take(UPLOAD.keepBytes);
      const ended = this.closed && this.pendingBytes === 0;
      const offset = this.offset;
      this.offset += data.length; // before the request: bytes dropped meanwhile move it on from there
      try {
        this.attempt = await this.append(this.taskId, { attempt: this.attempt, run: this.run, offset, data, ended });
      } catch (error) {
        this.failedFlag = true;
        this.pending = [];
        this.pendingBytes = 0;
        this.onFailure(error);
        return;
      }
      if (ended) this.endSent = true;
      if (!this.closed) return; // the timer sends the rest in the next batch
    }
  }

  /** Up to `max` pending bytes, in one buffer. */
  private take(max: number): Buffer {
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

/** The uploads of one loop: started per run, waited for (briefly) when the loop ends. */
export class LogUploads {
  /** Runs that ended and whose last batch is not sent yet. */
  private readonly closing = new Map<RunLogUpload, Promise<void>>();
  private failedRuns = 0;
  private readonly append: AppendLog | null;

  constructor(client: Labtasker, enabled: boolean, private readonly log: LoopLogger) {
    this.append = enabled && typeof client.appendTaskLog === "function" ? client.appendTaskLog.bind(client) : null;
  }

  /** An upload for this run, or null when uploads are off (disabled, unsupported, or failing). */
  start(taskId: string): RunLogUpload | null {
    if (this.append === null || this.failedRuns >= UPLOAD.failedRunsToStop) return null;
    return new RunLogUpload(this.append, taskId, (error) => {
      if (error instanceof TaskNotFoundError) return; // deleted while it ran: nothing to keep
      this.failedRuns += 1;
      this.log.debug(`The output of task ${taskId} is kept in run.log only: sending it to the server failed: ${(error as Error).message}`);
    });
  }

  /** Ends a run's upload in the background. */
  finish(upload: RunLogUpload | null): void {
    if (upload === null) return;
    const done = upload.close().finally(() => {
      this.closing.delete(upload);
      if (!upload.failed) this.failedRuns = 0;
    });
    this.closing.set(upload, done);
  }

  /** Sends the last batches now and waits for them, at most {@link UPLOAD.drainMs}. */
  async drain(): Promise<void> {
    if (this.closing.size === 0) return;
    for (const upload of this.closing.keys()) upload.flush();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.closing.values()), new Promise<void>((resolve) => (timer = setTimeout(resolve, UPLOAD.drainMs)))]);
    clearTimeout(timer);
  }
}
