/** Turns a submit request into the record the submit script stores, with v1's defaults and checks. */
import { stringifyJson, type JsonObject } from "../json.js";
import type { NewTaskRecord } from "../store/store.js";
import { mintTaskId } from "../store/taskIds.js";
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
  return issues;
}

function isEmpty(value: JsonObject | string | string[] | null | undefined): boolean {
  if (value == null) return true;
  if (typeof value === "string" || Array.isArray(value)) return value.length === 0;
  return Object.keys(value).length === 0;
}

/** The stored record of a submitted task; throws v1's 400 when it has neither args nor cmd. */
export function newTaskRecord(task: SubmitTaskOptions, loc: Array<string | number> = ["body"]): NewTaskRecord {
  assertNoIssues(submitIssues(task, loc));
  if (isEmpty(task.args) && isEmpty(task.cmd)) throw new BadRequestError("Either args or cmd must be provided");
  const args = unflatten(task.args ?? {});
  return {
    taskId: mintTaskId(),
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
  };
}
