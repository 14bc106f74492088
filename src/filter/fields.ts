/**
 * Root names a Python-style filter may start with. labtasker v1 checks the root name of every field against one
 * list (`transpile_query_safe`) for tasks and workers alike; it catches typos such as `arg.lr` before they become a
 * filter that silently matches nothing.
 */
import { closeMatches } from "./difflib.js";

/** v1's allow-list, in v1's order (it includes `worker_name` because v1 uses one list for tasks and workers). */
export const TASK_FILTER_FIELDS: readonly string[] = Object.freeze([
  "task_id",
  "queue_id",
  "status",
  "task_name",
  "created_at",
  "start_time",
  "last_heartbeat",
  "last_modified",
  "heartbeat_timeout",
  "task_timeout",
  "max_retries",
  "retries",
  "priority",
  "metadata",
  "args",
  "cmd",
  "summary",
  "worker_id",
  "worker_name",
  // The task model's extension fields (docs/tasks.md), in every filter view, only on the tasks that have them.
  "depends_on",
  "waiting",
  "blocked_by",
  "env",
  "max_timeouts",
  "timeouts",
]);

/**
 * The fields of a worker document. v1 checks worker filters against the task list above; a worker has none of the
 * task-only fields, so a filter naming one could only ever match nothing, and this list reports it instead.
 */
export const WORKER_FILTER_FIELDS: readonly string[] = Object.freeze([
  "worker_id",
  "queue_id",
  "status",
  "worker_name",
  "metadata",
  "retries",
  "max_retries",
  "created_at",
  "last_modified",
]);

/** v1's message for a root name outside the allow-list, with difflib's suggestion when one is close enough. */
export function unknownFieldMessage(name: string, allowed: readonly string[]): string {
  const [suggestion] = closeMatches(name, allowed, 1, 0.6);
  const hint = suggestion === undefined ? "" : ` Maybe you meant '${suggestion}'?`;
  return `Field '${name}' is unknown or not allowed.${hint}\nAllowed fields: ${[...allowed].sort().join(", ")}`;
}
