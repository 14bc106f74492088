/**
 * Task logs (an extension): each run's output, sent by the loop as it is written, kept per task and attempt in Redis
 * under the queue's hash tag (keys in docs/keys.md), read by `labtasker task logs` over HTTP or in direct mode.
 *
 * Caps: a task keeps the last {@link LOG_LIMITS.taskBytes} of output over all its attempts (the oldest bytes go first;
 * a read says where its bytes start, so a reader sees what was dropped), and a queue keeps
 * {@link LOG_LIMITS.queueBytes} in all (beyond, the logs of the tasks written to longest ago are evicted).
 *
 * Removal is not atomic with the task's: a task's log is deleted right after the task (and after the queue's purge),
 * by its own script, because the delete scripts are the task storage's and stay unaware of logs. In between, or if
 * that second step never ran (a crash), the log outlives its task, harmlessly: a read asks for the task first and
 * answers 404, an append refuses a task that is gone, and the next delete of that task id, the queue's cap or the
 * queue's deletion (through the `task-logs` index) removes it.
 */
import type { ReadTaskLogOptions, TaskLogAppend, TaskLogBatchEntry, TaskLogBatchResult, TaskLogChunk } from "../core/api.js";
import { BadRequestError, LabtaskerError, TaskNotFoundError } from "../core/errors.js";
import { ScriptCode } from "../store/scriptCodes.js";
import { LogStore } from "../store/logs.js";
import { sleep } from "../sleep.js";
import type { BrokerContext } from "./context.js";

const MiB = 1024 * 1024;

/**
 * The largest attempt number and byte offset a log takes (1 TiB of one run's output). The scripts do arithmetic on
 * them, and Lua writes a number of 15 digits or more in exponent form, which Redis refuses as an integer.
 */
const MAX_LOG_POSITION = 2 ** 40;

/** Refuses what is not a whole number from `min` to {@link MAX_LOG_POSITION}. */
function checkPosition(name: string, value: unknown, min: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > MAX_LOG_POSITION) {
    throw new BadRequestError(`${name} must be a whole number from ${min} to ${MAX_LOG_POSITION} (got ${String(value)})`);
  }
}

export interface LogLimits {
  /** Bytes a task keeps over all its attempts: the last ones. */
  taskBytes: number;
  /** Bytes a queue's logs keep in all; beyond, the stalest tasks' logs are evicted. */
  queueBytes: number;
  /** The largest chunk one append takes. */
  chunkBytes: number;
  /** The longest a read waits for new output (long polling). */
  maxWaitMs: number;
  /** How often a waiting read looks again. */
  pollMs: number;
  /** The most chunks one batch append takes. */
  batchChunks: number;
}

/**
 * 1 MiB holds a long Python traceback and the last thousands of lines of a training run's progress; 256 MiB bounds a
 * queue of chatty jobs to a known share of a lab's Redis. A waiting read returns within 10 s: before proxies' idle
 * timeouts (often 30-60 s) cut it, and within the server's bounded stop.
 */
export const LOG_LIMITS: LogLimits = { taskBytes: MiB, queueBytes: 256 * MiB, chunkBytes: 4 * MiB, maxWaitMs: 10_000, pollMs: 150, batchChunks: 1000 };

/** Run tokens: what a client generates (a UUID or random hex) fits. */
const RUN_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export class LogService {
  private readonly logs: LogStore;
  private readonly limits: LogLimits;

  constructor(
    private readonly ctx: Pick<BrokerContext, "store" | "now">,
    limits: Partial<LogLimits> = {},
  ) {
    this.logs = new LogStore(ctx.store);
    this.limits = { ...LOG_LIMITS, ...limits };
  }

  /** Adds a chunk of a run's output; returns its attempt's number. */
  async append(queueId: string, taskId: string, chunk: TaskLogAppend): Promise<number> {
    const { attempt, run, offset, data } = chunk;
    checkPosition("attempt", attempt, 0);
    checkPosition("offset", offset, 0);
    if (typeof run !== "string" || !RUN_TOKEN.test(run)) throw new BadRequestError("run must be 1 to 64 of A-Z a-z 0-9 _ -");
    if (!(data instanceof Uint8Array)) throw new BadRequestError("data must be bytes");
    if (data.byteLength > this.limits.chunkBytes) throw new LabtaskerError(413, `A log chunk holds at most ${this.limits.chunkBytes} bytes (got ${data.byteLength})`);
    const reply = await this.logs.append(
      queueId,
      this.ctx.now(),
      { taskId, attempt, run, offset, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), ended: chunk.ended === true },
      { task: this.limits.taskBytes, queue: this.limits.queueBytes },
    );
    if (reply[0] === ScriptCode.TASK_NOT_FOUND) throw new TaskNotFoundError(taskId);
    return Number(reply[1]);
  }

  /**
   * Adds the chunks of several runs (a loop's batch: the last chunks of the short runs that ended since its last
   * request, and the running one's), each as {@link append} would, in order (two runs of one task open their
   * attempts in the order given). A chunk refused (its task deleted, a bad field) is refused alone: its result says
   * why, and the others are kept. An error of Redis itself fails the whole batch, which is safe to send again.
   */
  async appendMany(queueId: string, entries: readonly TaskLogBatchEntry[]): Promise<TaskLogBatchResult[]> {
    if (entries.length > this.limits.batchChunks) throw new BadRequestError(`A batch holds at most ${this.limits.batchChunks} chunks (got ${entries.length})`);
    const results: TaskLogBatchResult[] = [];
    for (const { taskId, chunk } of entries) {
      try {
        results.push({ attempt: await this.append(queueId, taskId, chunk) });
      } catch (error) {
        if (!(error instanceof LabtaskerError)) throw error;
        results.push({ error });
      }
    }
    return results;
  }

  /** Reads an attempt of a task's log from `offset` on; with `waitMs`, waits for more output or the run's end. */
  async read(queueId: string, taskId: string, options: ReadTaskLogOptions = {}): Promise<TaskLogChunk> {
    const offset = options.offset ?? 0;
    checkPosition("offset", offset, 0);
    const asked = options.attempt ?? null;
    if (asked !== null) checkPosition("attempt", asked, 1);
    const waitMs = Math.min(Math.max(0, options.waitMs ?? 0), this.limits.maxWaitMs);
    const deadline = Date.now() + waitMs;
    for (;;) {
      if ((await this.ctx.store.readTask(queueId, taskId)) === null) throw new TaskNotFoundError(taskId);
      const attempts = await this.logs.attempts(queueId, taskId);
      const attempt = asked ?? attempts;
      if (asked !== null && asked > attempts && waitMs === 0) {
        throw new LabtaskerError(404, attempts === 0 ? `Task ${taskId} has no log` : `Task ${taskId} has ${attempts} attempt(s) with a log, not ${asked}`);
      }
      if (attempt > 0 && attempt <= attempts) {
        const kept = await this.logs.readAttempt(queueId, taskId, attempt, { from: offset, max: this.limits.taskBytes, tail: this.limits.taskBytes });
        const ended = kept.endedAt !== null;
        if (kept.data.length > 0 || ended || Date.now() >= deadline) {
          return { attempt, attempts: kept.attempts, offset: kept.start, next: kept.start + kept.data.length, ended, data: kept.data };
        }
      } else if (Date.now() >= deadline) {
        return { attempt: 0, attempts, offset: 0, next: 0, ended: false, data: new Uint8Array(0) };
      }
      await sleep(Math.min(this.limits.pollMs, Math.max(0, deadline - Date.now())));
    }
  }

  /** Deletes the logs of these tasks (after the tasks themselves). */
  delete(queueId: string, taskIds: readonly string[]): Promise<number> {
    return this.logs.delete(queueId, taskIds);
  }

  /** Deletes every log of a deleted queue, a batch at a time. */
  async purge(queueId: string): Promise<void> {
    for (;;) {
      const taskIds = await this.logs.tasksWithLogs(queueId, 500);
      if (taskIds.length === 0) return this.logs.deleteTotal(queueId);
      await this.logs.delete(queueId, taskIds);
    }
  }
}

/** Deletes the logs of tasks just deleted (for the task service, which knows nothing else of logs). */
export function deleteTaskLogs(ctx: BrokerContext, queueId: string, taskIds: readonly string[]): Promise<number> {
  return new LogStore(ctx.store).delete(queueId, taskIds);
}
