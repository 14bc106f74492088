/** Turns a submit request into the record the submit script stores, with v1's defaults and checks. */
import { stringifyJson, type JsonObject } from "../json.js";
import type { NewTaskRecord } from "../store/store.js";
import { TASK_ID_PATTERN, isStorableTaskId, mintTaskId } from "../store/taskIds.js";
import type { SubmitTaskOptions } from "../core/api.js";
import { BadRequestError, type ValidationIssue } from "../core/errors.js";
import { argsSignature } from "./requiredFields.js";
import {
  assertNoIssues,
  dictKeyIssues,
  integerIssues,
  isCommand,
  nameIssues,
  numberIssues,
  unflatten,
} from "../core/validation.js";
import { TASK_DEFAULTS } from "../core/defaults.js";

/** Problems with one submitted task, located under `loc` (e.g. ["body"] or ["body", 3]). */
export function submitIssues(task: SubmitTaskOptions, loc: Array<string | number>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (task.taskName != null) issues.push(...nameIssues(task.taskName, [...loc, "task_name"]));
  issues.push(...dictKeyIssues(task.args, [...loc, "args"]));
  issues.push(...dictKeyIssues(task.metadata, [...loc, "metadata"]));
  if (task.cmd !== undefined && !isCommand(task.cmd)) {
    issues.push({ loc: [...loc, "cmd"], msg: "Input should be a valid string or list of strings", type: "union_type", input: task.cmd });
  }
  if (task.heartbeatTimeout != null) issues.push(...numberIssues(task.heartbeatTimeout, [...loc, "heartbeat_timeout"]));
  if (task.taskTimeout != null) issues.push(...integerIssues(task.taskTimeout, [...loc, "task_timeout"]));
  if (task.maxRetries !== undefined) issues.push(...integerIssues(task.maxRetries, [...loc, "max_retries"]));
  if (task.priority !== undefined) issues.push(...integerIssues(task.priority, [...loc, "priority"]));
  if (hasExtensions(task)) issues.push(...extensionIssues(task, loc));
  return issues;
}

/** Whether a submitted task sets any extension field: most do not, and skip their checks. */
export function hasExtensions(task: SubmitTaskOptions): boolean {
  return task.dependsOn !== undefined || task.ref !== undefined || task.env !== undefined || task.maxTimeouts !== undefined
    || task.dedup !== undefined || task.taskId !== undefined;
}

/** An environment variable's name the loop may set: a shell identifier. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Problems with the extension fields of a submitted task (docs/tasks.md), under their v1 body names. */
function extensionIssues(task: SubmitTaskOptions, loc: Array<string | number>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { dependsOn, ref, env, maxTimeouts, dedup, taskId } = task;
  if (dependsOn !== undefined && (!Array.isArray(dependsOn) || dependsOn.some((id) => typeof id !== "string" || id === ""))) {
    issues.push({ loc: [...loc, "depends_on"], msg: "Input should be a valid list of task ids or refs", type: "list_type", input: dependsOn });
  }
  if (ref !== undefined && (typeof ref !== "string" || ref === "" || isStorableTaskId(ref))) {
    issues.push({ loc: [...loc, "ref"], msg: "A ref is a non-empty string that is not of the task-id form", type: "value_error", input: ref });
  }
  if (env !== undefined) {
    const valid = env !== null && typeof env === "object" && !Array.isArray(env)
      && Object.entries(env).every(([key, value]) => ENV_NAME.test(key) && typeof value === "string");
    if (!valid) issues.push({ loc: [...loc, "env"], msg: `Input should be an object of ${ENV_NAME.source} -> string`, type: "dict_type", input: env });
  }
  if (maxTimeouts !== undefined) {
    const bad = integerIssues(maxTimeouts, [...loc, "max_timeouts"]);
    issues.push(...(bad.length > 0 || Number(maxTimeouts) < 0
      ? [{ loc: [...loc, "max_timeouts"], msg: "Input should be an integer >= 0", type: "int_type", input: maxTimeouts }]
      : []));
  }
  if (dedup !== undefined && typeof dedup !== "boolean") {
    issues.push({ loc: [...loc, "dedup"], msg: "Input should be a valid boolean", type: "bool_type", input: dedup });
  }
  if (taskId !== undefined && (typeof taskId !== "string" || !TASK_ID_PATTERN.test(taskId))) {
    issues.push({ loc: [...loc, "task_id"], msg: `String should match pattern '${TASK_ID_PATTERN.source}'`, type: "string_pattern_mismatch", input: taskId });
  }
  return issues;
}

function isEmpty(value: JsonObject | string | string[] | null | undefined): boolean {
  if (value == null) return true;
  if (typeof value === "string" || Array.isArray(value)) return value.length === 0;
  return Object.keys(value).length === 0;
}

/** The stored record of a submitted task; throws v1's 400 when it has neither args nor cmd. */
export function newTaskRecord(task: SubmitTaskOptions, loc: Array<string | number> = ["body"]): NewTaskRecord {
  return newTaskInput(task, loc).record;
}

/** {@link newTaskRecord}, with the args as stored (dotted keys nested), for the dedup identity (./identity.ts). */
export function newTaskInput(task: SubmitTaskOptions, loc: Array<string | number> = ["body"]): { record: NewTaskRecord; args: JsonObject } {
  assertNoIssues(submitIssues(task, loc));
  if (isEmpty(task.args) && isEmpty(task.cmd)) throw new BadRequestError("Either args or cmd must be provided");
  const args = unflatten(task.args ?? {});
  return { args, record: {
    taskId: task.taskId ?? mintTaskId(),
    taskName: task.taskName ?? null,
    argsJson: stringifyJson(args),
    metadataJson: stringifyJson(unflatten(task.metadata ?? {})),
    // v1 stores `cmd or ""`: a task without a command has the empty string, never null.
    cmdJson: stringifyJson(isEmpty(task.cmd) ? "" : task.cmd),
    heartbeatTimeout: task.heartbeatTimeout == null ? null : String(task.heartbeatTimeout),
    taskTimeout: task.taskTimeout == null ? null : String(task.taskTimeout),
    maxRetries: Number(task.maxRetries ?? TASK_DEFAULTS.maxRetries),
    priority: Number(task.priority ?? TASK_DEFAULTS.priority),
    signature: argsSignature(Object.keys(args)),
  } };
}
