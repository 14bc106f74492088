/**
 * labtasker v2's records (2.8.0), as the v2 protocol shows them. They are views of the same stored tasks and queues
 * that v1 sees (src/core/model.ts): a v2 queue is the v1 queue of the same name, and each v2 field maps onto a stored
 * one (`succeeded` is v1's `success`, `result` is `summary`, `name` is `task_name`, `max_attempts` is `max_retries`);
 * the fields v1 has no name for (routes, attempt, archived, dependencies, progress, last_error, run fencing) are
 * stored beside v1's and never shown to a v1 client. Field names are v2's wire names (snake_case), so src/wire/v2
 * only serializes; timestamps are Dates.
 */
import type { JsonObject } from "../../json.js";

export const V2_TASK_STATUSES = ["pending", "running", "succeeded", "failed", "cancelled"] as const;
export type V2TaskStatus = (typeof V2_TASK_STATUSES)[number];

/** The latest charged failure of a task (v2 keeps no history). */
export interface V2LastError {
  type: string;
  message: string;
  traceback: string | null;
  occurred_at: Date;
  attempt: number;
  run_id: string;
}

export interface V2Task {
  /** `t_` and 12 of `A-Z a-z 0-9 _ -`: every task this server creates has such an id, whichever protocol made it. */
  id: string;
  /** The queue's name. */
  queue: string;
  status: V2TaskStatus;
  archived: boolean;
  name: string | null;
  args: JsonObject;
  metadata: JsonObject;
  priority: number;
  /** Claims charged so far (1 after the first claim; an unclaim gives one back). */
  attempt: number;
  max_attempts: number;
  /** The routes a worker may claim the task through; v1's tasks have `["default"]`. */
  routes: string[];
  /** Ids of tasks (same queue) that must have succeeded before this one is claimed. */
  dependencies: string[];
  result: JsonObject;
  progress: JsonObject | null;
  progress_updated_at: Date | null;
  progress_attempt: number | null;
  last_error: V2LastError | null;
  last_route: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A worker's observation: what a v2 worker says of itself, kept 300 s after its last report. */
export interface V2WorkerObservation {
  /** `w_` and 12 characters. */
  id: string;
  queue: string;
  route: string;
  status: "idle" | "busy";
  task_id: string | null;
  metadata: JsonObject;
  /** null until the worker first reports telemetry (2.8.0 shows null, not `{}`). */
  telemetry: JsonObject | null;
  telemetry_updated_at: Date | null;
  last_seen_at: Date;
  expires_at: Date;
}

/** What a successful claim returns. */
export interface V2Claim {
  task: V2Task;
  run_id: string;
  lease_expires_at: Date;
}
