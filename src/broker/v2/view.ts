/**
 * The v2 view of a stored task (src/store/taskRecord.ts): labtasker v2's Task resource built from the same record v1
 * reads, with v2's names (`succeeded` is v1's `success`, `result` is `summary`, `name` is `task_name`, `max_attempts`
 * is `max_retries`, `updated_at` is `last_modified`, `started_at` is `start_time`) and the fields v1 never shows.
 * JSON fields keep their numbers' exact form (src/json.ts).
 */
import { isJsonObject, parseJson, type JsonObject } from "../../json.js";
import type { Hash } from "../../store/codecs.js";
import type { V2LastError, V2Task, V2TaskStatus } from "../../core/v2/model.js";
import type { TaskStatus } from "../../core/model.js";

const V2_STATUS: Readonly<Record<TaskStatus, V2TaskStatus>> = {
  pending: "pending",
  running: "running",
  success: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
};

/** v1's status name of a v2 status. */
export const STORED_STATUS: Readonly<Record<V2TaskStatus, TaskStatus>> = {
  pending: "pending",
  running: "running",
  succeeded: "success",
  failed: "failed",
  cancelled: "cancelled",
};

function object(text: string | undefined): JsonObject {
  if (text === undefined) return {};
  const value = parseJson(text);
  return isJsonObject(value) ? value : {};
}

function strings(text: string | undefined, absent: string[]): string[] {
  if (text === undefined) return absent;
  const value = parseJson(text);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : absent;
}

function date(ms: string | undefined): Date | null {
  return ms === undefined ? null : new Date(Number(ms));
}

function lastError(text: string | undefined): V2LastError | null {
  if (text === undefined) return null;
  const stored = JSON.parse(text) as { type: string; message: string; traceback?: string | null; occurred_at: number; attempt: number; run_id: string };
  return {
    type: stored.type,
    message: stored.message,
    traceback: typeof stored.traceback === "string" ? stored.traceback : null,
    occurred_at: new Date(stored.occurred_at),
    attempt: stored.attempt,
    run_id: stored.run_id,
  };
}

const FINISHED = new Set(["success", "failed", "cancelled"]);

/** When the latest run ended: stored, or for a finished task without it, its last change (lua/includes/tasks.lua). */
function finishedAt(hash: Hash): Date | null {
  if (hash.finished_at === "0") return null;
  if (hash.finished_at !== undefined) return date(hash.finished_at);
  return FINISHED.has(hash.status ?? "") ? date(hash.last_modified ?? hash.created_at) : null;
}

/** A stored task (see unpackTask) as v2's Task. */
export function v2TaskView(queue: string, taskId: string, hash: Hash): V2Task {
  const startedAt = date(hash.start_time);
  return {
    id: taskId,
    queue,
    status: V2_STATUS[hash.status as TaskStatus] ?? "pending",
    archived: hash.archived === "1",
    name: hash.task_name ?? null,
    args: object(hash.args),
    metadata: object(hash.metadata),
    priority: Number(hash.priority ?? 0),
    attempt: Number(hash.attempt ?? 0),
    max_attempts: Number(hash.max_retries ?? 3),
    // v2 lists routes sorted; they are stored sorted (src/broker/v2/create.ts).
    routes: strings(hash.routes, ["default"]),
    dependencies: strings(hash.dependencies, []),
    result: object(hash.summary),
    progress: hash.progress === undefined ? null : object(hash.progress),
    progress_updated_at: date(hash.progress_updated_at),
    progress_attempt: hash.progress_attempt === undefined ? null : Number(hash.progress_attempt),
    last_error: lastError(hash.last_error),
    // Only a claim on another route than `default` stores its route: a task that started without one ran on `default`.
    last_route: hash.last_route ?? (startedAt === null ? null : "default"),
    created_at: new Date(Number(hash.created_at)),
    updated_at: new Date(Number(hash.last_modified ?? hash.created_at)),
    started_at: startedAt,
    finished_at: finishedAt(hash),
  };
}
