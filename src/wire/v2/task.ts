/**
 * labtasker v2's Task document (2.8.0: 22 keys, in its order). Every key is present whatever its value, as v2's
 * clients and the web UI validate strictly: `result` is always an object, `last_error` null or all six of its fields.
 * The active run id and the lease are never part of it.
 */
import type { V2Claim, V2LastError, V2Task } from "../../core/v2/model.js";
import type { JsonObject } from "../../json.js";
import { formatV2Time, formatV2TimeOrNull } from "./datetime.js";
import { sortedJson } from "./json.js";

export interface V2LastErrorWire {
  type: string;
  message: string;
  traceback: string | null;
  occurred_at: string;
  attempt: number;
  run_id: string;
}

export interface V2TaskWire {
  id: string;
  queue: string;
  status: V2Task["status"];
  archived: boolean;
  name: string | null;
  args: JsonObject;
  metadata: JsonObject;
  priority: number;
  attempt: number;
  max_attempts: number;
  routes: string[];
  dependencies: string[];
  result: JsonObject;
  progress: JsonObject | null;
  progress_updated_at: string | null;
  progress_attempt: number | null;
  last_error: V2LastErrorWire | null;
  last_route: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

function lastErrorToWire(error: V2LastError | null): V2LastErrorWire | null {
  if (error === null) return null;
  return {
    type: error.type,
    message: error.message,
    traceback: error.traceback ?? null,
    occurred_at: formatV2Time(error.occurred_at),
    attempt: error.attempt,
    run_id: error.run_id,
  };
}

export function taskToV2Wire(task: V2Task): V2TaskWire {
  return {
    id: task.id,
    queue: task.queue,
    status: task.status,
    archived: task.archived === true,
    name: task.name ?? null,
    args: sortedJson(task.args ?? {}),
    metadata: sortedJson(task.metadata ?? {}),
    priority: task.priority,
    attempt: task.attempt,
    max_attempts: task.max_attempts,
    // v2 keeps routes sorted (its create sorts them); dependencies in the order given.
    routes: [...(task.routes ?? ["default"])].sort(),
    dependencies: [...(task.dependencies ?? [])],
    result: sortedJson(task.result ?? {}),
    progress: task.progress == null ? null : sortedJson(task.progress),
    progress_updated_at: formatV2TimeOrNull(task.progress_updated_at ?? null),
    progress_attempt: task.progress_attempt ?? null,
    last_error: lastErrorToWire(task.last_error ?? null),
    last_route: task.last_route ?? null,
    created_at: formatV2Time(task.created_at),
    updated_at: formatV2Time(task.updated_at),
    started_at: formatV2TimeOrNull(task.started_at ?? null),
    finished_at: formatV2TimeOrNull(task.finished_at ?? null),
  };
}

export function claimToV2Wire(claim: V2Claim): { task: V2TaskWire; run_id: string; lease_expires_at: string } {
  return { task: taskToV2Wire(claim.task), run_id: claim.run_id, lease_expires_at: formatV2Time(claim.lease_expires_at) };
}
