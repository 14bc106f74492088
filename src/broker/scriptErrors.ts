/**
 * The one error factory: a script's failure reply, plus what the caller was doing, becomes the typed error with
 * labtasker v1's status and detail for that operation (v1 words the same condition differently per route).
 */
import { ScriptCode } from "../store/scriptCodes.js";
import type { ScriptReply } from "../store/scripts.js";
import {
  InvalidStateTransitionError,
  LabtaskerError,
  QueueExistsError,
  QueueLayoutError,
  QueueNameTakenError,
  QueueNotFoundError,
  TaskNotFoundError,
  TaskNotRunningError,
  WorkerMismatchError,
  WorkerNotFoundError,
  WorkerSuspendedError,
} from "../core/errors.js";

export type Operation =
  | "createQueue"
  | "renameQueue"
  | "getTask"
  | "deleteTask"
  | "fetchTask"
  | "reportTask"
  | "updateTask"
  | "heartbeat"
  | "reportWorker"
  | "deleteWorker"
  | "queue";

export interface OperationContext {
  operation: Operation;
  queueId: string;
  queueName?: string;
  taskId?: string;
  workerId?: string | null;
}

/** Python prints None for a missing id inside f-strings; v1's messages show it that way. */
function orNone(id: string | number | undefined): string {
  return id === undefined || id === "" ? "None" : String(id);
}

export function errorFromReply(reply: ScriptReply, context: OperationContext): LabtaskerError {
  const [code, first, second] = reply;
  const { operation, queueId, taskId = "", workerId = "" } = context;
  switch (code) {
    case ScriptCode.QUEUE_NOT_FOUND:
      return new QueueNotFoundError();
    case ScriptCode.QUEUE_LAYOUT:
      return new QueueLayoutError(queueId);
    case ScriptCode.QUEUE_EXISTS:
      return operation === "renameQueue"
        ? new QueueNameTakenError(context.queueName ?? "")
        : new QueueExistsError(context.queueName ?? "");
    case ScriptCode.TASK_NOT_FOUND:
      if (operation === "reportTask") return new TaskNotFoundError(taskId, `Task ${taskId} not found`);
      if (operation === "updateTask") return new TaskNotFoundError(taskId, `Task ${taskId} not found.`);
      return new TaskNotFoundError(taskId);
    case ScriptCode.WORKER_NOT_FOUND:
      if (operation === "fetchTask") {
        return new WorkerNotFoundError(workerId ?? "", `Worker '${workerId}' not found in queue '${queueId}'`);
      }
      if (operation === "reportWorker") return new WorkerNotFoundError(workerId ?? "", `Worker ${workerId} not found`);
      return new WorkerNotFoundError(workerId ?? "");
    case ScriptCode.WORKER_NOT_ACTIVE:
      return new WorkerSuspendedError(workerId ?? "", String(first), queueId);
    case ScriptCode.WORKER_MISMATCH:
      return operation === "heartbeat"
        ? new WorkerMismatchError(taskId, first ? String(first) : null, 403,
            `Task '${taskId}' is assigned to worker '${orNone(first)}', not '${workerId}'`)
        : new WorkerMismatchError(taskId, first ? String(first) : null, 409,
            `Task ${taskId} is assigned to worker ${orNone(first)}`);
    case ScriptCode.INVALID_TRANSITION: {
      const reason = second ? `Cannot transition from ${first} to ${second}` : `Cannot fail task in ${first} state`;
      // Inside a batch update v1 lists the bare InvalidStateTransition detail; elsewhere it re-raises it as a 400.
      return operation === "updateTask"
        ? new InvalidStateTransitionError(reason, `InvalidStateTransition: ${reason}.`)
        : new InvalidStateTransitionError(reason);
    }
    case ScriptCode.INVALID_WORKER_TRANSITION:
      return new InvalidStateTransitionError(`Cannot transition from ${first} to ${second}`);
    case ScriptCode.TASK_NOT_RUNNING:
      return new TaskNotRunningError(`Task '${taskId}' not found in queue '${queueId}' or not in 'running' state`);
    case ScriptCode.WORKER_NOT_ACTIVE_OR_MISSING:
      return new TaskNotRunningError(`Worker '${workerId}' not found or not active`);
    default:
      return new LabtaskerError(500, `Operation failed: unexpected script reply ${JSON.stringify(reply)}`);
  }
}

/** Throws the operation's error unless the reply is OK. */
export function expectOk(reply: ScriptReply, context: OperationContext): ScriptReply {
  if (reply[0] !== ScriptCode.OK) throw errorFromReply(reply, context);
  return reply;
}
