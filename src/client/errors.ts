/**
 * Turns an error response of a labtasker server (ours or v1's) back into the typed error the broker raised, from its
 * status, its detail and the operation that got it. Tests of the API run the same assertions on both transports.
 */
import {
  AuthError,
  BadRequestError,
  InvalidStateTransitionError,
  LabtaskerError,
  QueueExistsError,
  QueueNameTakenError,
  QueueNotFoundError,
  TaskIdConflictError,
  TaskNotFoundError,
  TaskNotRunningError,
  UpdateFailedError,
  ValidationError,
  WorkerMismatchError,
  WorkerNotFoundError,
  WorkerSuspendedError,
  type ValidationIssue,
} from "../core/errors.js";

/** What the client was doing, so the same status maps to the right error class. */
export type ClientOperation =
  | "createQueue" | "getQueue" | "updateQueue" | "deleteQueue"
  | "submitTask" | "getTask" | "lsTasks" | "updateTasks" | "deleteTask" | "fetchTask" | "reportTask" | "heartbeat"
  | "createWorker" | "lsWorkers" | "getWorker" | "reportWorker" | "deleteWorker" | "events" | "health";

export interface ErrorContext {
  operation: ClientOperation;
  taskId?: string;
  workerId?: string | null;
  queueName?: string;
}

/** The Python repr list in "Failed to update k/n tasks. Detail: [('id', 'detail'), ...]", parsed back. */
function updateFailures(detail: string): Array<[string, string]> {
  const list = detail.slice(detail.indexOf("Detail: ") + "Detail: ".length);
  return [...list.matchAll(/\((['"])(.*?)\1, (['"])(.*?)\3\)/g)].map((m) => [m[2]!, m[4]!]);
}

export function errorFromResponse(status: number, detail: unknown, context: ErrorContext): LabtaskerError {
  const text = typeof detail === "string" ? detail : JSON.stringify(detail);
  const { operation, taskId = "", workerId = null } = context;
  if (status === 422 && Array.isArray(detail)) return new ValidationError(detail as ValidationIssue[]);
  if (status === 401) return new AuthError(text === "Not authenticated" ? "Not authenticated" : "Invalid credentials");
  if (status === 403 && operation === "fetchTask") {
    const match = /^Worker '(.*)' is (\w+) in queue '(.*)'$/.exec(text);
    return new WorkerSuspendedError(match?.[1] ?? workerId ?? "", match?.[2] ?? "suspended", match?.[3] ?? "");
  }
  if (status === 403 && operation === "heartbeat") return new WorkerMismatchError(taskId, null, 403, text);
  if (status === 409 && operation === "createQueue") return new QueueExistsError(context.queueName ?? "");
  if (status === 409 && operation === "submitTask") return new TaskIdConflictError(/task (t_[\w-]{12}) exists/.exec(text)?.[1] ?? "", text);
  if (status === 409) return new WorkerMismatchError(taskId, /assigned to worker (\S+)$/.exec(text)?.[1] ?? null, 409, text);
  if (status === 404) {
    if (operation === "heartbeat") return new TaskNotRunningError(text);
    if (operation === "deleteQueue") return new QueueNotFoundError();
    if (text.startsWith("Worker") || operation === "getWorker" || operation === "deleteWorker" || operation === "reportWorker") {
      return new WorkerNotFoundError(workerId ?? "", text);
    }
    return new TaskNotFoundError(taskId, text);
  }
  if (status === 400) {
    if (text.startsWith("Failed to update")) {
      const total = Number(/Failed to update \d+\/(\d+) tasks/.exec(text)?.[1] ?? 0);
      return new UpdateFailedError(updateFailures(text), total);
    }
    if (text.includes("InvalidStateTransition")) {
      return new InvalidStateTransitionError(/InvalidStateTransition: (.*)\.$/.exec(text)?.[1] ?? text, text);
    }
    if (operation === "updateQueue" && /^Queue name '.*' already exists$/.test(text)) {
      return new QueueNameTakenError(/^Queue name '(.*)' already exists$/.exec(text)?.[1] ?? "");
    }
    return new BadRequestError(text);
  }
  return new LabtaskerError(status, typeof detail === "string" || Array.isArray(detail) ? (detail as string) : text);
}
