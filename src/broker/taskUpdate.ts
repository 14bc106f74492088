/**
 * The fields one task update writes (contract 6.1): replace for the fields in replace_fields, a one-level merge
 * (`$set "<field>.<key>"`, dotted keys reaching deeper) for other object fields, and overwrite for the rest.
 * Computed in TypeScript on the task as read, so user JSON keeps its exact numbers; the update script commits
 * the result only if the task has not changed since.
 */
import { isJsonObject, parseJson, stringifyJson, type JsonObject } from "../json.js";
import { TASK_STATUSES } from "../core/model.js";
import type { Hash } from "../store/codecs.js";
import { TASK_UPDATE_FIELDS, type TaskUpdate } from "../core/api.js";
import type { ValidationIssue } from "../core/errors.js";
import { mergePaths } from "./paths.js";
import { argsSignature } from "./requiredFields.js";
import {
  dictKeyIssues,
  integerIssues,
  isCommand,
  nameIssues,
  numberIssues,
  unflatten,
} from "../core/validation.js";


type UpdatableKey = keyof typeof TASK_UPDATE_FIELDS;
const OBJECT_FIELDS = new Set<UpdatableKey>(["metadata", "args", "summary"]);

/** Schema problems of one update, located under `loc` (e.g. ["body", 0]). */
export function updateIssues(update: TaskUpdate, loc: Array<string | number>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (field: string) => [...loc, field];
  if (typeof update.taskId !== "string") issues.push({ loc: at("task_id"), msg: "Field required", type: "missing" });
  if ("status" in update && !(TASK_STATUSES as readonly unknown[]).includes(update.status)) {
    issues.push({ loc: at("status"), msg: "String should match pattern '^(pending|running|success|failed|cancelled)$'", type: "string_pattern_mismatch", input: update.status });
  }
  if (update.taskName != null) issues.push(...nameIssues(update.taskName, at("task_name")));
  if (update.heartbeatTimeout != null) issues.push(...numberIssues(update.heartbeatTimeout, at("heartbeat_timeout")));
  if (update.taskTimeout != null) issues.push(...integerIssues(update.taskTimeout, at("task_timeout")));
  // v1 would store a null here and then fail to serialize the task; these fields must stay numbers.
  for (const key of ["maxRetries", "retries", "priority"] as const) {
    if (key in update) issues.push(...integerIssues(update[key], at(TASK_UPDATE_FIELDS[key])));
  }
  for (const key of ["metadata", "args", "summary"] as const) {
    if (key in update) {
      issues.push(...(update[key] == null
        ? [{ loc: at(key), msg: "Input should be a valid dictionary", type: "dict_type", input: update[key] }]
        : dictKeyIssues(update[key], at(key))));
    }
  }
  if ("cmd" in update && !isCommand(update.cmd)) {
    issues.push({ loc: at("cmd"), msg: "Input should be a valid string or list of strings", type: "union_type", input: update.cmd });
  }
  return issues;
}

/**
 * The stored fields to write for `update` on the task `hash` (null removes a field). Throws PathConflictError
 * (from mergePaths) or a BadRequestError (from unflatten) for an update MongoDB would refuse. Only the object fields
 * merged into are read from the task (a bulk update of 1,000 tasks is computed here per request).
 */
export function updatedFields(update: TaskUpdate, hash: Hash): Record<string, string | null> {
  const replace = new Set(update.replaceFields ?? []);
  const fields: Record<string, string | null> = {};
  for (const key of Object.keys(TASK_UPDATE_FIELDS) as UpdatableKey[]) {
    if (!(key in update)) continue;
    const stored = TASK_UPDATE_FIELDS[key];
    const value = update[key];
    if (OBJECT_FIELDS.has(key)) {
      const patch = value as JsonObject;
      const replaced = replace.has(stored) || replace.has(key);
      // An empty patch leaves the field as it is (v1 issues no `$set` for it).
      if (!replaced && Object.keys(patch).length === 0) continue;
      const next = replaced ? unflatten(patch) : mergePaths(storedObject(hash, stored), patch, stored);
      fields[stored] = stringifyJson(next);
      // The pending index a task sits in follows its top-level arg keys.
      if (key === "args") fields.sig = argsSignature(Object.keys(next));
    } else if (key === "cmd") {
      fields.cmd = stringifyJson(value ?? null);
    } else {
      fields[stored] = value == null ? null : String(value);
    }
  }
  return fields;
}

/** An object field of a stored task (args, metadata, summary: JSON text), as its value; `{}` when absent. */
function storedObject(hash: Hash, field: string): JsonObject {
  const text = hash[field];
  const value = text === undefined ? null : parseJson(text);
  return isJsonObject(value) ? value : {};
}
