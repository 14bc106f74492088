/**
 * A queue's tasks as the earlier layout of keys (1) stored them, written key by key for the migration's tests
 * (docs/keys.md, "Layout versions"): a STRING a task (a MessagePack map of field name -> string), every status's index
 * with members of 60 characters, pending tasks in their signature's index too, task ids as text in the deadline index
 * and the workers' task sets, and events whose record is the task so packed. The queue itself is created by this
 * version; {@link toLayout1} then takes its layout field away.
 */
import { pack } from "msgpackr";
import type { Redis } from "ioredis";
import type { KeyBuilder } from "../../src/store/keys.js";
import { QUEUE_KEY_SUFFIX } from "../../src/store/keys.js";

/** One task of layout 1: its id and its fields, every value a string, as layout 1 stored them. */
export interface Layout1Task {
  id: string;
  fields: Record<string, string>;
  /** For a running task: its deadline in ms, in the deadline index. */
  deadline?: number;
}

function member(task: Layout1Task): string {
  const { last_modified: lastModified = "", seq = "" } = task.fields;
  return lastModified.padStart(13, "0") + seq.padStart(11, "0") + task.id;
}

export async function writeLayout1Tasks(redis: Redis, keys: KeyBuilder, queueId: string, tasks: readonly Layout1Task[]): Promise<void> {
  const root = keys.root(queueId);
  for (const task of tasks) {
    const { status = "", priority = "0", sig = "", worker_id: workerId } = task.fields;
    const packed = pack(task.fields);
    await redis.set(root + QUEUE_KEY_SUFFIX.layout1Task + task.id, packed);
    await redis.zadd(keys.layout1Status(queueId, status as "pending"), -Number(priority), member(task));
    if (status === "pending") {
      await redis.zadd(keys.signature(queueId, sig), -Number(priority), member(task));
      await redis.sadd(keys.signatures(queueId), sig);
    }
    if (workerId !== undefined) await redis.sadd(keys.workerTasks(queueId, workerId), task.id);
    if (task.deadline !== undefined) await redis.zadd(keys.deadlines(queueId), task.deadline, task.id);
    const sequence = await redis.hincrby(keys.queue(queueId), "event_seq", 1);
    await redis.xadd(keys.events(queueId), `${sequence}-0`, "entity_type", "task", "entity_id", task.id, "old_state", "created",
      "new_state", status, "time", task.fields.created_at ?? "0", "record", packed);
  }
}

/** Makes the queue's record one of layout 1, which had no layout field. */
export async function toLayout1(redis: Redis, keys: KeyBuilder, queueId: string): Promise<void> {
  await redis.hdel(keys.queue(queueId), "layout");
}
