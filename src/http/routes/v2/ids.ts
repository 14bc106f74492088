/**
 * v2's identifiers and their errors (2.8.0): queue and route names, task, run and worker ids, task names. The
 * patterns are v2's; the messages are what its server answers, so clients that show them read the same text.
 */
import { V2Error } from "../../../core/v2/errors.js";
import { hasLoneSurrogate } from "./jsonValue.js";
import { SpecialIssue } from "./schema.js";

/** Queue and route names: case-sensitive, up to 128 characters. */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const TASK_ID_PATTERN = /^t_[A-Za-z0-9_-]{12}$/;
export const RUN_ID_PATTERN = /^r_[A-Za-z0-9_-]{12}$/;
export const WORKER_ID_PATTERN = /^w_[A-Za-z0-9_-]{12}$/;
/** Task names: at most 256 code points, no control characters (Unicode category Cc). */
const MAX_TASK_NAME = 256;
const CONTROL = /\p{Cc}/u;

export function identifierMessage(kind: "Queue" | "Route"): string {
  return `${kind} must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}.`;
}

/** A queue name from the path; `invalid_request` otherwise. */
export function checkQueueName(queue: string): string {
  if (!IDENTIFIER_PATTERN.test(queue)) throw new V2Error("invalid_request", identifierMessage("Queue"), { field: "queue" });
  return queue;
}

/** A task id from the path; `invalid_task_id` otherwise. */
export function checkTaskId(taskId: string): string {
  if (!TASK_ID_PATTERN.test(taskId)) throw new V2Error("invalid_task_id", "Task ID has an invalid format.", { task_id: taskId });
  return taskId;
}

/** A worker id from the path; listed as a validation error of `path.id` otherwise. */
export function checkWorkerId(workerId: string): string {
  if (!WORKER_ID_PATTERN.test(workerId)) {
    throw new V2Error("invalid_request", "Request validation failed.", {
      errors: [{ location: ["path", "id"], message: "Expected a Worker instance ID (w_ plus 12 URL-safe characters)." }],
    });
  }
  return workerId;
}

// Field checks of the request models (./models.ts): a message for the validation list, or null when valid.

export function routeCheck(route: string): string | null {
  return IDENTIFIER_PATTERN.test(route) ? null : identifierMessage("Route");
}

export function runIdCheck(runId: string): string | null {
  return RUN_ID_PATTERN.test(runId) ? null : "Run ID has an invalid format.";
}

export function taskIdCheck(taskId: string | null): string | null {
  return taskId === null || TASK_ID_PATTERN.test(taskId) ? null : "Task ID has an invalid format.";
}

export function taskIdsCheck(taskIds: string[]): string | null {
  return taskIds.every((taskId) => TASK_ID_PATTERN.test(taskId)) ? null : "Task ID has an invalid format.";
}

/** Routes: not empty, each a valid name, no duplicates (v2 then stores them sorted). */
export function routesCheck(routes: string[]): string | null {
  if (routes.length === 0) return "Routes must be a non-empty array.";
  const invalid = routes.find((route) => !IDENTIFIER_PATTERN.test(route));
  if (invalid !== undefined) return identifierMessage("Route");
  if (new Set(routes).size !== routes.length) return "Routes must not contain duplicates.";
  return null;
}

export function unicodeCheck(text: string | null): string | null {
  return text !== null && hasLoneSurrogate(text) ? "String contains a lone Unicode surrogate." : null;
}

/** A task name: a lone surrogate is listed; too long or a control character is v2's own `invalid_task_name`. */
export function taskNameCheck(name: string | null): string | null {
  if (name === null) return null;
  if (hasLoneSurrogate(name)) return "String contains a lone Unicode surrogate.";
  if ([...name].length > MAX_TASK_NAME || CONTROL.test(name)) throw new SpecialIssue("invalid_task_name");
  return null;
}
