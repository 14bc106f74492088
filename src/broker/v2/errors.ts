/**
 * The one error factory of the v2 broker: a script's refusal (src/store/scriptCodes.ts), plus what the caller was
 * doing, becomes the {@link V2Error} labtasker 2.8.0 answers for it (its code and HTTP status; the messages are our
 * own words, the details v2's).
 */
import { V2Error } from "../../core/v2/errors.js";
import { ScriptCode } from "../../store/scriptCodes.js";
import type { ScriptReply } from "../../store/scripts.js";
import { V2CursorError, V2FilterError } from "../../filter/v2/index.js";
import { STORED_STATUS } from "./view.js";
import type { TaskStatus } from "../../core/model.js";
import type { V2TaskStatus } from "../../core/v2/model.js";

/** What the caller was doing: the names a refusal's details carry. */
export interface V2Context {
  queue: string;
  taskId?: string;
  runId?: string;
  workerId?: string;
}

const V2_STATUS_OF = Object.fromEntries(Object.entries(STORED_STATUS).map(([v2, v1]) => [v1, v2])) as Record<TaskStatus, V2TaskStatus>;

export function queueNotFound(queue: string): V2Error {
  return new V2Error("queue_not_found", `Queue '${queue}' does not exist.`, { queue });
}

export function taskNotFound(queue: string, taskId: string): V2Error {
  return new V2Error("task_not_found", `Task '${taskId}' does not exist in queue '${queue}'.`, { queue, task_id: taskId });
}

/** A queue stored by an earlier version, not migrated yet (a server migrates every queue at its start). */
export function queueLayout(queue: string): V2Error {
  return new V2Error(
    "database_busy",
    `Queue '${queue}' is stored in an earlier layout of Redis keys: start a labtasker-redis server of this version once, which migrates every queue at start.`,
    { queue },
  );
}

export function errorFromReply(reply: ScriptReply, context: V2Context): V2Error {
  const [code, first, second] = reply;
  const { queue, taskId = "", runId = "", workerId = "" } = context;
  switch (code) {
    case ScriptCode.QUEUE_NOT_FOUND:
      return queueNotFound(queue);
    case ScriptCode.QUEUE_LAYOUT:
      return queueLayout(queue);
    case ScriptCode.TASK_NOT_FOUND:
      return taskNotFound(queue, taskId);
    case ScriptCode.TASK_ID_CONFLICT:
      return new V2Error("task_id_conflict", `Task id '${taskId}' is taken by a task created with another definition.`, { task_id: taskId, queue });
    case ScriptCode.TASK_RUNNING:
      return new V2Error("task_running", `Task '${taskId}' is running: cancel it first.`, { task_id: taskId });
    case ScriptCode.TASK_STATE_CONFLICT: {
      const status = V2_STATUS_OF[String(first) as TaskStatus] ?? String(first);
      return new V2Error("task_state_conflict", `Task '${taskId}' is ${status}, which does not allow this.`, { task_id: taskId, status });
    }
    case ScriptCode.UPDATE_CONFLICT: {
      const field = String(first);
      if (field === "archived") {
        const status = V2_STATUS_OF[String(second) as TaskStatus] ?? String(second);
        return new V2Error("update_conflict", `Task '${taskId}' is ${status}: only succeeded, failed or cancelled tasks can be archived.`, {
          task_id: taskId, field, status,
        });
      }
      return new V2Error("update_conflict", `Task '${taskId}' is pending with ${String(second)} attempts made: max_attempts must leave it one more.`, {
        task_id: taskId, field, attempt: Number(second),
      });
    }
    case ScriptCode.STALE_RUN:
      return new V2Error("stale_run", `Run '${runId}' no longer holds the task.`, { run_id: runId });
    case ScriptCode.RUN_FINALIZED:
      return new V2Error("run_finalized", `Run '${runId}' has ended (${String(first)}).`, { action: first === "" ? null : String(first) });
    case ScriptCode.RUN_ID_CONFLICT:
      return new V2Error("run_id_conflict", `Run '${runId}' is running a claim on another route.`, { run_id: runId });
    case ScriptCode.QUEUE_NOT_EMPTY:
      return new V2Error("queue_not_empty", `Queue '${queue}' holds ${String(first)} tasks: delete them with cascade.`, { queue, tasks: Number(first) });
    case ScriptCode.QUEUE_HAS_RUNNING_TASKS:
      return new V2Error("queue_has_running_tasks", `Queue '${queue}' has ${String(first)} running tasks: cancel them first.`, { queue, running: Number(first) });
    case ScriptCode.WORKER_NOT_FOUND:
      return new V2Error("worker_not_found", `Worker '${workerId}' has no observation in queue '${queue}' (none, or expired).`, { worker_id: workerId });
    case ScriptCode.WORKER_ROUTE_CONFLICT:
      return new V2Error("worker_route_conflict", `Worker '${workerId}' reported another route before: a worker keeps its route.`, { worker_id: workerId });
    default:
      return new V2Error("database_busy", `Unexpected store reply ${JSON.stringify(reply)}`, {}, 500);
  }
}

/** Throws the refusal unless the reply is OK. */
export function expectOk(reply: ScriptReply, context: V2Context): ScriptReply {
  if (reply[0] !== ScriptCode.OK) throw errorFromReply(reply, context);
  return reply;
}

/** A filter's or cursor's error (src/filter/v2) as v2's error; anything else as it is. */
export function asV2Error(error: unknown): unknown {
  if (error instanceof V2FilterError) return new V2Error(error.code, error.message, { ...error.details });
  if (error instanceof V2CursorError) return new V2Error("invalid_cursor", error.message);
  return error;
}

/** Runs `compile` (a filter's or cursor's decoding), turning its errors into v2's. */
export function v2Errors<T>(compile: () => T): T {
  try {
    return compile();
  } catch (error) {
    throw asV2Error(error);
  }
}
