/** v2's size limits (2.8.0), checked where the request alone decides them. */
import type { V2TaskCreate } from "../../../core/v2/api.js";
import { V2Error } from "../../../core/v2/errors.js";
import { stringifyJson, type JsonObject } from "../../../json.js";
import { sortedJson } from "../../../wire/v2/json.js";
import { hasLoneSurrogate } from "./jsonValue.js";

/** A request body, and the stored data of one task (its definition, result and progress), are 1 MiB at most. */
export const MAX_BODY_BYTES = 1_048_576;
export const MAX_TASK_DATA_BYTES = 1_048_576;
export const MAX_FILTER_BYTES = 8192;

export function requestTooLarge(): V2Error {
  return new V2Error("request_too_large", "Request body exceeds the 1 MiB limit.", { max_bytes: MAX_BODY_BYTES });
}

export function taskDataTooLarge(): V2Error {
  return new V2Error("task_data_too_large", "Stored Task data exceeds the 1 MiB limit.", { max_bytes: MAX_TASK_DATA_BYTES });
}

/**
 * A new task's stored data, measured as v2 measures it: the compact JSON (keys sorted) of its definition with an
 * empty result. The broker measures the same once a result or progress is added to a stored task.
 */
export function checkNewTaskSize(create: Required<V2TaskCreate>): void {
  const stored: JsonObject = {
    name: create.name,
    args: create.args,
    metadata: create.metadata,
    priority: create.priority,
    max_attempts: create.max_attempts,
    routes: [...create.routes].sort(),
    result: {},
    ...(create.dependencies.length > 0 ? { dependencies: create.dependencies } : {}),
  };
  if (Buffer.byteLength(stringifyJson(sortedJson(stored)), "utf8") > MAX_TASK_DATA_BYTES) throw taskDataTooLarge();
}

/** A filter's own limits, before it is compiled: no lone surrogate, 8192 UTF-8 bytes at most. */
export function checkFilterText(filter: string | null): void {
  if (filter === null) return;
  if (hasLoneSurrogate(filter)) throw new V2Error("invalid_filter", "Filter contains a lone Unicode surrogate.", {});
  if (Buffer.byteLength(filter, "utf8") > MAX_FILTER_BYTES) {
    throw new V2Error("filter_too_large", "Filter exceeds the 8192-byte limit.", { max_bytes: MAX_FILTER_BYTES });
  }
}
