/**
 * Redis access for task logs (their meaning, caps and reads are src/broker/logs.ts): the append and delete scripts,
 * and the plain reads of one attempt. Keys are in src/store/keys.ts and docs/keys.md.
 */
import type { RedisStore } from "./store.js";
import type { ScriptReply } from "./scripts.js";
import { taskIdArgument } from "./taskIds.js";

/** One chunk of a run's output as the append script takes it. */
export interface LogAppendRecord {
  taskId: string;
  /** The attempt's number, or 0 on the run's first chunk (the script opens the attempt). */
  attempt: number;
  /** Unique per run: opening twice with one token (a re-sent command) opens one attempt. */
  run: string;
  /** Where `data` starts in the attempt's output. */
  offset: number;
  data: Buffer;
  ended: boolean;
}

/** What is kept of one attempt: its fields in the task's log HASH and its bytes from `from` on. */
export interface StoredAttempt {
  /** The task's last attempt (0: no log). */
  attempts: number;
  /** Offset of `data`'s first byte in the attempt's output. */
  start: number;
  /** Offset after its last kept byte. */
  end: number;
  /** When the run ended (ms), or null while it runs (or if its loop died). */
  endedAt: number | null;
  data: Buffer;
}

export class LogStore {
  constructor(private readonly store: RedisStore) {}

  /** Appends a chunk; the reply is {OK, attempt} or {TASK_NOT_FOUND}. */
  append(queueId: string, now: number, record: LogAppendRecord, caps: { task: number; queue: number }): Promise<ScriptReply> {
    const { keys } = this.store;
    return this.store.scripts.run(
      "appendTaskLog",
      [keys.root(queueId), keys.taskLogs(queueId), keys.taskLogBytes(queueId), keys.taskLog(queueId, record.taskId), keys.tasks(queueId)],
      [now, taskIdArgument(record.taskId), record.attempt, record.run, record.offset, record.data, record.ended ? "1" : "", caps.task, caps.queue],
    );
  }

  /** Deletes the logs of these tasks; returns how many had one. */
  async delete(queueId: string, taskIds: readonly string[]): Promise<number> {
    if (taskIds.length === 0) return 0;
    const { keys } = this.store;
    const reply = await this.store.scripts.run("deleteTaskLogs", [keys.root(queueId), keys.taskLogs(queueId), keys.taskLogBytes(queueId)], taskIds);
    return Number(reply[1]);
  }

  /** Deletes the queue's byte counter (once its logs are gone). */
  async deleteTotal(queueId: string): Promise<void> {
    await this.store.redis.del(this.store.keys.taskLogBytes(queueId));
  }

  /** Up to `count` tasks that have a log, the stalest first. */
  tasksWithLogs(queueId: string, count: number): Promise<string[]> {
    return this.store.redis.zrange(this.store.keys.taskLogs(queueId), 0, count - 1);
  }

  /** The task's last attempt number (0 when it has no log). */
  async attempts(queueId: string, taskId: string): Promise<number> {
    return Number((await this.store.redis.hget(this.store.keys.taskLog(queueId, taskId), "attempts")) ?? 0);
  }

  /**
   * Attempt `attempt`'s bytes from offset `from` on, at most `max` of them, and never more than its last `tail`
   * (so a log that has not been trimmed yet reads as if it had). A trim between the reads would shift the bytes under
   * the offsets, so the attempt's `dropped` is read again with the bytes, and the read repeats when it moved.
   */
  async readAttempt(queueId: string, taskId: string, attempt: number, range: { from: number; max: number; tail: number }): Promise<StoredAttempt> {
    const { redis, keys } = this.store;
    const logKey = keys.taskLog(queueId, taskId);
    const dataKey = keys.taskLogData(queueId, taskId, attempt);
    for (;;) {
      const head = await redis.multi().hmget(logKey, "attempts", `${attempt}:dropped`, `${attempt}:ended`).strlen(dataKey).exec();
      const [[, [attempts, droppedText, endedText]], [, kept]] = head as [[null, Array<string | null>], [null, number]];
      const dropped = Number(droppedText ?? 0);
      const start = Math.max(range.from, dropped, dropped + kept - range.tail) - dropped;
      const body = await redis.multi().getrangeBuffer(dataKey, start, start + range.max - 1).strlen(dataKey).hget(logKey, `${attempt}:dropped`).exec();
      const [[, data], [, length], [, droppedAgain]] = body as [[null, Buffer], [null, number], [null, string | null]];
      if (Number(droppedAgain ?? 0) !== dropped) continue;
      return {
        attempts: Number(attempts ?? 0),
        start: dropped + Math.min(start, length),
        end: dropped + length,
        endedAt: endedText == null ? null : Number(endedText),
        data: start >= length ? Buffer.alloc(0) : data,
      };
    }
  }
}
