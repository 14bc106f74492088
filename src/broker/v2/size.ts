/**
 * v2's limit on a task's stored data: 1 MiB of its definition and result (name, args, metadata, priority,
 * max_attempts, routes, dependencies when any, result, progress when any), measured as compact JSON as 2.8.0 measures
 * it (`task_data_too_large`, 422). Checked on a create, an update (single or bulk), a completion (result) and a
 * progress report.
 */
import { V2Error } from "../../core/v2/errors.js";
import type { V2Task } from "../../core/v2/model.js";
import { canonicalJson } from "./fields.js";
import type { JsonObject } from "../../json.js";

export const MAX_TASK_DATA_BYTES = 1024 * 1024;

/** v2's answer (2.8.0's message and details). */
export function taskDataTooLarge(): V2Error {
  return new V2Error("task_data_too_large", "Stored Task data exceeds the 1 MiB limit.", { max_bytes: MAX_TASK_DATA_BYTES });
}

export function assertTaskDataSize(task: Pick<V2Task, "name" | "args" | "metadata" | "priority" | "max_attempts" | "routes" | "dependencies" | "result" | "progress">): void {
  const stored: JsonObject = {
    name: task.name,
    args: task.args,
    metadata: task.metadata,
    priority: task.priority,
    max_attempts: task.max_attempts,
    routes: task.routes,
    result: task.result,
  };
  if (task.progress !== null) stored.progress = task.progress;
  if (task.dependencies.length > 0) stored.dependencies = task.dependencies;
  if (Buffer.byteLength(canonicalJson(stored), "utf8") > MAX_TASK_DATA_BYTES) throw taskDataTooLarge();
}
