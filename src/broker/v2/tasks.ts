/** v2's operations on one task by id: get, PATCH, cancel, requeue, delete. */
import { V2Error } from "../../core/v2/errors.js";
import type { V2TaskUpdate } from "../../core/v2/api.js";
import type { V2Task } from "../../core/v2/model.js";
import { deleteTaskLogs } from "../logs.js";
import type { V2Context } from "./context.js";
import { errorFromReply, expectOk, taskNotFound } from "./errors.js";
import { ScriptCode } from "../../store/scriptCodes.js";
import { changedFields, updateFields } from "./fields.js";
import { isStorableTaskId } from "../../store/taskIds.js";
import { assertTaskDataSize } from "./size.js";
import { v2TaskView } from "./view.js";

/** A task's stored record and its queue's id; task_not_found when either is missing (2.8.0 answers so for both). */
async function readStored(v2: V2Context, queue: string, taskId: string) {
  let queueId: string;
  try {
    queueId = await v2.queueId(queue);
  } catch (error) {
    if (error instanceof V2Error && error.code === "queue_not_found") throw taskNotFound(queue, taskId);
    throw error;
  }
  const hash = isStorableTaskId(taskId) ? await v2.store.readTask(queueId, taskId) : null;
  if (hash === null) throw taskNotFound(queue, taskId);
  return { queueId, hash };
}

export async function getTask(v2: V2Context, queue: string, taskId: string): Promise<V2Task> {
  const { hash } = await readStored(v2, queue, taskId);
  return v2TaskView(queue, taskId, hash);
}

/**
 * Replaces the fields the update names. A running task is refused whether or not anything would change; an update
 * that changes nothing writes nothing (v2's updated_at stays).
 */
export async function updateTask(v2: V2Context, queue: string, taskId: string, update: V2TaskUpdate): Promise<V2Task> {
  const { queueId, hash } = await readStored(v2, queue, taskId);
  if (hash.status === "running") throw errorFromReply([ScriptCode.TASK_RUNNING], { queue, taskId });
  const changes = changedFields(updateFields(update), hash);
  if (Object.keys(changes).length === 0) return v2TaskView(queue, taskId, hash);
  const { archived: _archived, ...fields } = update;
  assertTaskDataSize({ ...v2TaskView(queue, taskId, hash), ...fields });
  const written = await v2.scripts.updateTask(queueId, v2.now(), taskId, changes);
  expectOk(written.reply, { queue, taskId });
  return v2TaskView(queue, taskId, written.hash!);
}

export async function cancelTask(v2: V2Context, queue: string, taskId: string): Promise<V2Task> {
  if (!isStorableTaskId(taskId)) throw taskNotFound(queue, taskId);
  const { reply, hash } = await v2.withQueue(queue, (queueId) => v2.scripts.cancelTask(queueId, v2.now(), taskId));
  expectOk(reply, { queue, taskId });
  return v2TaskView(queue, taskId, hash!);
}

export async function requeueTask(v2: V2Context, queue: string, taskId: string): Promise<V2Task> {
  if (!isStorableTaskId(taskId)) throw taskNotFound(queue, taskId);
  const { reply, hash } = await v2.withQueue(queue, (queueId) => v2.scripts.requeueTask(queueId, v2.now(), taskId));
  expectOk(reply, { queue, taskId });
  return v2TaskView(queue, taskId, hash!);
}

/** Idempotent (no task is fine); refused while the task runs. The task's run logs go with it (src/broker/logs.ts). */
export async function deleteTask(v2: V2Context, queue: string, taskId: string): Promise<void> {
  let queueId = "";
  const reply = await v2.withQueue(queue, (id) => {
    queueId = id;
    return v2.scripts.deleteTask(id, taskId);
  });
  expectOk(reply, { queue, taskId });
  if (Number(reply[1]) === 1) await deleteTaskLogs(v2.ctx, queueId, [taskId]);
}
